// Queue mode, round 1: a burst of uploads to the main instance's webhook, against a fresh
// account at the lowest tier's limits, every worker on the node's defaults. Each upload gets
// its own edited image back, the stand-in answers one request per upload (429s aside), and
// the executions overlap. Leaves the uploads and answers for the next queue scenarios.
import assert from 'node:assert/strict';

import {
	assertNoProblems,
	burstCase,
	describeCase,
	makeUploads,
	settledExecutions,
} from '../lib/burst.mjs';
import { refusalsByWorker } from '../lib/queue.mjs';

export default function queueBurst(ctx) {
	const { opt, standIn, pg, cluster, workflow, figures, state } = ctx;
	return {
		title: `queue mode: burst of ${opt.uploads} uploads, ${opt.parallel} at a time, the account at the lowest tier, workers on defaults — each gets its own edited image, one answered StepFun request per upload`,
		async run() {
			const uploads = makeUploads('queue', opt.uploads);
			const workerLogStart = cluster.workers.map((w) => w.output().length);
			const { before, b, v, f } = await burstCase(ctx, {
				db: 'n8n_queue',
				n8n: cluster.main,
				url: cluster.url,
				uploads,
				label: `queue mode, ${opt.workers} workers: ${opt.uploads} uploads`,
			});
			state.round1 = { uploads, before, workerLogStart, answers: v.answers };
			await settledExecutions(pg, 'n8n_queue', workflow.id, before, opt.uploads);
			f.pattern = await refusalsByWorker(ctx, {
				startedAt: b.startedAt,
				afterId: before,
				logStarts: workerLogStart,
				prompts: uploads.map((u) => u.prompt),
			});
			figures.cases.push(f);
			assertNoProblems(v.problems, 'problem(s) with the uploads');
			assert.ok(
				b.clientMaxInFlight >= Math.min(10, opt.parallel),
				`only ${b.clientMaxInFlight} uploads were in flight at once`,
			);
			assert.ok(
				standIn.limitStats.peakInFlight >= 2,
				`executions did not overlap: at most ${standIn.limitStats.peakInFlight} StepFun request in flight`,
			);
			return describeCase(
				b,
				f,
				`${v.edits} edit requests answered for ${uploads.length} uploads; every response = the stand-in's answer for that upload's bytes`,
				f.pattern,
			);
		},
	};
}
