// Queue mode, after every round: no execution in Postgres is left failed, waiting or
// unfinished, and there are exactly as many as the rounds started (three bursts of uploads
// and one Generate execution per worker).
import assert from 'node:assert/strict';

export default function queueNoLeftovers(ctx) {
	const { opt, pg } = ctx;
	const expected = 3 * opt.uploads + opt.workers;
	return {
		title:
			'queue mode: no execution in Postgres is left failed, waiting or unfinished after every round',
		async run() {
			const [[leftover]] = await pg.psql(
				"SELECT count(*) FROM execution_entity WHERE status <> 'success' OR NOT finished",
				'n8n_queue',
			);
			assert.equal(leftover, '0', `${leftover} executions not successful`);
			const [[total]] = await pg.psql('SELECT count(*) FROM execution_entity', 'n8n_queue');
			assert.equal(Number(total), expected);
			return `${total} executions, all success`;
		},
	};
}
