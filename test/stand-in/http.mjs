// What every part of the stand-in shares: the endpoint contract, StepFun's error shape,
// sending an answer, reading a body, playing a scripted answer. Node built-ins only.

/** Bodies above this are refused with 413 (and not kept in memory). */
export const MAX_BODY = 64 * 1024 * 1024;

/**
 * One API endpoint. `handle` returns the JSON body of a 200 answer, or throws a ParamError
 * (answered 400 request_params_invalid). The core has already checked path, key and method.
 * @typedef {object} Endpoint
 * @property {string} path
 * @property {'GET' | 'POST'} method
 * @property {(request: import('./server.mjs').RecordedRequest, env: EndpointEnv) => unknown} handle
 */

/**
 * What an endpoint may use besides the request.
 * @typedef {object} EndpointEnv
 * @property {import('./types.d.mts').StandIn} standIn the live settings (models, account, chat, …)
 * @property {(png: Buffer) => string} storeImage keeps a result image on the image host, gives its URL
 * @property {AbortSignal} closing aborted when the stand-in closes (ends downloads it makes)
 */

/** Raised by validation; becomes a 400 request_params_invalid with this message. */
export class ParamError extends Error {}

/**
 * StepFun's (OpenAI-like) error body.
 * @param {string} message
 * @param {string} type
 */
export const errorBody = (message, type) => ({ error: { message, type } });

/**
 * @param {string | undefined} header
 * @returns {string} lower-cased media type without parameters
 */
export function mediaType(header) {
	return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Sends one answer: Buffers as they are, strings as text, anything else as JSON.
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {Record<string, string>} headers
 * @param {string | Buffer | Uint8Array | object | undefined} body
 */
export function send(res, status, headers, body) {
	if (res.destroyed || res.writableEnded) return;
	/** @type {Record<string, string>} */
	const h = { ...headers };
	const hasType = () => Object.keys(h).some((k) => k.toLowerCase() === 'content-type');
	let payload;
	if (body === undefined) payload = Buffer.alloc(0);
	else if (Buffer.isBuffer(body) || body instanceof Uint8Array) payload = Buffer.from(body);
	else if (typeof body === 'string') {
		payload = Buffer.from(body, 'utf8');
		if (!hasType()) h['content-type'] = 'text/plain; charset=utf-8';
	} else {
		payload = Buffer.from(JSON.stringify(body), 'utf8');
		if (!hasType()) h['content-type'] = 'application/json';
	}
	h['content-length'] = String(payload.length);
	res.writeHead(status, h);
	res.end(payload);
}

/**
 * The whole body; an empty Buffer when it is larger than MAX_BODY.
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Buffer>}
 */
export function readBody(req) {
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
 * Parses a JSON request body into `request.json` and notes its top-level fields outside `known`.
 * @param {import('./server.mjs').RecordedRequest} request
 * @param {Set<string>} known
 * @returns {any}
 */
export function readJsonBody(request, known) {
	if (mediaType(request.contentType) !== 'application/json') {
		throw new ParamError('Content-Type must be application/json');
	}
	let body;
	try {
		body = JSON.parse(request.rawBody.toString('utf8'));
	} catch {
		throw new ParamError('request body is not valid JSON');
	}
	request.json = body;
	if (isPlainObject(body)) request.unknownFields = Object.keys(body).filter((k) => !known.has(k));
	return body;
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isPlainObject(value) {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Plays the part of a scripted answer that replaces the normal one (delay, reset, hang,
 * status/body). Returns true when the request is done with; false when the normal answer
 * should follow (a script with only delayMs, headers, match or transform).
 * @param {import('./server.mjs').ScriptedResponse} script
 * @param {{ req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, record: { status: number | undefined }, sleep: (ms: number) => Promise<unknown> }} io
 */
export async function playScripted(script, { req, res, record, sleep }) {
	if (script.delayMs) await sleep(script.delayMs);
	if (script.reset) {
		record.status = 0;
		req.socket.destroy();
		return true;
	}
	if (script.hang) {
		record.status = 0;
		return true; // the socket is destroyed by close()
	}
	if (script.status !== undefined || script.body !== undefined) {
		record.status = script.status ?? 200;
		send(res, record.status, script.headers ?? {}, script.body);
		return true;
	}
	return false;
}
