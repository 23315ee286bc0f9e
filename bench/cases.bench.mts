/**
 * The benchmark cases, run by bench/run.mjs in a fresh vitest fork: BENCH_CASES lists which
 * (B1,B2 share a fork; each B3 run gets its own; --quick runs all three in one fork).
 * The StepFun stand-in runs in bench/run.mjs's process; a case sets its delay (the stand-in's
 * setDelay) and announces itself through bench/run.mjs's control endpoint (BENCH_CONTROL_URL),
 * so run.mjs can check the requests each case made.
 * Runs the real StepFun Image node through n8n-core's WorkflowExecute (test/helpers/run-node.ts),
 * against the stand-in over loopback, exactly as the tests do. Writes its figures as JSON to
 * BENCH_RESULT_FILE; timing never fails the run, only functional checks (output count, pairing,
 * image size) do.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';
import { Agent, request } from 'undici';
import { expect, it } from 'vitest';

import { StepFunApi } from '../credentials/StepFunApi.credentials';
import { StepFunImage } from '../nodes/StepFunImage/StepFunImage.node';
import { REGION_BASE_URLS } from '../nodes/StepFunImage/shared/limits';
import { resetAccountLimiters } from '../nodes/StepFunImage/transport/limiter';
import { runNode } from '../test/helpers/run-node';
import type { InputItem, RunResult } from '../test/helpers/run-node';
import { imageSize, makePng } from '../test/stand-in/server.mjs';

const env = (name: string): string => {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set: run the benchmarks with \`npm run bench\``);
	return value;
};

const CASES_TO_RUN = env('BENCH_CASES').split(',');
const QUICK = process.env.BENCH_QUICK === '1';
const BASE_URL = env('BENCH_BASE_URL');
const API_KEY = env('BENCH_API_KEY');
const RESULT_FILE = env('BENCH_RESULT_FILE');
const CONTROL_URL = env('BENCH_CONTROL_URL');

/** How the stand-in answers during a case: its delay, and optionally an account's limits and latency jitter. */
interface StandInSettings {
	delayMs: number;
	limits?: { maxInFlight: number; requestsPerWindow: number; windowMs: number; counting?: string; burst?: number } | null;
	jitter?: { min: number; max: number } | null;
}

/**
 * Tells bench/run.mjs that a case (or one run of it, `B4:single`) starts: it notes where its
 * requests begin and sets the stand-in up as asked.
 */
async function startCase(name: string, settings: number | StandInSettings): Promise<void> {
	const body = typeof settings === 'number' ? { delayMs: settings } : settings;
	const response = await fetch(`${CONTROL_URL}/case/${name}`, { method: 'POST', body: JSON.stringify(body) });
	if (!response.ok) throw new Error(`bench control: HTTP ${response.status}`);
}

const PROMPT = 'A lighthouse on a cliff at dusk, oil painting';
const NODE_NAME = 'StepFun Image';

// ---------------------------------------------------------------------------------------------
// Running the node

async function runStepFun(
	parameters: INodeParameters,
	items: InputItem[],
	nodeType: INodeType = new StepFunImage(),
): Promise<RunResult> {
	return await runNode({
		nodeType,
		credentialType: new StepFunApi(),
		credentials: { apiKey: API_KEY, region: 'custom', baseUrl: BASE_URL },
		parameters: { resource: 'image', ...parameters },
		items,
		binaryMode: 'filesystem',
	});
}

const generateItems = (count: number): InputItem[] =>
	Array.from({ length: count }, (_, index) => ({ json: { index } }));

const generateParameters = (concurrency: number): INodeParameters => ({
	operation: 'generate',
	prompt: PROMPT,
	options: { concurrency },
});

/** Functional check: one image per item, in input order, paired, of the expected size. */
function expectImages(result: RunResult, count: number, width: number, height: number): number {
	expect(result.error).toBeUndefined();
	expect(result.items).toHaveLength(count);
	let bytes = 0;
	result.items.forEach((item, index) => {
		expect(item.pairedItem).toEqual({ item: index });
		const binary = Object.values(item.binary ?? {})[0];
		expect(binary, `item ${index} has no image`).toBeDefined();
		expect(imageSize(binary.bytes)).toMatchObject({ type: 'png', width, height });
		bytes += binary.bytes.length;
	});
	return bytes;
}

/** How long n8n's engine says the node itself ran (its task's executionTime), in ms. */
const engineNodeMs = (result: RunResult): number => result.runData[NODE_NAME]?.[0]?.executionTime ?? NaN;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
	const start = performance.now();
	const value = await work();
	return { ms: performance.now() - start, value };
}

// ---------------------------------------------------------------------------------------------
// B1 throughput

async function b1() {
	const items = QUICK ? 10 : 24;
	const delayMs = QUICK ? 100 : 400;
	await startCase('B1', delayMs);
	// Pacing out of the way ("a minute" of 10 ms): B1 and B2 measure concurrency and overhead; B4 measures pacing.
	resetAccountLimiters({ minuteMs: 10 });
	// Warm-up (loads and JIT-compiles every path, opens connections); not measured.
	expectImages(await runStepFun(generateParameters(5), generateItems(5)), 5, 1024, 1024);

	const runs = [];
	for (const concurrency of [1, 5]) {
		const { ms, value } = await timed(() => runStepFun(generateParameters(concurrency), generateItems(items)));
		expectImages(value, items, 1024, 1024);
		const idealMs = Math.ceil(items / concurrency) * delayMs;
		runs.push({ concurrency, ms, idealMs, efficiency: idealMs / ms, nodeMs: engineNodeMs(value) });
	}
	return { items, delayMs, warmupRequests: 5, runs, speedUp: runs[0].ms / runs[1].ms };
}

// ---------------------------------------------------------------------------------------------
// B2 overhead: the node (one execution of N items, concurrency 1) vs a raw undici client

/** The body the node sends for a Generate with default options (bench/run.mjs checks they match). */
const rawBody = () =>
	JSON.stringify({ model: 'step-image-edit-2', prompt: PROMPT, size: '1024x1024', response_format: 'b64_json' });

/**
 * The same requests, one after another, with undici and nothing else: JSON.parse + base64 decode.
 * `reset: true` closes each connection after its answer, as n8n's HTTP helper (a new agent per
 * request) does; the default keeps one connection alive.
 */
async function rawClient(count: number, dispatcher: Agent, reset = false): Promise<number> {
	let bytes = 0;
	for (let i = 0; i < count; i++) {
		const response = await request(`${BASE_URL}/v1/images/generations`, {
			method: 'POST',
			dispatcher,
			reset,
			headers: {
				authorization: `Bearer ${API_KEY}`,
				'content-type': 'application/json',
				accept: 'application/json',
			},
			body: rawBody(),
		});
		const text = await response.body.text();
		if (response.statusCode !== 200) throw new Error(`raw client: HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
		const json = JSON.parse(text) as { data: Array<{ b64_json: string }> };
		const png = Buffer.from(json.data[0].b64_json, 'base64');
		if (png.length < 8 || png.readUInt32BE(0) !== 0x89504e47) throw new Error('raw client: answer is not a PNG');
		bytes += png.length;
	}
	return bytes;
}

async function b2() {
	const calls = QUICK ? 40 : 200;
	const rounds = QUICK ? 1 : 5;
	const warmup = QUICK ? 5 : 20;
	await startCase('B2', 0);
	resetAccountLimiters({ minuteMs: 10 });
	// The stand-in announces a 1 s keep-alive; with undici's default safety margin (2 s) the client
	// would drop every connection after one request, so keep the margin below the announced time.
	const dispatcher = new Agent({ keepAliveTimeoutThreshold: 200 });
	try {
		// Warm-up of every path; not measured.
		expectImages(await runStepFun(generateParameters(1), generateItems(warmup)), warmup, 1024, 1024);
		await rawClient(warmup, dispatcher);
		await rawClient(warmup, dispatcher, true);

		// Rounds alternate node / raw / raw without keep-alive, so a change in machine load hits all three.
		const node: Array<{ ms: number; nodeMs: number }> = [];
		const raw: number[] = [];
		const rawNewConnection: number[] = [];
		for (let round = 0; round < rounds; round++) {
			const viaNode = await timed(() => runStepFun(generateParameters(1), generateItems(calls)));
			expectImages(viaNode.value, calls, 1024, 1024);
			node.push({ ms: viaNode.ms, nodeMs: engineNodeMs(viaNode.value) });
			raw.push((await timed(() => rawClient(calls, dispatcher))).ms);
			rawNewConnection.push((await timed(() => rawClient(calls, dispatcher, true))).ms);
		}
		return { calls, rounds, warmup, node, raw, rawNewConnection };
	} finally {
		await dispatcher.close();
	}
}

// ---------------------------------------------------------------------------------------------
// B3 memory: peak RSS of one Edit in filesystem binary mode

/** Linux: the kernel's peak-RSS mark (VmHWM), which `echo 5 > /proc/self/clear_refs` resets. */
function readPeakKb(): number | undefined {
	try {
		const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
		return match ? Number(match[1]) : undefined;
	} catch {
		return undefined;
	}
}

function resetPeak(): boolean {
	try {
		writeFileSync('/proc/self/clear_refs', '5');
		return readPeakKb() !== undefined;
	} catch {
		return false;
	}
}

/** Elsewhere: sample RSS every millisecond (misses peaks inside long synchronous steps). */
function startSampler(): { stop: () => number } {
	let peak = process.memoryUsage.rss();
	const timer = setInterval(() => {
		peak = Math.max(peak, process.memoryUsage.rss());
	}, 1);
	return {
		stop() {
			clearInterval(timer);
			return Math.max(peak, process.memoryUsage.rss());
		},
	};
}

async function settle() {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error('B3 needs --expose-gc (set in bench/vitest.bench.config.mts)');
	for (let i = 0; i < 3; i++) {
		gc();
		await sleep(20);
	}
}

/** What a probed node notes: when its execute() ran, the peak when it returned, and (if asked) each step. */
interface Probe {
	startedAt?: number;
	endedAt?: number;
	afterExecuteKb?: number;
	/** With `retainedAfterGc` asked for: RSS once execute() returned and a GC ran. */
	retainedAfterGc?: boolean;
	retainedBytes?: number;
	/** V8's heap as reserved when execute() returned (before that GC). */
	heapTotalBytes?: number;
	steps: Array<{ step: string; rssBytes: number; peakBytes: number }>;
}

/**
 * What JavaScript objects still hold after a GC: V8's heap in use. (RSS keeps freed pages, and
 * the count of buffers outside the heap lags behind their release, so neither says what is held.)
 */
function liveBytes(): number {
	return process.memoryUsage().heapUsed;
}

function mark(probe: Probe, step: string): void {
	probe.steps.push({ step, rssBytes: process.memoryUsage.rss(), peakBytes: (readPeakKb() ?? NaN) * 1024 });
}

/** The answer's chunks, passed on unchanged, with a mark once the last one was read. */
async function* markedChunks(chunks: AsyncIterable<Buffer>, probe: Probe): AsyncGenerator<Buffer> {
	mark(probe, 'answer headers in, reading the body');
	for await (const chunk of chunks) yield chunk;
	mark(probe, 'answer read and decoded');
}

/**
 * The node's context with the helpers it uses for an Edit wrapped, to note RSS and the peak at
 * each step: the input read, the body about to be sent, the answer read, the image stored.
 */
function tracedContext(ctx: IExecuteFunctions, probe: Probe): IExecuteFunctions {
	const helpers = ctx.helpers;
	const traced: IExecuteFunctions['helpers'] = {
		...helpers,
		getBinaryDataBuffer: async (...args: Parameters<typeof helpers.getBinaryDataBuffer>) => {
			const bytes = await helpers.getBinaryDataBuffer(...args);
			mark(probe, 'input image read');
			return bytes;
		},
		httpRequestWithAuthentication: async (...args: Parameters<typeof helpers.httpRequestWithAuthentication>) => {
			mark(probe, 'request body built, sending');
			const response = (await helpers.httpRequestWithAuthentication.call(ctx, ...args)) as { body: AsyncIterable<Buffer> };
			return { ...response, body: markedChunks(response.body, probe) };
		},
		prepareBinaryData: async (...args: Parameters<typeof helpers.prepareBinaryData>) => {
			mark(probe, 'answer parsed, storing the image');
			const stored = await helpers.prepareBinaryData(...args);
			mark(probe, 'image stored');
			return stored;
		},
	};
	return Object.create(ctx, { helpers: { value: traced } }) as IExecuteFunctions;
}

/**
 * The node, unchanged, noting when its execute() ran and the peak RSS the moment it returns to
 * the engine; with `traceSteps`, also RSS and the peak at each step of an Edit.
 */
function probedNode(probe: Probe, traceSteps = false): INodeType {
	const node = new StepFunImage();
	return {
		description: node.description,
		methods: node.methods,
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			probe.startedAt = performance.now();
			try {
				return await node.execute.call(traceSteps ? tracedContext(this, probe) : this);
			} finally {
				probe.endedAt = performance.now();
				if (traceSteps) mark(probe, "execute() returned");
				probe.afterExecuteKb = readPeakKb();
				if (probe.retainedAfterGc) {
					probe.heapTotalBytes = process.memoryUsage().heapTotal;
					(globalThis as { gc?: () => void }).gc?.();
					probe.retainedBytes = liveBytes();
				}
			}
		},
	};
}

async function b3() {
	const side = QUICK ? 1024 : 4096;
	await startCase('B3', 0);
	const input = makePng(side, side, 'bench: photo to edit');
	const editItems = (png: Buffer): InputItem[] => [
		{ json: {}, binary: { data: { bytes: png, fileName: 'photo.png', mimeType: 'image/png' } } },
	];
	// A fixed seed makes the stand-in's answer the same bytes in every run.
	const parameters: INodeParameters = { operation: 'edit', prompt: 'Make it look like winter', options: { seed: 1234 } };

	// Warm-up with a small image: loads and compiles every path of an Edit; not measured.
	const small = makePng(64, 64, 'bench: warm-up');
	expectImages(await runStepFun(parameters, editItems(small)), 1, 64, 64);

	await settle();
	const baselineBytes = process.memoryUsage.rss();
	const marks: Probe = { steps: [] };
	const kernelPeak = resetPeak();
	const sampler = kernelPeak ? undefined : startSampler();
	const { ms, value } = await timed(() => runStepFun(parameters, editItems(input), probedNode(marks, kernelPeak)));
	const sampledPeak = sampler?.stop();
	const peakBytes = kernelPeak ? (readPeakKb() ?? NaN) * 1024 : (sampledPeak ?? NaN);
	const outputBytes = expectImages(value, 1, side, side);

	return {
		side,
		inputBytes: input.length,
		outputBytes,
		baselineBytes,
		peakBytes,
		peakAfterExecuteBytes: marks.afterExecuteKb === undefined ? undefined : marks.afterExecuteKb * 1024,
		method: kernelPeak ? 'VmHWM' : 'sampled',
		steps: marks.steps,
		ms,
	};
}

// ---------------------------------------------------------------------------------------------
// B4 at the account's limits: the stand-in enforces in-flight and per-window caps (429 beyond),
// counting the window three ways, since StepFun does not say how it counts

/** How the stand-in's account counts its per-minute limit. */
const B4_MODELS = [
	{ name: 'sliding', counting: 'sliding' },
	{ name: 'fixed', counting: 'fixed' },
	{ name: 'bucket', counting: 'bucket', burst: 10 },
] as const;

/**
 * StepFun's lowest tier: 5 in flight, 100 per minute. The 24-item jobs run in real time: they fit
 * in the minute, and scaled down, a 40 ms answer would mostly measure the stand-in making PNGs.
 * The large jobs (minutes of work) run `scale` times faster: the minute (the stand-in's window
 * and the node's) and the answer.
 */
const B4 = QUICK
	? {
			inFlight: 5,
			perWindow: 20,
			jobs: [
				{ name: 'small', items: 12, executions: 1, answerMs: 1500, jitter: null, scale: 60 },
				{ name: 'over', items: 25, executions: 1, answerMs: 1500, jitter: null, scale: 60 },
			],
		}
	: {
			inFlight: 5,
			perWindow: 100,
			jobs: [
				{ name: 'fast', items: 24, executions: 1, answerMs: 400, jitter: null, scale: 1 },
				{ name: 'slow', items: 24, executions: 1, answerMs: 1500, jitter: null, scale: 1 },
				{ name: 'jitter', items: 24, executions: 1, answerMs: 1500, jitter: { min: 0.5, max: 3 }, scale: 1 },
				{ name: 'large', items: 200, executions: 1, answerMs: 1500, jitter: null, scale: 10 },
				{ name: 'parallel', items: 50, executions: 3, answerMs: 1500, jitter: null, scale: 10 },
			],
		};

/** One B4 row: a job, the account it meets (each row starts with the account's minute to itself), and the node's settings. */
interface B4Row {
	name: string;
	model: string;
	job: string;
	items: number;
	executions: number;
	answerMs: number;
	jitter: { min: number; max: number } | null;
	scale: number;
	limits: { maxInFlight: number; requestsPerWindow: number; counting: string; burst?: number; othersUsed?: number };
	options: IDataObject;
	/** The credential's Region: 'china' sends to StepFun China's host, routed to the stand-in here. */
	region?: 'china';
}

/**
 * The window models with the node set to the tier (Concurrency 5, Requests per Minute 100), then
 * accounts the node is not told about, at its defaults: another client used 80 of the minute just
 * before the job; an account of 10 a minute (StepFun China's lowest tier), with Region China and
 * with a custom Base URL.
 */
function b4Rows(): B4Row[] {
	const tier = { concurrency: B4.inFlight, requestsPerMinute: B4.perWindow };
	const rows: B4Row[] = B4_MODELS.flatMap((model) =>
		B4.jobs.map((job) => ({
			...job,
			name: `${model.name}-${job.name}`,
			model: model.name,
			job: job.name,
			limits: { maxInFlight: B4.inFlight, requestsPerWindow: B4.perWindow, counting: model.counting, ...('burst' in model ? { burst: model.burst } : {}) },
			options: tier,
		})),
	);
	const share = { items: QUICK ? 6 : 24, executions: 1, answerMs: 400, jitter: null, scale: QUICK ? 60 : 1 };
	const others = { maxInFlight: 5, requestsPerWindow: B4.perWindow, counting: 'sliding', othersUsed: Math.round(0.8 * B4.perWindow) };
	const tenAMinute = { maxInFlight: 5, requestsPerWindow: B4.perWindow / 10, counting: 'sliding' };
	rows.push(
		{ ...share, name: 'others-defaults', model: 'others', job: 'defaults', limits: others, options: {} },
		{ ...share, name: 'others-c5', model: 'others', job: 'c5', limits: others, options: { concurrency: 5 } },
		{ ...share, name: 'ten-china', model: 'ten', job: 'china', limits: tenAMinute, options: {}, region: 'china' },
		{ ...share, name: 'ten-custom', model: 'ten', job: 'custom', limits: tenAMinute, options: {} },
	);
	return rows;
}

/**
 * The node, unchanged, with its requests to StepFun China's host sent to the stand-in instead
 * (at n8n's HTTP helper, after the node chose the URL from the credential's Region).
 */
function routedToStandIn(): INodeType {
	const node = new StepFunImage();
	return {
		description: node.description,
		methods: node.methods,
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const ctx = this;
			const helpers: IExecuteFunctions['helpers'] = {
				...ctx.helpers,
				httpRequestWithAuthentication: async (type, options, ...rest) => {
					const url = String(options.url).replace(REGION_BASE_URLS.china, `${BASE_URL}/v1`);
					return await ctx.helpers.httpRequestWithAuthentication.call(ctx, type, { ...options, url }, ...rest);
				},
			};
			return await node.execute.call(Object.create(ctx, { helpers: { value: helpers } }) as IExecuteFunctions);
		},
	};
}

async function b4() {
	const items = (label: string, count: number): InputItem[] =>
		Array.from({ length: count }, (_, index) => ({ json: { prompt: `${label} ${index}` } }));

	// Warm-up without limits; then each run starts afresh: a new limiter and a new window.
	await startCase('B4:warmup', { delayMs: 50 });
	resetAccountLimiters({ minuteMs: 1000 });
	const warmup: INodeParameters = { operation: 'generate', prompt: '={{ $json.prompt }}', options: {} };
	expectImages(await runStepFun(warmup, items('warm-up', 5)), 5, 1024, 1024);

	const runs = [];
	for (const row of b4Rows()) {
		const windowMs = 60_000 / row.scale;
		const answerMs = row.answerMs / row.scale;
		const parameters = { operation: 'generate', prompt: '={{ $json.prompt }}', options: row.options } as INodeParameters;
		resetAccountLimiters({ minuteMs: windowMs });
		await startCase(`B4:${row.name}`, { delayMs: answerMs, limits: { ...row.limits, windowMs }, jitter: row.jitter });
		const { ms, value } = await timed(() =>
			Promise.all(
				Array.from({ length: row.executions }, (_, execution) =>
					runNode({
						nodeType: row.region === 'china' ? routedToStandIn() : new StepFunImage(),
						credentialType: new StepFunApi(),
						credentials: { apiKey: API_KEY, region: row.region ?? 'custom', baseUrl: BASE_URL },
						parameters: { resource: 'image', ...parameters },
						items: items(`${row.model} ${row.job} ${execution}`, row.items),
						binaryMode: 'filesystem',
						// Failures become error items, so they are counted instead of stopping the run.
						continueOnFail: true,
					}),
				),
			),
		);
		let delivered = 0;
		let failed = 0;
		for (const result of value) {
			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(row.items);
			result.items.forEach((item, index) => {
				expect(item.pairedItem).toEqual({ item: index });
				if (item.json.error !== undefined) failed++;
				else {
					expect(item.json.prompt).toBe(`${row.model} ${row.job} ${value.indexOf(result)} ${index}`);
					delivered++;
				}
			});
		}
		runs.push({
			name: row.name,
			model: row.model,
			burst: row.limits.burst,
			job: row.job,
			executions: row.executions,
			items: row.items * row.executions,
			answerMs,
			jittered: row.jitter !== null,
			scale: row.scale,
			windowMs,
			limits: row.limits,
			options: row.options,
			region: row.region,
			ms,
			delivered,
			failed,
		});
	}
	resetAccountLimiters();
	return { inFlight: B4.inFlight, perWindow: B4.perWindow, runs };
}

// ---------------------------------------------------------------------------------------------
// B5: how cost grows with work, per N: time per item and peak RSS

const B5 = QUICK
	? { generate: [5, 20], edit: [3, 8], side: 256 }
	: { generate: [10, 100, 1000], edit: [10, 100, 300], side: 2048 };
/** bench/run.mjs runs each N of the full B5 in a fresh fork (a clean baseline): `generate:100`. */
const B5_JOB = process.env.BENCH_B5_JOB;

async function b5() {
	await startCase('B5', 0);
	// Pacing out of the way ("a minute" of 10 ms): this measures the node's own cost per item.
	resetAccountLimiters({ minuteMs: 10 });
	const input = makePng(B5.side, B5.side, 'bench: photo to edit');
	const jobs = [
		...B5.generate.map((count) => ({
			operation: 'generate',
			count,
			parameters: generateParameters(4),
			items: () => generateItems(count),
			width: 1024,
		})),
		...B5.edit.map((count) => ({
			operation: 'edit',
			count,
			parameters: { operation: 'edit', prompt: 'Make it look like winter', options: { concurrency: 4 } } as INodeParameters,
			// The same bytes for every item: the harness stores one file per item, as an upstream node would.
			items: (): InputItem[] =>
				Array.from({ length: count }, () => ({
					json: {},
					binary: { data: { bytes: input, fileName: 'photo.png', mimeType: 'image/png' } },
				})),
			width: B5.side,
		})),
	];
	const chosen = B5_JOB ? jobs.filter((job) => `${job.operation}:${job.count}` === B5_JOB) : jobs;
	if (chosen.length === 0) throw new Error(`B5: no job ${B5_JOB}`);
	// Warm-up of the operations measured, long enough for the JIT to settle; not measured.
	for (const operation of new Set(chosen.map((job) => job.operation))) {
		const job = jobs.find((candidate) => candidate.operation === operation)!;
		const count = QUICK ? Math.min(5, job.count) : operation === 'generate' ? 100 : 30;
		const warmup = Array.from({ length: count }, () => job.items()[0]);
		expectImages(await runStepFun(job.parameters, warmup), count, job.width, job.width);
	}

	const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
	const results = [];
	for (const job of chosen) {
		// Small N repeated (median): one run of 10 items is a few dozen ms, easily disturbed.
		const rounds = QUICK ? 1 : job.count <= 10 ? 5 : job.count <= 100 ? 3 : 1;
		const measured = [];
		for (let round = 0; round < rounds; round++) {
			const items = job.items();
			await settle();
			const baselineBytes = process.memoryUsage.rss();
			const baselineLive = liveBytes();
			const baselineHeapTotal = process.memoryUsage().heapTotal;
			const probe: Probe = { steps: [], retainedAfterGc: true };
			const kernelPeak = resetPeak();
			const value = await runStepFun(job.parameters, items, probedNode(probe));
			expect(value.error).toBeUndefined();
			expect(value.items).toHaveLength(job.count);
			value.items.forEach((item, index) => expect(item.pairedItem).toEqual({ item: index }));
			const nodeMs = (probe.endedAt ?? NaN) - (probe.startedAt ?? NaN);
			measured.push({
				nodeMs,
				peakAboveBaselineBytes:
					kernelPeak && probe.afterExecuteKb !== undefined ? probe.afterExecuteKb * 1024 - baselineBytes : NaN,
				retainedBytes: (probe.retainedBytes ?? NaN) - baselineLive,
				heapGrowthBytes: (probe.heapTotalBytes ?? NaN) - baselineHeapTotal,
			});
		}
		const nodeMs = median(measured.map((m) => m.nodeMs));
		results.push({
			operation: job.operation,
			count: job.count,
			rounds,
			nodeMs,
			msPerItem: nodeMs / job.count,
			peakAboveBaselineBytes: median(measured.map((m) => m.peakAboveBaselineBytes)),
			retainedBytes: median(measured.map((m) => m.retainedBytes)),
			heapGrowthBytes: median(measured.map((m) => m.heapGrowthBytes)),
		});
	}
	resetAccountLimiters();
	return { side: B5.side, inputBytes: input.length, results };
}

// ---------------------------------------------------------------------------------------------

const CASES: Record<string, () => Promise<object>> = { B1: b1, B2: b2, B3: b3, B4: b4, B5: b5 };

it(`benchmarks ${CASES_TO_RUN.join(', ')}${QUICK ? ' (quick)' : ''}`, async () => {
	const results: Record<string, object> = {};
	for (const name of CASES_TO_RUN) {
		const bench = CASES[name];
		if (!bench) throw new Error(`unknown benchmark ${name}`);
		results[name] = await bench();
	}
	writeFileSync(RESULT_FILE, JSON.stringify(results));
});
