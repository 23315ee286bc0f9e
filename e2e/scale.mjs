#!/usr/bin/env node
// Scale-out test (`npm run test:scale`, issue 7): the packed node in n8n 2.41's queue
// mode on loopback — Redis and PostgreSQL from Debian's packages (apt-get installs them
// when missing), n8n main (EXECUTIONS_MODE=queue, DB_TYPE=postgresdb, binary data mode
// `database`) taking webhooks, and two `n8n worker` processes, each with its own user
// folder holding the `npm pack` tarball. A burst of multipart uploads goes to the
// Webhook → StepFun Image Edit → Respond to Webhook workflow; every upload must get its
// own edited image back, both workers must have run some, the StepFun stand-in must
// have seen exactly one request per upload (plus only the retried 503s in the second
// round), and no execution may be left failed or waiting. The same burst then runs
// against one regular n8n process for comparison. Every process is stopped by PID.
//
// Options:  --no-build     use dist/ as it is (default: `npm run build` first)
//           --no-prepare   fail instead of installing n8n if it is not prepared
//           --no-single    skip the single-process comparison
// Env:      SCALE_UPLOADS (default 50), SCALE_PARALLEL (10), SCALE_DELAY_MS (300),
//           SCALE_WORKER_CONCURRENCY (10), E2E_CACHE, E2E_PACKAGE_TGZ, E2E_VERBOSE=1, E2E_KEEP=1
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

import { Agent, fetch, FormData } from 'undici';

import { imageSize, makePng, startStandIn } from '../test/stand-in/server.mjs';
import { isLineReady, prepare, selectLines } from './prepare.mjs';
import { N8n } from './lib/n8n.mjs';
import { createReport, secs } from './lib/report.mjs';
import { build, pack } from './lib/pack.mjs';
import { stopAll } from './lib/proc.mjs';
import {
	ensureServers,
	executionsStartedBy,
	startPostgres,
	startRedis,
	startWorker,
} from './lib/queue.mjs';
import * as wf from './lib/workflows.mjs';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const intEnv = (name, dflt) => {
	const v = Number(process.env[name] ?? dflt);
	if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
	return v;
};
const opt = {
	build: !argv.includes('--no-build'),
	prepare: !argv.includes('--no-prepare'),
	single: !argv.includes('--no-single'),
	uploads: intEnv('SCALE_UPLOADS', 50),
	parallel: intEnv('SCALE_PARALLEL', 10),
	delayMs: Number(process.env.SCALE_DELAY_MS ?? 300),
	workerConcurrency: intEnv('SCALE_WORKER_CONCURRENCY', 10),
	workers: 2,
	faultShare: 0.1,
};

// ---------------------------------------------------------------- reporting
const { scenario, run } = createReport();
const figures = {};
const t0 = Date.now();
const say = (msg) => console.log(`[scale ${secs(Date.now() - t0)}] ${msg}`);
const sha = (buf) => createHash('sha256').update(buf).digest('hex');

// ---------------------------------------------------------------- the burst
const EDITS = '/v1/images/edits';
const API_KEY = `sk-scale-${randomBytes(12).toString('hex')}`;
const WEBHOOK_PATH = 'stepfun-scale-edit';

/** `n` different PNGs (size and pixels vary), each with its own prompt and file name. */
function makeUploads(tag, n) {
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
async function burst(url, uploads, parallel) {
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
		wallMs,
		clientMaxInFlight: maxInFlight,
		p50: pct(50),
		p95: pct(95),
		max: lat[lat.length - 1],
		throughput: uploads.length / (wallMs / 1000),
	};
}

/**
 * Every upload got its own edited image back, and the stand-in saw exactly one request
 * per upload plus one more for each upload in `faulted` (its 503, retried once).
 */
function verifyBurst(standIn, uploads, b, faulted = new Set()) {
	const problems = [];
	const edits = standIn.requests.filter((r) => r.path === EDITS);
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
				`upload ${u.i}: the stand-in saw ${reqs.length} request(s) carrying it, expected ${want} (statuses ${reqs.map((r) => r.status).join(',')})`,
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
			`the stand-in saw ${edits.length} edit requests, expected ${expectedTotal} (${uploads.length} uploads + ${faulted.size} retried 503s)`,
		);
	const scripted = edits.filter((r) => r.faulted).length;
	if (scripted !== faulted.size)
		problems.push(`${scripted} requests took a scripted 503, expected ${faulted.size}`);
	if (new Set(answers.map(sha)).size !== answers.length)
		problems.push('two uploads got the same image back');
	if (problems.length)
		throw new Error(`${problems.length} problem(s):\n${problems.slice(0, 20).join('\n')}`);
	return { answers, edits: edits.length };
}

function describeBurst(b, standIn) {
	return `${b.responses.length} uploads, ${b.clientMaxInFlight} at a time: wall ${secs(b.wallMs)}, ${b.throughput.toFixed(2)} uploads/s, latency p50 ${Math.round(b.p50)} ms, p95 ${Math.round(b.p95)} ms, max ${Math.round(b.max)} ms; stand-in delay ${opt.delayMs} ms, at most ${standIn.maxInFlight} StepFun requests in flight`;
}

/** Executions newer than `afterId` in `db`: wait until none is running/new, then return [{id, status, mode, finished}]. */
async function settledExecutions(pg, db, workflowId, afterId, count, timeoutMs = 60_000) {
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

async function maxExecutionId(pg, db) {
	const [[max]] = await pg.psql('SELECT COALESCE(MAX(id), 0) FROM execution_entity', db);
	return Number(max);
}

function assertExecutions(rows, count) {
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
function assertNoImagesOnDisk(instances, images) {
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

// ---------------------------------------------------------------- main
async function main() {
	const [line] = selectLines(['current']);
	say(
		`n8n ${line.version} in queue mode: ${opt.workers} workers (concurrency ${opt.workerConcurrency}), ${opt.uploads} uploads ${opt.parallel} at a time, stand-in delay ${opt.delayMs} ms`,
	);

	let servers;
	await scenario('setup: redis-server and PostgreSQL installed (apt-get if missing)', async () => {
		const s = Date.now();
		servers = await ensureServers({ log: say });
		return `${servers.installed.length ? `installed ${servers.installed.join(', ')} in ${secs(Date.now() - s)}; ` : ''}${servers.redisServer}, ${servers.pgBin}`;
	});
	if (!servers) return;

	let tgz;
	const prepared = await scenario(
		`setup: n8n ${line.version} prepared, package built and packed`,
		async () => {
			if (opt.prepare) await prepare({ lines: [line], tools: false });
			else if (!isLineReady(line))
				throw new Error(
					`n8n ${line.version} is not prepared: run node e2e/prepare.mjs --line current`,
				);
			if (opt.build && !process.env.E2E_PACKAGE_TGZ) await build();
			tgz = await pack();
			return tgz;
		},
	);
	if (!prepared) return;

	const standIn = await startStandIn({ apiKey: API_KEY });
	let redis;
	let pg;
	const instances = [];
	try {
		await scenario(
			'setup: Redis and PostgreSQL started on loopback (temp folders, free ports, tracked PIDs)',
			async () => {
				[redis, pg] = await Promise.all([
					startRedis({ redisServer: servers.redisServer }),
					startPostgres({ pgBin: servers.pgBin }),
				]);
				await pg.createDatabase('n8n_queue');
				if (opt.single) await pg.createDatabase('n8n_single');
				return `redis 127.0.0.1:${redis.port} (pid ${redis.pid}), postgres 127.0.0.1:${pg.port} (pid ${pg.pid}, as ${process.getuid?.() === 0 ? 'user postgres' : 'this user'})`;
			},
		);
		if (!redis || !pg) return;

		const cred = wf.credential({
			id: 'stepfunScaleCred1',
			name: 'StepFun (stand-in)',
			apiKey: API_KEY,
			baseUrl: standIn.baseUrl,
		});
		const workflow = wf.webhookEdit({ cred, path: WEBHOOK_PATH, id: 'scaleWebhookEdit1' });
		const encryptionKey = randomBytes(24).toString('hex');
		const common = {
			N8N_ENCRYPTION_KEY: encryptionKey,
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
			EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		};
		const queueEnv = {
			...common,
			...pg.n8nEnv('n8n_queue'),
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			QUEUE_HEALTH_CHECK_ACTIVE: 'false',
			// What n8n 2.41 recommends in scaling mode (manual runs go to workers as well).
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		};

		// ------------------------------------------------ queue mode
		const main = new N8n(line, { label: 'queue main', binaryDataMode: 'database', env: queueEnv });
		const workers = Array.from(
			{ length: opt.workers },
			(_, i) =>
				new N8n(line, { label: `worker ${i + 1}`, binaryDataMode: 'database', env: queueEnv }),
		);
		instances.push(main, ...workers);
		const clusterUp = await scenario(
			`queue mode: main + ${opt.workers} workers up, package installed in each user folder, workflow live on main`,
			async () => {
				const s = Date.now();
				for (const n of [main, ...workers]) await n.installTarball(tgz);
				await main.importCredentials([cred]);
				await main.importWorkflows(workflow);
				await main.activate(workflow.id);
				await main.start({ owner: true, waitForActive: [workflow.id] });
				const mainReady = Date.now();
				await Promise.all(
					workers.map((w) => startWorker(w, { concurrency: opt.workerConcurrency })),
				);
				const [[mode]] = await pg.psql(
					"SELECT count(*) FROM information_schema.tables WHERE table_name = 'binary_data'",
					'n8n_queue',
				);
				assert.equal(mode, '1', 'no binary_data table in Postgres');
				return `main ${main.baseUrl} (pid ${main.proc.pid}) live in ${secs(mainReady - s)}; workers pid ${workers.map((w) => w.proc.pid).join(', ')} ready ${secs(Date.now() - mainReady)} later`;
			},
		);
		if (!clusterUp) return;
		const url = `${main.baseUrl}/webhook/${WEBHOOK_PATH}`;

		// round 1: the burst
		let round1;
		let answers1 = [];
		const uploads1 = makeUploads('queue', opt.uploads);
		let before = await maxExecutionId(pg, 'n8n_queue');
		const workerLogStart = workers.map((w) => w.output().length);
		await scenario(
			`queue mode: burst of ${opt.uploads} uploads, ${opt.parallel} at a time — each gets its own edited image, one StepFun request per upload`,
			async () => {
				standIn.reset();
				standIn.setDelay(opt.delayMs);
				round1 = await burst(url, uploads1, opt.parallel);
				figures.queue = round1;
				const v = verifyBurst(standIn, uploads1, round1);
				answers1 = v.answers;
				assert.ok(
					round1.clientMaxInFlight >= Math.min(10, opt.parallel),
					`only ${round1.clientMaxInFlight} uploads were in flight at once`,
				);
				assert.ok(
					standIn.maxInFlight >= 2,
					`executions did not overlap: at most ${standIn.maxInFlight} StepFun request in flight`,
				);
				return `${describeBurst(round1, standIn)}\n${v.edits} edit requests for ${uploads1.length} uploads; every response = the stand-in's answer for that upload's bytes`;
			},
		);

		let ids1 = [];
		await scenario(
			'queue mode: every execution succeeded (Postgres execution_entity), none failed or waiting, both workers ran some',
			async () => {
				const rows = await settledExecutions(pg, 'n8n_queue', workflow.id, before, opt.uploads);
				const byStatus = assertExecutions(rows, opt.uploads);
				ids1 = rows.map((r) => r.id);
				const started = workers.map((w, i) =>
					executionsStartedBy(w.output().slice(workerLogStart[i])),
				);
				const counts = started.map((s) => ids1.filter((id) => s.has(id)).length);
				const unclaimed = ids1.filter((id) => !started.some((s) => s.has(id)));
				const twice = ids1.filter((id) => started.filter((s) => s.has(id)).length > 1);
				assert.deepEqual(
					unclaimed,
					[],
					'executions no worker log says it started (did main run them itself?)',
				);
				assert.deepEqual(twice, [], 'executions started by more than one worker');
				counts.forEach((c, i) =>
					assert.ok(
						c > 0,
						`worker ${i + 1} ran none of the ${ids1.length} executions (split ${counts.join('/')})`,
					),
				);
				figures.split = counts;
				return `${JSON.stringify(byStatus)}; split between workers: ${counts.map((c, i) => `worker ${i + 1} ${c}`).join(', ')} (from "Worker started execution N" in each worker's log)`;
			},
		);

		await scenario(
			'queue mode: binary data in Postgres (binary_data table), none on any local disk',
			async () => {
				assert.equal(
					answers1.length,
					opt.uploads,
					'the first burst did not return every edited image',
				);
				const rows = await pg.psql(
					"SELECT encode(sha256(data), 'hex') FROM binary_data",
					'n8n_queue',
				);
				const stored = new Set(rows.map(([h]) => h));
				const missingUploads = uploads1.filter((u) => !stored.has(sha(u.bytes))).length;
				const missingAnswers = answers1.filter((a) => !stored.has(sha(a))).length;
				assert.equal(missingUploads, 0, `${missingUploads} uploads are not in binary_data`);
				assert.equal(missingAnswers, 0, `${missingAnswers} edited images are not in binary_data`);
				const files = assertNoImagesOnDisk(instances, [
					...uploads1.map((u) => u.bytes),
					...answers1,
				]);
				return `${rows.length} rows in binary_data hold all ${uploads1.length} uploads and ${answers1.length} edited images; ${files} files in the 3 user folders hold none of them`;
			},
		);

		// round 2: 10% of the requests fail once with 503
		const uploads2 = makeUploads('queue-503', opt.uploads);
		const faulted = new Set(
			uploads2.filter((u) => u.i % Math.round(1 / opt.faultShare) === 3).map((u) => u.i),
		);
		before = await maxExecutionId(pg, 'n8n_queue');
		await scenario(
			`queue mode: burst again with ${faulted.size} of ${opt.uploads} StepFun requests failing once with 503 (Retry-After 0) — all succeed, nothing sent twice beyond the retries`,
			async () => {
				standIn.reset();
				standIn.setDelay(opt.delayMs);
				standIn.fault(
					EDITS,
					...[...faulted].map((i) => ({
						status: 503,
						headers: { 'retry-after': '0' },
						body: {
							error: { message: 'The service is temporarily overloaded', type: 'server_error' },
						},
						match: (req) => req.rawBody.includes(uploads2[i].bytes),
					})),
				);
				const b = await burst(url, uploads2, opt.parallel);
				figures.faults = b;
				const v = verifyBurst(standIn, uploads2, b, faulted);
				const rows = await settledExecutions(pg, 'n8n_queue', workflow.id, before, opt.uploads);
				const byStatus = assertExecutions(rows, opt.uploads);
				return `${describeBurst(b, standIn)}\n${v.edits} edit requests = ${opt.uploads} uploads + ${faulted.size} retried 503s; executions ${JSON.stringify(byStatus)}`;
			},
		);

		await scenario(
			'queue mode: no execution in Postgres is left failed, waiting or unfinished after both rounds',
			async () => {
				const [[leftover]] = await pg.psql(
					"SELECT count(*) FROM execution_entity WHERE status <> 'success' OR NOT finished",
					'n8n_queue',
				);
				assert.equal(leftover, '0', `${leftover} executions not successful`);
				const [[total]] = await pg.psql('SELECT count(*) FROM execution_entity', 'n8n_queue');
				assert.equal(Number(total), 2 * opt.uploads);
				return `${total} executions, all success`;
			},
		);

		await scenario('queue mode: main, workers stopped by PID', async () => {
			for (const n of [...workers, main]) await n.stop();
			return 'stopped';
		});

		// ------------------------------------------------ single regular process
		if (opt.single) {
			const single = new N8n(line, {
				label: 'single n8n',
				env: { ...common, ...pg.n8nEnv('n8n_single'), EXECUTIONS_MODE: 'regular' },
			});
			instances.push(single);
			const up = await scenario(
				'single process: one regular n8n (Postgres, binary data on its disk), same workflow live',
				async () => {
					await single.installTarball(tgz);
					await single.importCredentials([cred]);
					await single.importWorkflows(workflow);
					await single.activate(workflow.id);
					await single.start({ owner: true, waitForActive: [workflow.id] });
					return `${single.baseUrl} (pid ${single.proc.pid})`;
				},
			);
			if (up) {
				const uploads3 = makeUploads('single', opt.uploads);
				const before3 = await maxExecutionId(pg, 'n8n_single');
				await scenario(
					`single process: the same burst (${opt.uploads} uploads, ${opt.parallel} at a time) for comparison`,
					async () => {
						standIn.reset();
						standIn.setDelay(opt.delayMs);
						const b = await burst(
							`${single.baseUrl}/webhook/${WEBHOOK_PATH}`,
							uploads3,
							opt.parallel,
						);
						figures.single = b;
						verifyBurst(standIn, uploads3, b);
						assertExecutions(
							await settledExecutions(pg, 'n8n_single', workflow.id, before3, opt.uploads),
							opt.uploads,
						);
						return describeBurst(b, standIn);
					},
				);
			}
			await single.stop();
		}
	} finally {
		for (const n of instances) await n.dispose();
		if (tgz && !process.env.E2E_PACKAGE_TGZ && !process.env.E2E_KEEP)
			rmSync(dirname(tgz), { recursive: true, force: true });
		await standIn.close();
		if (redis) await redis.stop();
		if (pg) await pg.stop();
		await stopAll();
	}
}

await run('scale test', main, async () => {
	if (figures.queue || figures.single) {
		const row = (label, b) =>
			b
				? `  ${label.padEnd(44)} ${secs(b.wallMs).padStart(7)}  ${b.throughput.toFixed(2).padStart(6)} uploads/s  p50 ${String(Math.round(b.p50)).padStart(5)} ms  p95 ${String(Math.round(b.p95)).padStart(5)} ms`
				: '';
		console.log(
			`\nBurst figures (${opt.uploads} uploads, ${opt.parallel} at a time, stand-in answers after ${opt.delayMs} ms; machine: ${(await import('node:os')).cpus().length} cores):`,
		);
		for (const [label, b] of [
			[
				`queue mode, ${opt.workers} workers${figures.split ? ` (${figures.split.join('/')})` : ''}`,
				figures.queue,
			],
			['queue mode, 10% answered 503 once', figures.faults],
			['single regular process', figures.single],
		])
			if (b) console.log(row(label, b));
	}
});
