// Proves the StepFun stand-in (test/stand-in/server.mjs) is as strict as the contract in
// /work/shared/spec: right image sizes, 400 for every invalid field, 401 with a trace id,
// scripted faults, and an image host that refuses the API key.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
	decodePng,
	imageSize,
	makeJpeg,
	makePng,
	makeWebp,
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
