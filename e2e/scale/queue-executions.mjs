// Queue mode, after round 1: every execution of the burst succeeded (Postgres
// execution_entity), none is failed or waiting, and each worker ran some of them (from
// "Worker started execution N" in each worker's log), none ran twice.
import assert from 'node:assert/strict';

import { assertExecutions, settledExecutions } from '../lib/burst.mjs';
import { executionsStartedBy } from '../lib/queue.mjs';

export default function queueExecutions(ctx) {
	const { opt, pg, cluster, workflow, figures, state } = ctx;
	return {
		title:
			'queue mode: every execution succeeded (Postgres execution_entity), none failed or waiting, both workers ran some',
		async run() {
			assert.ok(state.round1, 'the first burst did not start');
			const rows = await settledExecutions(
				pg,
				'n8n_queue',
				workflow.id,
				state.round1.before,
				opt.uploads,
			);
			const byStatus = assertExecutions(rows, opt.uploads);
			const ids = rows.map((r) => r.id);
			const started = cluster.workers.map((w, i) =>
				executionsStartedBy(w.output().slice(state.round1.workerLogStart[i])),
			);
			const counts = started.map((s) => ids.filter((id) => s.has(id)).length);
			const unclaimed = ids.filter((id) => !started.some((s) => s.has(id)));
			const twice = ids.filter((id) => started.filter((s) => s.has(id)).length > 1);
			assert.deepEqual(
				unclaimed,
				[],
				'executions no worker log says it started (did main run them itself?)',
			);
			assert.deepEqual(twice, [], 'executions started by more than one worker');
			counts.forEach((c, i) =>
				assert.ok(
					c > 0,
					`worker ${i + 1} ran none of the ${ids.length} executions (split ${counts.join('/')})`,
				),
			);
			figures.split = counts;
			return `${JSON.stringify(byStatus)}; split between workers: ${counts.map((c, i) => `worker ${i + 1} ${c}`).join(', ')} (from "Worker started execution N" in each worker's log)`;
		},
	};
}
