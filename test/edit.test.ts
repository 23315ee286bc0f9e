import { describe, expect, it } from 'vitest';

import { decodePng, imageSize, makeJpeg, makePng, makeWebp } from './stand-in/server.mjs';
import { edit, useStandIn } from './helpers/stepfun';
import { startLoopbackServer } from './helpers/loopback-server.mjs';

const stepfun = useStandIn();

const photo = makePng(320, 200, 'holiday photo');

describe('Edit', () => {
	it('uploads the binary as multipart: model, prompt, the image part with its bytes, name and type', async () => {
		const { items, error, standIn } = await stepfun.run(edit('Add a rainbow'), {
			items: [{ json: {}, binary: { data: { bytes: photo, fileName: 'holiday.png', mimeType: 'image/png' } } }],
		});
		expect(error).toBeUndefined();
		const request = standIn.requests[0];
		expect(request.path).toBe('/v1/images/edits');
		expect(request.contentType).toMatch(/^multipart\/form-data; boundary=/);
		expect(request.fields).toEqual({
			model: 'step-image-edit-2',
			prompt: 'Add a rainbow',
			response_format: 'b64_json',
		});
		expect(request.image?.fileName).toBe('holiday.png');
		expect(request.image?.mimeType).toBe('image/png');
		expect(request.image?.bytes.equals(photo)).toBe(true);
		expect(request.unknownFields).toEqual([]);

		// The edit comes back at the input's size.
		const out = items[0];
		expect(out.json).toMatchObject({ operation: 'edit', prompt: 'Add a rainbow', width: 320, height: 200 });
		expect(decodePng(out.binary!.data.bytes)).toMatchObject({ width: 320, height: 200 });
		expect(out.pairedItem).toEqual({ item: 0 });
	});

	it('sends every option as a form field in the form StepFun parses', async () => {
		const { error, standIn } = await stepfun.run(
			edit('Make it night', {
				seed: 7,
				steps: 30,
				cfgScale: 2.5,
				negativePrompt: 'people',
				textMode: true,
				responseFormat: 'url',
			}),
			{ items: [{ binary: { data: { bytes: photo, fileName: 'a.png', mimeType: 'image/png' } } }] },
		);
		expect(error).toBeUndefined();
		expect(standIn.requests[0].fields).toEqual({
			model: 'step-image-edit-2',
			prompt: 'Make it night',
			seed: '7',
			steps: '30',
			cfg_scale: '2.5',
			negative_prompt: 'people',
			text_mode: 'true',
			response_format: 'url',
		});
	});

	it.each([
		['JPEG', makeJpeg(64, 48), 'image/jpeg', 'shot.jpg'],
		['WebP', makeWebp(64, 48), 'image/webp', 'shot.webp'],
	])('accepts %s input and passes its MIME type on', async (_, bytes, mimeType, fileName) => {
		const { error, standIn } = await stepfun.run(edit('Sharpen'), {
			items: [{ binary: { data: { bytes, fileName, mimeType } } }],
		});
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image).toMatchObject({ fileName, mimeType });
	});

	it('replaces a generic upstream MIME type by the sniffed one, and gives a bare name its extension', async () => {
		const { error, standIn } = await stepfun.run(edit('Sharpen'), {
			items: [{ binary: { data: { bytes: photo, fileName: 'download', mimeType: 'application/octet-stream' } } }],
		});
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image).toMatchObject({ fileName: 'download.png', mimeType: 'image/png' });
	});

	it('reads the binary from the field named in Input Binary Field', async () => {
		const { error, standIn } = await stepfun.run(edit('Crop', {}, { binaryPropertyName: 'upload' }), {
			items: [{ binary: { upload: { bytes: photo, fileName: 'form.png', mimeType: 'image/png' } } }],
		});
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image?.fileName).toBe('form.png');
	});

	it('works with n8n in-memory binary mode too', async () => {
		const { items, error, standIn } = await stepfun.run(edit('Crop'), {
			binaryMode: 'default',
			items: [{ binary: { data: { bytes: photo, fileName: 'x.png', mimeType: 'image/png' } } }],
		});
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image?.bytes.equals(photo)).toBe(true);
		expect(imageSize(items[0].binary!.data.bytes)).toMatchObject({ width: 320, height: 200 });
	});

	it('takes the image from a base64 string or data URL (Image Source: Base64)', async () => {
		const { error, standIn } = await stepfun.run(
			edit('Blur', {}, { imageSource: 'base64', imageBase64: '={{ $json.picture }}' }),
			{ items: [{ json: { picture: `data:image/png;base64,${photo.toString('base64')}` } }] },
		);
		expect(error).toBeUndefined();
		expect(standIn.requests[0].image).toMatchObject({ fileName: 'image.png', mimeType: 'image/png' });
		expect(standIn.requests[0].image?.bytes.equals(photo)).toBe(true);
	});

	it('downloads the image from a URL without sending the StepFun key (Image Source: URL)', async () => {
		const host = await startLoopbackServer(() => ({
			status: 200,
			headers: { 'content-type': 'image/png' },
			body: photo,
		}));
		try {
			const { error, standIn } = await stepfun.run(
				edit('Blur', {}, { imageSource: 'url', imageUrl: `${host.url}/photos/beach.png` }),
			);
			expect(error).toBeUndefined();
			expect(host.requests).toHaveLength(1);
			expect(host.requests[0].headers.authorization).toBeUndefined();
			expect(standIn.requests[0].image).toMatchObject({ fileName: 'beach.png', mimeType: 'image/png' });
			expect(standIn.requests[0].image?.bytes.equals(photo)).toBe(true);
		} finally {
			await host.close();
		}
	});
});
