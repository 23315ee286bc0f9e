/**
 * What a form upload from a phone meets in a user's n8n: the error output, n8n 2.x's combined
 * binary mode and file objects from expressions, upload parts that say what the bytes are, and
 * answers that leave out the seed or stop at moderation.
 */
import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readFixture } from './fixtures/index.mjs';
import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackServer } from './helpers/loopback-server.mjs';
import { edit, generate, useStandIn } from './helpers/stepfun';
import { makePng } from './stand-in/server.mjs';

const stepfun = useStandIn();
const GENERATIONS = '/v1/images/generations';
const photo = readFixture('jpeg-baseline.jpg');
// An iPhone's photo: its EXIF names Apple, so the advice names the iPhone setting.
const heic = readFixture('heic-iphone.heic');
const upload = (bytes: Buffer, fileName: string, mimeType = 'image/jpeg') => ({ bytes, fileName, mimeType });

describe('On Error: Continue (using error output)', () => {
	const items = [
		{ json: { email: 'ann@example.com' }, binary: { data: upload(photo, 'ann.jpg') } },
		{ json: { email: 'bob@example.com' }, binary: { data: upload(heic, 'IMG_0001.heic', 'image/heic') } },
		{ json: { email: 'cid@example.com' }, binary: { data: upload(photo, 'cid.jpg') } },
	];

	it('sends failed items to the error output and images to the main one, each paired to its input', async () => {
		const { outputs, error, standIn } = await stepfun.run(edit('Add a hat'), { items, onError: 'continueErrorOutput' });
		expect(error).toBeUndefined();
		expect(standIn.requests).toHaveLength(2);
		expect(outputs[0].map((item) => [item.pairedItem, item.json.inputFileName])).toEqual([
			[{ item: 0 }, 'ann.jpg'],
			[{ item: 2 }, 'cid.jpg'],
		]);
		expect(outputs[1]).toHaveLength(1);
		const [failed] = outputs[1];
		expect(failed.pairedItem).toEqual({ item: 1 });
		// `{{ $json.error }}` is the message as text, as n8n's own nodes have it.
		expect(failed.json).toMatchObject({
			error: 'Input Binary Field "data": "IMG_0001.heic" is a HEIC image (item 1)',
			message: { kind: 'input', itemIndex: 1 },
			// n8n adds the input item's fields, so the error branch can still answer the uploader.
			email: 'bob@example.com',
		});
		// Nothing but `error` and `message` of its own: what n8n 1.x and 2.x both route to the error
		// output and leave as it is (an item whose own `error` is set keeps only the message).
		expect(Object.keys(failed.json).filter((key) => key !== 'email')).toEqual(['error', 'message']);
		expect(failed.error).toBeUndefined();
		expect(String((failed.json.message as IDataObject).description)).toMatch(/iPhones save HEIC/);
	});

	it("routes StepFun's own errors there too, with the HTTP status and trace ID", async () => {
		stepfun.standIn.fault('/v1/images/edits', { status: 451, body: { error: { message: 'Image failed moderation', type: 'content_moderation' } } });
		const { outputs } = await stepfun.run(edit('Add a hat'), { items: [items[0]], onError: 'continueErrorOutput' });
		expect(outputs[0]).toEqual([]);
		expect(outputs[1][0].json.error).toBe('StepFun error 451: Image failed moderation');
		const details = outputs[1][0].json.message as IDataObject;
		expect(details.httpCode).toBe('451');
		// A failure of StepFun, not of the upload: an error branch answers 5xx, not 4xx.
		expect(details.kind).toBe('api');
		expect(details.traceId).toBe(stepfun.standIn.requests[0].traceId);
		expect(details.description).toMatch(/content moderation/);
	});

	it('Continue (regular output) keeps one flat error item in place of the failed image', async () => {
		const { outputs } = await stepfun.run(edit('Add a hat'), { items, onError: 'continueRegularOutput' });
		expect(outputs).toHaveLength(1);
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(outputs[0][1].json).toMatchObject({
			error: 'Input Binary Field "data": "IMG_0001.heic" is a HEIC image (item 1)',
			kind: 'input',
			itemIndex: 1,
		});
		expect(outputs[0][1].json.description).toMatch(/iPhones save HEIC/);
		expect(typeof outputs[0][1].json.error).toBe('string');
	});
});

describe("n8n 2.x combined binary mode and file objects from expressions", () => {
	const combined = { workflowBinaryMode: 'combined' as const };

	it('Input Binary Field takes a path such as _files.photo, and the image reaches the next node', async () => {
		const { items, error, standIn, nextNode } = await stepfun.run(edit('Add a hat', {}, { binaryPropertyName: '_files.photo' }), {
			...combined,
			items: [{ jsonFiles: { '_files.photo': upload(photo, 'phone.jpg') } }],
			nextNode: { binaryField: '_files.data' },
		});
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image?.bytes.equals(photo)).toBe(true);
		const made = items[0].files?.data;
		expect(made?.mimeType).toBe('image/png');
		expect(nextNode?.error).toBeUndefined();
		expect(nextNode?.items[0].file?.bytes.equals(made!.bytes)).toBe(true);
	});

	it.each([
		['={{ $json._files.photo }} in combined mode', '={{ $json._files.photo }}', 'combined'],
		['={{ $binary.photo }} in separate mode', '={{ $binary.photo }}', 'separate'],
		["={{ $('Form').item.binary.photo }} in separate mode", "={{ $('Form').item.binary.photo }}", 'separate'],
	] as const)('an expression giving the file object: %s', async (_, expression, mode) => {
		const file = upload(photo, 'phone.jpg');
		const { error, standIn } = await stepfun.run(edit('Add a hat', {}, { binaryPropertyName: expression }), {
			workflowBinaryMode: mode,
			upstreamName: 'Form',
			items: [mode === 'combined' ? { jsonFiles: { '_files.photo': file } } : { binary: { photo: file } }],
		});
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image).toMatchObject({ fileName: 'phone.jpg', mimeType: 'image/jpeg' });
		expect(standIn.requests[0].image?.bytes.equals(photo)).toBe(true);
	});

	it('a path with no file names the paths that hold files', async () => {
		const { error, standIn } = await stepfun.run(edit('Add a hat', {}, { binaryPropertyName: 'photo' }), {
			...combined,
			items: [{ json: { email: 'ann@example.com' }, jsonFiles: { '_files.upload': upload(photo, 'phone.jpg') } }],
		});
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toBe('Input Binary Field: the item has no binary field "photo" (item 0)');
		expect((error as NodeOperationError).description).toBe("This item's binary fields are: _files.upload. Enter one of them.");
		expect(standIn.requests).toEqual([]);
	});

	it('an expression giving an object that is not a file says what to enter', async () => {
		const { error } = await stepfun.run(edit('Add a hat', {}, { binaryPropertyName: '={{ $json }}' }), {
			items: [{ json: { email: 'ann@example.com' }, binary: { data: upload(photo, 'phone.jpg') } }],
		});
		expect(error?.message).toBe('Input Binary Field: expected a field name or a file, got an object (item 0)');
		expect((error as NodeOperationError).description).toMatch(/e\.g\. \{\{ \$binary\.data \}\} or \{\{ \$json\._files\.photo \}\}/);
	});

	it('Keep Input Binary carries the upload along in combined mode; Include Input Fields copies fields, not files', async () => {
		const keep = await stepfun.run(edit('Add a hat', { keepInputBinary: true, outputBinaryField: 'edited' }, { binaryPropertyName: '_files.photo' }), {
			...combined,
			items: [{ json: { email: 'ann@example.com' }, jsonFiles: { '_files.photo': upload(photo, 'phone.jpg') } }],
		});
		expect(Object.keys(keep.items[0].files ?? {}).sort()).toEqual(['edited', 'photo']);
		expect(keep.items[0].files?.photo.bytes.equals(photo)).toBe(true);

		const fields = await stepfun.run(edit('Add a hat', { includeInputFields: true }, { binaryPropertyName: '_files.photo' }), {
			...combined,
			items: [{ json: { email: 'ann@example.com' }, jsonFiles: { '_files.photo': upload(photo, 'phone.jpg') } }],
		});
		expect(fields.items[0].json.email).toBe('ann@example.com');
		expect(Object.keys(fields.items[0].files ?? {})).toEqual(['data']);
	});
});

describe('the upload part says what the bytes are', () => {
	it('JPEG bytes named photo.png go up as photo.jpg, image/jpeg; the original name stays in the output', async () => {
		const { items, standIn } = await stepfun.run(edit('Add a hat'), {
			items: [{ binary: { data: upload(photo, 'photo.png', 'image/png') } }],
		});
		expect(standIn.requests[0].image).toMatchObject({ fileName: 'photo.jpg', mimeType: 'image/jpeg' });
		expect(items[0].json.inputFileName).toBe('photo.png');
	});

	it.each([
		['IMG_0042', 'IMG_0042.jpg'],
		['holiday.JPEG', 'holiday.JPEG'],
		['scan.final.version', 'scan.final.version.jpg'],
	])('a file named %s goes up as %s', async (name, sent) => {
		const { standIn } = await stepfun.run(edit('Add a hat'), { items: [{ binary: { data: upload(photo, name, 'application/octet-stream') } }] });
		expect(standIn.requests[0].image?.fileName).toBe(sent);
	});
});

describe('answers', () => {
	it('reports the seed sent when StepFun leaves it out, and names the file by it', async () => {
		stepfun.standIn.fault(GENERATIONS, {
			transform: (json: IDataObject) => {
				for (const entry of json.data as IDataObject[]) delete entry.seed;
				return json;
			},
		});
		const { items } = await stepfun.run(generate('A fox', { seed: 77 }));
		expect(items[0].json.seed).toBe(77);
		expect(items[0].binary?.data.fileName).toBe('stepfun-77.png');
	});

	const filtered = (entry: IDataObject) => ({ transform: (json: IDataObject) => ({ ...json, data: [{ seed: 5, finish_reason: 'content_filtered', ...entry }] }) });

	it.each([
		['broken base64', { b64_json: '***not base64***' }],
		['a link that is gone', { url: 'http://127.0.0.1:1/gone.png' }],
	])('"Skip" never fails on a filtered entry with %s', async (_, entry) => {
		stepfun.standIn.fault(GENERATIONS, filtered(entry));
		const { items, error } = await stepfun.run(generate('A fox', { onContentFiltered: 'skip' }));
		expect(error).toBeUndefined();
		expect(items).toEqual([]);
	});

	it.each([
		['broken base64', { b64_json: '***not base64***' }],
		['a link that is gone', { url: 'http://127.0.0.1:1/gone.png' }],
	])('"Output Item Without Image" outputs the metadata for a filtered entry with %s', async (_, entry) => {
		stepfun.standIn.fault(GENERATIONS, filtered(entry));
		const { items, error } = await stepfun.run(generate('A fox', { onContentFiltered: 'outputItem' }));
		expect(error).toBeUndefined();
		expect(items[0].json).toMatchObject({ seed: 5, finishReason: 'content_filtered' });
		expect(items[0].binary).toBeUndefined();
	});

	it('"Error" names moderation, not the broken data of the filtered entry', async () => {
		stepfun.standIn.fault(GENERATIONS, filtered({ b64_json: '***not base64***' }));
		const { error } = await stepfun.run(generate('A fox'));
		expect(error?.message).toBe('StepFun stopped the image at content moderation (finish reason content_filtered)');
	});
});

describe('Image URL', () => {
	let host: LoopbackServer;
	const png = makePng(40, 30, 'sale');
	beforeAll(async () => {
		host = await startLoopbackServer(() => ({ headers: { 'content-type': 'image/png' }, body: png }));
	});
	afterAll(async () => await host.close());

	it('a link with a bad percent-escape (…/100%_off.png) is downloaded and named as written', async () => {
		const { error, standIn } = await stepfun.run(edit('Add a hat', {}, { imageSource: 'url', imageUrl: `${host.url}/sale/100%_off.png` }));
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image).toMatchObject({ fileName: '100%_off.png', mimeType: 'image/png' });
	});
});
