// Proves the StepFun stand-in (test/stand-in/server.mjs) is as strict as StepFun's contract:
// right image sizes, 400 for every invalid field of the image and chat endpoints, answers that
// show what arrived, the account balance, 401 with a trace id, scripted faults, the account's
// rate limits, latency jitter, and an image host that refuses the API key.
import { sleep } from 'n8n-workflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startLoopbackServer } from './helpers/loopback-server.mjs';
import {
	DEFAULT_ACCOUNT,
	decodePng,
	gifInfo,
	imageSize,
	makeGif,
	makeJpeg,
	makePng,
	makeWebp,
	MAX_CHAT_IMAGE_BYTES,
	startStandIn,
	type StandIn,
} from './stand-in/server.mjs';

let s: StandIn;
const KEY = 'sk-test-key';
const auth = { authorization: `Bearer ${KEY}` };

beforeAll(async () => {
	s = await startStandIn({ apiKey: KEY });
});
afterAll(async () => {
	await s.close();
});
beforeEach(() => {
	s.reset();
});

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

async function generate(body: unknown, headers: Record<string, string> = {}) {
	const res = await fetch(`${s.baseUrl}/v1/images/generations`, {
		method: 'POST',
		headers: { ...auth, 'content-type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
	return { res, json: await res.json().catch(() => undefined) };
}

type Part = string | { bytes: Uint8Array; name: string; type: string };

async function edit(parts: [string, Part][]) {
	const form = new FormData();
	for (const [name, value] of parts) {
		if (typeof value === 'string') form.append(name, value);
		else
			form.append(name, new Blob([new Uint8Array(value.bytes)], { type: value.type }), value.name);
	}
	const res = await fetch(`${s.baseUrl}/v1/images/edits`, {
		method: 'POST',
		headers: auth,
		body: form,
	});
	return { res, json: await res.json().catch(() => undefined) };
}

const png = (w: number, h: number) => ({
	bytes: makePng(w, h, `input-${w}x${h}`),
	name: 'in.png',
	type: 'image/png',
});
const base = { model: 'step-image-edit-2', prompt: 'a red fox' };
const editBase: [string, Part][] = [
	['model', 'step-image-edit-2'],
	['prompt', 'add a hat'],
];

describe('generations', () => {
	it.each([
		['1024x1024', 1024, 1024],
		['768x1360', 1360, 768],
		['896x1184', 1184, 896],
		['1360x768', 768, 1360],
		['1184x896', 896, 1184],
	])(
		'size %s gives a decodable PNG %i wide, %i high (HEIGHTxWIDTH)',
		async (size, width, height) => {
			const { res, json } = await generate({
				...base,
				size,
				response_format: 'b64_json',
				seed: 42,
			});
			expect(res.status).toBe(200);
			expect(json.data).toHaveLength(1);
			expect(json.data[0]).toMatchObject({ seed: 42, finish_reason: 'success' });
			expect(json.data[0].url).toBeUndefined();
			const image = decodePng(b64(json.data[0].b64_json));
			expect([image.width, image.height]).toEqual([width, height]);
			expect(typeof json.created).toBe('number');
		},
	);

	it('defaults to url mode; the image host serves the PNG without seeing the key', async () => {
		const { res, json } = await generate(base);
		expect(res.status).toBe(200);
		const item = json.data[0];
		expect(item.b64_json).toBeUndefined();
		expect(Number.isInteger(item.seed) && item.seed >= 0 && item.seed <= 2147483647).toBe(true);
		expect(item.url.startsWith(`${s.imageBaseUrl}/images/`)).toBe(true);
		const img = await fetch(item.url);
		expect(img.status).toBe(200);
		expect(img.headers.get('content-type')).toBe('image/png');
		expect(imageSize(new Uint8Array(await img.arrayBuffer()))).toEqual({
			type: 'png',
			width: 1024,
			height: 1024,
		});
		expect(s.authorizationSeen).toBe(false);
		expect((await fetch(`${s.imageBaseUrl}/images/0123abcd.png`)).status).toBe(404);
	});

	it('is deterministic per input and differs between inputs', async () => {
		const one = await generate({ ...base, seed: 7, response_format: 'b64_json' });
		const two = await generate({ ...base, seed: 7, response_format: 'b64_json' });
		const other = await generate({
			...base,
			prompt: 'a blue fox',
			seed: 7,
			response_format: 'b64_json',
		});
		expect(one.json.data[0].b64_json).toBe(two.json.data[0].b64_json);
		expect(one.json.data[0].b64_json).not.toBe(other.json.data[0].b64_json);
	});

	it('accepts all optional fields at their bounds and records unknown fields', async () => {
		const body = {
			...base,
			prompt: '🦊'.repeat(512), // 512 code points, 1024 UTF-16 units
			size: '1360x768',
			n: 1,
			response_format: 'b64_json',
			seed: 2147483647,
			steps: 50,
			cfg_scale: 10,
			negative_prompt: '',
			text_mode: true,
			quality: 'hd',
			style: 'vivid',
		};
		const { res } = await generate(body);
		expect(res.status).toBe(200);
		const rec = s.requests[0];
		expect(rec.json).toEqual(body);
		expect(rec.unknownFields).toEqual(['quality', 'style']);
		expect(rec.status).toBe(200);
		expect(rec.headers.authorization).toBe(`Bearer ${KEY}`);
	});

	it.each<[string, unknown]>([
		['model missing', { prompt: 'x' }],
		['model empty', { ...base, model: '' }],
		['model not a string', { ...base, model: 2 }],
		['prompt missing', { model: base.model }],
		['prompt empty', { ...base, prompt: '' }],
		['prompt whitespace only', { ...base, prompt: ' \n\t ' }],
		['prompt 513 code points', { ...base, prompt: '🦊'.repeat(513) }],
		['prompt not a string', { ...base, prompt: ['x'] }],
		['size width x height typo', { ...base, size: '1024*1024' }],
		['size not offered', { ...base, size: '512x512' }],
		['n 2', { ...base, n: 2 }],
		['n as string', { ...base, n: '1' }],
		['response_format png', { ...base, response_format: 'png' }],
		['seed as string', { ...base, seed: '5' }],
		['seed negative', { ...base, seed: -1 }],
		['seed too large', { ...base, seed: 2147483648 }],
		['seed fractional', { ...base, seed: 1.5 }],
		['seed null', { ...base, seed: null }],
		['steps 0', { ...base, steps: 0 }],
		['steps 51', { ...base, steps: 51 }],
		['cfg_scale 0.5', { ...base, cfg_scale: 0.5 }],
		['cfg_scale 10.5', { ...base, cfg_scale: 10.5 }],
		['cfg_scale as string', { ...base, cfg_scale: '7' }],
		['negative_prompt 513', { ...base, negative_prompt: 'n'.repeat(513) }],
		['text_mode as string', { ...base, text_mode: 'true' }],
		['text_mode as number', { ...base, text_mode: 1 }],
		['body is an array', [base]],
		['body is not JSON', '{"model":'],
	])('400 request_params_invalid: %s', async (_name, body) => {
		const { res, json } = await generate(body);
		expect(res.status).toBe(400);
		expect(json.error.type).toBe('request_params_invalid');
		expect(typeof json.error.message).toBe('string');
		expect(res.headers.get('x-trace-id')).toMatch(/^trace-/);
		expect(s.requests.at(-1)?.status).toBe(400);
	});

	it('400 when the content type is not JSON', async () => {
		const { res, json } = await generate(base, { 'content-type': 'text/plain' });
		expect(res.status).toBe(400);
		expect(json.error.type).toBe('request_params_invalid');
	});
});

describe('edits', () => {
	it.each([
		['png', png(37, 23)],
		['jpeg', { bytes: makeJpeg(640, 480), name: 'photo.jpg', type: 'image/jpeg' }],
		['webp', { bytes: makeWebp(300, 4096), name: 'in.webp', type: 'image/webp' }],
	])('%s input: output has the input size; the file is recorded unchanged', async (_t, file) => {
		const { res, json } = await edit([
			...editBase,
			['image', file],
			['response_format', 'b64_json'],
			['seed', '1'],
			['steps', '8'],
			['cfg_scale', '1.0'],
			['text_mode', 'True'],
			['negative_prompt', 'blur'],
			['size', 'ignored'],
			['n', '1'],
		]);
		expect(res.status).toBe(200);
		expect(json.data[0]).toMatchObject({ seed: 1, finish_reason: 'success' });
		const input = imageSize(file.bytes);
		const out = decodePng(b64(json.data[0].b64_json));
		expect([out.width, out.height]).toEqual([input?.width, input?.height]);
		const rec = s.requests[0];
		expect(rec.image?.fileName).toBe(file.name);
		expect(rec.image?.mimeType).toBe(file.type);
		expect(Buffer.compare(rec.image!.bytes, Buffer.from(file.bytes))).toBe(0);
		expect(rec.fields).toMatchObject({
			model: 'step-image-edit-2',
			prompt: 'add a hat',
			text_mode: 'True',
		});
		expect(rec.unknownFields).toEqual([]);
	});

	it('defaults to url mode, output differs with the input bytes, unknown fields recorded', async () => {
		const a = await edit([...editBase, ['image', png(8, 8)], ['seed', '3'], ['mask', 'x']]);
		const b = await edit([...editBase, ['image', png(8, 9)], ['seed', '3']]);
		expect(a.res.status).toBe(200);
		expect(a.json.data[0].url).toMatch(/\/images\/[0-9a-f]+\.png$/);
		const [ia, ib] = await Promise.all(
			[a, b].map(
				async (r) => new Uint8Array(await (await fetch(r.json.data[0].url)).arrayBuffer()),
			),
		);
		expect(imageSize(ia)).toMatchObject({ width: 8, height: 8 });
		expect(imageSize(ib)).toMatchObject({ width: 8, height: 9 });
		expect(s.requests[0].unknownFields).toEqual(['mask']);
	});

	const truncated = makePng(16, 16, 't');
	it.each<[string, [string, Part][]]>([
		['image missing', editBase],
		[
			'image as text (base64)',
			[...editBase, ['image', Buffer.from(makePng(4, 4)).toString('base64')]],
		],
		['two images', [...editBase, ['image', png(4, 4)], ['image', png(4, 4)]]],
		[
			'image truncated (no IEND)',
			[
				...editBase,
				['image', { ...png(4, 4), bytes: truncated.subarray(0, truncated.length - 12) }],
			],
		],
		[
			'image not an image',
			[
				...editBase,
				[
					'image',
					{
						bytes: new TextEncoder().encode('hello world, not a png'),
						name: 'a.png',
						type: 'image/png',
					},
				],
			],
		],
		['image too wide (PNG 4097x1)', [...editBase, ['image', png(4097, 1)]]],
		[
			'image too high (JPEG 10x5000)',
			[...editBase, ['image', { bytes: makeJpeg(10, 5000), name: 'a.jpg', type: 'image/jpeg' }]],
		],
		[
			'webp with wrong RIFF length',
			[
				...editBase,
				['image', { bytes: makeWebp(4, 4).subarray(0, 25), name: 'a.webp', type: 'image/webp' }],
			],
		],
		[
			'model missing',
			[
				['prompt', 'x'],
				['image', png(4, 4)],
			],
		],
		[
			'prompt missing',
			[
				['model', 'm'],
				['image', png(4, 4)],
			],
		],
		[
			'prompt whitespace',
			[
				['model', 'm'],
				['prompt', '   '],
				['image', png(4, 4)],
			],
		],
		[
			'prompt 513',
			[
				['model', 'm'],
				['prompt', 'p'.repeat(513)],
				['image', png(4, 4)],
			],
		],
		['seed 5.0', [...editBase, ['image', png(4, 4)], ['seed', '5.0']]],
		['seed -1', [...editBase, ['image', png(4, 4)], ['seed', '-1']]],
		['seed too large', [...editBase, ['image', png(4, 4)], ['seed', '2147483648']]],
		['steps 51', [...editBase, ['image', png(4, 4)], ['steps', '51']]],
		['steps empty', [...editBase, ['image', png(4, 4)], ['steps', '']]],
		['cfg_scale abc', [...editBase, ['image', png(4, 4)], ['cfg_scale', 'abc']]],
		['cfg_scale 11', [...editBase, ['image', png(4, 4)], ['cfg_scale', '11']]],
		['text_mode yes', [...editBase, ['image', png(4, 4)], ['text_mode', 'yes']]],
		['n 2', [...editBase, ['image', png(4, 4)], ['n', '2']]],
		['response_format png', [...editBase, ['image', png(4, 4)], ['response_format', 'png']]],
		[
			'negative_prompt 513',
			[...editBase, ['image', png(4, 4)], ['negative_prompt', 'n'.repeat(513)]],
		],
	])('400 request_params_invalid: %s', async (_name, parts) => {
		const { res, json } = await edit(parts);
		expect(res.status).toBe(400);
		expect(json.error.type).toBe('request_params_invalid');
		expect(s.requests.at(-1)?.status).toBe(400);
	});

	it('image errors say why', async () => {
		expect((await edit([...editBase, ['image', png(4097, 1)]])).json.error.message).toMatch(
			/image too large/,
		);
		const bad = { bytes: new Uint8Array(64), name: 'a.png', type: 'image/png' };
		expect((await edit([...editBase, ['image', bad]])).json.error.message).toMatch(
			/image cannot be read/,
		);
	});

	it('400 when the body is JSON instead of multipart', async () => {
		const res = await fetch(`${s.baseUrl}/v1/images/edits`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify({ ...base, image: 'data:image/png;base64,AAAA' }),
		});
		expect(res.status).toBe(400);
		expect((await res.json()).error.type).toBe('request_params_invalid');
	});
});

describe('auth, routes, models', () => {
	it.each<[string, Record<string, string>]>([
		['wrong key', { authorization: 'Bearer sk-wrong' }],
		['no header', {}],
		['no Bearer scheme', { authorization: KEY }],
	])('401 on %s, with a trace id', async (_name, headers) => {
		const res = await fetch(`${s.baseUrl}/v1/models`, { headers });
		expect(res.status).toBe(401);
		expect(await res.json()).toEqual({
			error: { message: 'Incorrect API key provided', type: 'invalid_api_key' },
		});
		const trace = res.headers.get('x-trace-id');
		expect(trace).toMatch(/^trace-/);
		expect(s.requests[0]).toMatchObject({ status: 401, traceId: trace, path: '/v1/models' });
	});

	it('trace ids are unique; apiKey is settable and restored by reset()', async () => {
		s.apiKey = 'sk-other';
		const a = await fetch(`${s.baseUrl}/v1/models`, {
			headers: { authorization: 'Bearer sk-other' },
		});
		const b = await fetch(`${s.baseUrl}/v1/models`, { headers: auth });
		expect([a.status, b.status]).toEqual([200, 401]);
		expect(a.headers.get('x-trace-id')).not.toBe(b.headers.get('x-trace-id'));
		s.reset();
		expect(s.apiKey).toBe(KEY);
	});

	it('GET /v1/models lists models and can be overridden', async () => {
		const res = await fetch(`${s.baseUrl}/v1/models`, { headers: auth });
		const json = await res.json();
		expect(json.object).toBe('list');
		expect(json.data.map((m: { id: string }) => m.id)).toEqual([
			'step-1-8k',
			'step-image-edit-2',
			'step-2-16k',
		]);
		s.models = [{ id: 'only', object: 'model', created: 1, owned_by: 'x' }];
		const again = await (await fetch(`${s.baseUrl}/v1/models`, { headers: auth })).json();
		expect(again.data).toEqual(s.models);
	});

	it('404 for unknown paths and 405 for wrong methods', async () => {
		const unknown = await fetch(`${s.baseUrl}/v1/images/variations`, {
			method: 'POST',
			headers: auth,
		});
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toEqual({ error: { message: 'Not Found', type: 'not_found' } });
		expect((await fetch(`${s.baseUrl}/v1/images/generations`, { headers: auth })).status).toBe(405);
		expect((await fetch(`${s.baseUrl}/v1/models`, { method: 'POST', headers: auth })).status).toBe(
			405,
		);
	});
});

describe('faults and delays', () => {
	const path = '/v1/images/generations';
	const ok = { ...base, response_format: 'b64_json' };

	it('scripted statuses are one-shot and consumed in order', async () => {
		s.fault(
			path,
			{ status: 503, body: { error: { message: 'busy', type: 'server_error' } } },
			{ status: 502, body: '<html>gateway</html>' },
		);
		const first = await generate(ok);
		expect(first.res.status).toBe(503);
		expect(first.json.error.message).toBe('busy');
		expect(first.res.headers.get('x-trace-id')).toMatch(/^trace-/);
		const second = await generate(ok);
		expect(second.res.status).toBe(502);
		expect(second.json).toBeUndefined();
		expect((await generate(ok)).res.status).toBe(200);
		expect(s.requests.map((r) => [r.status, r.faulted])).toEqual([
			[503, true],
			[502, true],
			[200, false],
		]);
	});

	it('reset destroys the socket; the request is still recorded', async () => {
		s.fault(path, { reset: true });
		await expect(generate(ok)).rejects.toThrow();
		expect(s.requests[0]).toMatchObject({ status: 0, faulted: true });
		expect(s.requests[0].json).toBeUndefined();
		expect((await generate(ok)).res.status).toBe(200);
	});

	it('hang never answers', async () => {
		s.fault('/v1/models', { hang: true });
		const res = fetch(`${s.baseUrl}/v1/models`, {
			headers: auth,
			signal: AbortSignal.timeout(150),
		});
		await expect(res).rejects.toThrow();
		expect(s.requests[0].status).toBe(0);
	});

	it('transform alters the normal answer after normal validation', async () => {
		s.fault(path, {
			transform: (json) => {
				json.data[0].finish_reason = 'content_filtered';
				delete json.data[0].b64_json;
			},
		});
		const { res, json } = await generate({ ...ok, seed: 9, extra: true });
		expect(res.status).toBe(200);
		expect(json.data[0]).toEqual({ seed: 9, finish_reason: 'content_filtered' });
		expect(s.requests[0].unknownFields).toEqual(['extra']);
		s.fault(path, { transform: () => ({ created: 1, data: [] }) });
		expect((await generate({ ...ok, seed: 'bad' })).res.status).toBe(400); // consumed; errors pass through
		expect((await generate(ok)).json.data).toHaveLength(1); // normal behaviour resumes
		s.fault(path, { transform: () => ({ created: 1, data: [] }) });
		expect((await generate(ok)).json).toEqual({ created: 1, data: [] });
	});

	it('delayMs delays a normal answer; setDelay delays all', async () => {
		s.fault(path, { delayMs: 120 });
		let t = performance.now();
		expect((await generate(ok)).res.status).toBe(200);
		expect(performance.now() - t).toBeGreaterThanOrEqual(100);
		s.setDelay(60);
		t = performance.now();
		await Promise.all([generate(ok), generate(ok), generate(ok)]);
		const elapsed = performance.now() - t;
		expect(elapsed).toBeGreaterThanOrEqual(50);
		expect(elapsed).toBeLessThan(1000); // concurrent, not serialised
	});
});

describe('image host', () => {
	it('rejects an Authorization header and flags it', async () => {
		const { json } = await generate(base);
		const res = await fetch(json.data[0].url, { headers: auth });
		expect(res.status).toBe(400);
		expect(s.authorizationSeen).toBe(true);
		expect(s.imageRequests[0].headers.authorization).toBe(`Bearer ${KEY}`);
	});

	it('redirect mode answers 302 to the image; imageFault scripts answers', async () => {
		s.urlMode = 'redirect';
		const { json } = await generate(base);
		expect(json.data[0].url).toContain('/redirect/');
		const manual = await fetch(json.data[0].url, { redirect: 'manual' });
		expect(manual.status).toBe(302);
		const followed = await fetch(json.data[0].url);
		expect(followed.status).toBe(200);
		expect(s.imageRequests.map((r) => r.status)).toEqual([302, 302, 200]);
		s.imageFault({ status: 500, body: 'oops' });
		expect((await fetch(json.data[0].url.replace('/redirect/', '/images/'))).status).toBe(500);
		expect(s.authorizationSeen).toBe(false);
	});
});

const CHAT = '/v1/chat/completions';
const GENERATIONS = '/v1/images/generations';
const dataUrl = (type: string, bytes: Uint8Array) =>
	`data:image/${type};base64,${Buffer.from(bytes).toString('base64')}`;
const textPart = (text: string) => ({ type: 'text', text });
const imagePart = (url: string, detail?: string) => ({
	type: 'image_url',
	image_url: detail ? { url, detail } : { url },
});
const ask = (...parts: unknown[]) => ({ role: 'user', content: parts });
const smallPng = dataUrl('png', makePng(40, 30, 'chat'));
const chatBase = {
	model: 'step-3.7-flash',
	messages: [ask(textPart('What is in the picture?'), imagePart(smallPng))],
};

async function chat(body: unknown, headers: Record<string, string> = {}) {
	const res = await fetch(`${s.baseUrl}${CHAT}`, {
		method: 'POST',
		headers: { ...auth, 'content-type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
	return { res, json: await res.json().catch(() => undefined) };
}

/** Polls (briefly) until the stand-in has seen what the test waits for; never asserts time. */
async function until(condition: () => boolean) {
	for (let attempt = 0; attempt < 400 && !condition(); attempt++) await sleep(5);
	expect(condition()).toBe(true);
}

describe('chat completions', () => {
	it('answers with what arrived: the prompt and each image with its type and size; reasoning for step-3 models', async () => {
		const body = {
			model: 'step-3.7-flash',
			messages: [
				{ role: 'system', content: 'Answer briefly.' },
				ask(
					textPart('Describe these'),
					imagePart(dataUrl('png', makePng(40, 30, 'a'))),
					imagePart(dataUrl('jpeg', makeJpeg(640, 480)), 'high'),
					imagePart(dataUrl('webp', makeWebp(300, 200))),
					imagePart(dataUrl('gif', makeGif(12, 34)), 'low'),
				),
			],
			temperature: 0.5,
			top_p: 0.9,
			max_tokens: 1000,
			frequency_penalty: 0,
			n: 1,
			stop: ['\n\n'],
			reasoning_effort: 'high',
			response_format: { type: 'text' },
			stream: false,
			tools: [],
		};
		const { res, json } = await chat(body);
		expect(res.status).toBe(200);
		expect(res.headers.get('x-trace-id')).toMatch(/^trace-/);
		expect(json).toMatchObject({ object: 'chat.completion', model: 'step-3.7-flash' });
		expect(json.id).toMatch(/^chatcmpl-/);
		expect(Number.isInteger(json.created)).toBe(true);
		expect(json.choices).toHaveLength(1);
		const [choice] = json.choices;
		expect(choice.index).toBe(0);
		expect(choice.finish_reason).toBe('stop');
		expect(choice.message.role).toBe('assistant');
		expect(choice.message.content).toBe(
			'The stand-in received the prompt "Describe these" with 4 images: png 40x30, jpeg 640x480, webp 300x200, gif 12x34. System message: "Answer briefly.".',
		);
		expect(choice.message.reasoning).toContain('effort high');
		expect(choice.message.reasoning_content).toBeUndefined();
		const { usage } = json;
		expect(Object.keys(usage).sort()).toEqual([
			'cached_tokens',
			'completion_tokens',
			'prompt_tokens',
			'total_tokens',
		]);
		expect(usage.prompt_tokens).toBeGreaterThan(4 * 400); // four images
		expect(usage.cached_tokens).toBe(0);
		expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);

		const rec = s.requests[0];
		expect(rec.json).toEqual(body);
		expect(rec.unknownFields).toEqual(['tools']);
		expect(rec.responseJson).toEqual(json);
		expect(
			rec.chatImages?.map(({ where, source, mimeType, type, width, height, frames, detail }) => ({
				where,
				source,
				mimeType,
				type,
				width,
				height,
				frames,
				detail,
			})),
		).toEqual([
			{
				where: 'messages[1].content[1].image_url',
				source: 'data',
				mimeType: 'image/png',
				type: 'png',
				width: 40,
				height: 30,
				frames: 1,
				detail: 'low',
			},
			{
				where: 'messages[1].content[2].image_url',
				source: 'data',
				mimeType: 'image/jpeg',
				type: 'jpeg',
				width: 640,
				height: 480,
				frames: 1,
				detail: 'high',
			},
			{
				where: 'messages[1].content[3].image_url',
				source: 'data',
				mimeType: 'image/webp',
				type: 'webp',
				width: 300,
				height: 200,
				frames: 1,
				detail: 'low',
			},
			{
				where: 'messages[1].content[4].image_url',
				source: 'data',
				mimeType: 'image/gif',
				type: 'gif',
				width: 12,
				height: 34,
				frames: 1,
				detail: 'low',
			},
		]);
		expect(rec.chatImages?.[1].bytes.equals(makeJpeg(640, 480))).toBe(true);
		expect(rec.chatImages?.[1].byteLength).toBe(makeJpeg(640, 480).length);
	});

	it('is deterministic, accepts a plain string prompt, and gives no reasoning for older vision models', async () => {
		const body = {
			model: 'step-1o-turbo-vision',
			messages: [{ role: 'user', content: 'Hello there' }],
		};
		const one = await chat(body);
		const two = await chat(body);
		expect(one.res.status).toBe(200);
		expect(one.json.choices[0].message).toEqual({
			role: 'assistant',
			content: 'The stand-in received the prompt "Hello there" with 0 images.',
		});
		expect(two.json.choices).toEqual(one.json.choices);
		expect(two.json.usage).toEqual(one.json.usage);
		expect(two.json.id).not.toBe(one.json.id);
		expect(s.requests[0].chatImages).toEqual([]);
	});

	it('JSON mode answers a JSON object: caption, tags and the images it saw', async () => {
		const { json } = await chat({
			...chatBase,
			messages: [
				ask(
					textPart('Caption and tag'),
					imagePart(dataUrl('jpeg', makeJpeg(64, 48))),
					imagePart(smallPng, 'high'),
				),
			],
			response_format: { type: 'json_object' },
		});
		expect(JSON.parse(json.choices[0].message.content)).toEqual({
			caption: 'Stand-in caption for "Caption and tag"',
			tags: ['stand-in', 'jpeg', 'png'],
			images: [
				{ type: 'jpeg', width: 64, height: 48, bytes: makeJpeg(64, 48).length, detail: 'low' },
				{
					type: 'png',
					width: 40,
					height: 30,
					bytes: Buffer.from(smallPng.split(',')[1], 'base64').length,
					detail: 'high',
				},
			],
		});
		expect(json.choices[0].finish_reason).toBe('stop');
	});

	it('max_tokens below what the answer needs cuts it and says finish_reason length', async () => {
		const full = await chat({ ...chatBase, model: 'step-1v-8k' });
		const cut = await chat({ ...chatBase, model: 'step-1v-8k', max_tokens: 5 });
		expect(cut.json.choices[0].finish_reason).toBe('length');
		expect(cut.json.choices[0].message.content).toBe(
			full.json.choices[0].message.content.slice(0, 20),
		);
		expect(cut.json.usage.completion_tokens).toBe(5);
		// A reasoning model spends the budget on reasoning first: nothing is left for the answer.
		const reasoned = await chat({ ...chatBase, max_tokens: 3 });
		expect(reasoned.json.choices[0]).toMatchObject({
			finish_reason: 'length',
			message: { content: '' },
		});
		expect(reasoned.json.choices[0].message.reasoning).toHaveLength(12);
		// Enough tokens: the whole answer.
		const enough = await chat({
			...chatBase,
			model: 'step-1v-8k',
			max_tokens: full.json.usage.completion_tokens,
		});
		expect(enough.json.choices[0]).toEqual(full.json.choices[0]);
	});

	it('scripts the reasoning quirks: the answer only in reasoning, or in reasoning_content; reset() restores', async () => {
		const normal = (await chat(chatBase)).json.choices[0].message;
		s.chat.answerInReasoning = true;
		expect((await chat(chatBase)).json.choices[0].message).toEqual({
			role: 'assistant',
			content: '',
			reasoning: normal.content,
		});
		s.chat = { reasoningField: 'reasoning_content' };
		const other = (await chat(chatBase)).json.choices[0].message;
		expect(other).toEqual({
			role: 'assistant',
			content: normal.content,
			reasoning_content: normal.reasoning,
		});
		s.reset();
		expect((await chat(chatBase)).json.choices[0].message).toEqual(normal);
	});

	it('downloads an http(s) image URL as StepFun would, without the API key', async () => {
		const generated = await generate(base);
		const imageUrl: string = generated.json.data[0].url;
		const { res, json } = await chat({
			...chatBase,
			messages: [ask(textPart('And this?'), imagePart(imageUrl, 'high'))],
		});
		expect(res.status).toBe(200);
		expect(json.choices[0].message.content).toContain('with 1 image: png 1024x1024');
		expect(s.imageRequests.map((r) => [r.method, r.status, r.headers.authorization])).toEqual([
			['GET', 200, undefined],
		]);
		expect(s.requests[1].chatImages?.[0]).toMatchObject({
			source: 'url',
			url: imageUrl,
			mimeType: 'image/png',
			type: 'png',
			detail: 'high',
		});
		expect(s.authorizationSeen).toBe(false);
	});

	describe('an image URL that cannot be used: 400 saying it could not be downloaded', () => {
		it.each<
			[string, { status?: number; body?: unknown; headers?: Record<string, string> }, RegExp]
		>([
			['404', { status: 404, body: 'Not Found' }, /HTTP 404/],
			[
				'not an image',
				{ body: '<html>a page</html>', headers: { 'content-type': 'image/png' } },
				/not a JPEG, PNG, WebP or static GIF image/,
			],
			[
				'a truncated PNG',
				{ body: makePng(16, 16, 'cut').subarray(0, 60), headers: { 'content-type': 'image/png' } },
				/not a JPEG, PNG, WebP or static GIF image/,
			],
		])('%s', async (_name, answer, reason) => {
			const host = await startLoopbackServer(() => answer);
			try {
				const url = `${host.url}/photo.png`;
				const { res, json } = await chat({
					...chatBase,
					messages: [ask(textPart('x'), imagePart(url))],
				});
				expect(res.status).toBe(400);
				expect(json.error.type).toBe('request_params_invalid');
				expect(json.error.message).toContain(`image could not be downloaded from ${url}`);
				expect(json.error.message).toMatch(reason);
				expect(host.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
					['GET', '/photo.png', undefined],
				]);
			} finally {
				await host.close();
			}
		});

		it('nothing listening', async () => {
			const host = await startLoopbackServer();
			await host.close();
			const { res, json } = await chat({
				...chatBase,
				messages: [ask(textPart('x'), imagePart(`${host.url}/gone.png`))],
			});
			expect(res.status).toBe(400);
			expect(json.error.message).toMatch(
				/^messages\[0\]\.content\[1\]\.image_url: image could not be downloaded from http:\/\/127\.0\.0\.1:\d+\/gone\.png: ECONNREFUSED$/,
			);
		});

		it('no answer within the download timeout', async () => {
			const host = await startLoopbackServer(() => new Promise(() => {}));
			s.chat.downloadTimeoutMs = 100;
			try {
				const { res, json } = await chat({
					...chatBase,
					messages: [ask(textPart('x'), imagePart(`${host.url}/slow.png`))],
				});
				expect(res.status).toBe(400);
				expect(json.error.message).toMatch(
					/could not be downloaded from .*\/slow\.png: no answer within 100 ms$/,
				);
			} finally {
				await host.close();
			}
		});
	});

	const one = (content: unknown) => ({
		model: 'step-3.7-flash',
		messages: [{ role: 'user', content }],
	});
	const withImage = (url: string, detail?: string) => one([textPart('x'), imagePart(url, detail)]);
	it.each<[string, unknown, string | RegExp]>([
		['body is not JSON', '{"model":', 'request body is not valid JSON'],
		['body is an array', [chatBase], 'request body must be a JSON object'],
		['model missing', { messages: chatBase.messages }, 'model is required'],
		['model empty', { ...chatBase, model: '' }, 'model must be a non-empty string'],
		['model not a string', { ...chatBase, model: 3 }, 'model must be a non-empty string'],
		['messages missing', { model: 'm' }, 'messages must be a non-empty array'],
		['messages empty', { model: 'm', messages: [] }, 'messages must be a non-empty array'],
		[
			'messages an object',
			{ model: 'm', messages: { role: 'user', content: 'x' } },
			'messages must be a non-empty array',
		],
		[
			'a message not an object',
			{ model: 'm', messages: ['hi'] },
			'messages[0] must be an object with role and content',
		],
		[
			'role tool',
			{ model: 'm', messages: [{ role: 'tool', content: 'x' }] },
			'messages[0].role must be one of system, user, assistant (got "tool")',
		],
		[
			'role missing',
			{ model: 'm', messages: [{ content: 'x' }] },
			'messages[0].role must be one of system, user, assistant (got undefined)',
		],
		[
			'role developer after system',
			{
				model: 'm',
				messages: [
					{ role: 'system', content: 's' },
					{ role: 'developer', content: 'x' },
				],
			},
			/^messages\[1\]\.role must be one of/,
		],
		[
			'user content a number',
			one(42),
			'messages[0].content must be a string or an array of content parts',
		],
		[
			'user content an object',
			one({ type: 'text', text: 'x' }),
			'messages[0].content must be a string or an array of content parts',
		],
		[
			'user content missing',
			{ model: 'm', messages: [{ role: 'user' }] },
			'messages[0].content must be a string or an array of content parts',
		],
		['user content empty string', one(''), 'messages[0].content must not be empty'],
		['user content empty array', one([]), 'messages[0].content must not be empty'],
		[
			'user content only blank text',
			one([textPart('  ')]),
			'messages[0].content must not be empty',
		],
		[
			'system content a number',
			{ model: 'm', messages: [{ role: 'system', content: 1 }, ask(textPart('x'))] },
			'messages[0].content must be a string or an array of text parts',
		],
		[
			'image in a system message',
			{ model: 'm', messages: [{ role: 'system', content: [imagePart(smallPng)] }] },
			'messages[0].content[0]: image_url parts are only allowed in user messages',
		],
		['part not an object', one(['x']), 'messages[0].content[0] must be an object with a type'],
		[
			'part type input_audio',
			one([textPart('x'), { type: 'input_audio', input_audio: {} }]),
			'messages[0].content[1].type must be one of text, image_url (got "input_audio")',
		],
		[
			'part type image (not image_url)',
			one([{ type: 'image', image: smallPng }]),
			'messages[0].content[0].type must be one of text, image_url (got "image")',
		],
		[
			'text part without text',
			one([{ type: 'text', content: 'x' }]),
			'messages[0].content[0].text must be a string',
		],
		[
			'image_url a string',
			one([{ type: 'image_url', image_url: smallPng }]),
			'messages[0].content[0].image_url must be an object with a url',
		],
		[
			'image_url without url',
			one([{ type: 'image_url', image_url: {} }]),
			'messages[0].content[0].image_url must be an object with a url',
		],
		[
			'url ftp',
			withImage('ftp://example.com/a.png'),
			'messages[0].content[1].image_url.url must be an http(s) URL or a data:image/<jpeg|png|webp|gif>;base64, URL',
		],
		['url a bare path', withImage('/tmp/a.png'), /image_url\.url must be an http\(s\) URL/],
		[
			'url bare base64',
			withImage(Buffer.from(makePng(4, 4)).toString('base64')),
			/image_url\.url must be an http\(s\) URL/,
		],
		[
			'data URL not base64-flagged',
			withImage(`data:image/png,${Buffer.from(makePng(4, 4)).toString('base64')}`),
			/image_url\.url is not a readable data URL: expected data:image\/<jpeg\|png\|webp\|gif>;base64,<data>$/,
		],
		[
			'data URL image/jpg',
			withImage(dataUrl('jpg', makeJpeg(8, 8))),
			/is not a readable data URL: expected/,
		],
		[
			'data URL image/bmp',
			withImage(dataUrl('bmp', makePng(4, 4))),
			/is not a readable data URL: expected/,
		],
		[
			'data URL text/plain',
			withImage(`data:text/plain;base64,${Buffer.from('hi').toString('base64')}`),
			/is not a readable data URL: expected/,
		],
		[
			'data URL empty',
			withImage('data:image/png;base64,'),
			/is not a readable data URL: the data is not valid base64$/,
		],
		[
			'data URL bad base64',
			withImage('data:image/png;base64,iVBOR*w0KGgo='),
			/is not a readable data URL: the data is not valid base64$/,
		],
		[
			'data URL base64 with a newline',
			withImage(
				`data:image/png;base64,${Buffer.from(makePng(4, 4))
					.toString('base64')
					.replace(/^(.{8})/, '$1\n')}`,
			),
			/not valid base64/,
		],
		[
			'data not an image',
			withImage(
				`data:image/png;base64,${Buffer.from('hello world, not a png').toString('base64')}`,
			),
			'messages[0].content[1].image_url: image cannot be read: expected a complete JPEG, PNG, WebP or static GIF file',
		],
		[
			'data a truncated PNG',
			withImage(dataUrl('png', makePng(16, 16, 't').subarray(0, 70))),
			/image cannot be read/,
		],
		[
			'data a truncated GIF',
			withImage(dataUrl('gif', makeGif(16, 16).subarray(0, 40))),
			/image cannot be read/,
		],
		[
			'animated GIF',
			withImage(dataUrl('gif', makeGif(20, 10, { frames: 3 }))),
			'messages[0].content[1].image_url: animated GIF (3 frames) is not supported: send a static image',
		],
		[
			'image 4097 px wide',
			withImage(dataUrl('png', makePng(4097, 1))),
			'messages[0].content[1].image_url: image too large: 4097x1, the longest side must be at most 4096 px',
		],
		[
			'image 5000 px high',
			withImage(dataUrl('jpeg', makeJpeg(10, 5000))),
			/image too large: 10x5000/,
		],
		[
			'detail auto',
			withImage(smallPng, 'auto'),
			'messages[0].content[1].image_url.detail must be one of low, high (got "auto")',
		],
		['detail HIGH', withImage(smallPng, 'HIGH'), /detail must be one of low, high/],
		[
			'61 images',
			one(Array.from({ length: 61 }, () => imagePart(smallPng))),
			'too many images: 61 in one request, at most 60',
		],
		[
			'max_tokens 0',
			{ ...chatBase, max_tokens: 0 },
			'max_tokens must be a positive integer (got 0)',
		],
		[
			'max_tokens 1.5',
			{ ...chatBase, max_tokens: 1.5 },
			'max_tokens must be a positive integer (got 1.5)',
		],
		[
			'max_tokens a string',
			{ ...chatBase, max_tokens: '100' },
			'max_tokens must be a positive integer (got "100")',
		],
		[
			'temperature 2.1',
			{ ...chatBase, temperature: 2.1 },
			'temperature must be a number in range [0, 2] (got 2.1)',
		],
		[
			'temperature -0.1',
			{ ...chatBase, temperature: -0.1 },
			/temperature must be a number in range \[0, 2\]/,
		],
		[
			'temperature a string',
			{ ...chatBase, temperature: '0.5' },
			'temperature must be a number in range [0, 2] (got "0.5")',
		],
		['top_p 0', { ...chatBase, top_p: 0 }, 'top_p must be a number in range (0, 1] (got 0)'],
		['top_p 1.01', { ...chatBase, top_p: 1.01 }, /top_p must be a number in range \(0, 1\]/],
		[
			'frequency_penalty 1.5',
			{ ...chatBase, frequency_penalty: 1.5 },
			'frequency_penalty must be a number in range [0, 1] (got 1.5)',
		],
		[
			'frequency_penalty -1',
			{ ...chatBase, frequency_penalty: -1 },
			/frequency_penalty must be a number in range \[0, 1\]/,
		],
		['n 2', { ...chatBase, n: 2 }, 'n must be 1: only one choice per request is supported'],
		[
			'reasoning_effort max',
			{ ...chatBase, reasoning_effort: 'max' },
			'reasoning_effort must be one of low, medium, high (got "max")',
		],
		[
			'response_format a string',
			{ ...chatBase, response_format: 'json_object' },
			'response_format must be {"type": "text"} or {"type": "json_object"}',
		],
		[
			'response_format json_schema',
			{ ...chatBase, response_format: { type: 'json_schema' } },
			/^response_format must be/,
		],
		['stop a number', { ...chatBase, stop: 5 }, 'stop must be a string or an array of strings'],
		[
			'stream true',
			{ ...chatBase, stream: true },
			'stream is not supported by the stand-in: leave it out or send false',
		],
		['stream a string', { ...chatBase, stream: 'false' }, 'stream must be a boolean'],
	])('400 request_params_invalid: %s', async (_name, body, message) => {
		const { res, json } = await chat(body);
		expect(res.status).toBe(400);
		expect(json.error.type).toBe('request_params_invalid');
		if (typeof message === 'string') expect(json.error.message).toBe(message);
		else expect(json.error.message).toMatch(message);
		expect(res.headers.get('x-trace-id')).toMatch(/^trace-/);
		expect(s.requests.at(-1)?.status).toBe(400);
	});

	it('60 images are accepted; an image refused for its size or animation is still recorded', async () => {
		const sixty = await chat(
			one(Array.from({ length: 60 }, (_, i) => imagePart(dataUrl('gif', makeGif(i + 1, 2))))),
		);
		expect(sixty.res.status).toBe(200);
		expect(s.requests[0].chatImages?.map((image) => image.width)).toEqual(
			Array.from({ length: 60 }, (_, i) => i + 1),
		);
		await chat(withImage(dataUrl('gif', makeGif(20, 10, { frames: 2 }))));
		expect(s.requests[1].chatImages?.[0]).toMatchObject({ type: 'gif', frames: 2 });
	});

	it('400 when the images together pass 20 MB, before any of them is read', async () => {
		const half = Buffer.alloc(MAX_CHAT_IMAGE_BYTES / 2 + 1, 7); // not an image: the total is checked first
		const { res, json } = await chat(
			one([imagePart(dataUrl('png', half)), imagePart(dataUrl('png', half))]),
		);
		expect(res.status).toBe(400);
		expect(json.error).toEqual({
			message: 'images too large: more than 20971520 bytes (20 MB) in one request',
			type: 'request_params_invalid',
		});
		expect(s.requests[0].chatImages).toBeUndefined();
	});

	it('400 when the content type is not JSON; 405 for GET; 401 without the key', async () => {
		const plain = await chat(chatBase, { 'content-type': 'text/plain' });
		expect(plain.res.status).toBe(400);
		expect(plain.json.error.message).toBe('Content-Type must be application/json');
		const get = await fetch(`${s.baseUrl}${CHAT}`, { headers: auth });
		expect(get.status).toBe(405);
		expect(get.headers.get('allow')).toBe('POST');
		const unauthorised = await chat(chatBase, { authorization: 'Bearer sk-wrong' });
		expect(unauthorised.res.status).toBe(401);
		expect(unauthorised.json.error.type).toBe('invalid_api_key');
	});

	it('honours acceptedModels like the image endpoints', async () => {
		s.acceptedModels = ['step-1o-turbo-vision'];
		const { res, json } = await chat(chatBase);
		expect(res.status).toBe(400);
		expect(json.error.message).toBe('model step-3.7-flash is not supported or not permitted');
	});

	it('takes every scripted fault: transform, status, match, reset', async () => {
		s.fault(CHAT, {
			transform: (answer) => {
				answer.choices[0].finish_reason = 'content_filter';
				answer.choices[0].message.content = '';
			},
		});
		const filtered = await chat(chatBase);
		expect(filtered.json.choices[0]).toMatchObject({
			finish_reason: 'content_filter',
			message: { content: '' },
		});
		s.fault(
			CHAT,
			{
				match: (request) => request.rawBody.includes('second'),
				status: 451,
				body: { error: { message: 'moderation', type: 'content_moderation' } },
			},
			{ status: 503, headers: { 'retry-after': '0' }, body: '' },
		);
		const first = await chat({ ...chatBase, messages: [ask(textPart('first'))] });
		expect(first.res.status).toBe(503);
		const second = await chat({ ...chatBase, messages: [ask(textPart('second'))] });
		expect(second.res.status).toBe(451);
		s.fault(CHAT, { reset: true });
		await expect(chat(chatBase)).rejects.toThrow();
		expect(s.requests.map((r) => [r.status, r.faulted])).toEqual([
			[200, true],
			[503, true],
			[451, true],
			[0, true],
		]);
	});
});

describe('GIF', () => {
	it('makeGif writes real GIFs whose frames gifInfo counts; imageSize-like strictness on truncation', () => {
		expect(gifInfo(makeGif(300, 200))).toEqual({ type: 'gif', width: 300, height: 200, frames: 1 });
		expect(gifInfo(makeGif(7, 5, { frames: 4 }))).toEqual({
			type: 'gif',
			width: 7,
			height: 5,
			frames: 4,
		});
		const gif = makeGif(64, 64);
		expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
		expect(gifInfo(gif.subarray(0, gif.length - 1))).toBeUndefined(); // no trailer
		expect(gifInfo(makePng(4, 4))).toBeUndefined();
	});
});

describe('accounts', () => {
	const balance = () => fetch(`${s.baseUrl}/v1/accounts`, { headers: auth });

	it('GET /v1/accounts answers the balance; settable field by field; reset() restores it', async () => {
		const res = await balance();
		expect(res.status).toBe(200);
		expect(res.headers.get('x-trace-id')).toMatch(/^trace-/);
		expect(await res.json()).toEqual({ object: 'account', ...DEFAULT_ACCOUNT });
		expect(DEFAULT_ACCOUNT).toEqual({
			type: 'prepaid',
			balance: 42.5,
			total_cash_balance: 30,
			total_voucher_balance: 12.5,
		});
		s.account = { type: 'postpaid', balance: 0.25 };
		expect(await (await balance()).json()).toEqual({
			object: 'account',
			type: 'postpaid',
			balance: 0.25,
			total_cash_balance: 30,
			total_voucher_balance: 12.5,
		});
		s.reset();
		expect((await (await balance()).json()).balance).toBe(42.5);
	});

	it('401 without the key, 405 for POST', async () => {
		const res = await fetch(`${s.baseUrl}/v1/accounts`);
		expect(res.status).toBe(401);
		expect(await res.json()).toEqual({
			error: { message: 'Incorrect API key provided', type: 'invalid_api_key' },
		});
		const post = await fetch(`${s.baseUrl}/v1/accounts`, { method: 'POST', headers: auth });
		expect(post.status).toBe(405);
		expect(post.headers.get('allow')).toBe('GET');
		expect(await post.json()).toEqual({
			error: { message: 'Method Not Allowed', type: 'method_not_allowed' },
		});
	});
});

describe('rate limits', () => {
	const models = (headers: Record<string, string> = auth) =>
		fetch(`${s.baseUrl}/v1/models`, { headers });

	/** GET /v1/models at a moment of the stand-in's clock (set by `setNow`), recording status and Retry-After. */
	const modelsAt = (setNow: (time: number) => void) => {
		const statuses: Array<[number, string | null]> = [];
		const at = async (time: number) => {
			setNow(time);
			const res = await models();
			statuses.push([res.status, res.headers.get('retry-after')]);
			return res;
		};
		return { statuses, at };
	};

	it('a sliding window: 429 beyond requestsPerWindow, Retry-After until a slot frees; a 429 does not count', async () => {
		let now = 0;
		s.limits = { requestsPerWindow: 2, windowMs: 10_000, retryAfter: 'auto', clock: () => now };
		const { statuses, at } = modelsAt((time) => (now = time));
		await at(0);
		await at(0);
		const limited = await at(4_000);
		expect(await limited.json()).toEqual({
			error: {
				message: 'rate limit reached: at most 2 requests per 10000 ms',
				type: 'rate_limit_exceeded',
			},
		});
		await at(10_001); // both of t=0 have left the window; the 429 at t=4000 never entered it
		await at(10_002);
		await at(10_003);
		expect(statuses).toEqual([
			[200, null],
			[200, null],
			[429, '6'],
			[200, null],
			[200, null],
			[429, '10'],
		]);
		expect(s.limitStats).toEqual({
			inFlight: 0,
			admitted: 4,
			rejected: 2,
			rejectedInFlight: 0,
			rejectedWindow: 2,
			peakInFlight: 1,
			peakInWindow: 2,
			windows: [2, 2],
		});
		expect(s.requests.map((r) => [r.status, r.rateLimited, r.faulted])).toEqual([
			[200, false, false],
			[200, false, false],
			[429, true, false],
			[200, false, false],
			[200, false, false],
			[429, true, false],
		]);
	});

	it('a fixed calendar window: requestsPerWindow per window from one multiple of windowMs to the next, Retry-After until the next begins', async () => {
		let now = 0;
		s.limits = { requestsPerWindow: 2, windowMs: 10_000, counting: 'fixed', retryAfter: 'auto', clock: () => now };
		const { statuses, at } = modelsAt((time) => (now = time));
		await at(8_000);
		await at(9_000);
		const limited = await at(9_500);
		expect((await limited.json()).error.message).toBe('rate limit reached: at most 2 requests per 10000 ms (calendar window)');
		// A new calendar window at 10 000: two more at once, though a sliding window would still hold two.
		await at(10_000);
		await at(10_001);
		await at(10_002);
		expect(statuses).toEqual([
			[200, null],
			[200, null],
			[429, '1'],
			[200, null],
			[200, null],
			[429, '10'],
		]);
		expect(s.limitStats).toMatchObject({ admitted: 4, rejected: 2, rejectedWindow: 2, peakInWindow: 4 });
	});

	it('a token bucket: a burst of `burst`, then one per windowMs / requestsPerWindow; Retry-After until the next token', async () => {
		let now = 0;
		s.limits = { requestsPerWindow: 6, windowMs: 60_000, counting: 'bucket', burst: 3, retryAfter: 'auto', clock: () => now };
		const { statuses, at } = modelsAt((time) => (now = time));
		await at(0);
		await at(0);
		await at(0);
		const limited = await at(1_000);
		expect((await limited.json()).error.message).toBe('rate limit reached: at most 6 requests per 60000 ms (token bucket, burst 3)');
		await at(10_000); // one token every 10 s
		await at(10_001);
		await at(60_000); // 5 tokens' worth of time, but the bucket holds 3
		await at(60_000);
		await at(60_000);
		await at(60_000);
		expect(statuses).toEqual([
			[200, null],
			[200, null],
			[200, null],
			[429, '9'],
			[200, null],
			[429, '10'],
			[200, null],
			[200, null],
			[200, null],
			[429, '10'],
		]);
		expect(s.limitStats).toMatchObject({ admitted: 7, rejected: 3, rejectedWindow: 3 });
	});

	it('checks the counting settings: an unknown counting, or a burst without the bucket, is refused where it is set', () => {
		expect(() => (s.limits = { requestsPerWindow: 2, counting: 'calendar' as 'fixed' })).toThrow('standIn.limits.counting must be "sliding", "fixed" or "bucket"');
		expect(() => (s.limits = { requestsPerWindow: 2, burst: 2 })).toThrow('standIn.limits.burst is for counting: "bucket" only');
		expect(() => (s.limits = { requestsPerWindow: 2, counting: 'bucket', burst: 0 })).toThrow('standIn.limits.burst must be a positive integer');
		s.limits = null;
	});

	it('an in-flight cap: 429 for the request beyond it, Retry-After when the soonest answer is due; a slot frees when an answer ends', async () => {
		s.limits = { maxInFlight: 2, retryAfter: 'auto', clock: () => 0 };
		s.fault(
			GENERATIONS,
			{ delayMs: 4_500 },
			{ delayMs: 9_000 },
			{ status: 418, body: 'queued third' },
		);
		const aborts = [new AbortController(), new AbortController()];
		const slow = aborts.map((abort) =>
			fetch(`${s.baseUrl}${GENERATIONS}`, {
				method: 'POST',
				headers: { ...auth, 'content-type': 'application/json' },
				body: JSON.stringify(base),
				signal: abort.signal,
			}).catch(() => 'aborted'),
		);
		await until(() => s.limitStats.inFlight === 2);
		const limited = await generate(base);
		expect(limited.res.status).toBe(429);
		expect(limited.res.headers.get('retry-after')).toBe('5'); // 4.5 s rounded up
		expect(limited.json.error).toEqual({
			message: 'rate limit reached: at most 2 requests in flight',
			type: 'rate_limit_exceeded',
		});
		aborts[0].abort();
		await until(() => s.limitStats.inFlight === 1);
		// The 429 took no scripted answer: the next request gets the third one.
		expect((await generate(base)).res.status).toBe(418);
		aborts[1].abort();
		expect(await Promise.all(slow)).toEqual(['aborted', 'aborted']);
		expect(s.limitStats).toMatchObject({
			admitted: 3,
			rejected: 1,
			rejectedInFlight: 1,
			rejectedWindow: 0,
			peakInFlight: 2,
		});
		expect(s.maxInFlight).toBe(3); // every request, the 429 included
	});

	it('a fixed Retry-After in seconds, or none when not configured', async () => {
		s.limits = { requestsPerWindow: 1, retryAfter: 7 };
		await models();
		expect((await models()).headers.get('retry-after')).toBe('7');
		s.limits = { requestsPerWindow: 1 };
		await models();
		const res = await models();
		expect(res.status).toBe(429);
		expect(res.headers.has('retry-after')).toBe(false);
		expect(res.headers.get('x-trace-id')).toMatch(/^trace-/);
	});

	it("count the account's requests on every API endpoint, not those with another key, not the image host", async () => {
		s.limits = { requestsPerWindow: 4, maxInFlight: 1 };
		expect((await models({ authorization: 'Bearer sk-wrong' })).status).toBe(401);
		expect((await models()).status).toBe(200);
		expect((await fetch(`${s.baseUrl}/v1/accounts`, { headers: auth })).status).toBe(200);
		expect((await chat(chatBase)).res.status).toBe(200);
		const { json } = await generate(base);
		expect((await generate(base)).res.status).toBe(429);
		expect((await chat(chatBase)).res.status).toBe(429);
		expect([
			(await fetch(json.data[0].url)).status,
			(await fetch(json.data[0].url)).status,
		]).toEqual([200, 200]);
		expect(s.limitStats).toMatchObject({ admitted: 4, rejected: 2, peakInWindow: 4 });
	});

	it('settings are checked when set; a new limits starts fresh counters; reset() clears them', async () => {
		expect(() => {
			s.limits = { maxInflight: 2 } as never;
		}).toThrow(TypeError);
		expect(() => {
			s.limits = { requestsPerWindow: 0 };
		}).toThrow(/requestsPerWindow must be a positive integer/);
		expect(() => {
			s.limits = { retryAfter: -1 };
		}).toThrow(/retryAfter/);
		s.limits = { requestsPerWindow: 1 };
		expect(Object.isFrozen(s.limits)).toBe(true);
		await models();
		expect((await models()).status).toBe(429);
		s.limits = { requestsPerWindow: 1 };
		expect(s.limitStats.rejected).toBe(0);
		expect((await models()).status).toBe(200);
		s.reset();
		expect(s.limits).toBeNull();
		expect(s.limitStats).toMatchObject({ admitted: 0, rejected: 0, windows: [] });
		expect((await models()).status).toBe(200);
	});
});

describe('latency jitter', () => {
	it('multiplies delayMs per request by a factor within [min, max]; scripted delays stay exact', async () => {
		s.setDelay(4);
		s.jitter = { min: 0.5, max: 3 };
		await Promise.all(
			Array.from({ length: 12 }, () => fetch(`${s.baseUrl}/v1/models`, { headers: auth })),
		);
		const delays = s.requests.map((r) => r.appliedDelayMs);
		for (const delay of delays) {
			expect(delay).toBeGreaterThanOrEqual(2);
			expect(delay).toBeLessThanOrEqual(12);
		}
		expect(new Set(delays).size).toBeGreaterThan(1);
		s.fault('/v1/models', { delayMs: 3 });
		await fetch(`${s.baseUrl}/v1/models`, { headers: auth });
		expect(s.requests.at(-1)?.appliedDelayMs).toBe(3);
	});

	it('without jitter every normal answer waits delayMs; bad settings throw; reset() removes it', async () => {
		s.setDelay(2);
		await fetch(`${s.baseUrl}/v1/models`, { headers: auth });
		expect(s.requests[0].appliedDelayMs).toBe(2);
		expect(() => {
			s.jitter = { min: 3, max: 0.5 };
		}).toThrow(TypeError);
		s.jitter = { min: 1, max: 2 };
		s.reset();
		expect(s.jitter).toBeNull();
		expect(s.delayMs).toBe(0);
	});
});

describe('resetOnArrival', () => {
	it('drops the connection before reading the body, records it, and then answers normally', async () => {
		const standIn = await startStandIn({ apiKey: 'sk-arrival' });
		try {
			standIn.resetOnArrival = 1;
			const post = () =>
				fetch(`${standIn.baseUrl}/v1/images/generations`, {
					method: 'POST',
					headers: { authorization: 'Bearer sk-arrival', 'content-type': 'application/json' },
					body: JSON.stringify({ model: 'step-image-edit-2', prompt: 'x' }),
				});
			await expect(post()).rejects.toThrow();
			expect((await post()).status).toBe(200);
			expect(standIn.requests.map((request) => [request.status, request.bodyRead])).toEqual([
				[0, false],
				[200, undefined],
			]);
		} finally {
			await standIn.close();
		}
	});
});


describe('latches: hold, when, quiet', () => {
	it('a held request is recorded and in flight, answers only once released, and holds up no other', async () => {
		s.fault(GENERATIONS, { hold: true, status: 503, body: 'busy' });
		const first = generate(base);
		await s.when(() => s.requests[0]?.held === true);
		expect(s.requests[0]).toMatchObject({ held: true, status: undefined, faulted: true });
		expect((await generate(base)).res.status).toBe(200);
		await s.quiet();
		expect(s.requests[0].held).toBe(true);
		expect(s.maxInFlight).toBe(2);
		s.requests[0].release();
		expect((await first).res.status).toBe(503);
		expect(s.requests[0]).toMatchObject({ held: false, status: 503 });
	});

	it('a hold alone is followed by the normal answer; it keeps its slot of limits; reset() lets it go', async () => {
		s.limits = { maxInFlight: 1 };
		s.fault(GENERATIONS, { hold: true });
		const held = generate(base);
		await s.when(() => s.requests[0]?.held === true);
		expect((await generate(base)).res.status).toBe(429);
		s.reset();
		const { res, json } = await held;
		expect(res.status).toBe(200);
		expect(json.data).toHaveLength(1);
	});
});
