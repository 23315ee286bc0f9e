// Queue mode, round 1: a burst of uploads to the main instance's webhook. Each upload
// gets its own edited image back, the stand-in sees one request per upload, and the
// executions overlap. Leaves the uploads and answers for the next queue scenarios.
import assert from 'node:assert/strict';

import { burst, describeBurst, makeUploads, maxExecutionId, verifyBurst } from '../lib/burst.mjs';

export default function queueBurst(ctx) {
	const { opt, standIn, pg, cluster, figures, state } = ctx;
	return {
		title: `queue mode: burst of ${opt.uploads} uploads, ${opt.parallel} at a time — each gets its own edited image, one StepFun request per upload`,
		async run() {
			const round = {
				uploads: makeUploads('queue', opt.uploads),
				before: await maxExecutionId(pg, 'n8n_queue'),
				workerLogStart: cluster.workers.map((w) => w.output().length),
				answers: [],
			};
			state.round1 = round;
			standIn.reset();
			standIn.setDelay(opt.delayMs);
			const b = await burst(cluster.url, round.uploads, opt.parallel);
			figures.queue = b;
			const v = verifyBurst(standIn, round.uploads, b);
			round.answers = v.answers;
			assert.ok(
				b.clientMaxInFlight >= Math.min(10, opt.parallel),
				`only ${b.clientMaxInFlight} uploads were in flight at once`,
			);
			assert.ok(
				standIn.maxInFlight >= 2,
				`executions did not overlap: at most ${standIn.maxInFlight} StepFun request in flight`,
			);
			return `${describeBurst(b, standIn)}\n${v.edits} edit requests for ${round.uploads.length} uploads; every response = the stand-in's answer for that upload's bytes`;
		},
	};
}
