import { describe, expect, it } from 'vitest';

import { decodePng, imageSize } from './stand-in/server.mjs';
import { API_KEY, generate, useStandIn } from './helpers/stepfun';
import { resultLinkLifetimeMs } from '../nodes/StepFunImage/shared/limits';

const stepfun = useStandIn();

describe('Generate', () => {
	it('sends model, prompt, size and response_format and outputs the PNG with its metadata', async () => {
		const { items, error, standIn } = await stepfun.run(generate('A red fox in snow'));
		expect(error).toBeUndefined();

		expect(standIn.requests).toHaveLength(1);
		const request = standIn.requests[0];
		expect(request.method).toBe('POST');
		expect(request.path).toBe('/v1/images/generations');
		expect(request.contentType).toMatch(/^application\/json/);
		expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
		// Only what the user set: no seed, steps, cfg_scale, n ...; response_format is the node's default.
		expect(request.json).toEqual({
			model: 'step-image-edit-2',
			prompt: 'A red fox in snow',
			size: '1024x1024',
			response_format: 'b64_json',
		});
		expect(request.unknownFields).toEqual([]);

		expect(items).toHaveLength(1);
		const [item] = items;
		const answer = request.responseJson;
		const sent = Buffer.from(answer.data[0].b64_json, 'base64');
		const binary = item.binary?.data;
		expect(binary?.bytes.equals(sent)).toBe(true);
		expect(binary?.mimeType).toBe('image/png');
		expect(binary?.fileExtension).toBe('png');
		expect(binary?.fileName).toBe(`stepfun-${answer.data[0].seed}.png`);
		expect(item.json).toEqual({
			seed: answer.data[0].seed,
			finishReason: 'success',
			created: answer.created,
			createdAt: new Date(answer.created * 1000).toISOString(),
			model: 'step-image-edit-2',
			prompt: 'A red fox in snow',
			operation: 'generate',
			width: 1024,
			height: 1024,
			mimeType: 'image/png',
			fileSize: sent.length,
			fileName: `stepfun-${answer.data[0].seed}.png`,
		});
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	it('sends every option exactly as the API wants it (types and names)', async () => {
		const { error, standIn } = await stepfun.run(
			generate(
				'Poster that says OPEN',
				{
					seed: 42,
					steps: 20,
					cfgScale: 4.5,
					negativePrompt: 'blurry, watermark',
					textMode: true,
					responseFormat: 'b64_json',
				},
				{ model: { __rl: true, mode: 'id', value: 'step-image-edit-2' }, size: '896x1184' },
			),
		);
		expect(error).toBeUndefined();
		expect(standIn.requests[0].json).toEqual({
			model: 'step-image-edit-2',
			prompt: 'Poster that says OPEN',
			size: '896x1184',
			seed: 42,
			steps: 20,
			cfg_scale: 4.5,
			negative_prompt: 'blurry, watermark',
			text_mode: true,
			response_format: 'b64_json',
		});
	});

	it('sends Text Mode off as JSON false when the user added it switched off', async () => {
		const { standIn } = await stepfun.run(generate('x', { textMode: false }));
		expect(standIn.requests[0].json.text_mode).toBe(false);
	});

	it.each([
		['1024x1024', 1024, 1024],
		['768x1360', 1360, 768],
		['1360x768', 768, 1360],
		['896x1184', 1184, 896],
		['1184x896', 896, 1184],
	])('size %s (height x width) gives an image %i wide and %i high', async (size, width, height) => {
		const { items, standIn } = await stepfun.run(generate('Mountains', {}, { size }));
		expect(standIn.requests[0].json.size).toBe(size);
		expect(items[0].json).toMatchObject({ width, height });
		const png = decodePng(items[0].binary!.data.bytes);
		expect([png.width, png.height]).toEqual([width, height]);
	});

	it('resolves expressions per item and outputs one image per item, paired to it', async () => {
		const { items, standIn } = await stepfun.run(generate('={{ "A " + $json.animal + " on the moon" }}'), {
			items: [{ json: { animal: 'cat' } }, { json: { animal: 'dog' } }, { json: { animal: 'owl' } }],
		});
		expect(standIn.requests.map((r) => r.json.prompt)).toEqual([
			'A cat on the moon',
			'A dog on the moon',
			'A owl on the moon',
		]);
		expect(items.map((i) => [i.json.prompt, i.pairedItem])).toEqual([
			['A cat on the moon', { item: 0 }],
			['A dog on the moon', { item: 1 }],
			['A owl on the moon', { item: 2 }],
		]);
	});

	it('in URL mode downloads the image at once, without the API key, and outputs the URL and until when it works', async () => {
		const { items, error, standIn } = await stepfun.run(generate('A lighthouse', { responseFormat: 'url' }));
		expect(error).toBeUndefined();
		expect(standIn.requests[0].json.response_format).toBe('url');
		const answer = standIn.requests[0].responseJson;
		expect(items[0].json.url).toBe(answer.data[0].url);
		// Two hours from when StepFun made it (a Base URL on no China host gets the shorter time).
		expect(items[0].json.urlExpiresAt).toBe(new Date((answer.created + 2 * 60 * 60) * 1000).toISOString());
		// Outside a tool run there is no summary to put the link in.
		expect(items[0].json).not.toHaveProperty('summary');
		expect(standIn.imageRequests).toHaveLength(1);
		expect(standIn.imageRequests[0].headers.authorization).toBeUndefined();
		expect(standIn.authorizationSeen).toBe(false);
		const bytes = items[0].binary!.data.bytes;
		expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 1024, height: 1024 });
		expect(items[0].json).toMatchObject({ mimeType: 'image/png', fileSize: bytes.length, width: 1024 });
	});

	it('does not forward the API key when the image URL redirects', async () => {
		stepfun.standIn.urlMode = 'redirect';
		const { items, error, standIn } = await stepfun.run(generate('A lighthouse', { responseFormat: 'url' }));
		expect(error).toBeUndefined();
		expect(standIn.imageRequests.map((r) => r.path)).toEqual([
			expect.stringMatching(/^\/redirect\//),
			expect.stringMatching(/^\/images\//),
		]);
		expect(standIn.authorizationSeen).toBe(false);
		expect(items[0].binary?.data.mimeType).toBe('image/png');
	});

	it('works the same with n8n in-memory binary mode', async () => {
		const { items, error } = await stepfun.run(generate('A boat'), { binaryMode: 'default' });
		expect(error).toBeUndefined();
		expect(imageSize(items[0].binary!.data.bytes)).toMatchObject({ width: 1024, height: 1024 });
	});
});

describe('How long a result link works, by where the key belongs', () => {
	const HOURS_2 = 2 * 60 * 60 * 1000;
	const DAYS_30 = 30 * 24 * 60 * 60 * 1000;
	it.each([
		['International', 'https://api.stepfun.ai/v1', HOURS_2],
		['China (the China docs say 30 days)', 'https://api.stepfun.com/v1', DAYS_30],
		['Step Plan on the China host', 'https://api.stepfun.com/step_plan/v1', DAYS_30],
		['Step Plan on the international host', 'https://api.stepfun.ai/step_plan/v1', HOURS_2],
		['a proxy: the shorter time', 'https://gateway.example.com/v1', HOURS_2],
		['a look-alike host is not StepFun China', 'https://api.notstepfun.com/v1', HOURS_2],
	])('%s: %s', (_name, baseUrl, lifetime) => {
		expect(resultLinkLifetimeMs(baseUrl)).toBe(lifetime);
	});
});
