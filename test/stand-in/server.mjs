// Strict loopback stand-in of the StepFun image API (see /work/shared/spec).
// Plain JS + JSDoc, Node built-ins only. Types: ./server.d.mts
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:http';

import { makePng, imageSize } from './images.mjs';

export { makePng, imageSize, decodePng, makeJpeg, makeWebp, crc32 } from './images.mjs';

/** Sizes accepted by /v1/images/generations, HEIGHTxWIDTH. */
export const GENERATION_SIZES = Object.freeze([
	'1024x1024',
	'768x1360',
	'896x1184',
	'1360x768',
	'1184x896',
]);

export const DEFAULT_MODELS = Object.freeze([
	Object.freeze({ id: 'step-1-8k', object: 'model', created: 1700000000, owned_by: 'stepai' }),
	Object.freeze({
		id: 'step-image-edit-2',
		object: 'model',
		created: 1700000000,
		owned_by: 'stepai',
	}),
	Object.freeze({ id: 'step-2-16k', object: 'model', created: 1700000000, owned_by: 'stepai' }),
]);

const GEN_FIELDS = new Set([
	'model',
	'prompt',
	'size',
	'n',
	'response_format',
	'seed',
	'steps',
	'cfg_scale',
	'negative_prompt',
	'text_mode',
]);
const EDIT_FIELDS = new Set([...GEN_FIELDS, 'image']);
const MAX_BODY = 64 * 1024 * 1024;
const MAX_STORED_IMAGES = 256;
const MAX_SEED = 2147483647;
const MAX_EDIT_SIDE = 4096;

/** Raised by validation; becomes a 400 request_params_invalid. */
class ParamError extends Error {}

/**
 * @param {string | undefined} header
 * @returns {string} lower-cased media type without parameters
 */
function mediaType(header) {
	return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** @param {string} s */
const codePoints = (s) => [...s].length;

/**
 * @param {unknown} v
 * @param {string} name
 */
function checkPrompt(v, name, required = true) {
	if (v === undefined) {
		if (required) throw new ParamError(`${name} is required`);
		return;
	}
	if (typeof v !== 'string') throw new ParamError(`${name} must be a string`);
	const len = codePoints(v);
	if (required && v.trim() === '') throw new ParamError(`${name} must not be empty`);
	if (len > 512) throw new ParamError(`${name} must be at most 512 characters (got ${len})`);
}

/**
 * @param {unknown} v
 * @param {string[] | null} accepted
 */
function checkModel(v, accepted) {
	if (v === undefined) throw new ParamError('model is required');
	if (typeof v !== 'string' || v.trim() === '')
		throw new ParamError('model must be a non-empty string');
	if (accepted && !accepted.includes(v))
		throw new ParamError(`model ${v} is not supported or not permitted`);
}

/**
 * @param {unknown} v
 * @param {string} name
 * @param {number} min
 * @param {number} max
 */
function checkInt(v, name, min, max) {
	if (typeof v !== 'number' || !Number.isInteger(v))
		throw new ParamError(`${name} must be an integer`);
	if (v < min || v > max)
		throw new ParamError(`${name} must be in range [${min}, ${max}] (got ${v})`);
}

/** @param {unknown} v */
function checkCfg(v) {
	if (typeof v !== 'number' || !Number.isFinite(v))
		throw new ParamError('cfg_scale must be a number');
	if (v < 1 || v > 10) throw new ParamError(`cfg_scale must be in range [1.0, 10.0] (got ${v})`);
}

/** @param {unknown} v */
function checkResponseFormat(v) {
	if (v !== 'b64_json' && v !== 'url')
		throw new ParamError('response_format must be one of b64_json, url');
}

/**
 * Validates a generation JSON body.
 * @param {unknown} body
 * @param {string[] | null} acceptedModels
 */
function validateGeneration(body, acceptedModels) {
	if (body === null || typeof body !== 'object' || Array.isArray(body)) {
		throw new ParamError('request body must be a JSON object');
	}
	const b = /** @type {Record<string, unknown>} */ (body);
	checkModel(b.model, acceptedModels);
	checkPrompt(b.prompt, 'prompt');
	if ('size' in b && (typeof b.size !== 'string' || !GENERATION_SIZES.includes(b.size))) {
		throw new ParamError(`size must be one of ${GENERATION_SIZES.join(', ')}`);
	}
	if ('n' in b && b.n !== 1)
		throw new ParamError('n must be 1: only one image per request is supported');
	if ('response_format' in b) checkResponseFormat(b.response_format);
	if ('seed' in b) checkInt(b.seed, 'seed', 0, MAX_SEED);
	if ('steps' in b) checkInt(b.steps, 'steps', 1, 50);
	if ('cfg_scale' in b) checkCfg(b.cfg_scale);
	if ('negative_prompt' in b) checkPrompt(b.negative_prompt, 'negative_prompt', false);
	if ('text_mode' in b && typeof b.text_mode !== 'boolean')
		throw new ParamError('text_mode must be a boolean');
	const [height, width] = String(b.size ?? '1024x1024')
		.split('x')
		.map(Number);
	return {
		width,
		height,
		seed: /** @type {number | undefined} */ (b.seed),
		responseFormat: /** @type {string} */ (b.response_format ?? 'url'),
	};
}

/**
 * Validates the text fields of an edit (already collected as strings).
 * @param {Record<string, string>} f
 * @param {string[] | null} acceptedModels
 */
function validateEditFields(f, acceptedModels) {
	checkModel(f.model, acceptedModels);
	checkPrompt(f.prompt, 'prompt');
	if ('n' in f && f.n !== '1')
		throw new ParamError('n must be 1: only one image per request is supported');
	if ('response_format' in f) checkResponseFormat(f.response_format);
	/** @type {number | undefined} */
	let seed;
	for (const [name, min, max] of /** @type {const} */ ([
		['seed', 0, MAX_SEED],
		['steps', 1, 50],
	])) {
		if (!(name in f)) continue;
		if (!/^[0-9]+$/.test(f[name])) throw new ParamError(`${name} must be an integer`);
		const v = Number(f[name]);
		checkInt(v, name, min, max);
		if (name === 'seed') seed = v;
	}
	if ('cfg_scale' in f) {
		if (!/^[0-9]+(\.[0-9]+)?$/.test(f.cfg_scale))
			throw new ParamError('cfg_scale must be a number');
		checkCfg(Number(f.cfg_scale));
	}
	if ('negative_prompt' in f) checkPrompt(f.negative_prompt, 'negative_prompt', false);
	if ('text_mode' in f && !['true', 'false'].includes(f.text_mode.toLowerCase())) {
		throw new ParamError('text_mode must be a boolean (true or false)');
	}
	return { seed, responseFormat: f.response_format ?? 'url' };
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Buffer>}
 */
function readBody(req) {
	return new Promise((resolve, reject) => {
		/** @type {Buffer[]} */
		const parts = [];
		let size = 0;
		req.on('data', (/** @type {Buffer} */ c) => {
			size += c.length;
			if (size <= MAX_BODY) parts.push(c);
		});
		req.on('end', () => resolve(size > MAX_BODY ? Buffer.alloc(0) : Buffer.concat(parts)));
		req.on('error', reject);
	});
}

/**
 * @typedef {object} ScriptedResponse
 * @property {number} [status]
 * @property {Record<string, string>} [headers]
 * @property {string | Buffer | object} [body]
 * @property {number} [delayMs]
 * @property {boolean} [reset]
 * @property {boolean} [hang]
 * @property {(request: RecordedRequest) => boolean} [match] only a request it accepts takes this answer
 * @property {(json: any, request: RecordedRequest) => any} [transform]
 */

/**
 * @typedef {object} RecordedRequest
 * @property {string} method
 * @property {string} path pathname, without the query
 * @property {string} query the query string including '?', or ''
 * @property {Record<string, string | string[] | undefined>} headers
 * @property {string | undefined} contentType
 * @property {any} json
 * @property {Record<string, string> | undefined} fields
 * @property {{ fileName: string, mimeType: string, bytes: Buffer } | undefined} image
 * @property {string[]} unknownFields
 * @property {number | undefined} status 0 for reset/hang; undefined until answered
 * @property {Buffer} rawBody
 * @property {string} traceId
 * @property {boolean} faulted whether a scripted response was consumed for it
 * @property {number} receivedAt performance.now() when the request body had arrived
 * @property {number | undefined} answeredAt performance.now() when the answer was sent; undefined for reset/hang
 * @property {any} [responseJson] the JSON body of a normal (not scripted) answer
 */

/**
 * Starts the API server and a second "image host" server (different port) on 127.0.0.1.
 * @param {{ apiKey?: string, port?: number, imagePort?: number }} [options]
 */
export async function startStandIn({ apiKey = 'sk-test-key', port = 0, imagePort = 0 } = {}) {
	let traceCounter = 0;
	/** @type {Map<string, ScriptedResponse[]>} */
	const faults = new Map();
	/** @type {ScriptedResponse[]} */
	const imageFaults = [];
	/** @type {Map<string, Buffer>} */
	const images = new Map();
	/** @type {Set<import('node:net').Socket>} */
	const sockets = new Set();
	/** @type {Set<ReturnType<typeof setTimeout>>} */
	const timers = new Set();
	/** @type {Set<import('node:http').ServerResponse>} */
	const inFlight = new Set();
	const originalKey = apiKey;

	const sleep = (/** @type {number} */ ms) =>
		new Promise((resolve) => {
			if (!ms || ms <= 0) return resolve(undefined);
			const t = setTimeout(() => {
				timers.delete(t);
				resolve(undefined);
			}, ms);
			timers.add(t);
		});

	/**
	 * @param {import('node:http').ServerResponse} res
	 * @param {number} status
	 * @param {Record<string, string>} headers
	 * @param {string | Buffer | object | undefined} body
	 */
	function send(res, status, headers, body) {
		if (res.destroyed || res.writableEnded) return;
		/** @type {Record<string, string>} */
		const h = { ...headers };
		let payload;
		if (body === undefined) payload = Buffer.alloc(0);
		else if (Buffer.isBuffer(body) || body instanceof Uint8Array) payload = Buffer.from(body);
		else if (typeof body === 'string') {
			payload = Buffer.from(body, 'utf8');
			if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
				h['content-type'] = 'text/plain; charset=utf-8';
		} else {
			payload = Buffer.from(JSON.stringify(body), 'utf8');
			if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
				h['content-type'] = 'application/json';
		}
		h['content-length'] = String(payload.length);
		res.writeHead(status, h);
		res.end(payload);
	}

	/**
	 * @param {string} message
	 * @param {string} type
	 */
	const errorBody = (message, type) => ({ error: { message, type } });

	/**
	 * Stores a PNG and builds the response item.
	 * @param {Buffer} png
	 * @param {number} seed
	 * @param {string} responseFormat
	 */
	function resultItem(png, seed, responseFormat) {
		/** @type {Record<string, unknown>} */
		const item = { seed, finish_reason: 'success' };
		if (responseFormat === 'b64_json') item.b64_json = png.toString('base64');
		else {
			const id = randomBytes(12).toString('hex');
			images.set(id, png);
			if (images.size > MAX_STORED_IMAGES)
				images.delete(/** @type {string} */ (images.keys().next().value));
			item.url = `${standIn.imageBaseUrl}/${standIn.urlMode === 'redirect' ? 'redirect' : 'images'}/${id}.png`;
		}
		return { created: Math.floor(Date.now() / 1000), data: [item] };
	}

	/**
	 * Normal behaviour of the API. Returns [status, body, extraHeaders].
	 * @param {RecordedRequest} rec
	 * @param {import('node:http').IncomingMessage} req
	 * @returns {Promise<[number, any, Record<string, string>?]>}
	 */
	async function handleApi(rec, req) {
		if (rec.path !== '/v1' && !rec.path.startsWith('/v1/')) {
			return [404, errorBody('Not Found', 'not_found')];
		}
		if (req.headers.authorization !== `Bearer ${standIn.apiKey}`) {
			return [401, errorBody('Incorrect API key provided', 'invalid_api_key')];
		}
		/** @type {Record<string, string>} */
		const routes = {
			'/v1/models': 'GET',
			'/v1/images/generations': 'POST',
			'/v1/images/edits': 'POST',
		};
		const allowed = routes[rec.path];
		if (!allowed) return [404, errorBody('Not Found', 'not_found')];
		if (rec.method !== allowed) {
			return [405, errorBody('Method Not Allowed', 'method_not_allowed'), { allow: allowed }];
		}
		if (rec.path === '/v1/models') return [200, { object: 'list', data: standIn.models }];
		if (rec.rawBody.length > MAX_BODY || Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
			return [413, errorBody('Request body too large', 'request_params_invalid')];
		}
		try {
			if (rec.path === '/v1/images/generations') return [200, generation(rec)];
			return [200, await edit(rec)];
		} catch (err) {
			if (err instanceof ParamError) return [400, errorBody(err.message, 'request_params_invalid')];
			throw err;
		}
	}

	/** @param {RecordedRequest} rec */
	function generation(rec) {
		if (mediaType(rec.contentType) !== 'application/json') {
			throw new ParamError('Content-Type must be application/json');
		}
		let body;
		try {
			body = JSON.parse(rec.rawBody.toString('utf8'));
		} catch {
			throw new ParamError('request body is not valid JSON');
		}
		rec.json = body;
		if (body && typeof body === 'object' && !Array.isArray(body)) {
			rec.unknownFields = Object.keys(body).filter((k) => !GEN_FIELDS.has(k));
		}
		const p = validateGeneration(body, standIn.acceptedModels);
		const seed = p.seed ?? randomInt(0, MAX_SEED);
		const colourSeed = JSON.stringify([
			'generation',
			body.model,
			body.prompt,
			seed,
			body.size ?? null,
			body.steps ?? null,
			body.cfg_scale ?? null,
			body.negative_prompt ?? null,
			body.text_mode ?? null,
		]);
		return resultItem(makePng(p.width, p.height, colourSeed), seed, p.responseFormat);
	}

	/** @param {RecordedRequest} rec */
	async function edit(rec) {
		const ct = rec.contentType ?? '';
		if (mediaType(ct) !== 'multipart/form-data' || !/boundary=/i.test(ct)) {
			throw new ParamError('Content-Type must be multipart/form-data');
		}
		let form;
		try {
			const body = /** @type {BodyInit} */ (/** @type {unknown} */ (rec.rawBody));
			form = await new Response(body, { headers: { 'content-type': ct } }).formData();
		} catch {
			throw new ParamError('multipart body could not be parsed');
		}
		/** @type {Record<string, string>} */
		const fields = {};
		/** @type {Set<string>} */
		const seen = new Set();
		/** @type {File | undefined} */
		let file;
		/** @type {string | undefined} */
		let problem;
		for (const [name, value] of form.entries()) {
			if (seen.has(name))
				problem ??=
					name === 'image' ? 'only one image is supported' : `${name} given more than once`;
			seen.add(name);
			if (!EDIT_FIELDS.has(name) && !rec.unknownFields.includes(name)) rec.unknownFields.push(name);
			if (typeof value === 'string') {
				if (name === 'image') problem ??= 'image must be a file part';
				fields[name] = value;
			} else if (name === 'image') {
				file ??= value;
			} else {
				problem ??= `${name} must be a text field, not a file`;
			}
		}
		rec.fields = fields;
		if (file) {
			rec.image = {
				fileName: file.name,
				mimeType: file.type,
				bytes: Buffer.from(await file.arrayBuffer()),
			};
		}
		if (problem) throw new ParamError(problem);
		const p = validateEditFields(fields, standIn.acceptedModels);
		if (!rec.image) throw new ParamError('image is required');
		const dims = imageSize(rec.image.bytes);
		if (!dims)
			throw new ParamError('image cannot be read: expected a complete PNG, JPEG or WebP file');
		if (dims.width > MAX_EDIT_SIDE || dims.height > MAX_EDIT_SIDE) {
			throw new ParamError(`image too large: ${dims.width}x${dims.height}, maximum is 4096x4096`);
		}
		const seed = p.seed ?? randomInt(0, MAX_SEED);
		const inputHash = createHash('sha256').update(rec.image.bytes).digest('hex');
		const colourSeed = JSON.stringify([
			'edit',
			fields.model,
			fields.prompt,
			seed,
			fields.steps ?? null,
			fields.cfg_scale ?? null,
			fields.negative_prompt ?? null,
			fields.text_mode?.toLowerCase() ?? null,
			inputHash,
		]);
		return resultItem(makePng(dims.width, dims.height, colourSeed), seed, p.responseFormat);
	}

	const api = createServer({ keepAliveTimeout: 1000 }, async (req, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const traceId = `trace-${++traceCounter}-${randomBytes(6).toString('hex')}`;
		res.setHeader('x-trace-id', traceId);
		// Requests being handled right now (until answered or the socket closes).
		inFlight.add(res);
		standIn.maxInFlight = Math.max(standIn.maxInFlight, inFlight.size);
		res.on('close', () => inFlight.delete(res));
		let rawBody;
		try {
			rawBody = await readBody(req);
		} catch {
			res.destroy();
			return;
		}
		/** @type {RecordedRequest} */
		const rec = {
			method: req.method ?? 'GET',
			path: url.pathname,
			query: url.search,
			headers: { ...req.headers },
			contentType: req.headers['content-type'],
			json: undefined,
			fields: undefined,
			image: undefined,
			unknownFields: [],
			status: undefined,
			rawBody,
			traceId,
			faulted: false,
			receivedAt: performance.now(),
			answeredAt: undefined,
		};
		res.on('finish', () => {
			rec.answeredAt = performance.now();
		});
		standIn.requests.push(rec);
		// The first queued answer meant for this request: one without `match`, or whose match accepts it.
		const queue = faults.get(rec.path);
		const faultIndex = queue ? queue.findIndex((f) => !f.match || f.match(rec)) : -1;
		const fault = queue && faultIndex >= 0 ? queue.splice(faultIndex, 1)[0] : undefined;
		if (queue && queue.length === 0) faults.delete(rec.path);
		try {
			if (fault) {
				rec.faulted = true;
				if (fault.delayMs) await sleep(fault.delayMs);
				if (fault.reset) {
					rec.status = 0;
					req.socket.destroy();
					return;
				}
				if (fault.hang) {
					rec.status = 0;
					return; // socket destroyed by close()
				}
				if (fault.status !== undefined || fault.body !== undefined) {
					const status = fault.status ?? 200;
					rec.status = status;
					send(res, status, fault.headers ?? {}, fault.body);
					return;
				}
			} else if (standIn.delayMs > 0) {
				await sleep(standIn.delayMs);
			}
			let [status, body, extra] = await handleApi(rec, req);
			if (fault?.transform && status >= 200 && status < 300) {
				const out = fault.transform(body, rec);
				if (out !== undefined) body = out;
			}
			rec.status = status;
			// What was answered, so tests can compare the node's output with it.
			rec.responseJson = body !== null && typeof body === 'object' && !Buffer.isBuffer(body) ? body : undefined;
			send(res, status, { ...(extra ?? {}), ...(fault?.headers ?? {}) }, body);
		} catch (err) {
			rec.status = 500;
			send(
				res,
				500,
				{},
				errorBody(`stand-in internal error: ${/** @type {Error} */ (err).message}`, 'server_error'),
			);
		}
	});

	const imageHost = createServer({ keepAliveTimeout: 1000 }, async (req, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		try {
			await readBody(req);
		} catch {
			res.destroy();
			return;
		}
		const rec = {
			method: req.method ?? 'GET',
			path: url.pathname,
			headers: { ...req.headers },
			status: /** @type {number | undefined} */ (undefined),
		};
		standIn.imageRequests.push(rec);
		const fault = imageFaults.shift();
		if (fault) {
			if (fault.delayMs) await sleep(fault.delayMs);
			if (fault.reset) {
				rec.status = 0;
				req.socket.destroy();
				return;
			}
			if (fault.hang) {
				rec.status = 0;
				return;
			}
			if (fault.status !== undefined || fault.body !== undefined) {
				rec.status = fault.status ?? 200;
				send(res, rec.status, fault.headers ?? {}, fault.body);
				return;
			}
		}
		const answer = (
			/** @type {number} */ status,
			/** @type {Record<string, string>} */ headers,
			/** @type {any} */ body,
		) => {
			rec.status = status;
			send(
				res,
				status,
				{ ...headers, ...(fault?.headers ?? {}) },
				req.method === 'HEAD' ? undefined : body,
			);
		};
		if (req.headers.authorization !== undefined) {
			standIn.authorizationSeen = true;
			return answer(400, {}, 'Authorization header not allowed on the image host');
		}
		if (req.method !== 'GET' && req.method !== 'HEAD')
			return answer(405, { allow: 'GET, HEAD' }, 'Method Not Allowed');
		const m = /^\/(images|redirect)\/([0-9a-f]+)\.png$/.exec(url.pathname);
		const png = m ? images.get(m[2]) : undefined;
		if (!m || !png) return answer(404, {}, 'Not Found');
		if (m[1] === 'redirect')
			return answer(302, { location: `${standIn.imageBaseUrl}/images/${m[2]}.png` }, '');
		if (req.method === 'HEAD') {
			rec.status = 200;
			res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
			res.end();
			return;
		}
		answer(200, { 'content-type': 'image/png' }, png);
	});

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

	const standIn = {
		baseUrl: `http://127.0.0.1:${apiPort}`,
		imageBaseUrl: `http://127.0.0.1:${imgPort}`,
		apiKey,
		/** @type {RecordedRequest[]} */
		requests: [],
		/** @type {{ method: string, path: string, headers: Record<string, string | string[] | undefined>, status: number | undefined }[]} */
		imageRequests: [],
		/** @type {object[]} */
		models: DEFAULT_MODELS.map((m) => ({ ...m })),
		/** When set, any other model id gets a 400. null (default): any non-empty model id is accepted. */
		acceptedModels: /** @type {string[] | null} */ (null),
		/** @type {'direct' | 'redirect'} */
		urlMode: 'direct',
		authorizationSeen: false,
		delayMs: 0,
		/** Most API requests handled at the same time since the last reset. */
		maxInFlight: 0,
		/**
		 * Queue one-shot scripted answers for the next requests to `path`.
		 * @param {string} path
		 * @param {...ScriptedResponse} responses
		 */
		fault(path, ...responses) {
			const q = faults.get(path) ?? [];
			q.push(...responses);
			if (q.length) faults.set(path, q);
		},
		/** @param {...ScriptedResponse} responses */
		imageFault(...responses) {
			imageFaults.push(...responses);
		},
		/** @param {number} ms */
		setDelay(ms) {
			standIn.delayMs = ms;
		},
		reset() {
			standIn.requests.length = 0;
			standIn.imageRequests.length = 0;
			faults.clear();
			imageFaults.length = 0;
			images.clear();
			standIn.delayMs = 0;
			standIn.apiKey = originalKey;
			standIn.models = DEFAULT_MODELS.map((m) => ({ ...m }));
			standIn.acceptedModels = null;
			standIn.urlMode = 'direct';
			standIn.authorizationSeen = false;
			inFlight.clear();
			standIn.maxInFlight = 0;
		},
		async close() {
			for (const t of timers) clearTimeout(t);
			timers.clear();
			const closing = [api, imageHost].map(
				(s) => new Promise((resolve) => s.close(() => resolve(undefined))),
			);
			for (const socket of sockets) socket.destroy();
			await Promise.all(closing);
		},
	};
	return standIn;
}
