// 8. n8n 2.x's combined binary mode (workflow setting `binaryMode: "combined"`, files
// kept in the item's JSON under `_files`): Webhook → Set → StepFun Image Generate →
// Extract From File (the image as base64) → Respond to Webhook. The StepFun node runs
// after an upstream node, where n8n 2.41 cannot apply a credential whose `authenticate`
// is a generic expression (scenario 9); ours is a function. The stand-in gets the
// request with the Bearer key, and the image it sent reaches the next node byte for byte.
import assert from 'node:assert/strict';

import { imageSize } from '../../test/stand-in/server.mjs';
import { answerBytes, captureAnswer, combinedImageItem, onlyRequests } from '../lib/checks.mjs';
import * as wf from '../lib/workflows.mjs';

const TITLE =
	'8 combined binary mode: Webhook → Set → StepFun Generate → Extract From File (_files.data) → Respond to Webhook';

export default function combinedGenerate(ctx) {
	const { n8n, line, mode, standIn, creds, keys } = ctx;
	const skipped = (why) => ({ title: TITLE, stage: 'server', skip: why });
	if (!n8n.hasCombinedBinaryMode) return skipped(wf.noCombinedMode(line.version));
	if (mode === 'default')
		return skipped(
			'with in-memory binary data n8n leaves files in item.binary even in combined mode, where its nodes look for them in the JSON (_files); only stored files are moved',
		);
	const path = 'e2e-combined-generate';
	const workflow = wf.combinedGenerateRespond({ cred: creds.good, path });
	return {
		title: TITLE,
		...wf.liveSetup(workflow, creds.good),
		async run() {
			standIn.reset();
			const answer = captureAnswer(standIn, '/v1/images/generations');
			const res = await fetch(`${n8n.baseUrl}/webhook/${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ subject: 'heron' }),
			});
			const text = await res.text();
			if (res.status !== 200)
				assert.fail(
					`webhook answered ${res.status}: ${text.slice(0, 300)}; ${await executionError(n8n, workflow.id)}`,
				);
			const reqs = onlyRequests(standIn, '/v1/images/generations');
			assert.equal(reqs.length, 1, 'exactly one generation request');
			assert.equal(reqs[0].headers.authorization, `Bearer ${keys.good}`);
			assert.equal(reqs[0].json.prompt, 'A linocut of a heron', 'the prompt from the Set node');
			assert.equal(reqs[0].json.seed, 8080);
			assert.ok(!text.includes(keys.good), 'the API key in the webhook response');
			const png = JSON.parse(text).png;
			assert.equal(typeof png, 'string', `no base64 image in the answer: ${text.slice(0, 300)}`);
			const received = Buffer.from(png, 'base64');
			const sent = answerBytes(answer);
			assert.ok(
				received.equals(sent),
				'the image Extract From File read is not the one the stand-in sent',
			);
			const [exec] = await n8n.executions(workflow.id);
			const { file } = combinedImageItem(exec);
			const size = imageSize(received);
			return `stand-in got the Bearer key; the StepFun item holds the image under json._files.data (${file.id.split(':')[0]}); the next node read the stand-in's ${sent.length} B PNG (${size?.width}×${size?.height}) byte for byte`;
		},
	};
}

/** The error of the workflow's latest stored execution, for a failure message. */
async function executionError(n8n, workflowId) {
	const [exec] = await n8n.executions(workflowId);
	const error = exec?.run?.data?.resultData?.error;
	if (!error) return `execution ${exec?.id ?? 'none'}: ${exec?.status ?? 'not stored'}`;
	return `execution ${exec.id} failed in ${error.node?.name ?? '?'}: ${error.message}${error.description ? ` (${error.description})` : ''}`;
}
