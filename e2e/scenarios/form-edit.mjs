// 2b. n8n's Form Trigger, posted to like the browser posts the form → StepFun Image Edit:
// the stand-in receives exactly the uploaded JPEG; the stored execution succeeded.
import assert from 'node:assert/strict';

import { makeJpeg } from '../../test/stand-in/server.mjs';
import { theEditOf } from '../lib/checks.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import { postMultipart } from '../lib/upload.mjs';
import * as wf from '../lib/workflows.mjs';

export default function formEdit(ctx) {
	const { n8n, standIn, creds, full } = ctx;
	if (!full) return undefined;
	const workflow = wf.formEdit({ cred: creds.good, path: 'e2e-scenario-form' });
	return {
		title: '2b Form Trigger (POST like the browser) → StepFun Edit',
		...wf.liveSetup(workflow, creds.good),
		async run() {
			standIn.reset();
			const upload = {
				bytes: makeJpeg(320, 240),
				fileName: 'snapshot.jpg',
				mimeType: 'image/jpeg',
			};
			const res = await postMultipart(`${n8n.baseUrl}/form/e2e-scenario-form`, [
				['field-0', upload],
				['field-1', 'Paint it like a watercolor'],
			]);
			assert.equal(
				res.status,
				200,
				`form answered ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`,
			);
			const q = theEditOf(standIn, upload, 'Paint it like a watercolor');
			assert.equal(q.image.mimeType, upload.mimeType);
			const [exec] = await n8n.executions(workflow.id);
			assert.equal(exec?.status, 'success', `form execution: ${exec?.status}`);
			const out = nodeOutput(exec.run, 'StepFun Image');
			assert.equal(out?.[0]?.json?.width, 320);
			assert.equal(out[0].json.height, 240);
			assert.equal(out[0].json.operation, 'edit');
			return `JPEG "${upload.fileName}" through /form → stand-in got identical bytes, name, MIME; execution ${exec.id} success, 320×240 output`;
		},
	};
}
