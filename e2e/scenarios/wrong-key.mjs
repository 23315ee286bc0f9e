// 4a. The stand-in answers 401 (wrong key): the execution fails with the node's message,
// which suggests checking the Region; a 401 is not retried; no key in the CLI output.
// Leaves the message for key-nowhere.mjs.
import assert from 'node:assert/strict';

import { onlyRequests } from '../lib/checks.mjs';
import { nodeError } from '../lib/n8n.mjs';
import * as wf from '../lib/workflows.mjs';

export default function wrongKey(ctx) {
	const { n8n, standIn, creds, keys, full, state } = ctx;
	if (!full) return undefined;
	const workflow = wf.generateOnly({ cred: creds.bad });
	return {
		title: "4a stand-in answers 401: execution fails with the node's message, no key in the output",
		...wf.importSetup('cli', workflow, creds.bad),
		async run() {
			standIn.reset();
			const r = await n8n.execute(workflow.id);
			assert.ok(!r.ok, 'the execution should fail');
			const err = nodeError(r.run, 'StepFun Image') ?? r.run?.data?.resultData?.error;
			assert.ok(err, `no error recorded in the execution data: ${r.stdout.slice(-1500)}`);
			const text = `${err.message} ${err.description ?? ''}`;
			assert.match(text, /region/i, `the message should suggest checking the region: ${text}`);
			const reqs = onlyRequests(standIn, '/v1/images/generations');
			assert.equal(reqs.length, 1, `a 401 must not be retried (got ${reqs.length} requests)`);
			assert.equal(reqs[0].status, 401);
			assert.equal(reqs[0].headers.authorization, `Bearer ${keys.bad}`);
			for (const key of [keys.bad, keys.good]) {
				assert.ok(
					!r.stdout.includes(key) && !r.stderr.includes(key),
					'an API key appears in the CLI output / execution data',
				);
			}
			state.failed = { message: err.message, workflowId: workflow.id };
			return `message: "${err.message}"${err.description ? ` — ${String(err.description).slice(0, 160)}` : ''}`;
		},
	};
}
