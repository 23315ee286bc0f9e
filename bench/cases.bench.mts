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

import type { IExecuteFunctions, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';
import { Agent, request } from 'undici';
import { expect, it } from 'vitest';

import { StepFunApi } from '../credentials/StepFunApi.credentials';
import { StepFunImage } from '../nodes/StepFunImage/StepFunImage.node';
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

/** Tells bench/run.mjs that a case starts (it notes where its requests begin) and sets the stand-in's delay. */
async function startCase(name: string, delayMs: number): Promise<void> {
	const response = await fetch(`${CONTROL_URL}/case/${name}/delay/${delayMs}`, { method: 'POST' });
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

/** The node, unchanged, but noting the peak RSS the moment its execute() returns to the engine. */
function probedNode(marks: { afterExecuteKb?: number }): INodeType {
	const node = new StepFunImage();
	return {
		description: node.description,
		methods: node.methods,
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			try {
				return await node.execute.call(this);
			} finally {
				marks.afterExecuteKb = readPeakKb();
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
	const marks: { afterExecuteKb?: number } = {};
	const kernelPeak = resetPeak();
	const sampler = kernelPeak ? undefined : startSampler();
	const { ms, value } = await timed(() => runStepFun(parameters, editItems(input), probedNode(marks)));
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
		ms,
	};
}

// ---------------------------------------------------------------------------------------------

const CASES: Record<string, () => Promise<object>> = { B1: b1, B2: b2, B3: b3 };

it(`benchmarks ${CASES_TO_RUN.join(', ')}${QUICK ? ' (quick)' : ''}`, async () => {
	const results: Record<string, object> = {};
	for (const name of CASES_TO_RUN) {
		const bench = CASES[name];
		if (!bench) throw new Error(`unknown benchmark ${name}`);
		results[name] = await bench();
	}
	writeFileSync(RESULT_FILE, JSON.stringify(results));
});
