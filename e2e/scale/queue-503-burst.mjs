// Queue mode, round 2: the same burst with a tenth of the StepFun requests answered
// once with 503 (Retry-After 0). Every upload still succeeds, and nothing is sent twice
// beyond the retried 503s.
import {
	assertExecutions,
	burst,
	describeBurst,
	EDITS,
	makeUploads,
	maxExecutionId,
	settledExecutions,
	verifyBurst,
} from '../lib/burst.mjs';

export default function queue503Burst(ctx) {
	const { opt, standIn, pg, cluster, workflow, figures } = ctx;
	const uploads = makeUploads('queue-503', opt.uploads);
	const faulted = new Set(
		uploads.filter((u) => u.i % Math.round(1 / opt.faultShare) === 3).map((u) => u.i),
	);
	return {
		title: `queue mode: burst again with ${faulted.size} of ${opt.uploads} StepFun requests failing once with 503 (Retry-After 0) — all succeed, nothing sent twice beyond the retries`,
		async run() {
			const before = await maxExecutionId(pg, 'n8n_queue');
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
					match: (req) => req.rawBody.includes(uploads[i].bytes),
				})),
			);
			const b = await burst(cluster.url, uploads, opt.parallel);
			figures.faults = b;
			const v = verifyBurst(standIn, uploads, b, faulted);
			const rows = await settledExecutions(pg, 'n8n_queue', workflow.id, before, opt.uploads);
			const byStatus = assertExecutions(rows, opt.uploads);
			return `${describeBurst(b, standIn)}\n${v.edits} edit requests = ${opt.uploads} uploads + ${faulted.size} retried 503s; executions ${JSON.stringify(byStatus)}`;
		},
	};
}
