// The upload burst of the queue-mode test (e2e/scale.mjs): distinct uploads, posted
// `parallel` at a time; what the stand-in and the responses must show afterwards; and
// the executions n8n recorded in PostgreSQL.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { Agent, fetch, FormData } from 'undici';

import { imageSize, makePng } from '../../test/stand-in/server.mjs';
import { accountFigures, describeAccount, freshAccount } from './account.mjs';
import { parseJson } from './n8n.mjs';
import { secs } from './report.mjs';

export const EDITS = '/v1/images/edits';

export const sha = (buf) => createHash('sha256').update(buf).digest('hex');

/** `n` different PNGs (size and pixels vary), each with its own prompt and file name. */
export function makeUploads(tag, n) {
	const uploads = [];
	for (let i = 0; i < n; i++) {
		uploads.push({
			i,
			bytes: makePng(96 + (i % 7) * 16, 64 + (i % 5) * 16, `scale-${tag}-${i}`),
			fileName: `${tag}-upload-${String(i).padStart(3, '0')}.png`,
			mimeType: 'image/png',
			prompt: `${tag} #${i}: turn it into a snowy winter evening`,
		});
	}
	assert.equal(
		new Set(uploads.map((u) => sha(u.bytes))).size,
		n,
		'the test uploads are not all different',
	);
	return uploads;
}

/** POST every upload as multipart form data, `parallel` at a time. */
export async function burst(url, uploads, parallel) {
	const dispatcher = new Agent({
		connections: parallel,
		keepAliveTimeout: 10_000,
		headersTimeout: 180_000,
		bodyTimeout: 180_000,
	});
	const out = new Array(uploads.length);
	let next = 0;
	let inFlight = 0;
	let maxInFlight = 0;
	const started = performance.now();
	try {
		await Promise.all(
			Array.from({ length: parallel }, async () => {
				while (next < uploads.length) {
					const u = uploads[next++];
					const form = new FormData();
					form.append('prompt', u.prompt);
					form.append('image', new File([u.bytes], u.fileName, { type: u.mimeType }));
					inFlight++;
					maxInFlight = Math.max(maxInFlight, inFlight);
					const s = performance.now();
					try {
						const res = await fetch(url, {
							method: 'POST',
							body: form,
							headers: { accept: 'image/*,*/*' },
							dispatcher,
							signal: AbortSignal.timeout(180_000),
						});
						const body = Buffer.from(await res.arrayBuffer());
						out[u.i] = {
							status: res.status,
							contentType: res.headers.get('content-type'),
							body,
							ms: performance.now() - s,
						};
					} catch (err) {
						out[u.i] = { status: 0, error: err, body: Buffer.alloc(0), ms: performance.now() - s };
					} finally {
						inFlight--;
					}
				}
			}),
		);
	} finally {
		await dispatcher.close();
	}
	const wallMs = performance.now() - started;
	const lat = out.map((r) => r.ms).sort((a, b) => a - b);
	const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
	return {
		responses: out,
		startedAt: started,
		wallMs,
		clientMaxInFlight: maxInFlight,
		p50: pct(50),
		p95: pct(95),
		max: lat[lat.length - 1],
		throughput: uploads.length / (wallMs / 1000),
	};
}

/**
 * Whether every upload got its own edited image back, and the stand-in answered exactly one
 * request per upload plus one more for each upload in `faulted` (its 503, retried once); its
 * 429s (a refused request is neither made nor billed) are counted, not matched. Returns
 * { answers, delivered, edits, refused, problems }: `problems` is empty when all is well.
 */
export function checkBurst(standIn, uploads, b, faulted = new Set()) {
	const problems = [];
	const all = standIn.requests.filter((r) => r.path === EDITS);
	const edits = all.filter((r) => !r.rateLimited);
	const answers = [];
	for (const u of uploads) {
		const res = b.responses[u.i];
		if (res.status !== 200) {
			problems.push(
				`upload ${u.i}: HTTP ${res.status} ${res.error ? String(res.error.cause ?? res.error) : res.body.toString('utf8').slice(0, 300)}`,
			);
			continue;
		}
		if (!/^image\/png/.test(res.contentType ?? ''))
			problems.push(`upload ${u.i}: content-type ${res.contentType}`);
		const reqs = edits.filter((r) => r.rawBody.includes(u.bytes));
		const want = faulted.has(u.i) ? 2 : 1;
		if (reqs.length !== want) {
			problems.push(
				`upload ${u.i}: the stand-in answered ${reqs.length} request(s) carrying it, expected ${want} (statuses ${reqs.map((r) => r.status).join(',')})`,
			);
			continue;
		}
		if (
			faulted.has(u.i) &&
			!(reqs[0].status === 503 && reqs[0].faulted && reqs[1].status === 200)
		) {
			problems.push(
				`upload ${u.i}: expected 503 then 200, got ${reqs.map((r) => `${r.status}${r.faulted ? '(scripted)' : ''}`).join(', ')}`,
			);
			continue;
		}
		const ok = reqs.find((r) => r.status === 200);
		if (!ok?.responseJson?.data?.[0]?.b64_json) {
			problems.push(`upload ${u.i}: no successful stand-in answer recorded`);
			continue;
		}
		if (
			ok.image?.fileName !== u.fileName ||
			ok.image?.mimeType !== u.mimeType ||
			!ok.image?.bytes.equals(u.bytes)
		) {
			problems.push(
				`upload ${u.i}: the stand-in got ${ok.image?.fileName} ${ok.image?.mimeType} (${ok.image?.bytes.length} B), not the upload`,
			);
		}
		if (ok.fields?.prompt !== u.prompt)
			problems.push(`upload ${u.i}: prompt "${ok.fields?.prompt}" is another upload's`);
		const expected = Buffer.from(ok.responseJson.data[0].b64_json, 'base64');
		if (!res.body.equals(expected)) {
			const other = edits.find(
				(r) =>
					r !== ok &&
					r.responseJson &&
					Buffer.from(r.responseJson.data[0].b64_json, 'base64').equals(res.body),
			);
			problems.push(
				`upload ${u.i}: the response is not the stand-in's answer for this upload${other ? ` (it is the answer for ${other.image?.fileName})` : ''}`,
			);
			continue;
		}
		const size = imageSize(res.body);
		const input = imageSize(u.bytes);
		if (size?.width !== input.width || size?.height !== input.height)
			problems.push(
				`upload ${u.i}: answer ${size?.width}x${size?.height}, input ${input.width}x${input.height}`,
			);
		answers.push(expected);
	}
	const expectedTotal = uploads.length + faulted.size;
	if (edits.length !== expectedTotal)
		problems.push(
			`the stand-in answered ${edits.length} edit requests, expected ${expectedTotal} (${uploads.length} uploads + ${faulted.size} retried 503s)`,
		);
	const scripted = edits.filter((r) => r.faulted).length;
	if (scripted !== faulted.size)
		problems.push(`${scripted} requests took a scripted 503, expected ${faulted.size}`);
	if (new Set(answers.map(sha)).size !== answers.length)
		problems.push('two uploads got the same image back');
	return {
		answers,
		delivered: answers.length,
		edits: edits.length,
		refused: all.length - edits.length,
		problems,
	};
}

/** Throws with the first 20 problems, if there are any. */
export function assertNoProblems(problems, what = 'problem(s)') {
	if (problems.length)
		throw new Error(`${problems.length} ${what}:\n${problems.slice(0, 20).join('\n')}`);
}

/** One line on a burst's timing, as its client saw it. */
export function describeBurst(b) {
	return `${b.responses.length} uploads, ${b.clientMaxInFlight} at a time: wall ${secs(b.wallMs)}, ${b.throughput.toFixed(2)} uploads/s, latency p50 ${Math.round(b.p50)} ms, p95 ${Math.round(b.p95)} ms, max ${Math.round(b.max)} ms`;
}

/**
 * One burst case: a fresh account (`n8n` holds its new key; `faults`, if any, scripted for the
 * edit requests), `uploads` posted to `url` `opt.parallel` at a time, checked (checkBurst) and
 * measured as the account's figures under `label`. Returns { before, b, v, f }: `before` is
 * the newest execution id in `db` beforehand, `b` the burst, `v` its check, `f` the figures.
 */
export async function burstCase(
	{ opt, standIn, pg, cred },
	{ db, n8n, url, uploads, label, faulted, faults = [] },
) {
	const before = await maxExecutionId(pg, db);
	await freshAccount({ standIn, n8n, cred, delayMs: opt.delayMs });
	standIn.fault(EDITS, ...faults);
	const b = await burst(url, uploads, opt.parallel);
	const v = checkBurst(standIn, uploads, b, faulted);
	const f = accountFigures(standIn, {
		label,
		startedAt: b.startedAt,
		wallMs: b.wallMs,
		images: uploads.length,
		delivered: v.delivered,
	});
	return { before, b, v, f };
}

/** What a case prints: the burst's timing, the account's figures, then `lines` (empty ones left out). */
export const describeCase = (b, f, ...lines) =>
	[describeBurst(b), describeAccount(f), ...lines].filter(Boolean).join('\n');

/** POST `body` as JSON; resolves { status, json, text, endedAt } (status 0 and `error` when no answer came). */
export async function postJson(url, body, timeoutMs = 300_000) {
	const dispatcher = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
	try {
		const res = await fetch(url, {
			method: 'POST',
			body: JSON.stringify(body),
			headers: { 'content-type': 'application/json', accept: 'application/json' },
			dispatcher,
			signal: AbortSignal.timeout(timeoutMs),
		});
		const text = await res.text();
		return { status: res.status, json: parseJson(text), text, endedAt: performance.now() };
	} catch (error) {
		return { status: 0, error, text: '', endedAt: performance.now() };
	} finally {
		await dispatcher.close();
	}
}

/** Executions newer than `afterId` in `db`: wait until none is running/new, then return [{id, status, mode, finished}]. */
export async function settledExecutions(pg, db, workflowId, afterId, count, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const rows = (
			await pg.psql(
				`SELECT id, status, mode, finished FROM execution_entity WHERE "workflowId" = '${workflowId}' AND id > ${afterId} ORDER BY id`,
				db,
			)
		).map(([id, status, mode, finished]) => ({ id, status, mode, finished: finished === 't' }));
		const settled =
			rows.length >= count && rows.every((r) => !['new', 'running'].includes(r.status));
		if (settled || Date.now() > deadline) return rows;
		await new Promise((r) => setTimeout(r, 500));
	}
}

/** The newest execution id in `db` (0 when there is none). */
export async function maxExecutionId(pg, db) {
	const [[max]] = await pg.psql('SELECT COALESCE(MAX(id), 0) FROM execution_entity', db);
	return Number(max);
}

/** `count` executions, every one finished with success, all started by the webhook. */
export function assertExecutions(rows, count) {
	const byStatus = {};
	for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
	assert.equal(
		rows.length,
		count,
		`${rows.length} executions recorded, expected ${count} (${JSON.stringify(byStatus)})`,
	);
	const bad = rows.filter((r) => r.status !== 'success' || !r.finished);
	assert.deepEqual(
		bad,
		[],
		`executions not successful (failed, waiting, crashed or unfinished): ${JSON.stringify(byStatus)}`,
	);
	assert.ok(
		rows.every((r) => r.mode === 'webhook'),
		`modes: ${[...new Set(rows.map((r) => r.mode))]}`,
	);
	return byStatus;
}

/** No file under these user folders holds any of the images (binary data must live in Postgres). */
export function assertNoImagesOnDisk(instances, images) {
	const hits = [];
	let files = 0;
	for (const n of instances) {
		for (const f of n.allFiles()) {
			files++;
			const buf = readFileSync(f);
			if (images.some((img) => buf.includes(img))) hits.push(f);
		}
	}
	assert.deepEqual(hits, [], `image bytes found on local disk: ${hits.join(', ')}`);
	return files;
}
