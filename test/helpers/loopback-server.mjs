// A tiny HTTP server on 127.0.0.1 that records every request it receives and answers with
// what the test's `respond` callback returns (default: 200 with an empty JSON object).
// Kept in .mjs because it needs `node:http`, which the lint rules ban in .ts files (and e2e/
// runs it in plain Node); its JSDoc types are checked by `npm run typecheck`.
import { createServer } from 'node:http';

import { quiet } from '../stand-in/conditions.mjs';

/**
 * @typedef {object} RecordedRequest
 * @property {string} method
 * @property {string} url path and query string, e.g. `/v1/images?x=1`
 * @property {Record<string, string | string[] | undefined>} headers lower-cased names, as Node's http server gives them
 * @property {Buffer} body
 */

/**
 * @typedef {object} LoopbackAnswer
 * @property {number} [status] default 200
 * @property {Record<string, string>} [headers]
 * @property {unknown} [body] an object is sent as JSON; a string or Buffer as is
 */

/**
 * @typedef {object} LoopbackServer
 * @property {string} url `http://127.0.0.1:<port>`
 * @property {RecordedRequest[]} requests
 * @property {(turns?: number) => Promise<void>} quiet resolves once no connection and no request has come for `turns` event-loop turns (default 20)
 * @property {() => Promise<void>} close
 */

/**
 * @param {(request: RecordedRequest) => LoopbackAnswer | undefined | Promise<LoopbackAnswer | undefined>} [respond]
 * @returns {Promise<LoopbackServer>}
 */
export async function startLoopbackServer(respond) {
	/** @type {RecordedRequest[]} */
	const requests = [];
	/** Connections and requests so far, for `quiet()`. */
	let arrivals = 0;
	const server = createServer((req, res) => {
		arrivals++;
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', async () => {
			/** @type {RecordedRequest} */
			const recorded = {
				method: req.method ?? '',
				url: req.url ?? '',
				headers: { ...req.headers },
				body: Buffer.concat(chunks),
			};
			requests.push(recorded);
			try {
				const answer = (respond ? await respond(recorded) : undefined) ?? {};
				const status = answer.status ?? 200;
				const headers = { ...(answer.headers ?? {}) };
				let body = answer.body ?? {};
				if (!Buffer.isBuffer(body) && typeof body !== 'string') {
					body = JSON.stringify(body);
					headers['content-type'] ??= 'application/json';
				}
				res.writeHead(status, headers);
				res.end(/** @type {string | Buffer} */ (body));
			} catch (error) {
				res.writeHead(500, { 'content-type': 'text/plain' });
				res.end(String(error));
			}
		});
	});
	server.on('connection', () => arrivals++);
	const url = await listenOnLoopback(server);
	return {
		url,
		requests,
		quiet: (turns = 20) => quiet(() => arrivals, turns),
		async close() {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(() => resolve(undefined)));
		},
	};
}

/**
 * Starts `server` on a free port of 127.0.0.1 and gives its base URL.
 * @param {import('node:http').Server} server
 * @returns {Promise<string>}
 */
export async function listenOnLoopback(server) {
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(undefined));
	});
	return `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
}
