// Queue mode with the account shared by everything at once: a workflow of 60 Generate items
// started on each worker (two webhook calls made together, with the queue otherwise empty:
// Redis hands each job to the worker waiting longest, so the two land on different workers,
// which the workers' logs confirm) and right after them a burst of 50 uploads, 170 requests competing for one account at the lowest tier, every worker on
// the node's defaults. Every image is delivered, none is answered twice, each upload gets its
// own edited image and each Generate item its own image, paired with its prompt.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { accountFigures, freshAccount } from '../lib/account.mjs';
import {
	assertExecutions,
	assertNoProblems,
	burst,
	checkBurst,
	describeCase,
	makeUploads,
	maxExecutionId,
	postJson,
	settledExecutions,
	sha,
} from '../lib/burst.mjs';
import { executionsStarted, executionsStartedBy, refusalsByWorker } from '../lib/queue.mjs';
import { linearWorkflow, node, stepFunNode } from '../lib/workflows.mjs';
import { secs } from '../lib/report.mjs';

const GENERATIONS = '/v1/images/generations';
export const GENERATE_PATH = 'stepfun-scale-generate';
const ITEMS_PER_GENERATE = 60;

/**
 * Webhook (POST JSON `{ prompts: [{ prompt, seed }] }`, answered with the last node's items)
 * -> Split Out (one item per prompt) -> StepFun Image Generate at the node's defaults.
 */
export function generateWorkflow({ cred, path = GENERATE_PATH, id = 'scaleWebhookGen01' }) {
	const nodes = [
		node(
			'Webhook',
			'n8n-nodes-base.webhook',
			2,
			[0, 0],
			{
				httpMethod: 'POST',
				path,
				responseMode: 'lastNode',
				responseData: 'allEntries',
				options: {},
			},
			{ webhookId: randomUUID() },
		),
		node('One Item per Prompt', 'n8n-nodes-base.splitOut', 1, [220, 0], {
			fieldToSplitOut: 'body.prompts',
			include: 'noOtherFields',
			options: {},
		}),
		stepFunNode('StepFun Image', [440, 0], cred, {
			operation: 'generate',
			prompt: '={{ $json.prompt }}',
			size: '1024x1024',
			options: { seed: '={{ $json.seed }}' },
		}),
	];
	return linearWorkflow(id, 'Scale: prompts by webhook, generated', nodes);
}

/** A Generate job: `n` prompts, each its own seed. */
const generateJob = (tag, n, firstSeed) => ({
	tag,
	prompts: Array.from({ length: n }, (_, i) => ({
		prompt: `${tag} #${i}: a lighthouse at dusk, watercolor`,
		seed: firstSeed + i,
	})),
});

/**
 * Whether the job's webhook answered with one item per prompt, in order, each carrying the
 * image the stand-in made for that prompt (size, and its bytes stored in binary_data), and
 * the stand-in answered exactly one request per prompt (429s aside).
 */
function checkGenerate(standIn, job, res, stored) {
	const problems = [];
	const answered = standIn.requests.filter((r) => r.path === GENERATIONS && !r.rateLimited);
	const items = Array.isArray(res.json) ? res.json : [];
	if (res.status !== 200) {
		const made = job.prompts.filter((p) =>
			answered.some((r) => r.status === 200 && r.json?.prompt === p.prompt),
		).length;
		problems.push(
			`${job.tag}: HTTP ${res.status} ${res.error ? String(res.error.cause ?? res.error) : res.text.slice(0, 300)}: none of its ${job.prompts.length} images delivered, ${made} of them made by the stand-in`,
		);
	} else if (items.length !== job.prompts.length)
		problems.push(`${job.tag}: ${items.length} items answered, expected ${job.prompts.length}`);
	let delivered = 0;
	job.prompts.forEach((p, i) => {
		const reqs = answered.filter((r) => r.json?.prompt === p.prompt);
		if (reqs.length > 1 || (reqs.length === 1 && reqs[0].status !== 200)) {
			problems.push(
				`${job.tag} #${i}: the stand-in answered ${reqs.length} requests for it (statuses ${reqs.map((r) => r.status).join(',')})`,
			);
			return;
		}
		const item = items[i];
		if (!item) return;
		const bytes = Buffer.from(reqs[0]?.responseJson?.data?.[0]?.b64_json ?? '', 'base64');
		if (item.prompt !== p.prompt || item.seed !== p.seed)
			problems.push(
				`${job.tag} #${i}: item ${i} carries "${item.prompt}" seed ${item.seed}, not its own prompt`,
			);
		else if (!bytes.length || item.fileSize !== bytes.length || item.mimeType !== 'image/png')
			problems.push(
				`${job.tag} #${i}: item has ${item.mimeType} ${item.fileSize} B, the stand-in made ${bytes.length} B`,
			);
		else if (!stored.has(sha(bytes)))
			problems.push(`${job.tag} #${i}: its image is not in binary_data`);
		else delivered++;
	});
	return { delivered, problems };
}

export default function queueSharedAccount(ctx) {
	const { opt, standIn, pg, cluster, cred, workflow, generate, figures } = ctx;
	const jobs = cluster.workers.map((_, i) =>
		generateJob(`gen-${String.fromCharCode(65 + i)}`, ITEMS_PER_GENERATE, 1000 * (i + 1)),
	);
	const images = opt.uploads + jobs.length * ITEMS_PER_GENERATE;
	return {
		title: `queue mode, one account for everything: a ${ITEMS_PER_GENERATE}-item Generate workflow started on each worker and a burst of ${opt.uploads} uploads at once (${images} images), workers on defaults — every image delivered, none twice, each paired right`,
		async run() {
			const uploads = makeUploads('shared', opt.uploads);
			const before = await maxExecutionId(pg, 'n8n_queue');
			const logStarts = cluster.workers.map((w) => w.output().length);
			await freshAccount({ standIn, n8n: cluster.main, cred, delayMs: opt.delayMs });
			const generateUrl = `${cluster.main.baseUrl}/webhook/${GENERATE_PATH}`;
			const started = performance.now();
			const generating = jobs.map((job) => postJson(generateUrl, { prompts: job.prompts }));
			// The uploads come once both Generate jobs are taken: a burst of upload jobs in the
			// queue would let one worker take both.
			await executionsStarted(cluster.workers, logStarts, jobs.length);
			const b = await burst(cluster.url, uploads, opt.parallel);
			const answers = await Promise.all(generating);
			const wallMs = Math.max(b.startedAt + b.wallMs, ...answers.map((a) => a.endedAt)) - started;

			const edits = await settledExecutions(pg, 'n8n_queue', workflow.id, before, opt.uploads);
			const gens = await settledExecutions(pg, 'n8n_queue', generate.id, before, jobs.length);
			const stored = new Set(
				(await pg.psql("SELECT encode(sha256(data), 'hex') FROM binary_data", 'n8n_queue')).map(
					([h]) => h,
				),
			);
			const v = checkBurst(standIn, uploads, b);
			const checked = jobs.map((job, i) => checkGenerate(standIn, job, answers[i], stored));
			const f = accountFigures(standIn, {
				label: `queue mode: ${jobs.length} × ${ITEMS_PER_GENERATE} Generate + ${opt.uploads} uploads`,
				startedAt: started,
				wallMs,
				images,
				delivered: v.delivered + checked.reduce((n, c) => n + c.delivered, 0),
			});
			f.pattern = await refusalsByWorker(ctx, {
				startedAt: started,
				afterId: before,
				logStarts,
				prompts: [
					...uploads.map((u) => u.prompt),
					...jobs.flatMap((j) => j.prompts.map((p) => p.prompt)),
				],
			});
			figures.cases.push(f);

			// Each Generate job ran on its own worker.
			const startedBy = cluster.workers.map((w, i) =>
				executionsStartedBy(w.output().slice(logStarts[i])),
			);
			const genWorkers = gens.map((g) => startedBy.findIndex((s) => s.has(g.id)) + 1);
			const times = [
				`uploads done after ${secs(b.wallMs + b.startedAt - started)}`,
				...answers.map(
					(a, i) => `${jobs[i].tag} answered after ${secs(a.endedAt - started)} (HTTP ${a.status})`,
				),
			].join(', ');
			f.notes = `${times}; Generate executions ${gens.map((g, i) => `${g.id} on worker ${genWorkers[i] || '?'}`).join(', ')}`;
			assertNoProblems(
				[...v.problems, ...checked.flatMap((c) => c.problems)],
				`problem(s); delivered ${f.delivered} of ${images} images`,
			);
			assertExecutions(edits, opt.uploads);
			assertExecutions(gens, jobs.length);
			assert.deepEqual(
				[...genWorkers].sort(),
				cluster.workers.map((_, i) => i + 1),
				`the Generate executions did not run one on each worker (workers ${genWorkers.join(', ')})`,
			);
			return describeCase(
				b,
				f,
				f.notes,
				`the stand-in answered ${v.edits} edits and ${standIn.requests.filter((r) => r.path === GENERATIONS && !r.rateLimited).length} generations, one per image`,
				f.pattern,
			);
		},
	};
}
