// Queue mode, round 2: the same burst against a fresh account at the tier's limits, with a
// tenth of the uploads answered once with 503 (Retry-After 0). Every upload still succeeds,
// and nothing is answered twice beyond the retried 503s (429s aside: a refused request is
// neither made nor billed).
import {
	assertExecutions,
	assertNoProblems,
	burstCase,
	describeCase,
	makeUploads,
	settledExecutions,
} from '../lib/burst.mjs';
import { refusalsByWorker } from '../lib/queue.mjs';

export default function queue503Burst(ctx) {
	const { opt, pg, cluster, workflow, figures } = ctx;
	const uploads = makeUploads('queue-503', opt.uploads);
	const faulted = new Set(
		uploads.filter((u) => u.i % Math.round(1 / opt.faultShare) === 3).map((u) => u.i),
	);
	return {
		title: `queue mode: burst again with ${faulted.size} of ${opt.uploads} uploads answered once with 503 (Retry-After 0), a fresh account — all succeed, nothing answered twice beyond the retries`,
		async run() {
			const logStarts = cluster.workers.map((w) => w.output().length);
			const { before, b, v, f } = await burstCase(ctx, {
				db: 'n8n_queue',
				n8n: cluster.main,
				url: cluster.url,
				uploads,
				label: `queue mode: ${opt.uploads} uploads, ${faulted.size} answered 503 once`,
				faulted,
				faults: [...faulted].map((i) => ({
					status: 503,
					headers: { 'retry-after': '0' },
					body: {
						error: { message: 'The service is temporarily overloaded', type: 'server_error' },
					},
					match: (req) => req.rawBody.includes(uploads[i].bytes),
				})),
			});
			const rows = await settledExecutions(pg, 'n8n_queue', workflow.id, before, opt.uploads);
			f.pattern = await refusalsByWorker(ctx, {
				startedAt: b.startedAt,
				afterId: before,
				logStarts,
				prompts: uploads.map((u) => u.prompt),
			});
			figures.cases.push(f);
			assertNoProblems(v.problems, 'problem(s) with the uploads');
			const byStatus = assertExecutions(rows, opt.uploads);
			return describeCase(
				b,
				f,
				`${v.edits} edit requests answered = ${opt.uploads} uploads + ${faulted.size} retried 503s; executions ${JSON.stringify(byStatus)}`,
				f.pattern,
			);
		},
	};
}
