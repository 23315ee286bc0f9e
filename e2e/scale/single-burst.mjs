// One regular n8n process (Postgres, binary data on its disk) taking the same burst against
// a fresh account at the tier's limits, for comparison with queue mode: every upload gets
// its own image, every execution succeeds.
import { accountFigures, describeAccount, freshAccount, refusalPattern } from '../lib/account.mjs';
import {
	assertExecutions,
	assertNoProblems,
	burst,
	checkBurst,
	describeBurst,
	makeUploads,
	maxExecutionId,
	settledExecutions,
} from '../lib/burst.mjs';

export default function singleBurst(ctx) {
	const { opt, standIn, pg, single, cred, workflow, figures } = ctx;
	return {
		title: `single process: the same burst (${opt.uploads} uploads, ${opt.parallel} at a time, a fresh account) for comparison`,
		async run() {
			const uploads = makeUploads('single', opt.uploads);
			const before = await maxExecutionId(pg, 'n8n_single');
			await freshAccount({ standIn, n8n: single.n8n, cred, delayMs: opt.delayMs });
			const b = await burst(single.url, uploads, opt.parallel);
			const v = checkBurst(standIn, uploads, b);
			const f = accountFigures(standIn, {
				label: `single regular process: ${opt.uploads} uploads`,
				startedAt: b.startedAt,
				wallMs: b.wallMs,
				images: uploads.length,
				delivered: v.delivered,
			});
			f.pattern = refusalPattern(standIn, b.startedAt, () => 'the process');
			figures.cases.push(f);
			assertNoProblems(v.problems, 'problem(s) with the uploads');
			assertExecutions(
				await settledExecutions(pg, 'n8n_single', workflow.id, before, opt.uploads),
				opt.uploads,
			);
			return [describeBurst(b), describeAccount(f), f.pattern].filter(Boolean).join('\n');
		},
	};
}
