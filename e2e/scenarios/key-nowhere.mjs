// 4b. After the failed run of wrong-key.mjs: the stored execution (REST API) holds the
// node's error and no API key, and no file in the user folder (database included) does.
import assert from 'node:assert/strict';

import { nodeError } from '../lib/n8n.mjs';

export default function keyNowhere(ctx) {
	const { n8n, keys, full, state } = ctx;
	if (!full) return undefined;
	return {
		title: '4b the API key appears nowhere: execution data (REST) and files in the user folder',
		stage: 'server',
		when: () => !!n8n.cookie && !!state.failed,
		async run() {
			const [one] = await n8n.executions(state.failed.workflowId);
			assert.ok(one, 'no execution stored for the failed workflow');
			assert.equal(one.status, 'error');
			const err = nodeError(one.run, 'StepFun Image');
			assert.equal(err?.message, state.failed.message, 'the stored execution lacks the node error');
			for (const key of [keys.bad, keys.good])
				assert.ok(!one.text.includes(key), 'an API key appears in the stored execution data');
			const leaks = [...n8n.filesContaining(keys.bad), ...n8n.filesContaining(keys.good)];
			assert.deepEqual(leaks, [], `API key found in ${leaks.join(', ')}`);
			return `execution ${one.id} status ${one.status}; ${n8n.allFiles().length} files in the user folder checked (database included)`;
		},
	};
}
