// 5. The credential test through n8n's REST API (POST /rest/credentials/test): OK with
// the key (the stand-in's GET /v1/models), a clear error with a wrong key.
import assert from 'node:assert/strict';

import { onlyRequests } from '../lib/checks.mjs';

export default function credentialTest(ctx) {
	const { n8n, standIn, creds, keys, full } = ctx;
	if (!full) return undefined;
	const { good, bad } = creds;
	return {
		title:
			'5 credential test (REST /rest/credentials/test): OK with the key, clear error with a wrong key',
		stage: 'server',
		credentials: [good, bad],
		when: () => !!n8n.cookie,
		async run() {
			standIn.reset();
			const ok = await n8n.rest('POST', '/rest/credentials/test', {
				credentials: { id: good.id, name: good.name, type: good.type, data: good.data },
			});
			assert.equal(ok.data?.status, 'OK', `good key: ${JSON.stringify(ok)}`);
			const models = onlyRequests(standIn, '/v1/models');
			assert.ok(models.length >= 1, 'the test did not call GET /v1/models');
			assert.equal(models[0].method, 'GET');
			assert.equal(models[0].headers.authorization, `Bearer ${keys.good}`);
			const no = await n8n.rest('POST', '/rest/credentials/test', {
				credentials: { id: bad.id, name: bad.name, type: bad.type, data: bad.data },
			});
			assert.equal(no.data?.status, 'Error', `wrong key: ${JSON.stringify(no)}`);
			assert.ok(no.data.message && no.data.message.length > 5, 'no message');
			assert.ok(!JSON.stringify(no).includes(keys.bad), 'the wrong key is echoed back');
			return `OK: "${ok.data.message}"; wrong key: "${no.data.message}"`;
		},
	};
}
