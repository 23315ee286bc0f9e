// One regular n8n process (Postgres, binary data on its disk) taking the same burst,
// for comparison with queue mode: every upload gets its own image, every execution
// succeeds.
import {
	assertExecutions,
	burst,
	describeBurst,
	makeUploads,
	maxExecutionId,
	settledExecutions,
	verifyBurst,
} from '../lib/burst.mjs';

export default function singleBurst(ctx) {
	const { opt, standIn, pg, single, workflow, figures } = ctx;
	return {
		title: `single process: the same burst (${opt.uploads} uploads, ${opt.parallel} at a time) for comparison`,
		async run() {
			const uploads = makeUploads('single', opt.uploads);
			const before = await maxExecutionId(pg, 'n8n_single');
			standIn.reset();
			standIn.setDelay(opt.delayMs);
			const b = await burst(single.url, uploads, opt.parallel);
			figures.single = b;
			verifyBurst(standIn, uploads, b);
			assertExecutions(
				await settledExecutions(pg, 'n8n_single', workflow.id, before, opt.uploads),
				opt.uploads,
			);
			return describeBurst(b, standIn);
		},
	};
}
