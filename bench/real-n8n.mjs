#!/usr/bin/env node
// `npm run bench -- --real-n8n` [-- --no-build] [-- --items 24] [-- --jitter]
//
// The same Generate job (24 prompts) in real n8n 2.41, through what a user would pick instead of
// this node, against the StepFun stand-in enforcing the lowest tier's limits (5 requests in
// flight, 100 per minute, 429 beyond, no Retry-After) and answering after 1.5 s:
//   - n8n's OpenAI node (Image → Generate) with its credential's Base URL pointed at the stand-in;
//   - n8n's HTTP Request node + Convert to File, unbatched (n8n's default), and batched as a
//     careful user would (4 per batch, 2.4 s apart: under 5 in flight and 100 per minute);
//   - StepFun Image at its defaults.
// With --jitter each answer takes 0.5–3× the 1.5 s (as StepFun's times vary). Each workflow runs
// once (`n8n execute`), one after another, with a fresh window of the stand-in's limits. Prints the workflow's wall time (n8n's own start/stop), the ratio to StepFun
// Image, images delivered and 429s the stand-in answered. A benchmark report, not a test: it
// exits non-zero only when it cannot run (no e2e install, n8n does not start).
//
// Uses the e2e install (`node e2e/prepare.mjs`, not run from here: another job may be using it)
// and e2e/lib (n8n instance, CLI import/execute, npm pack). On a 2-core machine run one real-n8n
// job at a time: this waits while another n8n 2.41 process is running.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { N8n, nodeOutput } from '../e2e/lib/n8n.mjs';
import { build, pack } from '../e2e/lib/pack.mjs';
import { credential, MODEL, NODE_TYPE } from '../e2e/lib/workflows.mjs';
import { isLineReady, LINES } from '../e2e/prepare.mjs';
import { startStandIn } from '../test/stand-in/server.mjs';

const { values: args } = parseArgs({
	options: {
		'real-n8n': { type: 'boolean', default: true },
		'no-build': { type: 'boolean', default: false },
		items: { type: 'string', default: '24' },
		verbose: { type: 'boolean', default: false },
		jitter: { type: 'boolean', default: false },
	},
	strict: false,
});
const ITEMS = Number(args.items);
const ANSWER_MS = 1500;
const LIMITS = { maxInFlight: 5, requestsPerWindow: 100, windowMs: 60_000 };
const API_KEY = ['sk', 'stepfun', 'realn8n', 'bench', String(process.pid)].join('-');
const line = LINES.find((candidate) => candidate.id === 'current');

// ---------------------------------------------------------------------------------------------
// Workflows: Manual Trigger → Set (the prompts) → Split Out (one item each) → the image step

const node = (name, type, typeVersion, position, parameters, extra = {}) => ({
	id: randomUUID(),
	name,
	type,
	typeVersion,
	position,
	parameters,
	...extra,
});

function job(id, name, steps) {
	const head = [
		node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}),
		node('Prompts', 'n8n-nodes-base.set', 3.4, [200, 0], {
			mode: 'manual',
			assignments: {
				assignments: [
					{
						id: randomUUID(),
						name: 'prompt',
						value: `={{ Array.from({ length: ${ITEMS} }, (_, i) => 'A lighthouse on a cliff at dusk, study ' + (i + 1)) }}`,
						type: 'array',
					},
				],
			},
			options: {},
		}),
		node('One Item per Prompt', 'n8n-nodes-base.splitOut', 1, [400, 0], { fieldToSplitOut: 'prompt', options: {} }),
	];
	const nodes = [...head, ...steps.map((step, index) => ({ ...step, position: [600 + 200 * index, 0] }))];
	const connections = {};
	for (let i = 0; i < nodes.length - 1; i++) {
		connections[nodes[i].name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
	}
	return { id, name, nodes, connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
}

function workflows(standIn) {
	const stepfun = credential({ id: 'benchStepFunCred', name: 'StepFun (stand-in)', apiKey: API_KEY, baseUrl: standIn.baseUrl });
	const openAi = {
		id: 'benchOpenAiCred1',
		name: 'OpenAI (pointed at the stand-in)',
		type: 'openAiApi',
		data: { apiKey: API_KEY, url: `${standIn.baseUrl}/v1` },
	};
	const header = {
		id: 'benchHeaderCred1',
		name: 'StepFun key as a header',
		type: 'httpHeaderAuth',
		data: { name: 'Authorization', value: `Bearer ${API_KEY}` },
	};
	const httpRequest = (batching) =>
		node(
			'HTTP Request',
			'n8n-nodes-base.httpRequest',
			4.2,
			[0, 0],
			{
				method: 'POST',
				url: `${standIn.baseUrl}/v1/images/generations`,
				authentication: 'genericCredentialType',
				genericAuthType: 'httpHeaderAuth',
				sendBody: true,
				specifyBody: 'json',
				jsonBody: "={{ JSON.stringify({ model: 'step-image-edit-2', prompt: $json.prompt, response_format: 'b64_json' }) }}",
				options: batching ? { batching: { batch: { batchSize: 4, batchInterval: 2400 } } } : {},
			},
			// Failed items go on as error items, so they can be counted.
			{ credentials: { httpHeaderAuth: { id: header.id, name: header.name } }, onError: 'continueRegularOutput' },
		);
	const toFile = node(
		'Convert to File',
		'n8n-nodes-base.convertToFile',
		1.1,
		[0, 0],
		{ operation: 'toBinary', sourceProperty: 'data[0].b64_json', binaryPropertyName: 'data', options: { fileName: 'image.png', mimeType: 'image/png' } },
		{ onError: 'continueRegularOutput' },
	);
	const list = [
		{
			key: 'openai',
			label: "n8n's OpenAI node (Image → Generate), Base URL pointed at the stand-in",
			last: 'OpenAI',
			workflow: job('benchRealOpenAi1', 'Bench: OpenAI node', [
				node(
					'OpenAI',
					'@n8n/n8n-nodes-langchain.openAi',
					2.3,
					[0, 0],
					{ resource: 'image', operation: 'generate', modelId: { __rl: true, mode: 'id', value: 'step-image-edit-2' }, prompt: '={{ $json.prompt }}', options: {} },
					{ credentials: { openAiApi: { id: openAi.id, name: openAi.name } }, onError: 'continueRegularOutput' },
				),
			]),
		},
		{
			key: 'httpUnbatched',
			label: "n8n's HTTP Request + Convert to File, unbatched (n8n's default)",
			last: 'Convert to File',
			workflow: job('benchRealHttpAll1', 'Bench: HTTP Request, unbatched', [httpRequest(false), toFile]),
		},
		{
			key: 'httpBatched',
			label: "n8n's HTTP Request + Convert to File, batched: 4 per batch, 2.4 s apart",
			last: 'Convert to File',
			workflow: job('benchRealHttpBat1', 'Bench: HTTP Request, batched', [httpRequest(true), { ...toFile, id: randomUUID() }]),
		},
		{
			key: 'stepfun',
			label: 'StepFun Image at its defaults (Concurrency 4, Requests per Minute 80)',
			last: 'StepFun Image',
			workflow: job('benchRealStepFun1', 'Bench: StepFun Image', [
				node(
					'StepFun Image',
					NODE_TYPE,
					1,
					[0, 0],
					{ resource: 'image', operation: 'generate', model: MODEL, prompt: '={{ $json.prompt }}', options: {} },
					{ credentials: { stepFunApi: { id: stepfun.id, name: stepfun.name } }, onError: 'continueRegularOutput' },
				),
			]),
		},
	];
	return { credentials: [stepfun, openAi, header], list };
}

// ---------------------------------------------------------------------------------------------

/** Other n8n 2.41 processes on this machine (another job's), by PID. */
function otherN8n() {
	let out = '';
	try {
		out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
	} catch {
		return [];
	}
	return out
		.split('\n')
		.filter((row) => row.includes(`n8n-${line.version}/node_modules/n8n/bin/n8n`))
		.map((row) => Number(row.trim().split(/\s+/)[0]));
}

async function waitForIdleMachine() {
	const deadline = Date.now() + 20 * 60_000;
	let told = false;
	for (let others = otherN8n(); others.length > 0; others = otherN8n()) {
		if (Date.now() > deadline) throw new Error(`another n8n has been running for 20 minutes (PIDs ${others.join(', ')}); run this later`);
		if (!told) console.log(`Waiting: another n8n ${line.version} job is running (PIDs ${others.join(', ')}); one real-n8n job at a time on this machine.`);
		told = true;
		await new Promise((resolve) => setTimeout(resolve, 5000));
	}
}

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function main() {
	if (!line || !isLineReady(line)) {
		console.error(`n8n ${line?.version ?? '2.41'} is not installed for the e2e tests: run \`node e2e/prepare.mjs\` first (when no other job uses it).`);
		process.exitCode = 1;
		return;
	}
	if (!args['no-build']) await build();
	const tgz = await pack();
	await waitForIdleMachine();

	const standIn = await startStandIn({ apiKey: API_KEY });
	const n8n = new N8n(line, { label: `n8n ${line.version} (bench)`, binaryDataMode: 'filesystem' });
	try {
		await n8n.init();
		const { credentials, list } = workflows(standIn);
		await n8n.installTarball(tgz);
		await n8n.importCredentials(credentials);
		await n8n.importWorkflows(list.map((entry) => entry.workflow));

		console.log(
			`Real n8n ${line.version}: ${ITEMS} Generate prompts per workflow; the stand-in allows ${LIMITS.maxInFlight} in flight and ${LIMITS.requestsPerWindow} per minute (429 beyond, no Retry-After) and answers after ${ANSWER_MS / 1000} s${args.jitter ? ' × 0.5–3 (jitter)' : ''}. ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}.\n`,
		);
		const results = [];
		for (const entry of list) {
			standIn.reset();
			standIn.setDelay(ANSWER_MS);
			standIn.limits = LIMITS;
			if (args.jitter) standIn.jitter = { min: 0.5, max: 3 };
			const r = await n8n.execute(entry.workflow.id);
			if (!r.run) throw new Error(`${entry.key}: n8n execute gave no run\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
			const out = nodeOutput(r.run, entry.last) ?? [];
			const delivered = out.filter((item) => item.binary && Object.keys(item.binary).length > 0).length;
			const stats = standIn.limitStats;
			const ms = Date.parse(r.run.stoppedAt) - Date.parse(r.run.startedAt);
			const imageNodeMs = entry.workflow.nodes
				.slice(3)
				.reduce((sum, step) => sum + (r.run.data.resultData.runData[step.name]?.[0]?.executionTime ?? 0), 0);
			results.push({ ...entry, ms, imageNodeMs, delivered, stats, requests: standIn.requests.length });
			if (args.verbose) console.log(`${entry.key}: ${r.ok ? 'ok' : 'not ok'} ${JSON.stringify(stats)}`);
		}
		const base = results.find((result) => result.key === 'stepfun');
		for (const result of results) {
			console.log(
				`${result.label}\n  ${secs(result.ms)} (the image nodes ${secs(result.imageNodeMs)})   ${result === base ? 'the reference' : `${(result.ms / base.ms).toFixed(2)}× StepFun Image's time`}   images delivered ${result.delivered} of ${ITEMS}   429s ${result.stats.rejected} of ${result.stats.admitted + result.stats.rejected} requests   peak in flight ${result.stats.peakInFlight}\n`,
			);
		}
		const ideal = Math.max(Math.ceil(ITEMS / LIMITS.maxInFlight) * ANSWER_MS, 0);
		console.log(
			`For scale: at 5 in flight and ${ANSWER_MS / 1000} s per answer, ${ITEMS} images take at least ${secs(ideal)}; at 80 per minute (StepFun Image's default pace, evenly spread) ${secs(((ITEMS - 4) / 80) * 60_000 + ANSWER_MS)}.`,
		);
	} finally {
		await n8n.dispose();
		await standIn.close();
	}
}

await main();
