// 1. Manual Trigger → Set (an expression) → StepFun Image Generate → Write File, run with
// `n8n execute`: the file on disk is the stand-in's image, the request carried exactly
// the resolved prompt, size and options. Leaves the output for binary-data-mode.mjs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { imageSize } from '../../test/stand-in/server.mjs';
import { answerBytes, captureAnswer, onlyRequests, whyFailed } from '../lib/checks.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import * as wf from '../lib/workflows.mjs';

export default function generateToDisk(ctx) {
	const { n8n, standIn, creds, keys, state } = ctx;
	const outFile = join(n8n.filesDir, 'generated.png');
	const workflow = wf.generateToDisk({ cred: creds.good, outFile });
	return {
		title: '1 Manual → Set (expression) → StepFun Generate → Write file',
		...wf.importSetup('cli', workflow, creds.good),
		async run() {
			standIn.reset();
			const answer = captureAnswer(standIn, '/v1/images/generations');
			const r = await n8n.execute(workflow.id);
			assert.ok(r.ok, `execution failed (exit ${r.code}): ${whyFailed(r)}`);
			const out = nodeOutput(r.run, 'StepFun Image');
			assert.equal(out.length, 1, 'one output item per image');
			const { json, binary } = out[0];
			assert.equal(json.seed, 4242);
			assert.equal(json.finishReason, 'success');
			assert.equal(json.width, 1360, 'size 768x1360 is 768 high, 1360 wide');
			assert.equal(json.height, 768);
			assert.equal(json.mimeType, 'image/png');
			assert.equal(json.model, 'step-image-edit-2');
			assert.equal(json.operation, 'generate');
			assert.equal(json.prompt, 'A watercolor of a lighthouse at dusk');
			const reqs = onlyRequests(standIn, '/v1/images/generations');
			assert.equal(reqs.length, 1, 'exactly one generation request');
			const q = reqs[0];
			assert.equal(q.headers.authorization, `Bearer ${keys.good}`);
			assert.equal(
				q.json.prompt,
				'A watercolor of a lighthouse at dusk',
				'the expression was resolved before sending',
			);
			assert.equal(q.json.model, 'step-image-edit-2');
			assert.equal(q.json.size, '768x1360');
			assert.equal(q.json.seed, 4242, 'seed from an expression arrives as a number');
			assert.equal(q.json.steps, 12);
			assert.equal(q.json.cfg_scale, 1.5);
			assert.equal(q.json.negative_prompt, 'blurry');
			assert.equal(q.json.n, undefined, 'n is never sent');
			assert.deepEqual(q.unknownFields, [], 'no field the spec does not name');
			const bytes = answerBytes(answer);
			assert.ok(existsSync(outFile), `Write File did not write ${outFile}`);
			const written = readFileSync(outFile);
			assert.ok(written.equals(bytes), 'the written file differs from the bytes the stand-in sent');
			const dims = imageSize(written);
			assert.equal(dims?.width, 1360, 'written file width');
			assert.equal(dims?.height, 768, 'written file height');
			state.generated = { binary: binary?.data, bytes };
			return `file ${basename(outFile)} = stand-in bytes (${bytes.length} B, 1360×768); seed/finishReason/width/height in the item`;
		},
	};
}
