// 20, 21. n8n forms in Chromium, filled in as a person does (open the form, pick the file,
// type, submit), the edited photo handed back by a Form Ending "Return Binary File":
// 20 the example examples/form-photo-edit-download.json as shipped: a JPEG comes back as a
//    download named after it with the edited image's type and bytes; a HEIC photo leads to the
//    page that says why in plain words, nothing reaches StepFun, and the stored execution has
//    the failed item on the Edit node's error output with `error` the node's message as text;
// 21 a form on two pages (prompt, then photo), the execution waiting in the database between
//    them: the download is the edited image, made from page 2's photo with page 1's prompt.
import assert from 'node:assert/strict';

import { readFixture } from '../../test/fixtures/index.mjs';
import { imageSize } from '../../test/stand-in/server.mjs';
import { downloaded, fillAndSubmit, formPage, launchChromium, noBrowser } from '../lib/browser.mjs';
import { answerBytes, captureAnswer, onlyRequests } from '../lib/checks.mjs';
import { exampleForExecution, loadExample } from '../lib/examples.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import * as wf from '../lib/workflows.mjs';

const EXAMPLE = 'form-photo-edit-download.json';
const EDITS = '/v1/images/edits';
const PROMPT = 'Make it a snowy winter evening';

export default function formDownload(ctx) {
	const { n8n, opt, full } = ctx;
	if (!full) return undefined;
	const why = noBrowser(opt);
	return [exampleScenario(ctx), twoPagesScenario(ctx)].map((s) =>
		why ? { title: s.title, stage: s.stage, skip: why } : { ...s, when: () => !!n8n.cookie },
	);
}

/** Runs `fn(page, downloads)` in a fresh browser page; the browser is closed afterwards. */
async function inBrowser(fn) {
	const browser = await launchChromium();
	try {
		const { page, downloads } = await formPage(browser);
		return await fn(page, downloads);
	} finally {
		await browser.close();
	}
}

function exampleScenario({ n8n, standIn, creds }) {
	const ex = exampleForExecution(loadExample(EXAMPLE), {
		filesDir: n8n.filesDir,
		variant: 'Browser',
	});
	const edit = ex.workflow.nodes.find((n) => n.type === wf.NODE_TYPE);
	return {
		title: `20 example ${EXAMPLE} in Chromium: the edited photo downloads; a HEIC photo gets the page that says why, nothing sent`,
		...wf.liveSetup(ex.workflow, creds.example),
		async run() {
			const formUrl = `${n8n.baseUrl}/form/${ex.formPath}`;
			let previous = await n8n.latestExecutionId(ex.workflow.id);
			const report = [];

			// A JPEG: the edited image comes back as a download.
			standIn.reset();
			const answer = captureAnswer(standIn, EDITS);
			const jpeg = readFixture('jpeg-baseline.jpg');
			// The page stays open until the run has finished: the ending page's own request ends it.
			const { file, done } = await inBrowser(async (page, downloads) => {
				await page.goto(formUrl);
				await fillAndSubmit(page, {
					Photo: { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: jpeg },
					Prompt: PROMPT,
				});
				const file = await downloaded(page, downloads);
				return { file, done: await n8n.nextExecution(ex.workflow.id, previous) };
			});
			const edited = answerBytes(answer);
			assert.equal(file.name, 'holiday-edited.png', 'the download is named after the photo');
			assert.deepEqual(file.blobTypes, ['image/png'], 'the download is a PNG');
			assert.ok(file.bytes.equals(edited), 'the download is not the edited image');
			const [sent] = onlyRequests(standIn, EDITS);
			assert.ok(sent?.image?.bytes.equals(jpeg), 'StepFun did not get the photo as picked');
			assert.equal(sent.image.fileName, 'holiday.jpg');
			assert.equal(sent.fields.prompt, PROMPT);
			previous = done.id;
			assert.equal(done.status, 'success', `execution ${done.id}: ${done.status}`);
			const size = imageSize(file.bytes);
			report.push(
				`JPEG "holiday.jpg" → download "${file.name}" (${file.blobTypes[0]}, ${size.width}×${size.height}), byte for byte the edited image; execution ${done.id} success`,
			);

			// A HEIC photo: the page says why; nothing reaches StepFun.
			standIn.reset();
			const refused = await inBrowser(async (page, downloads) => {
				await page.goto(formUrl);
				await fillAndSubmit(page, {
					Photo: {
						name: 'IMG_0001.heic',
						mimeType: 'image/heic',
						buffer: readFixture('heic-photo.heic'),
					},
					Prompt: PROMPT,
				});
				await page.getByText('We could not edit your photo').waitFor({ timeout: 90_000 });
				const text = await page.locator('body').innerText();
				const failed = await n8n.nextExecution(ex.workflow.id, previous);
				return { text, downloads: downloads.length, failed };
			});
			assert.match(refused.text, /Why: "IMG_0001\.heic" is a HEIC image\./);
			assert.match(refused.text, /Please send the photo again as a JPEG, PNG or WebP file/);
			assert.equal(refused.downloads, 0, 'a refused photo must not download anything');
			assert.deepEqual(standIn.requests, [], 'a HEIC photo must reach nothing');
			const { failed } = refused;
			assert.equal(failed.status, 'success', 'a handled error leaves the execution successful');
			assert.deepEqual(nodeOutput(failed.run, edit.name, 0), [], 'nothing on the main output');
			const [item, ...more] = nodeOutput(failed.run, edit.name, 1) ?? [];
			assert.equal(more.length, 0, 'one item on the error output');
			assert.equal(
				item?.json.error,
				'Input Binary Field "Photo": "IMG_0001.heic" is a HEIC image (item 0)',
			);
			assert.equal(item.json.message?.kind, 'input');
			assert.equal(item.json.Prompt, PROMPT, "n8n adds the form's fields to the error item");
			report.push(
				`HEIC → "${refused.text.match(/Why: "[^"]*" [^.]*\./)?.[0]}"; no download, stand-in got nothing; execution ${failed.id}: the item on the error output, error ${JSON.stringify(item.json.error)}, message.kind input`,
			);
			return report.join('\n');
		},
	};
}

function twoPagesScenario({ n8n, standIn, creds }) {
	const workflow = wf.formTwoPages({ cred: creds.good, path: 'e2e-two-pages' });
	return {
		title:
			'21 a form on two pages in Chromium (prompt, then photo; the run waits in the database between them) → Edit → the edited photo downloads',
		...wf.liveSetup(workflow, creds.good),
		async run() {
			standIn.reset();
			const previous = await n8n.latestExecutionId(workflow.id);
			const answer = captureAnswer(standIn, EDITS);
			const png = readFixture('png-rgb.png');
			const { file, waiting, done } = await inBrowser(async (page, downloads) => {
				await page.goto(`${n8n.baseUrl}/form/e2e-two-pages`);
				await fillAndSubmit(page, { Prompt: PROMPT });
				// Page 2 is served by the waiting execution.
				await page.getByLabel('Photo', { exact: true }).waitFor({ timeout: 60_000 });
				const [row] = await n8n.executionRows(workflow.id);
				await fillAndSubmit(page, {
					Photo: { name: 'garden.png', mimeType: 'image/png', buffer: png },
				});
				const file = await downloaded(page, downloads);
				return { file, waiting: row, done: await n8n.nextExecution(workflow.id, previous) };
			});
			assert.ok(waiting && waiting.id !== previous, 'no execution after page 1');
			assert.equal(
				waiting.status,
				'waiting',
				`between the pages the execution is ${waiting.status}`,
			);
			const [sent] = onlyRequests(standIn, EDITS);
			assert.ok(sent?.image?.bytes.equals(png), "StepFun did not get page 2's photo");
			assert.equal(sent.fields.prompt, PROMPT, "StepFun did not get page 1's prompt");
			assert.ok(file.bytes.equals(answerBytes(answer)), 'the download is not the edited image');
			assert.deepEqual(file.blobTypes, ['image/png']);
			assert.equal(done.id, waiting.id, 'the waiting execution is the one that finished');
			assert.equal(done.status, 'success', `execution ${done.id}: ${done.status}`);
			const [made] = nodeOutput(done.run, 'StepFun Image') ?? [];
			assert.equal(
				file.name,
				made?.binary?.data?.fileName,
				"the download has the output file's name",
			);
			return `page 1 prompt, execution ${waiting.id} waiting, page 2 photo "garden.png" → download "${file.name}" (${file.blobTypes[0]}), byte for byte the edited image; the same execution finished: success`;
		},
	};
}
