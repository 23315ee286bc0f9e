/**
 * Image → Analyze through n8n's engine against the stand-in's vision chat: what goes over the wire
 * for every field, what comes out of every answer field, and what is refused before sending.
 */
import type { IDataObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readFixture } from './fixtures/index.mjs';
import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackServer } from './helpers/loopback-server.mjs';
import { analyze, useStandIn } from './helpers/stepfun';
import { makeGif, makePng } from './stand-in/server.mjs';
import type { ChatSettings } from './stand-in/server.mjs';

const stepfun = useStandIn();
const CHAT = '/v1/chat/completions';
const jpeg = readFixture('jpeg-baseline.jpg');
const png = readFixture('png-rgb.png');
const upload = (bytes: Buffer, fileName: string, mimeType: string) => ({ bytes, fileName, mimeType });
const dataUrl = (bytes: Buffer, type: string) => `data:${type};base64,${bytes.toString('base64')}`;
const photos = { binary: { data: upload(jpeg, 'photo.jpg', 'image/jpeg') } };

describe('Analyze: the request', () => {
	it('sends the model, the prompt and the image as a data URL in one user message', async () => {
		const { items, error, standIn } = await stepfun.run(analyze('What is in this photo?'), { items: [photos] });
		expect(error).toBeUndefined();
		const request = standIn.requests[0];
		expect(request.path).toBe(CHAT);
		expect(request.json).toEqual({
			model: 'step-3.7-flash',
			messages: [
				{
					role: 'user',
					content: [
						{ type: 'text', text: 'What is in this photo?' },
						{ type: 'image_url', image_url: { url: dataUrl(jpeg, 'image/jpeg') } },
					],
				},
			],
		});
		expect(request.unknownFields).toEqual([]);
		expect(items).toHaveLength(1);
		expect(items[0].json.text).toBe(request.responseJson.choices[0].message.content);
	});

	it('sends every option where the API wants it', async () => {
		const { error, standIn } = await stepfun.run(
			analyze(
				'Describe it',
				{
					systemMessage: 'You write product captions.',
					detail: 'high',
					maxTokens: 3000,
					temperature: 1.2,
					topP: 0.5,
					reasoningEffort: 'low',
					jsonOutput: true,
				},
				{ model: { __rl: true, mode: 'id', value: 'step-1o-turbo-vision' } },
			),
			{ items: [photos] },
		);
		expect(error).toBeUndefined();
		expect(standIn.requests[0].json).toEqual({
			model: 'step-1o-turbo-vision',
			messages: [
				{ role: 'system', content: 'You write product captions.' },
				{
					role: 'user',
					content: [
						{ type: 'text', text: 'Describe it' },
						{ type: 'image_url', image_url: { url: dataUrl(jpeg, 'image/jpeg'), detail: 'high' } },
					],
				},
			],
			max_tokens: 3000,
			temperature: 1.2,
			top_p: 0.5,
			reasoning_effort: 'low',
			response_format: { type: 'json_object' },
		});
	});

	it('several binary fields, in the order named', async () => {
		const { standIn } = await stepfun.run(analyze('Compare', {}, { binaryPropertyName: 'field_1, field_0' }), {
			items: [{ binary: { field_0: upload(jpeg, 'a.jpg', 'image/jpeg'), field_1: upload(png, 'b.png', 'image/png') } }],
		});
		expect(standIn.requests[0].chatImages?.map((image) => image.type)).toEqual(['png', 'jpeg']);
	});

	it('All Image Files of the Item: every image, a PDF next to them left out', async () => {
		const pdf = Buffer.from('%PDF-1.7\n1 0 obj\n<< >>\nendobj\ntrailer\n%%EOF\n');
		const { items, standIn } = await stepfun.run(analyze('Compare', {}, { imageSource: 'allFiles' }), {
			items: [{ binary: { photo_0: upload(jpeg, 'a.jpg', 'image/jpeg'), notes: upload(pdf, 'n.pdf', 'application/pdf'), photo_1: upload(png, 'b.png', 'image/png') } }],
		});
		expect(standIn.requests[0].chatImages?.map((image) => image.type)).toEqual(['jpeg', 'png']);
		expect(items[0].json.imageCount).toBe(2);
	});

	it('All Image Files in n8n 2.x combined binary mode: the files under _files', async () => {
		const { standIn } = await stepfun.run(analyze('Compare', {}, { imageSource: 'allFiles' }), {
			workflowBinaryMode: 'combined',
			items: [{ jsonFiles: { '_files.photo_0': upload(jpeg, 'a.jpg', 'image/jpeg'), '_files.photo_1': upload(png, 'b.png', 'image/png') } }],
		});
		expect(standIn.requests[0].chatImages?.map((image) => image.type)).toEqual(['jpeg', 'png']);
	});

	it('Base64 or Data URL, a list from an expression', async () => {
		const { standIn } = await stepfun.run(analyze('Compare', {}, { imageSource: 'base64', imageBase64: '={{ $json.images }}' }), {
			items: [{ json: { images: [dataUrl(png, 'image/png'), jpeg.toString('base64')] } }],
		});
		expect(standIn.requests[0].chatImages?.map((image) => [image.type, image.mimeType])).toEqual([
			['png', 'image/png'],
			['jpeg', 'image/jpeg'],
		]);
	});
});

describe('Analyze: image URLs', () => {
	let host: LoopbackServer;
	beforeAll(async () => {
		host = await startLoopbackServer((request) =>
			request.url.endsWith('.html')
				? { headers: { 'content-type': 'text/html' }, body: Buffer.from('<!DOCTYPE html><html><body><img src="photo.jpg"></body></html>') }
				: { headers: { 'content-type': request.url.endsWith('.png') ? 'image/png' : 'image/jpeg' }, body: request.url.endsWith('.png') ? png : jpeg },
		);
	});
	afterAll(async () => await host.close());

	it('by default the node downloads each link and sends the image data (StepFun never sees the link)', async () => {
		const { error, standIn } = await stepfun.run(analyze('Compare', {}, { imageSource: 'url', imageUrls: `${host.url}/a.jpg,\n${host.url}/b.png` }));
		expect(error).toBeUndefined();
		// Downloaded at once, so they may arrive in any order; they are sent in the order given.
		expect(host.requests.map((request) => request.url).sort()).toEqual(['/a.jpg', '/b.png']);
		expect(host.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
		expect(standIn.requests[0].chatImages?.map((image) => [image.source, image.type])).toEqual([
			['data', 'jpeg'],
			['data', 'png'],
		]);
	});

	it('a downloaded link that is not an image: the error names the field as Analyze shows it, Image URLs, and nothing is sent', async () => {
		const { error, standIn } = await stepfun.run(analyze('Compare', {}, { imageSource: 'url', imageUrls: `${host.url}/a.jpg ${host.url}/share.html` }));
		expect(error).toBeInstanceOf(NodeOperationError);
		// The host named: the link is the user's own, not StepFun's.
		expect(error?.message).toMatch(new RegExp(`^Image URLs: "share\\.html" from ${new URL(host.url).host} is .*not an image \\(item 0\\)$`));
		expect((error as NodeOperationError).description).toContain('Check that the Image URLs point straight at the image file');
		expect(standIn.requests).toEqual([]);
	});

	it('links with commas in their path (image CDNs) are one link each; a comma before a new link separates', async () => {
		host.requests.length = 0;
		const { error } = await stepfun.run(
			analyze('Compare', {}, { imageSource: 'url', imageUrls: `${host.url}/upload/w_400,h_300,c_fill/a.jpg, ${host.url}/b.png` }),
		);
		expect(error).toBeUndefined();
		expect(host.requests.map((request) => request.url).sort()).toEqual(['/b.png', '/upload/w_400,h_300,c_fill/a.jpg']);
	});

	it('more than 60 links passed to StepFun are refused before sending', async () => {
		const links = Array.from({ length: 61 }, (_, index) => `https://photos.example/${index}.jpg`).join('\n');
		const { error, standIn } = await stepfun.run(analyze('Compare', {}, { imageSource: 'url', imageUrls: links, imageUrlMode: 'link' }));
		expect(error?.message).toBe('Image URLs: 61 images in one request; StepFun reads at most 60 (item 0)');
		expect(standIn.requests).toEqual([]);
	});

	it('"Links (StepFun Downloads Them)" passes the links on', async () => {
		host.requests.length = 0;
		const { error, standIn } = await stepfun.run(analyze('Compare', {}, { imageSource: 'url', imageUrls: `${host.url}/a.jpg`, imageUrlMode: 'link' }));
		expect(error).toBeUndefined();
		const parts = (standIn.requests[0].json.messages[0].content as IDataObject[]).slice(1);
		expect(parts).toEqual([{ type: 'image_url', image_url: { url: `${host.url}/a.jpg` } }]);
		expect(standIn.requests[0].chatImages?.[0]).toMatchObject({ source: 'url', type: 'jpeg' });
	});
});

describe('Analyze: the answer', () => {
	it('outputs the text, finish reason, model, token usage and id', async () => {
		const { items, standIn } = await stepfun.run(analyze('What is this?'), { items: [photos] });
		const answer = standIn.requests[0].responseJson;
		expect(items[0].json).toEqual({
			text: answer.choices[0].message.content,
			finishReason: 'stop',
			model: answer.model,
			usage: {
				promptTokens: answer.usage.prompt_tokens,
				completionTokens: answer.usage.completion_tokens,
				totalTokens: answer.usage.total_tokens,
				cachedTokens: answer.usage.cached_tokens,
			},
			id: answer.id,
			created: answer.created,
			imageCount: 1,
			operation: 'analyze',
		});
		expect(items[0].pairedItem).toEqual({ item: 0 });
	});

	it('JSON Output: the answer parsed into an object', async () => {
		const { items } = await stepfun.run(analyze('Caption and tags', { jsonOutput: true }), { items: [photos] });
		expect(items[0].json.parsed).toEqual(JSON.parse(String(items[0].json.text)));
		expect((items[0].json.parsed as IDataObject).caption).toBe('Stand-in caption for "Caption and tags"');
	});

	it('JSON Output with the JSON in a Markdown code fence: parsed all the same', async () => {
		stepfun.standIn.fault(CHAT, { transform: (json: IDataObject) => ({ ...json, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '```json\n{"caption": "A mug", "tags": ["mug"]}\n```' } }] }) });
		const { items } = await stepfun.run(analyze('Caption', { jsonOutput: true }), { items: [photos] });
		expect(items[0].json.parsed).toEqual({ caption: 'A mug', tags: ['mug'] });
	});

	it('JSON Output with an answer that is not JSON: a clear error', async () => {
		stepfun.standIn.fault(CHAT, { transform: (json: IDataObject) => ({ ...json, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Sure! Here it is: caption' } }] }) });
		const { error } = await stepfun.run(analyze('Caption', { jsonOutput: true }), { items: [photos] });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe("StepFun's answer is not a JSON object (JSON Output is on)");
		expect((error as NodeApiError).description).toMatch(/Say in the prompt which JSON object you want/);
	});

	it('reasoning only when asked, and never as the answer when there is a real one', async () => {
		const plain = await stepfun.run(analyze('What is this?'), { items: [photos] });
		expect(plain.items[0].json.reasoning).toBeUndefined();
		const asked = await stepfun.run(analyze('What is this?', { includeReasoning: true }), { items: [photos] });
		const message = asked.standIn.requests[0].responseJson.choices[0].message;
		expect(asked.items[0].json.reasoning).toBe(message.reasoning);
		expect(asked.items[0].json.text).toBe(message.content);
	});

	it.each<[string, ChatSettings]>([
		['the answer only in reasoning, content empty', { answerInReasoning: true }],
		['reasoning_content instead of reasoning, answer only there', { answerInReasoning: true, reasoningField: 'reasoning_content' }],
	])('%s: the answer is taken from it', async (_, quirk) => {
		Object.assign(stepfun.standIn.chat, quirk);
		const { items, standIn } = await stepfun.run(analyze('What is this?'), { items: [photos] });
		const message = standIn.requests[0].responseJson.choices[0].message;
		expect(message.content).toBe('');
		expect(items[0].json.text).toBe(message[quirk.reasoningField ?? 'reasoning']);
		expect(String(items[0].json.text)).toMatch(/The stand-in received the prompt/);
	});

	it('finish reason length is flagged, with the hint at Max Tokens', async () => {
		const { items, error } = await stepfun.run(analyze('Describe every detail', { maxTokens: 5 }, { model: { __rl: true, mode: 'id', value: 'step-1o-turbo-vision' } }), { items: [photos] });
		expect(error).toBeUndefined();
		expect(items[0].json).toMatchObject({ finishReason: 'length', truncated: true });
		expect(items[0].json.warning).toMatch(/Raise Max Tokens/);
	});

	it("a reasoning model that spent Max Tokens thinking: no answer, flagged, the reasoning not passed off as one", async () => {
		const { items } = await stepfun.run(analyze('Describe every detail', { maxTokens: 5 }), { items: [photos] });
		expect(items[0].json).toMatchObject({ finishReason: 'length', truncated: true, text: '' });
	});

	it('Include Input Fields and Keep Input Binary', async () => {
		const { items } = await stepfun.run(analyze('What is this?', { includeInputFields: true, keepInputBinary: true }), {
			items: [{ json: { sku: 'A-1' }, binary: { data: upload(jpeg, 'photo.jpg', 'image/jpeg') } }],
		});
		expect(items[0].json).toMatchObject({ sku: 'A-1', operation: 'analyze' });
		expect(items[0].binary?.data.bytes.equals(jpeg)).toBe(true);
	});
});

describe('Analyze: a request StepFun may have answered, in words for a chat', () => {
	const ANSWERED = 'StepFun may already have answered (and billed) the request.';
	it('500: not resent, and the hint speaks of the answer, not of an image', async () => {
		stepfun.standIn.fault(CHAT, { status: 500, headers: { 'retry-after': '0' }, body: { error: { message: 'Internal server error', type: 'server_error' } } });
		const { error, standIn } = await stepfun.run(analyze('What is this?'), { items: [photos] });
		expect(standIn.requests).toHaveLength(1);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).description).toContain(`It was not resent automatically: ${ANSWERED} Turn on "Retry Possibly Billed Requests" to resend it anyway.`);
		expect((error as NodeApiError).description).not.toMatch(/image/);
	});

	it('no answer within Timeout: not resent, may still have answered', async () => {
		stepfun.standIn.fault(CHAT, { hang: true });
		const { error } = await stepfun.run(analyze('What is this?', { timeout: 1 }), { items: [photos] });
		expect(error?.message).toBe('StepFun did not answer within 1 second');
		expect((error as NodeApiError).description).toMatch(/^The request was sent, so StepFun may still have answered \(and billed\) the request; it was not resent automatically\. Raise the Timeout option/);
	});

	it('no answer within Timeout, Retry Possibly Billed Requests on: resent, said so', async () => {
		stepfun.standIn.fault(CHAT, { hang: true });
		stepfun.standIn.fault(CHAT, { hang: true });
		const { error, standIn } = await stepfun.run(analyze('What is this?', { timeout: 1, retryAfterTimeout: true, maxRetries: 1 }), { items: [photos] });
		expect(standIn.requests).toHaveLength(2);
		expect((error as NodeApiError).description).toMatch(/^The request was sent, so StepFun may have answered \(and billed\) it; it was resent, as Retry Possibly Billed Requests allows\./);
	});
});

describe('Analyze: refused before sending', () => {
	const refused = async (parameters: ReturnType<typeof analyze>, items: unknown[]) => {
		const { error, standIn } = await stepfun.run(parameters, { items: items as never });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(standIn.requests).toEqual([]);
		return error as NodeOperationError;
	};

	it('an animated GIF, with the reason', async () => {
		const error = await refused(analyze('What is this?'), [{ binary: { data: upload(makeGif(16, 16, { frames: 3 }), 'loop.gif', 'image/gif') } }]);
		expect(error.message).toBe('Input Binary Fields "data": "loop.gif" is an animated GIF (3 frames) (item 0)');
		expect(error.description).toMatch(/StepFun reads one still image/);
	});

	it('a still GIF is taken', async () => {
		const { error } = await stepfun.run(analyze('What is this?'), { items: [{ binary: { data: upload(readFixture('gif-static.gif'), 'still.gif', 'image/gif') } }] });
		expect(error).toBeUndefined();
	});

	it('a HEIC photo, with how to convert it', async () => {
		const error = await refused(analyze('What is this?'), [{ binary: { data: upload(readFixture('heic-iphone.heic'), 'IMG_1.heic', 'image/heic') } }]);
		expect(error.message).toBe('Input Binary Fields "data": "IMG_1.heic" is a HEIC image (item 0)');
		expect(error.description).toMatch(/^StepFun's vision models read JPEG, PNG, WebP and still GIF images\. iPhones save HEIC/);
	});

	it('a HEIC photo from another phone: general advice, no iPhone settings', async () => {
		const error = await refused(analyze('What is this?'), [{ binary: { data: upload(readFixture('heic-android.heic'), '20260101_120000.heic', 'image/heic') } }]);
		expect(error.message).toBe('Input Binary Fields "data": "20260101_120000.heic" is a HEIC image (item 0)');
		expect(error.description).toMatch(/^StepFun's vision models read JPEG, PNG, WebP and still GIF images\. Save or export it as JPEG where it was made/);
		expect(error.description).not.toMatch(/iPhone/);
	});

	it('a 12-bit JPEG, by name, with how to convert it', async () => {
		const error = await refused(analyze('What is this?'), [{ binary: { data: upload(readFixture('jpeg-12-bit.jpg'), 'scan.jpg', 'image/jpeg') } }]);
		expect(error.message).toBe('Input Binary Fields "data": "scan.jpg" is a 12-bit JPEG (item 0)');
		expect(error.description).toMatch(/reads only 8-bit JPEG\. Export it again as an ordinary \(8-bit\) JPEG or as PNG/);
	});

	it('a side longer than 4096', async () => {
		const error = await refused(analyze('What is this?'), [{ binary: { data: upload(makePng(4097, 8, 'wide'), 'wide.png', 'image/png') } }]);
		expect(error.message).toBe('Input Binary Fields "data": the image is 4097×8 pixels; StepFun accepts at most 4096×4096 (item 0)');
	});

	it('more than 60 images in one request', async () => {
		const binary = Object.fromEntries(Array.from({ length: 61 }, (_, index) => [`photo_${index}`, upload(png, `${index}.png`, 'image/png')]));
		const error = await refused(analyze('Compare', {}, { imageSource: 'allFiles' }), [{ binary }]);
		expect(error.message).toBe('All Image Files of the Item: 61 images in one request; StepFun reads at most 60 (item 0)');
	});

	/** A complete JPEG padded (data after its end, as decoders ignore) to exactly `size` bytes. */
	const jpegOfSize = (size: number) => Buffer.concat([jpeg, Buffer.alloc(size - jpeg.length)]);
	const MiB = 1024 * 1024;

	it('more than 20 MB of images in one request', async () => {
		const padded = Buffer.concat([jpeg, Buffer.alloc(7 * 1024 * 1024)]);
		const binary = Object.fromEntries(Array.from({ length: 3 }, (_, index) => [`photo_${index}`, upload(padded, `${index}.jpg`, 'image/jpeg')]));
		const error = await refused(analyze('Compare', {}, { imageSource: 'allFiles' }), [{ binary }]);
		expect(error.message).toMatch(/^All Image Files of the Item: the images add up to more than 20\.0 MB as sent, base64-encoded \(28\.0 MB after 3 of 3\) \(item 0\)$/);
	});

	it('20 MB counted as sent (base64, a third larger): 16 MB of files are refused, and the message says why', async () => {
		const binary = { photo_0: upload(jpegOfSize(8 * MiB), 'a.jpg', 'image/jpeg'), photo_1: upload(jpegOfSize(8 * MiB), 'b.jpg', 'image/jpeg') };
		const error = await refused(analyze('Compare', {}, { binaryPropertyName: 'photo_0, photo_1' }), [{ binary }]);
		expect(error.message).toBe('Input Binary Fields: the images add up to more than 20.0 MB as sent, base64-encoded (21.3 MB after 2 of 2) (item 0)');
		expect(error.description).toBe(
			'StepFun reads at most 20.0 MB of images per request and does not say whether it counts the files or the base64 text they are sent as, which is a third larger; the node counts the larger, so the files may add up to about 15.0 MB. Send fewer or smaller images per item, e.g. resized with the Edit Image node.',
		);
	});

	it('exactly 20 MB as sent (15 MB of files) is taken, and arrives whole', async () => {
		const files = [jpegOfSize(7.5 * MiB), jpegOfSize(7.5 * MiB)];
		const { error, standIn } = await stepfun.run(analyze('Compare', {}, { binaryPropertyName: 'photo_0, photo_1' }), {
			items: [{ binary: { photo_0: upload(files[0], 'a.jpg', 'image/jpeg'), photo_1: upload(files[1], 'b.jpg', 'image/jpeg') } }],
		});
		expect(error).toBeUndefined();
		const sent = standIn.requests[0].json.messages[0].content.slice(1).map((part: IDataObject) => (part.image_url as IDataObject).url);
		expect(sent.map((url: string) => url.length - 'data:image/jpeg;base64,'.length)).toEqual([10 * MiB, 10 * MiB]);
	});

	it('errors name the field as Analyze shows it: Input Binary Fields, or the file All Image Files found', async () => {
		const missing = await refused(analyze('What is this?', {}, { binaryPropertyName: 'photo_0, photo_1' }), [photos]);
		expect(missing.message).toBe('Input Binary Fields: the item has no binary field "photo_0" (item 0)');
		expect(missing.description).toBe("This item's binary fields are: data. Enter one of them.");
		const notAFile = await refused(analyze('What is this?', {}, { binaryPropertyName: '={{ [{ "a": 1 }] }}' }), [photos]);
		expect(notAFile.message).toBe('Input Binary Fields: expected a field name or a file, got an object (item 0)');
		const heic = upload(readFixture('heic-iphone.heic'), 'IMG_1.heic', 'image/heic');
		const found = await refused(analyze('What is this?', {}, { imageSource: 'allFiles' }), [{ binary: { photo_0: upload(jpeg, 'a.jpg', 'image/jpeg'), photo_1: heic } }]);
		expect(found.message).toBe('All Image Files of the Item "photo_1": "IMG_1.heic" is a HEIC image (item 0)');
	});

	it('an item without image files for All Image Files', async () => {
		const error = await refused(analyze('Compare', {}, { imageSource: 'allFiles' }), [{ json: { a: 1 } }]);
		expect(error.message).toBe('All Image Files of the Item: the item has no image files (item 0)');
	});

	it.each([
		['a blank prompt', analyze('   '), 'Prompt: is empty (item 0)'],
		['temperature 2.1', analyze('x', { temperature: 2.1 }), 'Temperature: must be a number from 0.0 to 2.0, got 2.1 (item 0)'],
		['top P 0', analyze('x', { topP: 0 }), 'Top P: must be a number from 0.01 to 1.00, got 0 (item 0)'],
		['max tokens 0', analyze('x', { maxTokens: 0 }), 'Max Tokens: must be a whole number from 1 to 1000000, got 0 (item 0)'],
		['reasoning effort "max"', analyze('x', { reasoningEffort: '={{ "max" }}' }), 'Reasoning Effort: must be low, medium or high, got "max" (item 0)'],
		['detail "auto"', analyze('x', { detail: '={{ "auto" }}' }), 'Detail: must be low or high, got "auto" (item 0)'],
		['an image URL that is not a link', analyze('x', {}, { imageSource: 'url', imageUrls: 'holiday photo' }), 'Image URLs: "holiday" is not an http(s) URL (item 0)'],
	] as const)('%s', async (_, parameters, message) => {
		const error = await refused(parameters, [photos]);
		expect(error.message).toBe(message);
	});
});
