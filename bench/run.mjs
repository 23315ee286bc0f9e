#!/usr/bin/env node
// `npm run bench` [-- --quick] [-- --only B1,B3] [-- --verbose]
//
// Starts the StepFun stand-in (test/stand-in/server.mjs) in THIS process, on loopback, and runs the
// benchmark cases (bench/cases.bench.mts) with vitest (bench/vitest.bench.config.mts) in fresh
// forks: B1 and B2 in one, each of the three B3 runs in its own (a clean memory baseline), B4 in
// one, B5 in one; --quick runs a small version of all of them in one fork, to prove they still work.
// `npm run bench -- --real-n8n` runs bench/real-n8n.mjs instead (in real n8n, see there).
// The node under measurement therefore never shares its process with the server.
// Prints each figure next to its target. Timing never fails the run: the exit code is non-zero only
// when something functionally breaks (wrong output count or image, requests the stand-in did not
// expect, a case that crashes).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { imageSize, startStandIn } from '../test/stand-in/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--real-n8n')) {
	// A different benchmark, in real n8n, with its own options.
	await import('./real-n8n.mjs');
	process.exit(process.exitCode ?? 0);
}
const { values: args } = parseArgs({
	options: {
		quick: { type: 'boolean', default: false },
		only: { type: 'string' },
		verbose: { type: 'boolean', default: false },
	},
});
const quick = args.quick;
const CASE_NAMES = ['B1', 'B2', 'B3', 'B4', 'B5'];
const only = args.only ? args.only.toUpperCase().split(',') : CASE_NAMES;

const TARGET = {
	efficiency: 0.87,
	speedUp: 4.5,
	overhead: 1.25,
	memory: 3,
	paced: 1.1,
	fits: 1.15,
	rateLimitedShare: 0.02,
	rateLimitedShareBucket: 0.05,
	rateLimitedShareShared: 0.1,
	flatTime: 0.1,
	flatMemory: 0.2,
};
const B3_RUNS = quick ? 1 : 3;
const B5_JOBS = ['generate:10', 'generate:100', 'generate:1000', 'edit:10', 'edit:100', 'edit:300'];

const vitestCli = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const apiKey = ['sk', 'stepfun', 'bench', 'key', String(process.pid)].join('-');

const fmt = {
	s: (ms) => `${(ms / 1000).toFixed(2)} s`,
	ms: (ms) => `${ms.toFixed(2)} ms`,
	mb: (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`,
	x: (value) => value.toFixed(2),
	load: () => loadavg().map((l) => l.toFixed(2)).join(' '),
	/** Informational only: never changes the exit code. */
	vs: (value, target, atLeast) => {
		const shown = Number(value.toFixed(2));
		const met = atLeast ? shown >= target : shown <= target;
		return `target ${atLeast ? '≥' : '≤'} ${target}  ${met ? 'meets' : 'MISSES'}`;
	},
};

class Broken extends Error {}

function check(condition, message) {
	if (!condition) throw new Broken(message);
}

// ---------------------------------------------------------------------------------------------
// The stand-in, what it saw per case, and the control endpoint the cases call

const standIn = await startStandIn({ apiKey });

/**
 * Answered requests in compact form. The stand-in keeps every request and answer in full (bodies,
 * base64 images); thousands of them would make this process, the server, slow, so they are
 * summarised and dropped as they are answered.
 */
const seen = [];
function drain() {
	let kept = 0;
	for (const request of standIn.requests) {
		if (request.answeredAt === undefined && request.status !== 0) {
			standIn.requests[kept++] = request; // still being answered
			continue;
		}
		if (!request.path.startsWith('/v1/images/')) continue;
		seen.push({
			path: request.path,
			status: request.status,
			receivedAt: request.receivedAt,
			answeredAt: request.answeredAt,
			generation: request.path.endsWith('/generations') ? canonical(request.rawBody.toString('utf8')) : undefined,
			image: request.image ? imageSize(request.image.bytes) : undefined,
		});
	}
	standIn.requests.length = kept;
}
const drainTimer = setInterval(drain, 100);

/** Same JSON, whatever the key order. */
function canonical(text) {
	try {
		return JSON.stringify(JSON.parse(text), (_key, v) =>
			v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
		);
	} catch {
		return text;
	}
}

/**
 * Per started case (or run of a case, `B4:single`): where its requests begin in `seen`, the most
 * requests in flight, and what the stand-in's account limits admitted and refused.
 */
let segments = [];
function closeSegment() {
	drain();
	const last = segments.at(-1);
	if (last && last.end === undefined) {
		last.end = seen.length;
		last.maxInFlight = standIn.maxInFlight;
		last.limitStats = standIn.limits ? standIn.limitStats : undefined;
	}
}

const control = createServer((req, res) => {
	const match = /^\/case\/(B[1-9](?::[a-z0-9-]+)?)$/.exec(req.url ?? '');
	if (req.method !== 'POST' || !match) {
		res.writeHead(404).end();
		return;
	}
	let text = '';
	req.on('data', (chunk) => (text += chunk));
	req.on('end', () => {
		const settings = JSON.parse(text || '{}');
		closeSegment();
		standIn.setDelay(settings.delayMs ?? 0);
		standIn.limits = settings.limits ?? null;
		standIn.jitter = settings.jitter ?? null;
		standIn.maxInFlight = 0;
		segments.push({ name: match[1], delayMs: settings.delayMs ?? 0, start: seen.length });
		res.writeHead(204).end();
	});
});
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
const controlUrl = `http://127.0.0.1:${control.address().port}`;

const tempDir = mkdtempSync(join(tmpdir(), 'n8n-nodes-stepfun-bench-'));
let forks = 0;

/** Runs the cases in one fresh `vitest run`; returns their figures with the requests each made. */
function runFork(names, extraEnv = {}) {
	const resultFile = join(tempDir, `result-${++forks}.json`);
	segments = [];
	standIn.reset();
	seen.length = 0;
	const child = spawn(
		process.execPath,
		[vitestCli, 'run', '--config', 'bench/vitest.bench.config.mts', '--reporter=dot', '--no-color'],
		{
			cwd: root,
			stdio: ['ignore', 'pipe', 'pipe'],
			env: {
				...process.env,
				BENCH_CASES: names.join(','),
				BENCH_QUICK: quick ? '1' : '0',
				BENCH_BASE_URL: standIn.baseUrl,
				BENCH_API_KEY: apiKey,
				BENCH_CONTROL_URL: controlUrl,
				BENCH_RESULT_FILE: resultFile,
				...extraEnv,
			},
		},
	);
	let output = '';
	child.stdout.on('data', (chunk) => (output += chunk));
	child.stderr.on('data', (chunk) => (output += chunk));
	return new Promise((resolve, reject) => {
		child.on('error', reject);
		child.on('close', (code) => {
			closeSegment();
			if (args.verbose || code !== 0) process.stdout.write(output);
			if (code !== 0) {
				reject(new Broken(`${names.join(', ')}: the benchmark run failed (vitest exit code ${code}); its output is above`));
				return;
			}
			const results = JSON.parse(readFileSync(resultFile, 'utf8'));
			const out = {};
			for (const name of names) {
				const mine = segments.filter((s) => s.name === name || s.name.startsWith(`${name}:`));
				check(mine.length > 0, `${name} never started`);
				out[name] = {
					...results[name],
					requests: seen.slice(mine[0].start, mine.at(-1).end),
					maxInFlight: Math.max(...mine.map((s) => s.maxInFlight)),
					// The runs of a case, by the name after the colon.
					segments: Object.fromEntries(
						mine.map((s) => [s.name.split(':')[1] ?? '', { ...s, requests: seen.slice(s.start, s.end) }]),
					),
				};
			}
			resolve(out);
		});
	});
}

function expectAnswered(r, count, path) {
	check(r.requests.length === count, `expected ${count} API requests, the stand-in saw ${r.requests.length}`);
	check(r.requests.every((request) => request.path === path), `a request did not go to ${path}`);
	const failed = r.requests.filter((request) => request.status !== 200);
	check(failed.length === 0, `${failed.length} requests were not answered 200 (first: ${failed[0]?.status})`);
}

// ---------------------------------------------------------------------------------------------
// Reports

/** What the stand-in itself spent on each answer beyond the configured delay (making the PNG, base64, JSON). */
function standInExtraMs(requests, delayMs) {
	const extra = requests.map((request) => request.answeredAt - request.receivedAt - delayMs);
	return { mean: extra.reduce((a, b) => a + b, 0) / extra.length, max: Math.max(...extra) };
}

function reportB1(r) {
	expectAnswered(r, r.warmupRequests + 2 * r.items, '/v1/images/generations');
	check(r.maxInFlight === 5, `concurrency 5 should have had exactly 5 requests in flight; the stand-in saw at most ${r.maxInFlight}`);
	const lines = [
		`B1 throughput: ${r.items} Generate items, the stand-in answering after ${r.delayMs} ms, through n8n's engine (after a ${r.warmupRequests}-item warm-up)`,
	];
	r.runs.forEach((run, index) => {
		// Requests arrive phase by phase: warm-up, then concurrency 1, then concurrency 5.
		const start = r.warmupRequests + index * r.items;
		const server = standInExtraMs(r.requests.slice(start, start + r.items), r.delayMs);
		lines.push(
			`  concurrency ${run.concurrency}: ${fmt.s(run.ms)}   ideal ceil(${r.items}/${run.concurrency}) × ${r.delayMs / 1000} s = ${fmt.s(run.idealMs)}   efficiency ${fmt.x(run.efficiency)}   ${fmt.vs(run.efficiency, TARGET.efficiency, true)}`,
			`      (the stand-in's own time per answer on top of the ${r.delayMs} ms, making the PNG one at a time: mean ${server.mean.toFixed(1)} ms, max ${server.max.toFixed(1)} ms; against ceil(${r.items}/${run.concurrency}) × (${r.delayMs} ms + that mean) the efficiency is ${fmt.x((Math.ceil(r.items / run.concurrency) * (r.delayMs + server.mean)) / run.ms)})`,
		);
	});
	lines.push(`  speed-up c5 over c1: ${fmt.x(r.speedUp)}   ${fmt.vs(r.speedUp, TARGET.speedUp, true)}`);
	return lines;
}

/** Mean server part (received → answered) and client part (answered → next received) of sequential requests. */
function splitTime(requests) {
	const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;
	return {
		server: mean(requests.map((request) => request.answeredAt - request.receivedAt)),
		client: mean(requests.slice(1).map((request, i) => request.receivedAt - requests[i].answeredAt)),
	};
}

function reportB2(r) {
	expectAnswered(r, 3 * (r.warmup + r.rounds * r.calls), '/v1/images/generations');
	const bodies = new Set(r.requests.map((request) => request.generation));
	check(bodies.size === 1, `the node and the raw client did not send the same request body: ${[...bodies].join(' | ')}`);
	// Each round runs the node, then the raw client, then the raw client without keep-alive, back to
	// back, so a round's ratio compares runs made under the same machine load; report the median round.
	const rounds = r.node.map((node, i) => ({
		node: node.ms,
		engineNode: node.nodeMs,
		raw: r.raw[i],
		rawNew: r.rawNewConnection[i],
		ratio: node.ms / r.raw[i],
	}));
	const m = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
	const perItem = (ms) => fmt.ms(ms / r.calls);
	// The stand-in's clock splits each client's time per request into the server's part (request
	// received → answer sent) and the client's part (answer sent → the next request received).
	const phase = (index) => {
		const start = 3 * r.warmup + (rounds.indexOf(m) * 3 + index) * r.calls;
		return splitTime(r.requests.slice(start, start + r.calls));
	};
	const [nodeSplit, rawSplit] = [phase(0), phase(1)];
	const lines = [
		`B2 overhead: ${r.calls} Generate calls, no server delay. The node: ONE execution of ${r.calls} items at concurrency 1, through n8n's engine. The raw client: the same ${r.calls} requests with undici (keep-alive), one after another, JSON.parse + base64 decode. ${r.rounds > 1 ? `Median of ${r.rounds} rounds` : 'One round'}, each round node then raw (after ${r.warmup} warm-up calls each)`,
		`  node ${fmt.s(m.node)} (${perItem(m.node)} per item)   raw client ${fmt.s(m.raw)} (${perItem(m.raw)} per item)`,
		`  ratio node / raw: ${fmt.x(m.ratio)}   ${fmt.vs(m.ratio, TARGET.overhead, false)}`,
		`  node's own time per item, (node − raw) / ${r.calls}: ${perItem(m.node - m.raw)}`,
		`      (from the stand-in's clock, per request: the client's part, answer sent → next request in, node ${fmt.ms(nodeSplit.client)} vs raw ${fmt.ms(rawSplit.client)}; the server's part, request in → answer sent, ${fmt.ms(nodeSplit.server)} for the node's requests vs ${fmt.ms(rawSplit.server)} for the raw client's)`,
		`      (same round, raw client opening a new connection per request as n8n's HTTP helper does: ${fmt.s(m.rawNew)}, ${perItem(m.rawNew)} per item, node / that ${fmt.x(m.node / m.rawNew)}; n8n's executionTime of the node alone: ${fmt.s(m.engineNode)})`,
	];
	if (rounds.length > 1) {
		lines.push(
			`      (all rounds, node / raw: ${rounds.map((round) => `${fmt.s(round.node)} / ${fmt.s(round.raw)} = ${fmt.x(round.ratio)}`).join(';  ')})`,
		);
	}
	return lines;
}

function reportB3(runs) {
	for (const r of runs) {
		expectAnswered(r, 2, '/v1/images/edits');
		const size = r.requests[1].image;
		check(size?.width === r.side && size?.height === r.side, `the stand-in did not receive the ${r.side}×${r.side} PNG`);
		r.moved = r.inputBytes + r.outputBytes;
		// Headline: the peak while the workflow ran up to the node's execute() returning (the upstream
		// node storing the input included). Afterwards only the engine's bookkeeping and the harness
		// reading the output back (to check it) remain; that whole-run peak is shown too.
		r.nodePeak = r.peakAfterExecuteBytes ?? r.peakBytes;
		r.ratio = (r.nodePeak - r.baselineBytes) / r.moved;
		r.wholeRatio = (r.peakBytes - r.baselineBytes) / r.moved;
	}
	const r = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor(runs.length / 2)];
	const how = runs.length > 1 ? `median of ${runs.length} runs, each in a fresh process` : quick ? 'one run' : 'one run, in a fresh process';
	const lines = [
		`B3 memory: one Edit of a ${r.side}×${r.side} PNG, the stand-in answering a ${r.side}×${r.side} PNG (b64_json), filesystem binary mode; ${how}`,
		`  input ${fmt.mb(r.inputBytes)} + output ${fmt.mb(r.outputBytes)} = ${fmt.mb(r.moved)}   baseline RSS ${fmt.mb(r.baselineBytes)} (after a 64×64 warm-up Edit and GC)   peak RSS until the node's execute() returned ${fmt.mb(r.nodePeak)} (${r.method === 'VmHWM' ? "the kernel's peak mark VmHWM" : 'sampled every 1 ms'})`,
		`  peak above baseline / (input + output): ${fmt.mb(r.nodePeak - r.baselineBytes)} / ${fmt.mb(r.moved)} = ${fmt.x(r.ratio)}   ${fmt.vs(r.ratio, TARGET.memory, false)}`,
		`      (whole run, including the harness reading the output back to check it: ${fmt.x(r.wholeRatio)}${runs.length > 1 ? `; all runs, until execute() returned / whole run: ${runs.map((run) => `${fmt.x(run.ratio)} / ${fmt.x(run.wholeRatio)}`).join(', ')}` : ''})`,
	];
	if (r.steps?.length) {
		const b64 = Math.ceil(r.outputBytes / 3) * 4;
		const held = {
			'input image read': `the input PNG (I = ${fmt.mb(r.inputBytes)}), read once through getBinaryDataBuffer`,
			'request body built, sending': `+ the multipart body, one buffer holding a copy of I (built once per request, reused by retries)`,
			'answer headers in, reading the body': 'the answer starts to arrive',
			'answer read and decoded': `+ the decoded image (O = ${fmt.mb(r.outputBytes)}), written into one buffer as the base64 (B = ${fmt.mb(b64)}) arrived; the socket's chunks (B in all) are garbage once read, only the ~200 bytes of JSON around the image are kept as text`,
			'answer parsed, storing the image': 'the request body and the chunks can go; O is checked (format, size, completeness) in place',
			'image stored': 'O written to the binary data folder by prepareBinaryData',
			'execute() returned': "what the engine still holds: the output item's metadata",
		};
		lines.push("  where the bytes are held, step by step (RSS now above baseline / the peak so far above baseline):");
		for (const step of r.steps) {
			lines.push(
				`      ${step.step.padEnd(38)} ${fmt.mb(step.rssBytes - r.baselineBytes).padStart(9)} / ${fmt.mb(step.peakBytes - r.baselineBytes).padStart(9)}   ${held[step.step] ?? ''}`,
			);
		}
	}
	if (quick) lines.push('      (quick: a small image, in the fork that also ran the other cases; only the full run compares with the target)');
	return lines;
}

/**
 * The least time `latencies` (in order of arrival) take on `slots` at once with no overhead at all:
 * each answer starts as soon as a slot is free.
 */
function scheduleMs(latencies, slots) {
	const free = Array.from({ length: slots }, () => 0);
	for (const latency of latencies) {
		free.sort((a, b) => a - b);
		free[0] += latency;
	}
	return Math.max(...free);
}

/**
 * The least time a token bucket (`burst`, refilled at `perWindow` per `windowMs`) lets
 * `latencies` (in order of arrival) take on `slots` at once: each starts once a slot and a token
 * are free.
 */
function bucketScheduleMs(latencies, slots, burst, perWindow, windowMs) {
	const free = Array.from({ length: slots }, () => 0);
	let tokens = burst;
	let at = 0;
	for (const latency of latencies) {
		free.sort((a, b) => a - b);
		const refilled = (t) => Math.min(burst, tokens + ((t - at) * perWindow) / windowMs);
		const start = refilled(free[0]) >= 1 ? free[0] : at + ((1 - tokens) * windowMs) / perWindow;
		tokens = refilled(start) - 1;
		at = start;
		free[0] = start + latency;
	}
	return Math.max(...free);
}

function reportB4(r) {
	const labels = {
		fast: (run) => `${run.items} items, answers in ${fmt.s(run.answerMs * run.scale)}`,
		slow: (run) => `${run.items} items, answers in ${fmt.s(run.answerMs * run.scale)}`,
		jitter: (run) => `${run.items} items, answers in 0.5–3 × ${fmt.s(run.answerMs * run.scale)}`,
		large: (run) => `${run.items} items, answers in ${fmt.s(run.answerMs * run.scale)}`,
		parallel: (run) => `${run.executions} executions of ${run.items / run.executions} started together, answers in ${fmt.s(run.answerMs * run.scale)}`,
		small: (run) => `${run.items} items (fits in the window)`,
		over: (run) => `${run.items} items (over the window's budget)`,
		defaults: (run) => `${run.items} items at ${fmt.s(run.answerMs * run.scale)}, the node at its defaults (Concurrency 4, Requests per Minute ${r.perWindow})`,
		c5: (run) => `${run.items} items at ${fmt.s(run.answerMs * run.scale)}, the node at Concurrency 5`,
		china: (run) => `${run.items} items at ${fmt.s(run.answerMs * run.scale)}, the node at its defaults, credential Region China`,
		custom: (run) => `${run.items} items at ${fmt.s(run.answerMs * run.scale)}, the node at its defaults, credential with a custom Base URL`,
	};
	const models = {
		sliding: `a sliding window of ${r.perWindow} per window`,
		fixed: `a fixed calendar window of ${r.perWindow} per window`,
		bucket: `a token bucket (burst ${r.runs.find((run) => run.burst)?.burst}, refilled at ${r.perWindow} a window)`,
		others: `${r.perWindow} per sliding window, of which another client of the key used ${r.runs.find((run) => run.model === 'others')?.limits.othersUsed} just before the job (the node is not told)`,
		ten: `${r.perWindow / 10} per sliding window and 5 at once, as StepFun China's lowest tier (the node is not told)`,
	};
	const lines = [
		`B4 at the account's limits: the stand-in allows 5 in flight and a window's budget (429 beyond, no Retry-After); each row starts with the account's window to itself; the node set to Concurrency ${r.inFlight}, Requests per Minute ${r.perWindow} unless said`,
		`  ideal: window models, jobs that fit ceil(items / ${r.inFlight}) × the answer time (with jitter: the stand-in's own answer times on ${r.inFlight} slots), target ≤ ${TARGET.fits}×; the bucket, what it allows (its burst, then its refill, on ${r.inFlight} slots) ≤ ${TARGET.fits}× for jobs that fit, the rate bound items × window / ${r.perWindow} ≤ ${TARGET.paced}× for larger ones; another client's share: the rest once its starts leave the window, ≤ ${TARGET.fits}×; 10 a window: the rate bound, ≤ ${TARGET.fits}×`,
	];
	let model;
	for (const run of r.runs) {
		if (run.model !== model) {
			model = run.model;
			lines.push(`  the account counts ${models[model]}:`);
		}
		const segment = r.segments[run.name];
		check(segment?.limitStats, `B4 ${run.name}: the stand-in's limits were not in force`);
		const stats = segment.limitStats;
		const requests = stats.admitted + stats.rejected;
		check(stats.admitted >= run.delivered, `B4 ${run.name}: fewer requests admitted (${stats.admitted}) than images delivered (${run.delivered})`);
		const unexpected = segment.requests.filter((q) => q.path !== '/v1/images/generations' || (q.status !== 200 && q.status !== 429));
		check(unexpected.length === 0, `B4 ${run.name}: ${unexpected.length} requests were neither answered 200 nor refused 429 (first: ${unexpected[0]?.path} ${unexpected[0]?.status})`);
		const perWindow = run.limits.requestsPerWindow;
		const fits = run.items <= perWindow;
		const answered = segment.requests.filter((q) => q.status === 200).sort((a, b) => a.receivedAt - b.receivedAt);
		const answerTimes = answered.map((q) => q.answeredAt - q.receivedAt);
		let idealMs;
		let idealText;
		let timeTarget = TARGET.fits;
		let shareTarget = TARGET.rateLimitedShare;
		let shareText;
		if (model === 'others') {
			idealMs = run.windowMs + run.answerMs;
			idealText = `its starts leave the window, then one answer`;
			// At most one refused request per 5 s of waiting.
			shareTarget = Math.max(1, Math.floor(run.ms / (5000 / run.scale))) / requests;
			shareText = `target ≤ 1 per 5 s of waiting`;
		} else if (model === 'ten') {
			idealMs = Math.floor((run.items - 1) / perWindow) * run.windowMs + run.answerMs;
			idealText = `rate bound: ${perWindow} now, ${perWindow} a window later, ${run.items - 2 * perWindow} a window after that`;
			shareTarget = TARGET.rateLimitedShareShared;
		} else if (!fits) {
			idealMs = (run.items / perWindow) * run.windowMs;
			idealText = 'rate bound';
			timeTarget = TARGET.paced;
			if (model === 'bucket') shareTarget = TARGET.rateLimitedShareBucket;
		} else if (model === 'bucket') {
			idealMs = bucketScheduleMs(answerTimes, r.inFlight, run.burst, perWindow, run.windowMs);
			idealText = `what the bucket allows on ${r.inFlight} slots`;
			shareTarget = TARGET.rateLimitedShareBucket;
		} else if (run.jittered) {
			idealMs = scheduleMs(answerTimes, r.inFlight);
			idealText = `answer times on ${r.inFlight} slots`;
		} else {
			idealMs = Math.ceil(run.items / r.inFlight) * run.answerMs;
			idealText = `ceil(${run.items}/${r.inFlight}) × ${fmt.s(run.answerMs)}`;
		}
		const ratio = run.ms / idealMs;
		const share = requests > 0 ? stats.rejected / requests : 0;
		const scale = run.scale === 1 ? 'real time' : `time scaled ${run.scale}×: window ${fmt.s(run.windowMs)}, answer ${fmt.s(run.answerMs)}`;
		const shareVerdict = share <= shareTarget + 1e-9 ? 'meets' : 'MISSES';
		lines.push(
			`    ${labels[run.job](run)} (${scale}): ${fmt.s(run.ms)} vs ideal ${fmt.s(idealMs)} (${idealText}) = ${fmt.x(ratio)}×   ${fmt.vs(ratio, timeTarget, false)}`,
			`        429s ${stats.rejected} of ${requests} requests (${(share * 100).toFixed(1)} %, ${shareText ?? `target ≤ ${(shareTarget * 100).toFixed(0)} %`}  ${shareVerdict});   items delivered ${run.delivered} of ${run.items}   ${run.failed === 0 ? 'meets' : 'MISSES'};   peak in flight ${stats.peakInFlight} (limit ${run.limits.maxInFlight}), most in one sliding window ${stats.peakInWindow}`,
		);
	}
	if (quick) lines.push('      (quick: small jobs and a fast clock; only the full run compares with the targets)');
	return lines;
}

function reportB5(r) {
	const expected = r.results.reduce((sum, row) => sum + row.count, 0);
	check(r.requests.length >= expected, `B5: expected at least ${expected} API requests, the stand-in saw ${r.requests.length}`);
	const failedRequests = r.requests.filter((request) => request.status !== 200);
	check(failedRequests.length === 0, `B5: ${failedRequests.length} requests were not answered 200 (first: ${failedRequests[0]?.status})`);
	const lines = [
		`B5 cost per item as work grows: Generate (1024×1024) and Edit (${r.side}×${r.side}, input ${fmt.mb(r.inputBytes)}), concurrency 4, no server delay, filesystem binary mode; time of the node's execute() per item, and its peak RSS above the baseline before it${quick ? ' (each N after GC)' : ' (each N in a fresh process, after a warm-up and GC)'}`,
	];
	for (const operation of ['generate', 'edit']) {
		const rows = r.results.filter((row) => row.operation === operation);
		if (rows.length === 0) continue;
		lines.push(`  ${operation === 'generate' ? 'Generate' : 'Edit'}:`);
		for (const row of rows) {
			lines.push(
				`      N = ${String(row.count).padStart(4)}: ${fmt.ms(row.msPerItem).padStart(9)} per item (${fmt.s(row.nodeMs)} in all${row.rounds > 1 ? `, median of ${row.rounds}` : ''})   peak RSS above baseline ${fmt.mb(row.peakAboveBaselineBytes).padStart(9)} (V8's heap grew ${fmt.mb(row.heapGrowthBytes).padStart(8)})   still held after the run and a GC ${fmt.mb(row.retainedBytes).padStart(8)}`,
			);
		}
		// After the ramp: the first N, where starting up, the concurrency ramp and V8 growing its heap
		// to a working size weigh most, is shown but not compared.
		const ramped = rows.length > 2 ? rows.slice(1) : rows;
		const spread = (values) => Math.max(...values) / Math.min(...values) - 1;
		const time = spread(ramped.map((row) => row.msPerItem));
		const memory = spread(ramped.map((row) => row.peakAboveBaselineBytes));
		const pct = (value) => `${(value * 100).toFixed(0)} %`;
		lines.push(
			`      N ≥ ${ramped[0].count}, largest / smallest − 1: time per item ${pct(time)} (${fmt.vs(time * 100, TARGET.flatTime * 100, false).replace(/(\d) /, '$1 % ')});  peak RSS above baseline ${pct(memory)} (${fmt.vs(memory * 100, TARGET.flatMemory * 100, false).replace(/(\d) /, '$1 % ')})`,
		);
	}
	lines.push(
		"      (what still holds memory after the run and a GC is the output items' metadata, not images; peak RSS is garbage waiting for V8's collector: its heap grows with the work, and buffers outside it are collected once about 64 MiB have piled up)",
	);
	if (quick) lines.push('      (quick: small N and small images; only the full run compares with the targets)');
	return lines;
}

// ---------------------------------------------------------------------------------------------

let failed = false;
const started = performance.now();
const print = (lines) => console.log(lines.join('\n') + '\n');
async function attempt(label, work) {
	try {
		await work();
	} catch (error) {
		failed = true;
		console.error(`${label} BROKEN: ${error instanceof Broken ? error.message : (error?.stack ?? error)}\n`);
	}
}

console.log(
	`StepFun Image benchmarks${quick ? ' (quick)' : ''}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, ${fmt.mb(totalmem())} RAM, load average ${fmt.load()}`,
);
console.log(`Stand-in on ${standIn.baseUrl}, in this process; the node runs in fresh vitest forks`);
console.log(
	quick
		? 'Quick: 10 items at 100 ms, 40 calls, a 1024×1024 Edit, B4 and B5 small, all in one fork. This proves the benchmarks work; its figures do not compare with the targets.\n'
		: '',
);
try {
	const unknown = only.filter((name) => !CASE_NAMES.includes(name));
	if (unknown.length > 0) {
		failed = true;
		console.error(`unknown benchmark ${unknown.join(', ')}\n`);
	}
	const reports = { B1: reportB1, B2: reportB2, B3: (r) => reportB3([r]), B4: reportB4, B5: reportB5 };
	const printAll = async (names, results) => {
		for (const name of names) if (results[name]) await attempt(name, () => print(reports[name](results[name])));
	};
	if (quick) {
		const names = CASE_NAMES.filter((name) => only.includes(name));
		let results = {};
		if (names.length > 0) await attempt(names.join(', '), async () => (results = await runFork(names)));
		await printAll(names, results);
	} else {
		// One fork per group: B1 and B2 (timing) together, each B3 run alone (a clean baseline), B4, B5.
		for (const group of [['B1', 'B2'], ['B3'], ['B4'], ['B5']]) {
			const names = group.filter((name) => only.includes(name));
			if (names.length === 0) continue;
			if (names[0] === 'B3') {
				await attempt('B3', async () => {
					const runs = [];
					for (let i = 0; i < B3_RUNS; i++) runs.push((await runFork(['B3'])).B3);
					print(reportB3(runs));
				});
				continue;
			}
			if (names[0] === 'B5') {
				// Each N in a fresh process: its peak RSS is measured from a clean baseline.
				await attempt('B5', async () => {
					let merged;
					for (const job of B5_JOBS) {
						const { B5 } = await runFork(['B5'], { BENCH_B5_JOB: job });
						merged = merged ? { ...merged, results: [...merged.results, ...B5.results], requests: [...merged.requests, ...B5.requests] } : B5;
					}
					print(reportB5(merged));
				});
				continue;
			}
			let results = {};
			await attempt(names.join(', '), async () => (results = await runFork(names)));
			await printAll(names, results);
		}
	}
} finally {
	clearInterval(drainTimer);
	control.close();
	await standIn.close();
	rmSync(tempDir, { recursive: true, force: true });
}
console.log(
	`Done in ${fmt.s(performance.now() - started)}, load average now ${fmt.load()}. Targets are informational: timing never fails this command${failed ? '; something BROKE (see above)' : ''}.`,
);
process.exitCode = failed ? 1 : 0;
