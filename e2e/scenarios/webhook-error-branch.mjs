// 11. The webhook example as shipped (examples/webhook-edit-respond.json): StepFun Edit's
// On Error is "Continue (using error output)", its error output wired to a second Respond
// to Webhook. A HEIC photo is answered 422 with the node's own message and hint, and
// nothing reaches StepFun; a good JPEG is answered with the edited image; StepFun failing
// (500, then 451) is answered 502 with StepFun's message, each request sent once. In the
// stored execution (REST) the failed item left on the Edit node's error output (index 1),
// paired to its input item, and only the error branch ran.
import assert from 'node:assert/strict';

import { readFixture } from '../../test/fixtures/index.mjs';
import { imageSize } from '../../test/stand-in/server.mjs';
import { answerBytes, captureAnswer, onlyRequests } from '../lib/checks.mjs';
import { exampleForExecution, loadExample } from '../lib/examples.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import { postMultipart } from '../lib/upload.mjs';
import { liveSetup, NODE_TYPE } from '../lib/workflows.mjs';

const EXAMPLE = 'webhook-edit-respond.json';
const EDITS = '/v1/images/edits';
const PROMPT = 'Make it a winter morning';

export default function webhookErrorBranch(ctx) {
	const { n8n, standIn, creds, full } = ctx;
	if (!full) return undefined;
	const ex = exampleForExecution(loadExample(EXAMPLE), {
		filesDir: n8n.filesDir,
		variant: 'Errors',
	});
	return {
		title: `11 example ${EXAMPLE}: its error branch answers 422 for a HEIC upload, 502 for StepFun failures, the edited image otherwise`,
		...liveSetup(ex.workflow, creds.example),
		async run() {
			const branches = wiring(ex.workflow);
			const url = `${n8n.baseUrl}/webhook/${ex.webhookPath}`;
			let previous = await n8n.latestExecutionId(ex.workflow.id);
			/** Post an upload; the answer and what the stored execution says about it. */
			const post = async (file) => {
				const res = await postMultipart(url, [
					['image', file],
					['prompt', PROMPT],
				]);
				const exec = await n8n.nextExecution(ex.workflow.id, previous);
				previous = exec.id;
				return { res, run: inspect(exec, branches) };
			};
			const report = [];

			// (a) A HEIC photo: refused before sending, answered 422 by the error branch.
			standIn.reset();
			const heic = {
				bytes: readFixture('heic-photo.heic'),
				fileName: 'IMG_0001.heic',
				mimeType: 'image/heic',
			};
			const { res: refused, run: a } = await post(heic);
			const refusal = jsonAnswer(refused, 422, a);
			assert.equal(
				refusal.error,
				'Input Binary Field "image": "IMG_0001.heic" is a HEIC image (item 0)',
			);
			// The fixture was not made by an iPhone (no Apple camera in its EXIF): the general advice.
			assert.match(
				refusal.hint,
				/Save or export it as JPEG where it was made \(phones and cameras that write HEIF have a JPEG setting\)/,
			);
			assert.deepEqual(standIn.requests, [], 'a refused upload must reach nothing');
			assert.equal(a.status, 'success', 'a handled error leaves the execution successful');
			assert.deepEqual(a.main, [], 'nothing on the main output');
			assert.equal(a.errors.length, 1, 'one item on the error output');
			assert.deepEqual(a.errors[0].paired, [0], 'the error item is paired to input item 0');
			// `error` is the node's message as text (on both n8n lines), the details under `message`.
			assert.equal(a.errors[0].json.error, refusal.error);
			assert.equal(a.errors[0].json.message?.kind, 'input');
			assert.equal(
				a.errors[0].json.body?.prompt,
				PROMPT,
				"n8n adds the input item's fields to the error item",
			);
			assert.deepEqual(a.ran, [branches.error], 'only the error branch answered');
			report.push(
				`HEIC → 422 ${JSON.stringify(refusal.error)}, hint names the iPhone setting; stand-in got nothing; execution ${a.id}: 1 item on output 1 paired to item 0, "${branches.error}" ran`,
			);

			// (b) A good JPEG: the edited image.
			standIn.reset();
			const answer = captureAnswer(standIn, EDITS);
			const jpeg = {
				bytes: readFixture('jpeg-baseline.jpg'),
				fileName: 'photo.jpg',
				mimeType: 'image/jpeg',
			};
			const { res: edited, run: b } = await post(jpeg);
			assert.equal(
				edited.status,
				200,
				`${edited.status}: ${edited.body.toString('utf8').slice(0, 300)}; ${b.summary}`,
			);
			assert.match(edited.contentType ?? '', /^image\/png/);
			const [sent] = onlyRequests(standIn, EDITS);
			assert.ok(sent?.image?.bytes.equals(jpeg.bytes), 'the stand-in did not get the JPEG as sent');
			assert.ok(edited.body.equals(answerBytes(answer)), 'the answer is not the edited image');
			assert.deepEqual(imageSize(edited.body), { width: 64, height: 48, type: 'png' });
			assert.equal(b.main.length, 1, 'one image on the main output');
			assert.deepEqual(b.main[0].paired, [0]);
			assert.deepEqual(b.errors, [], 'nothing on the error output');
			assert.deepEqual(b.ran, [branches.main], 'only the image branch answered');
			report.push(
				`JPEG → 200, the edited PNG (64×48) byte for byte; execution ${b.id}: output 0 only, "${branches.main}" ran`,
			);

			// (c) StepFun fails: 502 with StepFun's message; the request is not resent.
			for (const [status, message, hint] of [
				[500, 'The image service failed', /StepFun had a server problem.*not resent automatically/],
				[451, 'Image failed moderation', /content moderation/],
			]) {
				standIn.reset();
				standIn.fault(EDITS, {
					status,
					body: {
						error: { message, type: status === 451 ? 'content_moderation' : 'server_error' },
					},
				});
				const { res: failed, run: c } = await post(jpeg);
				const failure = jsonAnswer(failed, 502, c);
				assert.equal(failure.error, `StepFun error ${status}: ${message}`);
				assert.match(failure.hint, hint);
				const reqs = onlyRequests(standIn, EDITS);
				assert.equal(reqs.length, 1, `a ${status} is sent once, never resent by default`);
				assert.ok(
					failure.hint.includes(`StepFun trace ID: ${reqs[0].traceId}`),
					`the hint lacks the trace ID ${reqs[0].traceId}: ${failure.hint}`,
				);
				assert.deepEqual(c.main, []);
				assert.equal(c.errors.length, 1);
				assert.deepEqual(c.errors[0].paired, [0]);
				assert.equal(c.errors[0].json.error, failure.error);
				assert.equal(c.errors[0].json.message?.kind, 'api');
				assert.equal(c.errors[0].json.message?.httpCode, String(status));
				assert.equal(c.errors[0].json.message?.traceId, reqs[0].traceId);
				assert.deepEqual(c.ran, [branches.error]);
				report.push(
					`StepFun ${status} → 502 ${JSON.stringify(failure.error)} with the trace ID, sent once; execution ${c.id}: output 1, httpCode ${status}`,
				);
			}
			return report.join('\n');
		},
	};
}

/**
 * The example's own wiring: the StepFun node continues on its error output, and each of
 * its two outputs leads to a Respond to Webhook. Returns { edit, main, error } (node names).
 */
function wiring(workflow) {
	const edit = workflow.nodes.find((n) => n.type === NODE_TYPE);
	assert.ok(edit, 'the example has no StepFun node');
	assert.equal(edit.onError, 'continueErrorOutput', 'the example no longer uses the error output');
	const outputs = workflow.connections[edit.name]?.main ?? [];
	const [main, error] = [0, 1].map((i) => outputs[i]?.[0]?.node);
	for (const name of [main, error]) {
		const target = workflow.nodes.find((n) => n.name === name);
		assert.equal(
			target?.type,
			'n8n-nodes-base.respondToWebhook',
			`output of "${edit.name}" not wired to a Respond to Webhook: ${JSON.stringify(outputs)}`,
		);
	}
	return { edit: edit.name, main, error };
}

/** What the stored execution says about the Edit node's outputs and which answer ran. */
function inspect(exec, branches) {
	const runData = exec.run.data?.resultData?.runData ?? {};
	const items = (output) =>
		(nodeOutput(exec.run, branches.edit, output) ?? []).map((item) => ({
			json: item.json,
			paired: [item.pairedItem ?? []].flat().map((p) => (typeof p === 'number' ? p : p.item)),
		}));
	const main = items(0);
	const errors = items(1);
	const ran = [branches.main, branches.error].filter((name) => runData[name]);
	const error = exec.run.data?.resultData?.error;
	const summary = `execution ${exec.id} ${exec.status}: "${branches.edit}" put ${main.length} item(s) on output 0 (${main.map((i) => JSON.stringify(i.json).slice(0, 160)).join(', ')}), ${errors.length} on output 1; answered by ${ran.join(', ') || 'no Respond node'}${error ? `; failed in ${error.node?.name ?? '?'}: ${error.message}` : ''}`;
	return { id: exec.id, status: exec.status, main, errors, ran, summary };
}

/** The JSON body of an answer that must have `status`; `run` explains a wrong one. */
function jsonAnswer(res, status, run) {
	const text = res.body.toString('utf8');
	assert.equal(
		res.status,
		status,
		`answered ${res.status}, not ${status}: "${text.slice(0, 400)}"; ${run.summary}`,
	);
	assert.match(res.contentType ?? '', /^application\/json/);
	return JSON.parse(text);
}
