// One regular n8n process (Postgres, binary data on its disk) taking the same burst against
// a fresh account at the tier's limits, for comparison with queue mode: every upload gets
// its own image, every execution succeeds.
import { refusalPattern } from '../lib/account.mjs';
import {
	assertExecutions,
	assertNoProblems,
	burstCase,
	describeCase,
	makeUploads,
	settledExecutions,
} from '../lib/burst.mjs';

export default function singleBurst(ctx) {
	const { opt, standIn, pg, single, workflow, figures } = ctx;
	return {
		title: `single process: the same burst (${opt.uploads} uploads, ${opt.parallel} at a time, a fresh account) for comparison`,
		async run() {
			const { before, b, v, f } = await burstCase(ctx, {
				db: 'n8n_single',
				n8n: single.n8n,
				url: single.url,
				uploads: makeUploads('single', opt.uploads),
				label: `single regular process: ${opt.uploads} uploads`,
			});
			f.pattern = refusalPattern(standIn, b.startedAt, () => 'the process');
			figures.cases.push(f);
			assertNoProblems(v.problems, 'problem(s) with the uploads');
			assertExecutions(
				await settledExecutions(pg, 'n8n_single', workflow.id, before, opt.uploads),
				opt.uploads,
			);
			return describeCase(b, f, f.pattern);
		},
	};
}
