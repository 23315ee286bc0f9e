// 6. Manual Trigger → Set (a photo URL and an email) → StepFun Image Edit with Image
// Source URL and Include Input Fields: the photo is downloaded from a loopback host
// without the API key, uploaded unchanged, and the email travels into the output.
import assert from 'node:assert/strict';

import { onlyRequests, whyFailed } from '../lib/checks.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import * as wf from '../lib/workflows.mjs';

export default function urlEditWithInputFields(ctx) {
	const { n8n, standIn, creds, hosts } = ctx;
	const workflow = wf.urlEditWithInputFields({
		cred: creds.good,
		photoUrl: `${hosts.photo.url}/photos/harbour.png`,
	});
	return {
		title: '6 Set (URL, email) → StepFun Edit from URL with Include Input Fields',
		...wf.importSetup('cli', workflow, creds.good),
		async run() {
			standIn.reset();
			hosts.photo.requests.length = 0;
			const r = await n8n.execute(workflow.id);
			assert.ok(r.ok, `execution failed (exit ${r.code}): ${whyFailed(r)}`);
			assert.equal(hosts.photo.requests.length, 1, 'the node downloaded the photo once');
			assert.equal(
				hosts.photo.requests[0].headers.authorization,
				undefined,
				'no API key sent to the photo host',
			);
			const reqs = onlyRequests(standIn, '/v1/images/edits');
			assert.equal(reqs.length, 1, 'exactly one edit request');
			assert.ok(
				reqs[0].image?.bytes.equals(hosts.photo.bytes),
				'the downloaded photo was uploaded unchanged',
			);
			assert.equal(reqs[0].image?.fileName, 'harbour.png');
			assert.equal(reqs[0].image?.mimeType, 'image/png');
			const [item] = nodeOutput(r.run, 'StepFun Image');
			assert.equal(item.json.email, 'ann@example.com', 'Include Input Fields carried the email on');
			assert.equal(item.json.operation, 'edit');
			assert.equal(item.json.width, 120);
			assert.equal(item.json.height, 80);
			return 'photo downloaded without the key, uploaded as is; email carried into the output';
		},
	};
}
