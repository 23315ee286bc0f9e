// A tiny HTTP server on 127.0.0.1 that records every request it receives and answers with
// what the test's `respond` callback returns (default: 200 with an empty JSON object).
// Kept in .mjs because it needs `node:http`, which the lint rules ban in .ts files.
import { createServer } from 'node:http';

export async function startLoopbackServer(respond) {
	const requests = [];
	const server = createServer((req, res) => {
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', async () => {
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
				let body = answer.body ?? {};
				const headers = { ...(answer.headers ?? {}) };
				if (!Buffer.isBuffer(body) && typeof body !== 'string') {
					body = JSON.stringify(body);
					headers['content-type'] ??= 'application/json';
				}
				res.writeHead(status, headers);
				res.end(body);
			} catch (error) {
				res.writeHead(500, { 'content-type': 'text/plain' });
				res.end(String(error));
			}
		});
	});
	const url = await listenOnLoopback(server);
	return {
		url,
		requests,
		async close() {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

/** Starts `server` on a free port of 127.0.0.1 and gives its base URL. */
export async function listenOnLoopback(server) {
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	return `http://127.0.0.1:${server.address().port}`;
}
