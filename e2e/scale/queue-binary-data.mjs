// Queue mode, after round 1: binary data mode `database` keeps every upload and every
// edited image in Postgres (binary_data table), and no file in the three user folders
// holds any of them.
import assert from 'node:assert/strict';

import { assertNoImagesOnDisk, sha } from '../lib/burst.mjs';

export default function queueBinaryData(ctx) {
	const { opt, pg, cluster, state } = ctx;
	return {
		title: 'queue mode: binary data in Postgres (binary_data table), none on any local disk',
		async run() {
			const { uploads = [], answers = [] } = state.round1 ?? {};
			assert.equal(
				answers.length,
				opt.uploads,
				'the first burst did not return every edited image',
			);
			const rows = await pg.psql(
				"SELECT encode(sha256(data), 'hex') FROM binary_data",
				'n8n_queue',
			);
			const stored = new Set(rows.map(([h]) => h));
			const missingUploads = uploads.filter((u) => !stored.has(sha(u.bytes))).length;
			const missingAnswers = answers.filter((a) => !stored.has(sha(a))).length;
			assert.equal(missingUploads, 0, `${missingUploads} uploads are not in binary_data`);
			assert.equal(missingAnswers, 0, `${missingAnswers} edited images are not in binary_data`);
			const files = assertNoImagesOnDisk(cluster.instances, [
				...uploads.map((u) => u.bytes),
				...answers,
			]);
			return `${rows.length} rows in binary_data hold all ${uploads.length} uploads and ${answers.length} edited images; ${files} files in the 3 user folders hold none of them`;
		},
	};
}
