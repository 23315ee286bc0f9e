// 14–16. StepFun Image Analyze in real n8n, on real uploads and links:
// 14  Webhook (multipart: a video and two photos) → Analyze, All Image Files of the Item,
//     JSON Output → Respond to Webhook: one chat request with both photos as data URLs in
//     the order of the item's binary fields (the video left out), and the answer's text,
//     parsed, usage, finishReason. (n8n names uploads in the order their temporary files
//     finish writing, which is not always the order sent: the PASS line says which it was.)
// 15  The example examples/form-photos-analyze-to-slack.json itself, its Slack node posting
//     to a loopback host: the Form Trigger's multi-file field → Analyze → the message.
// 16  Manual → Set (two links) → Analyze from URLs, downloaded by the node (no Authorization
//     on the download), then the same links passed to StepFun as links.
import assert from 'node:assert/strict';

import { onlyRequests, whyFailed } from '../lib/checks.mjs';
import {
	assertAnalyzeItem,
	assertDataUrlImages,
	chatImagesOf,
	filesOfTrigger,
	finishedExecution,
	imagesInItemOrder,
	slackMessages,
	withSlackPostingTo,
} from '../lib/analyze-checks.mjs';
import { exampleForExecution, loadExamples } from '../lib/examples.mjs';
import { photo } from '../lib/gallery.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import { postMultipart } from '../lib/upload.mjs';
import * as wfa from '../lib/workflows-analyze.mjs';
import { importSetup, liveSetup } from '../lib/workflows.mjs';

const CHAT = '/v1/chat/completions';
const FORM_EXAMPLE = 'form-photos-analyze-to-slack.json';

export default function analyze(ctx) {
	return [webhookUpload(ctx), ctx.full && formExample(ctx), ctx.full && fromUrls(ctx)].filter(
		Boolean,
	);
}

/** 14, in every binary data mode: the files are read from where that mode keeps them. */
function webhookUpload(ctx) {
	const { n8n, standIn, creds, keys, mode } = ctx;
	const path = 'e2e-analyze-photos';
	const workflow = wfa.webhookAnalyze({ cred: creds.good, path });
	return {
		title: `14 Webhook (multipart: a video, two photos) → StepFun Analyze, All Image Files, JSON Output → Respond to Webhook (${mode})`,
		...liveSetup(workflow, creds.good),
		when: () => !!n8n.cookie,
		async run() {
			standIn.reset();
			const before = await n8n.latestExecutionId(workflow.id);
			const front = photo('jpeg-progressive.jpg', 'front.jpg');
			const back = photo('png-rgba.png', 'back.png');
			const clip = { ...photo('video.mp4', 'clip.mp4'), mimeType: 'video/mp4' };
			const question = 'Write a caption and tags for this product. Answer as JSON.';
			const res = await postMultipart(`${n8n.baseUrl}/webhook/${path}`, [
				['clip', clip],
				['photos', front],
				['photos', back],
				['question', question],
			]);
			const body = res.body.toString('utf8');
			assert.equal(res.status, 200, `webhook answered ${res.status}: ${body.slice(0, 500)}`);
			const reqs = onlyRequests(standIn, CHAT);
			assert.equal(reqs.length, 1, 'one chat request for the item');
			const q = reqs[0];
			assert.equal(q.headers.authorization, `Bearer ${keys.good}`);
			assert.equal(q.json.model, 'step-3.7-flash');
			assert.deepEqual(q.json.response_format, { type: 'json_object' });
			assert.equal(q.json.max_tokens, 2000);
			assert.deepEqual(q.json.messages[0], {
				role: 'system',
				content: 'You write captions for an online shop.',
			});
			const parts = q.json.messages[1].content;
			assert.deepEqual(parts[0], { type: 'text', text: question }, 'the prompt comes first');
			assert.deepEqual(
				parts.slice(1).map((p) => [p.type, p.image_url?.detail]),
				[
					['image_url', 'high'],
					['image_url', 'high'],
				],
				'two images, Detail high, nothing for the video',
			);
			const exec = await finishedExecution(n8n, workflow.id, { afterId: before });
			assert.equal(exec.status, 'success', `execution ${exec.id}: ${exec.status}`);
			const order = imagesInItemOrder(filesOfTrigger(exec.run, 'Webhook'), [clip, front, back]);
			const images = assertDataUrlImages(q, order.images, "chat request, in the item's order");
			assert.deepEqual(q.unknownFields, []);
			const item = JSON.parse(body);
			assertAnalyzeItem(item, q, { imageCount: 2 });
			assert.deepEqual(item.parsed.tags, ['stand-in', ...images.map((i) => i.type)]);
			assert.equal(item.parsed.caption, `Stand-in caption for "${question}"`);
			assert.equal(item.finishReason, 'stop');
			for (const key of [keys.good, keys.bad])
				assert.ok(!body.includes(key), 'an API key in the webhook response');
			return `${order.note}\none chat request: system message, prompt, ${images.map((i) => `${i.type} ${i.width}×${i.height}`).join(' then ')} as data URLs in the item's order (Detail high), the MP4 left out; answered text, parsed { caption, tags: ${item.parsed.tags.join(', ')} }, usage ${item.usage.totalTokens} tokens, finishReason ${item.finishReason}`;
		},
	};
}

/** 15: the shipped example, only its Slack node replaced and its form path prefixed. */
function formExample(ctx) {
	const { n8n, standIn, hosts, creds } = ctx;
	const shipped = loadExamples().find((ex) => ex.file === FORM_EXAMPLE);
	const title = `15 example ${FORM_EXAMPLE}, Slack posting to a loopback host: Form Trigger (two photos in one multi-file field) → Analyze → the message`;
	if (!shipped) return { title, stage: 'server', skip: `examples/${FORM_EXAMPLE} is missing` };
	const raw = withSlackPostingTo(shipped.raw, hosts.echo.url);
	const { workflow } = exampleForExecution({ file: FORM_EXAMPLE, raw }, { filesDir: n8n.filesDir });
	workflow.id = 'e2eFormAnalyzeEx';
	const form = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.formTrigger');
	form.parameters.options.path = `e2e-${form.parameters.options.path}`;
	const analyzeNode = shipped.raw.nodes.find((n) => n.parameters.operation === 'analyze');
	return {
		title,
		...liveSetup(workflow, creds.example),
		when: () => !!n8n.cookie,
		async run() {
			standIn.reset();
			hosts.echo.requests.length = 0;
			const before = await n8n.latestExecutionId(workflow.id);
			const photos = [
				photo('jpeg-baseline.jpg', 'mug-front.jpg'),
				photo('webp-lossy.webp', 'mug-side.webp'),
			];
			const email = 'ann@example.com';
			const res = await postMultipart(`${n8n.baseUrl}/form/${form.parameters.options.path}`, [
				['field-0', photos[0]],
				['field-0', photos[1]],
				['field-1', email],
			]);
			assert.equal(
				res.status,
				200,
				`form answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`,
			);
			const exec = await finishedExecution(n8n, workflow.id, { afterId: before });
			assert.equal(
				exec.status,
				'success',
				`execution ${exec.id}: ${exec.status} ${JSON.stringify(exec.run.data?.resultData?.error ?? '').slice(0, 400)}`,
			);
			const files = filesOfTrigger(exec.run, form.name);
			assert.deepEqual(
				files.map((f) => f.field),
				['Photos_0', 'Photos_1'],
				'the Form Trigger names the files of a multi-file field <label>_<n>',
			);
			const order = imagesInItemOrder(files, photos);
			const reqs = onlyRequests(standIn, CHAT);
			assert.equal(reqs.length, 1, 'one chat request for the form submission');
			assert.equal(reqs[0].json.messages[0].content[0].text, analyzeNode.parameters.prompt);
			assert.equal(reqs[0].json.max_tokens, 2000);
			assertDataUrlImages(reqs[0], order.images, "chat request, in the item's order");
			const [item] = nodeOutput(exec.run, analyzeNode.name) ?? [];
			assert.ok(item, `no output of ${analyzeNode.name}`);
			assertAnalyzeItem(item.json, reqs[0], { imageCount: 2 });
			assert.equal(item.json.Email, email, 'Include Input Fields kept the form field Email');
			const messages = slackMessages(hosts.echo);
			assert.equal(messages.length, 1, 'one message posted');
			const { caption, tags } = item.json.parsed;
			assert.deepEqual(messages[0], {
				channel: '#products',
				text: `New photos from ${email} (2): ${caption}\nTags: ${tags.join(', ')}`,
			});
			assert.deepEqual([...tags].sort(), ['jpeg', 'stand-in', 'webp']);
			return `${order.note}\none chat request with both photos in the item's order; message: ${JSON.stringify(messages[0].text)}`;
		},
	};
}

/** 16: links; the node downloads them by default, or passes them on. */
function fromUrls(ctx) {
	const { n8n, standIn, hosts, creds } = ctx;
	const names = ['gif-static.gif', 'webp-lossless.webp'];
	const links = names.map((name) => hosts.gallery.url(name));
	const workflow = wfa.urlAnalyze({ cred: creds.good, links });
	return {
		title:
			'16 Manual → Set (two links) → StepFun Analyze from URLs: downloaded by the node, then sent as links',
		...importSetup('cli', workflow, creds.good),
		async run() {
			standIn.reset();
			hosts.gallery.requests.length = 0;
			const r = await n8n.execute(workflow.id);
			assert.ok(r.ok, `execution failed (exit ${r.code}): ${whyFailed(r)}`);
			const reqs = onlyRequests(standIn, CHAT);
			assert.equal(reqs.length, 2, 'one chat request per Analyze node');
			const [downloaded, linked] = reqs;
			// Image Data (the default): the node fetched both links, without any key, and sent bytes.
			const photos = names.map((name) => photo(name));
			assertDataUrlImages(downloaded, photos, 'Send URLs As Image Data');
			assert.deepEqual(
				downloaded.json.messages[0].content.slice(1).map((p) => p.image_url.url.slice(0, 22)),
				['data:image/gif;base64,', 'data:image/webp;base64'],
			);
			// Links: the URLs themselves went to StepFun, which downloaded them.
			assert.deepEqual(
				linked.json.messages[0].content.slice(1).map((p) => p.image_url.url),
				links,
				'Send URLs As Links: the links as they are, in order',
			);
			assert.deepEqual(
				chatImagesOf(linked).map((i) => [i.source, i.url, i.type]),
				links.map((link, i) => ['url', link, ['gif', 'webp'][i]]),
			);
			const gets = hosts.gallery.requests;
			assert.equal(
				gets.length,
				4,
				`the photo host got ${gets.length} requests: two by the node, two by the stand-in`,
			);
			for (const g of gets)
				assert.equal(g.headers.authorization, undefined, `an Authorization header on ${g.url}`);
			const [first] = nodeOutput(r.run, 'Analyze Downloaded');
			const [second] = nodeOutput(r.run, 'Analyze Links');
			assertAnalyzeItem(first.json, downloaded, { imageCount: 2 });
			assertAnalyzeItem(second.json, linked, { imageCount: 2 });
			assert.match(first.json.text, /with 2 images: gif 64x48, webp \d+x\d+/);
			return `downloaded: both photos as data URLs in order, no Authorization on the downloads; links: passed as they are; text "${first.json.text.slice(0, 90)}…"`;
		},
	};
}
