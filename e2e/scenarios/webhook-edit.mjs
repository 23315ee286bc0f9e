// 2. Active Webhook (multipart form upload) → StepFun Image Edit → Respond to Webhook: the
// stand-in receives exactly the uploaded bytes, name and MIME type; the HTTP response is
// the edited image.
import assert from 'node:assert/strict';

import { imageSize, makePng } from '../../test/stand-in/server.mjs';
import { answerBytes, captureAnswer, theEditOf } from '../lib/checks.mjs';
import { CLIENT_NAME, postMultipart } from '../lib/upload.mjs';
import * as wf from '../lib/workflows.mjs';

export default function webhookEdit(ctx) {
	const { n8n, standIn, creds, keys } = ctx;
	const workflow = wf.webhookEdit({ cred: creds.good, path: 'e2e-scenario-edit' });
	return {
		title: `2 Webhook (multipart form upload via ${CLIENT_NAME}) → StepFun Edit → Respond to Webhook`,
		...wf.liveSetup(workflow, creds.good),
		async run() {
			standIn.reset();
			const answer = captureAnswer(standIn, '/v1/images/edits');
			const upload = {
				bytes: makePng(640, 480, 'e2e upload'),
				fileName: 'beach photo.png',
				mimeType: 'image/png',
			};
			const res = await postMultipart(`${n8n.baseUrl}/webhook/e2e-scenario-edit`, [
				['prompt', 'Make it a snowy winter evening'],
				['image', upload],
			]);
			assert.equal(
				res.status,
				200,
				`webhook answered ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`,
			);
			assert.match(res.contentType ?? '', /^image\/png/);
			const q = theEditOf(standIn, upload, 'Make it a snowy winter evening');
			assert.match(q.contentType, /^multipart\/form-data; boundary=/);
			assert.equal(q.image.mimeType, upload.mimeType);
			assert.equal(q.fields.model, 'step-image-edit-2');
			assert.equal(q.fields.seed, '7');
			assert.deepEqual(q.unknownFields, []);
			assert.ok(
				res.body.equals(answerBytes(answer)),
				'the webhook response is not the edited image the stand-in sent',
			);
			assert.equal(imageSize(res.body)?.width, 640);
			assert.equal(imageSize(res.body)?.height, 480);
			for (const key of [keys.good, keys.bad])
				assert.ok(!res.body.includes(key), 'an API key in the webhook response');
			return `uploaded ${upload.bytes.length} B "${upload.fileName}" → stand-in got identical bytes, name, MIME; response = edited PNG 640×480`;
		},
	};
}
