// Strict loopback stand-in of the StepFun API: the image endpoints of the spec, vision chat,
// models and the account balance, plus the host of result images. Plain JS + JSDoc, Node
// built-ins only. Shapes: ./types.d.mts, exported from here as types.
//
// This file is the core: listening, recording, the scripted-answer queue, the API key,
// routing, requests in flight, latches (hold, when, quiet), rate limits and delays. Each endpoint
// is its own module.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { DEFAULT_ACCOUNT, accounts } from './accounts.mjs';
import { DEFAULT_CHAT_SETTINGS, chatCompletions } from './chat.mjs';
import { conditionWaiters, quiet } from './conditions.mjs';
import { MAX_BODY, ParamError, errorBody, playScripted, readBody, send } from './http.mjs';
import { edits, generations } from './image-endpoints.mjs';
import { createImageStore, imageHostHandler, imageUrl } from './image-host.mjs';
import { DEFAULT_MODELS, models } from './models.mjs';
import { createRateLimiter } from './rate-limits.mjs';

export { makePng, imageSize, decodePng, makeJpeg, makeWebp, crc32 } from './images.mjs';
export { makeGif, gifInfo } from './gif.mjs';
export { GENERATION_SIZES } from './image-endpoints.mjs';
export { DEFAULT_MODELS } from './models.mjs';
export { DEFAULT_ACCOUNT } from './accounts.mjs';
export { DEFAULT_CHAT_SETTINGS } from './chat.mjs';
export { MAX_CHAT_IMAGES, MAX_CHAT_IMAGE_BYTES, MAX_CHAT_IMAGE_SIDE } from './chat-images.mjs';

/** Every API endpoint, by path. */
const ENDPOINTS = new Map(
	[generations, edits, chatCompletions, models, accounts].map((endpoint) => [
		endpoint.path,
		endpoint,
	]),
);

/**
 * The shapes a test works with (./types.d.mts), exported as types:
 * @typedef {import('./types.d.mts').StandIn} StandIn
 * @typedef {import('./types.d.mts').StartOptions} StartOptions
 * @typedef {import('./types.d.mts').ScriptedResponse} ScriptedResponse
 * @typedef {import('./types.d.mts').RecordedRequest} RecordedRequest
 * @typedef {import('./types.d.mts').RecordedChatImage} RecordedChatImage
 * @typedef {import('./types.d.mts').RecordedImageRequest} RecordedImageRequest
 * @typedef {import('./types.d.mts').RateLimits} RateLimits
 * @typedef {import('./types.d.mts').LimitStats} LimitStats
 * @typedef {import('./types.d.mts').ChatSettings} ChatSettings
 * @typedef {import('./types.d.mts').AccountSettings} AccountSettings
 * @typedef {import('./types.d.mts').Jitter} Jitter
 */

/**
 * @param {unknown} value
 * @returns {Readonly<Jitter> | null}
 */
function checkJitter(value) {
	if (value === null || value === undefined) return null;
	const v = /** @type {Partial<Jitter>} */ (value);
	const ok = (/** @type {unknown} */ n) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
	if (
		typeof value !== 'object' ||
		!ok(v.min) ||
		!ok(v.max) ||
		/** @type {number} */ (v.min) > /** @type {number} */ (v.max)
	)
		throw new TypeError('standIn.jitter must be null or { min, max } with 0 ≤ min ≤ max');
	return Object.freeze({ min: /** @type {number} */ (v.min), max: /** @type {number} */ (v.max) });
}

/**
 * What the stand-in keeps of one API request as it arrives; the endpoint and the answer fill in
 * the rest.
 * @param {import('node:http').IncomingMessage} req
 * @param {URL} url
 * @param {string} traceId
 * @param {Buffer} rawBody
 * @returns {RecordedRequest}
 */
function newRecord(req, url, traceId, rawBody) {
	return {
		method: req.method ?? 'GET',
		path: url.pathname,
		query: url.search,
		headers: { ...req.headers },
		contentType: req.headers['content-type'],
		json: undefined,
		fields: undefined,
		image: undefined,
		chatImages: undefined,
		unknownFields: [],
		status: undefined,
		rawBody,
		traceId,
		faulted: false,
		held: false,
		release: () => {},
		rateLimited: false,
		appliedDelayMs: 0,
		receivedAt: performance.now(),
		answeredAt: undefined,
	};
}

/**
 * Starts the API server and a second "image host" server (different port) on 127.0.0.1.
 * @param {StartOptions} [options]
 * @returns {Promise<StandIn>}
 */
export async function startStandIn({ apiKey = 'sk-test-key', port = 0, imagePort = 0 } = {}) {
	let traceCounter = 0;
	/** @type {Map<string, ScriptedResponse[]>} */
	const scripts = new Map();
	/** @type {ScriptedResponse[]} */
	const imageScripts = [];
	const store = createImageStore();
	const limiter = createRateLimiter();
	/** @type {Readonly<Jitter> | null} */
	let jitter = null;
	/** @type {Set<import('node:net').Socket>} */
	const sockets = new Set();
	/** @type {Set<ReturnType<typeof setTimeout>>} */
	const timers = new Set();
	/** @type {Set<import('node:http').ServerResponse>} */
	const inFlight = new Set();
	const closing = new AbortController();
	const originalKey = apiKey;
	/** The conditions `when()` waits for. */
	const conditions = conditionWaiters();
	/** Requests a script's `hold` keeps open. @type {Set<RecordedRequest>} */
	const held = new Set();

	/** Counts the changes, for `quiet()`. */
	let changes = 0;

	/**
	 * Something about an API request changed: settles the `when()`s whose condition now holds,
	 * once the change is complete (every listener of the event that made it has run).
	 */
	function changed() {
		changes++;
		conditions.check();
	}

	/**
	 * A script's latch: the request stays open until the test calls `record.release()`.
	 * @param {RecordedRequest} record
	 */
	function holdUntilReleased(record) {
		return new Promise((resolve) => {
			record.held = true;
			held.add(record);
			record.release = () => {
				record.held = false;
				record.release = () => {};
				held.delete(record);
				resolve(undefined);
				changed();
			};
			changed();
		});
	}

	const sleep = (/** @type {number} */ ms) =>
		new Promise((resolve) => {
			if (!ms || ms <= 0) return resolve(undefined);
			const t = setTimeout(() => {
				timers.delete(t);
				resolve(undefined);
			}, ms);
			timers.add(t);
		});

	/** @type {import('./http.mjs').EndpointEnv} */
	const env = {
		get standIn() {
			return standIn;
		},
		storeImage: (png) => imageUrl(standIn, store.put(png)),
		closing: closing.signal,
	};

	/**
	 * The first queued answer meant for this request: one without `match`, or whose match accepts it.
	 * @param {RecordedRequest} record
	 */
	function takeScript(record) {
		const queue = scripts.get(record.path);
		const index = queue ? queue.findIndex((s) => !s.match || s.match(record)) : -1;
		const script = queue && index >= 0 ? queue.splice(index, 1)[0] : undefined;
		if (queue && queue.length === 0) scripts.delete(record.path);
		return script;
	}

	/**
	 * The normal answer: path, key, route, method, size, then the endpoint itself.
	 * @param {RecordedRequest} record
	 * @param {import('node:http').IncomingMessage} req
	 * @returns {Promise<{ status: number, body: unknown, headers?: Record<string, string> }>}
	 */
	async function route(record, req) {
		if (record.path !== '/v1' && !record.path.startsWith('/v1/')) {
			return { status: 404, body: errorBody('Not Found', 'not_found') };
		}
		if (req.headers.authorization !== `Bearer ${standIn.apiKey}`) {
			return { status: 401, body: errorBody('Incorrect API key provided', 'invalid_api_key') };
		}
		const endpoint = ENDPOINTS.get(record.path);
		if (!endpoint) return { status: 404, body: errorBody('Not Found', 'not_found') };
		if (record.method !== endpoint.method) {
			return {
				status: 405,
				body: errorBody('Method Not Allowed', 'method_not_allowed'),
				headers: { allow: endpoint.method },
			};
		}
		if (endpoint.method === 'POST' && Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
			return { status: 413, body: errorBody('Request body too large', 'request_params_invalid') };
		}
		try {
			return { status: 200, body: await endpoint.handle(record, env) };
		} catch (err) {
			if (err instanceof ParamError)
				return { status: 400, body: errorBody(err.message, 'request_params_invalid') };
			throw err;
		}
	}

	/** How long a normal answer waits: `delayMs`, times a random factor when jitter is set. */
	function normalDelay() {
		if (!jitter || standIn.delayMs <= 0) return standIn.delayMs;
		return standIn.delayMs * (jitter.min + Math.random() * (jitter.max - jitter.min));
	}

	/**
	 * @param {import('node:http').IncomingMessage} req
	 * @param {import('node:http').ServerResponse} res
	 */
	async function onApiRequest(req, res) {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const traceId = `trace-${++traceCounter}-${randomBytes(6).toString('hex')}`;
		res.setHeader('x-trace-id', traceId);
		// Requests being handled right now (until answered or the socket closes).
		inFlight.add(res);
		standIn.maxInFlight = Math.max(standIn.maxInFlight, inFlight.size);
		res.on('close', () => {
			inFlight.delete(res);
			changed();
		});
		if (standIn.resetOnArrival > 0) {
			// The connection drops as soon as the request line and headers are in, before the body
			// is read: StepFun never had the whole request.
			standIn.resetOnArrival--;
			const record = newRecord(req, url, traceId, Buffer.alloc(0));
			record.status = 0;
			record.bodyRead = false;
			standIn.requests.push(record);
			changed();
			req.socket.destroy();
			return;
		}
		let rawBody;
		try {
			rawBody = await readBody(req);
		} catch {
			res.destroy();
			return;
		}
		const record = newRecord(req, url, traceId, rawBody);
		res.on('finish', () => {
			record.answeredAt = performance.now();
			changed();
		});
		standIn.requests.push(record);

		// The account's limits count the requests that carry its key, whatever the path.
		const slot =
			req.headers.authorization === `Bearer ${standIn.apiKey}` ? limiter.admit() : undefined;
		if (slot && !slot.admitted) {
			record.status = 429;
			record.rateLimited = true;
			/** @type {Record<string, string>} */
			const headers = {};
			if (slot.retryAfter !== undefined) headers['retry-after'] = slot.retryAfter;
			send(res, 429, headers, errorBody(slot.message, 'rate_limit_exceeded'));
			changed();
			return;
		}
		if (slot) res.on('close', slot.release);

		const script = takeScript(record);
		changed();
		try {
			if (script) {
				record.faulted = true;
				record.appliedDelayMs = script.delayMs ?? 0;
				slot?.expectAnswerIn(script.hang || script.hold ? Infinity : record.appliedDelayMs);
				if (script.hold) await holdUntilReleased(record);
				const done = await playScripted(script, { req, res, record, sleep });
				if (done) {
					changed();
					return;
				}
			} else {
				record.appliedDelayMs = normalDelay();
				slot?.expectAnswerIn(record.appliedDelayMs);
				await sleep(record.appliedDelayMs);
			}
			let { status, body, headers } = await route(record, req);
			if (script?.transform && status >= 200 && status < 300) {
				const out = script.transform(body, record);
				if (out !== undefined) body = out;
			}
			record.status = status;
			// What was answered, so tests can compare the node's output with it.
			record.responseJson =
				body !== null && typeof body === 'object' && !Buffer.isBuffer(body) ? body : undefined;
			send(
				res,
				status,
				{ ...(headers ?? {}), ...(script?.headers ?? {}) },
				/** @type {string | Buffer | object | undefined} */ (body),
			);
		} catch (err) {
			record.status = 500;
			send(
				res,
				500,
				{},
				errorBody(`stand-in internal error: ${/** @type {Error} */ (err).message}`, 'server_error'),
			);
		}
	}

	const api = createServer({ keepAliveTimeout: 1000 }, onApiRequest);
	/** @type {StandIn} */
	let standIn;
	const imageHost = createServer(
		{ keepAliveTimeout: 1000 },
		imageHostHandler({
			store,
			scripts: imageScripts,
			sleep,
			get standIn() {
				return standIn;
			},
		}),
	);

	for (const server of [api, imageHost]) {
		server.on('connection', (socket) => {
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
		});
	}

	const listen = (/** @type {import('node:http').Server} */ server, /** @type {number} */ p) =>
		new Promise((resolve, reject) => {
			server.once('error', reject);
			server.listen(p, '127.0.0.1', () => {
				server.off('error', reject);
				resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port);
			});
		});
	const apiPort = await listen(api, port);
	const imgPort = await listen(imageHost, imagePort);

	standIn = {
		baseUrl: `http://127.0.0.1:${apiPort}`,
		imageBaseUrl: `http://127.0.0.1:${imgPort}`,
		apiKey,
		requests: [],
		imageRequests: [],
		models: DEFAULT_MODELS.map((m) => ({ ...m })),
		acceptedModels: null,
		urlMode: 'direct',
		authorizationSeen: false,
		delayMs: 0,
		resetOnArrival: 0,
		maxInFlight: 0,
		account: { ...DEFAULT_ACCOUNT },
		chat: { ...DEFAULT_CHAT_SETTINGS },
		get limits() {
			return limiter.limits;
		},
		set limits(/** @type {Readonly<RateLimits> | null} */ value) {
			limiter.limits = value;
		},
		get limitStats() {
			return limiter.stats;
		},
		get jitter() {
			return jitter;
		},
		set jitter(/** @type {Readonly<Jitter> | null} */ value) {
			jitter = checkJitter(value);
		},
		fault(path, ...responses) {
			const queue = scripts.get(path) ?? [];
			queue.push(...responses);
			if (queue.length) scripts.set(path, queue);
		},
		imageFault(...responses) {
			imageScripts.push(...responses);
		},
		when: conditions.when,
		quiet(turns = 20) {
			return quiet(() => changes, turns, () => closing.signal.aborted);
		},
		setDelay(ms) {
			standIn.delayMs = ms;
		},
		reset() {
			standIn.requests.length = 0;
			standIn.imageRequests.length = 0;
			scripts.clear();
			imageScripts.length = 0;
			store.clear();
			standIn.delayMs = 0;
			standIn.resetOnArrival = 0;
			standIn.apiKey = originalKey;
			standIn.models = DEFAULT_MODELS.map((m) => ({ ...m }));
			standIn.acceptedModels = null;
			standIn.urlMode = 'direct';
			standIn.authorizationSeen = false;
			standIn.account = { ...DEFAULT_ACCOUNT };
			standIn.chat = { ...DEFAULT_CHAT_SETTINGS };
			limiter.clear();
			jitter = null;
			inFlight.clear();
			standIn.maxInFlight = 0;
			// Nothing stays held into the next test.
			for (const record of [...held]) record.release();
		},
		async close() {
			closing.abort();
			conditions.rejectAll(new Error('the stand-in closed'));
			for (const record of [...held]) record.release();
			for (const t of timers) clearTimeout(t);
			timers.clear();
			const stopped = [api, imageHost].map(
				(s) => new Promise((resolve) => s.close(() => resolve(undefined))),
			);
			for (const socket of sockets) socket.destroy();
			await Promise.all(stopped);
		},
	};
	return standIn;
}
