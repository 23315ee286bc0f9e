// 12. An upload edited in n8n 2.x's combined binary mode (workflow setting
// `binaryMode: "combined"`, files kept in the item's JSON under `_files`):
//   a, b: Webhook (multipart upload) → StepFun Edit with Input Binary Field `_files.image`
//         (a) or the expression `{{ $json._files.image }}` (b) → Extract From File (the
//         edited image as base64) → Respond to Webhook. The stand-in gets the upload byte
//         for byte, the uploader gets the edited image's bytes, and in the stored execution
//         the image sits under the StepFun item's `json._files.data`.
//   c:    Form Trigger (file field Photo) → StepFun Edit. n8n 2.41.1 cannot publish a
//         Form Trigger in this mode: resolving the trigger's webhook path (an expression in
//         its description) fails with "Node 'Form Trigger' hasn't been executed", the same
//         cause as scenario 9, and the form answers 404. Like 9 and 10 this documents n8n:
//         the same workflow without the setting is the control, and once n8n publishes it,
//         the upload is posted and the stored execution checked. Where the form then puts
//         the file was measured with N8N_EXPRESSION_ENGINE=legacy (which publishes it): in
//         the JSON at the field's name (`json.Photo`), not under `_files`, so Input Binary
//         Field is `Photo`.
// Respond to Webhook "Binary File" cannot answer with a file in this mode (scenario 10),
// hence the base64 JSON answer.
import assert from 'node:assert/strict';

import { readFixture } from '../../test/fixtures/index.mjs';
import { imageSize } from '../../test/stand-in/server.mjs';
import {
	answerBytes,
	captureAnswer,
	combinedImageItem,
	executionFailure,
	theEditOf,
} from '../lib/checks.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import { postMultipart } from '../lib/upload.mjs';
import * as wf from '../lib/workflows.mjs';

const EDITS = '/v1/images/edits';

const WEBHOOK_VARIANTS = [
	{
		key: 'a',
		field: '_files.image',
		upload: {
			fixture: 'jpeg-progressive.jpg',
			fileName: 'phone photo.jpg',
			mimeType: 'image/jpeg',
		},
	},
	{
		key: 'b',
		field: '={{ $json._files.image }}',
		upload: { fixture: 'webp-lossy.webp', fileName: 'sticker.webp', mimeType: 'image/webp' },
	},
];

export default function combinedUploadEdit(ctx) {
	const { n8n, line, mode, full, standIn, creds } = ctx;
	const titles = [
		...WEBHOOK_VARIANTS.map(
			(v) =>
				`12${v.key} combined binary mode: Webhook upload → StepFun Edit (Input Binary Field ${v.field.replace(/^=/, '')}) → Extract From File → Respond to Webhook`,
		),
		'12c combined binary mode: Form Trigger upload → StepFun Edit (Input Binary Field Photo)',
	];
	const skipAll = (why) => titles.map((title) => ({ title, stage: 'server', skip: why }));
	if (!n8n.hasCombinedBinaryMode)
		return full ? skipAll(wf.noCombinedMode(line.version)) : undefined;
	if (mode === 'default')
		return skipAll(
			'with in-memory binary data n8n leaves files in item.binary even in combined mode (only stored files move to _files)',
		);

	const webhooks = WEBHOOK_VARIANTS.map((v, i) => ({
		...v,
		title: titles[i],
		path: `e2e-combined-upload-${v.key}`,
		workflow: wf.combinedWebhookEditRespond({
			cred: creds.good,
			id: `e2eCombinedUpld${v.key}`,
			path: `e2e-combined-upload-${v.key}`,
			binaryPropertyName: v.field,
		}),
	}));
	const form = wf.formEdit({
		cred: creds.good,
		id: 'e2eCombinedForm1',
		path: 'e2e-combined-form',
		name: 'E2E form edit, combined binary mode',
		binaryPropertyName: 'Photo',
		settings: wf.COMBINED,
	});
	const control = wf.formEdit({
		cred: creds.good,
		id: 'e2eSeparateForm1',
		path: 'e2e-separate-form',
		name: 'E2E form edit, control without the combined setting',
	});
	return [
		...webhooks.map((v) => ({
			title: v.title,
			...wf.liveSetup(v.workflow, creds.good),
			run: () => uploadEditRespond(n8n, standIn, v),
		})),
		{
			title: titles[2],
			stage: 'server',
			credentials: [creds.good],
			workflows: [form, control],
			activate: [control],
			tryActivate: [form],
			async run() {
				const shown = await fetch(`${n8n.baseUrl}/form/e2e-separate-form`);
				assert.equal(shown.status, 200, `control: the form answered ${shown.status}`);
				const live = await settled(n8n, form.id);
				if (live.published)
					return `n8n fixed it: n8n ${line.version}${n8n.expressionEngineNote} publishes a Form Trigger in combined mode\n${await formUploadEdit(n8n, standIn, form)}`;
				const page = await fetch(`${n8n.baseUrl}/form/e2e-combined-form`);
				assert.equal(page.status, 404, 'an unpublished form must not answer');
				return [
					`still there in n8n ${line.version}${n8n.expressionEngineNote}: the combined-mode Form Trigger workflow is not published ("${live.error}", publication status ${live.status}); its form answers 404, so no upload can reach StepFun Edit`,
					'control without the setting: published, the form answers 200',
				].join('\n');
			},
		},
	];
}

/** n8n's message when it cannot resolve the Form Trigger's webhook in combined mode. */
const FORM_WALL = /Node 'Form Trigger' hasn't been executed/;

/**
 * Wait until n8n has decided on a published workflow: live, or refused with the message
 * of the combined-mode wall (its publication has no pending version left).
 */
async function settled(n8n, id, timeoutMs = 30_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const st = await n8n.publicationStatus(id);
		if (st?.status === 'published') return { published: true };
		const wall = FORM_WALL.exec(n8n.output());
		if (wall && st && !st.pendingVersionId)
			return { published: false, error: wall[0], status: st.status };
		if (Date.now() > deadline)
			assert.fail(
				`n8n ${n8n.line.version} behaves differently now: workflow ${id} neither published nor refused with ${FORM_WALL} within ${timeoutMs / 1000}s (${JSON.stringify(st)})`,
			);
		await new Promise((res) => setTimeout(res, 250));
	}
}

async function uploadEditRespond(n8n, standIn, v) {
	standIn.reset();
	const answer = captureAnswer(standIn, EDITS);
	const upload = { ...v.upload, bytes: readFixture(v.upload.fixture) };
	const previous = await n8n.latestExecutionId(v.workflow.id);
	const res = await postMultipart(`${n8n.baseUrl}/webhook/${v.path}`, [
		['prompt', 'Add falling snow'],
		['image', upload],
	]);
	const text = res.body.toString('utf8');
	if (res.status !== 200) {
		const exec = await n8n.nextExecution(v.workflow.id, previous).catch(() => undefined);
		assert.fail(`webhook answered ${res.status}: ${text.slice(0, 300)}; ${executionFailure(exec)}`);
	}
	const q = theEditOf(standIn, upload, 'Add falling snow');
	assert.equal(q.image.mimeType, upload.mimeType);
	const png = JSON.parse(text).png;
	assert.equal(typeof png, 'string', `no base64 image in the answer: ${text.slice(0, 300)}`);
	const received = Buffer.from(png, 'base64');
	const sent = answerBytes(answer);
	assert.ok(received.equals(sent), "the uploader did not get the stand-in's edited image");
	const exec = await n8n.nextExecution(v.workflow.id, previous);
	const item = editedItem(exec, upload.fileName);
	const size = imageSize(received);
	return `${upload.fixture} as "${upload.fileName}" → stand-in got identical bytes, name, MIME; the uploader got the edited ${sent.length} B PNG (${size?.width}×${size?.height}) byte for byte; execution ${exec.id}: image under json._files.data (${item.json._files.data.id.split(':')[0]})`;
}

async function formUploadEdit(n8n, standIn, form) {
	standIn.reset();
	const upload = {
		bytes: readFixture('jpeg-exif-orientation-6.jpg'),
		fileName: 'IMG_2041.jpg',
		mimeType: 'image/jpeg',
	};
	const previous = await n8n.latestExecutionId(form.id);
	const res = await postMultipart(`${n8n.baseUrl}/form/e2e-combined-form`, [
		['field-0', upload],
		['field-1', 'Paint it like a watercolor'],
	]);
	const exec = await n8n.nextExecution(form.id, previous);
	assert.equal(
		res.status,
		200,
		`form answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}; ${executionFailure(exec)}`,
	);
	assert.equal(exec.status, 'success', executionFailure(exec));
	theEditOf(standIn, upload, 'Paint it like a watercolor');
	const [trigger] = nodeOutput(exec.run, 'Form Trigger') ?? [];
	assert.ok(
		trigger?.json?.Photo?.id,
		`the form's file is not at json.Photo: ${JSON.stringify(trigger).slice(0, 300)}`,
	);
	const item = editedItem(exec, upload.fileName);
	assert.equal(item.json.width, 64);
	assert.equal(item.json.height, 48);
	return `"${upload.fileName}" through /form, kept by n8n at json.Photo → stand-in got identical bytes; execution ${exec.id} success, the 64×48 edited image under json._files.data`;
}

/** The StepFun node's output item in a stored execution: the image under json._files.data. */
function editedItem(exec, inputFileName) {
	const { item } = combinedImageItem(exec);
	assert.equal(item.json.operation, 'edit');
	assert.equal(item.json.inputFileName, inputFileName);
	return item;
}
