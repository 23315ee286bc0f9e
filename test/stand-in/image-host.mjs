// The host that serves result images of url-mode answers: a different port from the API, as
// StepFun's result links live on another host. It refuses the API key (a client must never
// send it there), serves GET/HEAD of /images/<id>.png and 302s /redirect/<id>.png to it.
import { randomBytes } from 'node:crypto';

import { playScripted, readBody, send } from './http.mjs';

const MAX_STORED_IMAGES = 256;

/** Result images by id, oldest dropped first beyond MAX_STORED_IMAGES. */
export function createImageStore() {
	/** @type {Map<string, Buffer>} */
	const images = new Map();
	return {
		/** @param {Buffer} png @returns {string} its id */
		put(png) {
			const id = randomBytes(12).toString('hex');
			images.set(id, png);
			if (images.size > MAX_STORED_IMAGES)
				images.delete(/** @type {string} */ (images.keys().next().value));
			return id;
		},
		/** @param {string} id */
		get: (id) => images.get(id),
		clear: () => images.clear(),
	};
}

/**
 * The image host's request handler. `host.standIn` is read per request (it exists only once
 * both servers listen).
 * @param {{ store: ReturnType<typeof createImageStore>, readonly standIn: import('./types.d.mts').StandIn, scripts: import('./server.mjs').ScriptedResponse[], sleep: (ms: number) => Promise<unknown> }} host
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function imageHostHandler(host) {
	const { store, scripts, sleep } = host;
	return async (req, res) => {
		const standIn = host.standIn;
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		try {
			await readBody(req);
		} catch {
			res.destroy();
			return;
		}
		/** @type {import('./types.d.mts').RecordedImageRequest} */
		const record = {
			method: req.method ?? 'GET',
			path: url.pathname,
			headers: { ...req.headers },
			status: undefined,
		};
		standIn.imageRequests.push(record);
		const script = scripts.shift();
		if (script && (await playScripted(script, { req, res, record, sleep }))) return;
		const answer = (
			/** @type {number} */ status,
			/** @type {Record<string, string>} */ headers,
			/** @type {string | Buffer} */ body,
		) => {
			record.status = status;
			send(
				res,
				status,
				{ ...headers, ...(script?.headers ?? {}) },
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
		const png = m ? store.get(m[2]) : undefined;
		if (!m || !png) return answer(404, {}, 'Not Found');
		if (m[1] === 'redirect')
			return answer(302, { location: `${standIn.imageBaseUrl}/images/${m[2]}.png` }, '');
		if (req.method === 'HEAD') {
			record.status = 200;
			res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
			res.end();
			return;
		}
		answer(200, { 'content-type': 'image/png' }, png);
	};
}

/**
 * The URL of a stored image, as the API puts it in an answer.
 * @param {import('./types.d.mts').StandIn} standIn
 * @param {string} id
 */
export const imageUrl = (standIn, id) =>
	`${standIn.imageBaseUrl}/${standIn.urlMode === 'redirect' ? 'redirect' : 'images'}/${id}.png`;
