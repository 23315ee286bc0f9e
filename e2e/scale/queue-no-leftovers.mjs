// Queue mode, after both rounds: no execution in Postgres is left failed, waiting or
// unfinished, and there are exactly two bursts' worth of them.
import assert from 'node:assert/strict';

export default function queueNoLeftovers(ctx) {
	const { opt, pg } = ctx;
	return {
		title:
			'queue mode: no execution in Postgres is left failed, waiting or unfinished after both rounds',
		async run() {
			const [[leftover]] = await pg.psql(
				"SELECT count(*) FROM execution_entity WHERE status <> 'success' OR NOT finished",
				'n8n_queue',
			);
			assert.equal(leftover, '0', `${leftover} executions not successful`);
			const [[total]] = await pg.psql('SELECT count(*) FROM execution_entity', 'n8n_queue');
			assert.equal(Number(total), 2 * opt.uploads);
			return `${total} executions, all success`;
		},
	};
}
