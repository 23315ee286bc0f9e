// A loopback HTTP server that streams a huge "image" cheaply: a PNG signature followed by zero
// bytes, generated on the fly with backpressure, so a test can check a download cap without
// holding the body in memory. Kept in .mjs because it needs `node:http`; its JSDoc types are
// checked by `npm run typecheck`.
//
//   GET /with-length/<name>?bytes=N  answers with Content-Length: N
//   GET /chunked/<name>?bytes=N      answers without Content-Length (chunked)
import { createServer } from 'node:http';

import { listenOnLoopback } from './loopback-server.mjs';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHUNK = Buffer.alloc(1024 * 1024);

/**
 * @typedef {object} BigBodyRequest
 * @property {string} path
 * @property {Record<string, string | string[] | undefined>} headers lower-cased names, as Node's http server gives them
 * @property {number} total bytes the answer would have had (the `bytes` query parameter)
 * @property {number} bytesSent bytes handed to the socket before the client went away (or all of them)
 * @property {boolean} completed whether the whole body was sent
 * @property {boolean} closedEarly whether the client closed the connection before the body was complete
 */

/**
 * @typedef {object} BigBodyServer
 * @property {string} url `http://127.0.0.1:<port>`; paths `/with-length/<name>?bytes=N` and `/chunked/<name>?bytes=N`
 * @property {BigBodyRequest[]} requests
 * @property {() => Promise<void>} close
 */

/**
 * Streams a PNG signature followed by zeros, generated on the fly (nothing is held in memory).
 * @returns {Promise<BigBodyServer>}
 */
export async function startBigBodyServer() {
	/** @type {BigBodyRequest[]} */
	const requests = [];
	const server = createServer(async (req, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const total = Number(url.searchParams.get('bytes') ?? 0);
		/** @type {BigBodyRequest} */
		const record = {
			path: url.pathname,
			headers: { ...req.headers },
			total,
			bytesSent: 0,
			completed: false,
			closedEarly: false,
		};
		requests.push(record);
		/** @type {Record<string, string>} */
		const headers = { 'content-type': 'image/png' };
		if (url.pathname.startsWith('/with-length/')) headers['content-length'] = String(total);
		res.writeHead(200, headers);
		res.on('close', () => {
			if (!record.completed) record.closedEarly = true;
		});
		const write = (/** @type {Buffer} */ buffer) =>
			new Promise((resolve) => {
				if (res.write(buffer)) resolve(true);
				else {
					const done = () => {
						res.off('drain', done);
						res.off('close', done);
						resolve(!res.destroyed);
					};
					res.on('drain', done);
					res.on('close', done);
				}
			});
		let left = total;
		let first = true;
		while (left > 0 && !res.destroyed) {
			const piece = first ? PNG_SIGNATURE : CHUNK.subarray(0, Math.min(CHUNK.length, left));
			first = false;
			const size = Math.min(piece.length, left);
			const ok = await write(piece.subarray(0, size));
			record.bytesSent += size;
			left -= size;
			if (!ok) break;
		}
		if (!res.destroyed) {
			record.completed = left === 0;
			res.end();
		}
	});
	/** @type {Set<import('node:net').Socket>} */
	const sockets = new Set();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	const url = await listenOnLoopback(server);
	return {
		url,
		requests,
		async close() {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => server.close(() => resolve(undefined)));
		},
	};
}
