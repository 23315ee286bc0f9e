// What the StepFun stand-in (test/stand-in/) judges, and nothing the node's own tests already
// exercise end to end: every refusal of the spec's rules for the image and chat endpoints (one
// case each, with its message), the routes, the image host, the account's limits (in flight, a
// sliding or calendar window, a token bucket, Retry-After) and the latches tests hold requests
// with. No test here waits for time or compares times: limits run on the stand-in's own clock,
// set by the test.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackAnswer } from './helpers/loopback-server.mjs';
import {
	decodePng,
	GENERATION_SIZES,
	imageSize,
	makeGif,
	makeJpeg,
	makePng,
	makeWebp,
	MAX_CHAT_IMAGE_BYTES,
	startStandIn,
} from './stand-in/server.mjs';
import type { StandIn } from './stand-in/server.mjs';

let s: StandIn;
const KEY = 'sk-test-key';
const auth = { authorization: `Bearer ${KEY}` };
const GENERATIONS = '/v1/images/generations';
const EDITS = '/v1/images/edits';
const CHAT = '/v1/chat/completions';

beforeAll(async () => {
	s = await startStandIn({ apiKey: KEY });
});
afterAll(async () => {
	await s.close();
});
beforeEach(() => {
	s.reset();
});

interface ErrorBody {
	error: { message: string; type: string };
}
interface ImagesAnswer extends Partial<ErrorBody> {
	created: number;
	data: Array<{ seed: number; finish_reason: string; b64_json?: string; url?: string }>;
}
interface ChatAnswer extends Partial<ErrorBody> {
	choices: Array<{ finish_reason: string; message: { role: string; content: string; reasoning?: string } }>;
}

/** One request to the API; the answer's JSON, or undefined when it is not JSON. */
async function call<Answer>(path: string, init: RequestInit = {}): Promise<{ res: Response; json: Answer | undefined }> {
	const res = await fetch(`${s.baseUrl}${path}`, { ...init, headers: { ...auth, ...init.headers } });
	return { res, json: (await res.json().catch(() => undefined)) as Answer | undefined };
}

const postJson = <Answer>(path: string, body: unknown, headers: Record<string, string> = {}) =>
	call<Answer>(path, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});

const generate = (body: unknown, headers: Record<string, string> = {}) => postJson<ImagesAnswer>(GENERATIONS, body, headers);
const chat = (body: unknown, headers: Record<string, string> = {}) => postJson<ChatAnswer>(CHAT, body, headers);

type Part = string | { bytes: Uint8Array; name: string; type: string };

function edit(parts: Array<[string, Part]>) {
	const form = new FormData();
	for (const [name, value] of parts) {
		if (typeof value === 'string') form.append(name, value);
		else form.append(name, new Blob([new Uint8Array(value.bytes)], { type: value.type }), value.name);
	}
	return call<ImagesAnswer>(EDITS, { method: 'POST', body: form });
}

/** A refusal as StepFun words it: 400 request_params_invalid with this message, recorded with a trace id. */
function expectRefused({ res, json }: { res: Response; json: Partial<ErrorBody> | undefined }, message: string | RegExp) {
	expect(res.status).toBe(400);
	expect(json?.error?.type).toBe('request_params_invalid');
	if (typeof message === 'string') expect(json?.error?.message).toBe(message);
	else expect(json?.error?.message).toMatch(message);
	expect(res.headers.get('x-trace-id')).toMatch(/^trace-/);
	expect(s.requests.at(-1)?.status).toBe(400);
}

const base = { model: 'step-image-edit-2', prompt: 'a red fox' };
const png = (width: number, height: number) => ({ bytes: makePng(width, height, `input-${width}x${height}`), name: 'in.png', type: 'image/png' });
const editBase: Array<[string, Part]> = [
	['model', 'step-image-edit-2'],
	['prompt', 'add a hat'],
];
const withImage: Array<[string, Part]> = [...editBase, ['image', png(4, 4)]];

describe('image generations', () => {
	it('accepts every field at its bounds, records it and the fields the spec does not know, answers a PNG of the size (HEIGHTxWIDTH)', async () => {
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
		};
		const { res, json } = await generate(body);
		expect(res.status).toBe(200);
		expect(json?.data[0]).toMatchObject({ seed: 2147483647, finish_reason: 'success' });
		const image = decodePng(Buffer.from(json?.data[0].b64_json ?? '', 'base64'));
		expect([image.width, image.height]).toEqual([768, 1360]);
		expect(s.requests[0]).toMatchObject({ json: body, unknownFields: ['quality'], status: 200 });
	});

	it.each<[string, unknown, string]>([
		['body not JSON', '{"model":', 'request body is not valid JSON'],
		['body an array', [base], 'request body must be a JSON object'],
		['model missing', { prompt: 'x' }, 'model is required'],
		['model empty', { ...base, model: '' }, 'model must be a non-empty string'],
		['prompt missing', { model: base.model }, 'prompt is required'],
		['prompt not a string', { ...base, prompt: ['x'] }, 'prompt must be a string'],
		['prompt whitespace only', { ...base, prompt: ' \n\t ' }, 'prompt must not be empty'],
		['prompt 513 code points', { ...base, prompt: '🦊'.repeat(513) }, 'prompt must be at most 512 characters (got 513)'],
		['size width x height', { ...base, size: '1024*1024' }, `size must be one of ${GENERATION_SIZES.join(', ')}`],
		['n 2', { ...base, n: 2 }, 'n must be 1: only one image per request is supported'],
		['response_format png', { ...base, response_format: 'png' }, 'response_format must be one of b64_json, url'],
		['seed fractional', { ...base, seed: 1.5 }, 'seed must be an integer'],
		['seed too large', { ...base, seed: 2147483648 }, 'seed must be in range [0, 2147483647] (got 2147483648)'],
		['steps 0', { ...base, steps: 0 }, 'steps must be in range [1, 50] (got 0)'],
		['cfg_scale as string', { ...base, cfg_scale: '7' }, 'cfg_scale must be a number'],
		['cfg_scale 10.5', { ...base, cfg_scale: 10.5 }, 'cfg_scale must be in range [1.0, 10.0] (got 10.5)'],
		['negative_prompt 513', { ...base, negative_prompt: 'n'.repeat(513) }, 'negative_prompt must be at most 512 characters (got 513)'],
		['text_mode as string', { ...base, text_mode: 'true' }, 'text_mode must be a boolean'],
	])('400: %s', async (_name, body, message) => {
		expectRefused(await generate(body), message);
	});

	it('400 when the content type is not JSON, or the model is not one acceptedModels lists', async () => {
		expectRefused(await generate(base, { 'content-type': 'text/plain' }), 'Content-Type must be application/json');
		s.acceptedModels = ['step-1x-medium'];
		expectRefused(await generate(base), 'model step-image-edit-2 is not supported or not permitted');
	});
});

describe('image edits', () => {
	it.each([
		['png', png(37, 23)],
		['jpeg', { bytes: makeJpeg(640, 480), name: 'photo.jpg', type: 'image/jpeg' }],
		['webp', { bytes: makeWebp(300, 4096), name: 'in.webp', type: 'image/webp' }],
	])('a %s is read: the result has its size; the upload and its text fields are recorded as sent', async (_type, file) => {
		const fields: Array<[string, Part]> = [
			['response_format', 'b64_json'],
			['seed', '1'],
			['steps', '8'],
			['cfg_scale', '1.0'],
			['text_mode', 'True'],
			['negative_prompt', 'blur'],
			['n', '1'],
			['mask', 'x'],
		];
		const { res, json } = await edit([...editBase, ['image', file], ...fields]);
		expect(res.status).toBe(200);
		const result = decodePng(Buffer.from(json?.data[0].b64_json ?? '', 'base64'));
		const input = imageSize(file.bytes);
		expect([result.width, result.height]).toEqual([input?.width, input?.height]);
		const recorded = s.requests[0];
		expect(recorded.image).toMatchObject({ fileName: file.name, mimeType: file.type });
		expect(recorded.image?.bytes.equals(Buffer.from(file.bytes))).toBe(true);
		expect(recorded.fields).toMatchObject({ model: 'step-image-edit-2', prompt: 'add a hat', text_mode: 'True' });
		expect(recorded.unknownFields).toEqual(['mask']);
	});

	const truncated = makePng(16, 16, 't');
	it.each<[string, Array<[string, Part]>, string]>([
		['image missing', editBase, 'image is required'],
		['image as a text field', [...editBase, ['image', Buffer.from(makePng(4, 4)).toString('base64')]], 'image must be a file part'],
		['two images', [...withImage, ['image', png(4, 4)]], 'only one image is supported'],
		['a field twice', [...withImage, ['prompt', 'again']], 'prompt given more than once'],
		['a text field sent as a file', [...withImage, ['seed', { bytes: new Uint8Array([49]), name: 'seed.txt', type: 'text/plain' }]], 'seed must be a text field, not a file'],
		[
			'image cut short',
			[...editBase, ['image', { ...png(4, 4), bytes: truncated.subarray(0, truncated.length - 12) }]],
			'image cannot be read: expected a complete PNG, JPEG or WebP file',
		],
		['image 4097 px wide', [...editBase, ['image', png(4097, 1)]], 'image too large: 4097x1, maximum is 4096x4096'],
		['model missing', [['prompt', 'x'], ['image', png(4, 4)]], 'model is required'],
		['prompt missing', [['model', 'm'], ['image', png(4, 4)]], 'prompt is required'],
		['prompt whitespace', [['model', 'm'], ['prompt', '   '], ['image', png(4, 4)]], 'prompt must not be empty'],
		['prompt 513', [['model', 'm'], ['prompt', 'p'.repeat(513)], ['image', png(4, 4)]], 'prompt must be at most 512 characters (got 513)'],
		['seed 5.0', [...withImage, ['seed', '5.0']], 'seed must be an integer'],
		['steps 51', [...withImage, ['steps', '51']], 'steps must be in range [1, 50] (got 51)'],
		['cfg_scale abc', [...withImage, ['cfg_scale', 'abc']], 'cfg_scale must be a number'],
		['cfg_scale 11', [...withImage, ['cfg_scale', '11']], 'cfg_scale must be in range [1.0, 10.0] (got 11)'],
		['text_mode yes', [...withImage, ['text_mode', 'yes']], 'text_mode must be a boolean (true or false)'],
		['n 2', [...withImage, ['n', '2']], 'n must be 1: only one image per request is supported'],
		['response_format png', [...withImage, ['response_format', 'png']], 'response_format must be one of b64_json, url'],
		['negative_prompt 513', [...withImage, ['negative_prompt', 'n'.repeat(513)]], 'negative_prompt must be at most 512 characters (got 513)'],
	])('400: %s', async (_name, parts, message) => {
		expectRefused(await edit(parts), message);
	});

	it('400 when the body is not multipart, or multipart that cannot be parsed', async () => {
		expectRefused(await postJson(EDITS, { ...base, image: 'data:image/png;base64,AAAA' }), 'Content-Type must be multipart/form-data');
		expectRefused(
			await call(EDITS, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'not multipart' }),
			'multipart body could not be parsed',
		);
	});
});

describe('chat completions', () => {
	const dataUrl = (type: string, bytes: Uint8Array) => `data:image/${type};base64,${Buffer.from(bytes).toString('base64')}`;
	const text = (value: string) => ({ type: 'text', text: value });
	const image = (url: string, detail?: string) => ({ type: 'image_url', image_url: detail ? { url, detail } : { url } });
	const ask = (...parts: unknown[]) => ({ role: 'user', content: parts });
	const smallPng = dataUrl('png', makePng(40, 30, 'chat'));
	const chatBase = { model: 'step-3.7-flash', messages: [ask(text('What is in the picture?'), image(smallPng))] };
	const one = (content: unknown) => ({ model: 'step-3.7-flash', messages: [{ role: 'user', content }] });
	const withUrl = (url: string, detail?: string) => one([text('x'), image(url, detail)]);

	it('reads every image as a decoder does and answers with what arrived; records the images and the fields the spec does not know', async () => {
		const body = {
			model: 'step-3.7-flash',
			messages: [
				{ role: 'system', content: 'Answer briefly.' },
				ask(
					text('Describe these'),
					image(dataUrl('png', makePng(40, 30, 'a'))),
					image(dataUrl('jpeg', makeJpeg(640, 480)), 'high'),
					image(dataUrl('webp', makeWebp(300, 200))),
					image(dataUrl('gif', makeGif(12, 34)), 'low'),
				),
			],
			temperature: 2,
			top_p: 1,
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
		expect(json?.choices[0].message.content).toBe(
			'The stand-in received the prompt "Describe these" with 4 images: png 40x30, jpeg 640x480, webp 300x200, gif 12x34. System message: "Answer briefly.".',
		);
		const recorded = s.requests[0];
		expect(recorded.unknownFields).toEqual(['tools']);
		expect(recorded.chatImages?.map(({ where, source, mimeType, type, width, height, frames, detail }) => [where, source, mimeType, type, width, height, frames, detail])).toEqual([
			['messages[1].content[1].image_url', 'data', 'image/png', 'png', 40, 30, 1, 'low'],
			['messages[1].content[2].image_url', 'data', 'image/jpeg', 'jpeg', 640, 480, 1, 'high'],
			['messages[1].content[3].image_url', 'data', 'image/webp', 'webp', 300, 200, 1, 'low'],
			['messages[1].content[4].image_url', 'data', 'image/gif', 'gif', 12, 34, 1, 'low'],
		]);
		expect(recorded.chatImages?.[1].bytes.equals(makeJpeg(640, 480))).toBe(true);
	});

	it.each<[string, unknown, string | RegExp]>([
		['body not JSON', '{"model":', 'request body is not valid JSON'],
		['body an array', [chatBase], 'request body must be a JSON object'],
		['model missing', { messages: chatBase.messages }, 'model is required'],
		['model not a string', { ...chatBase, model: 3 }, 'model must be a non-empty string'],
		['messages empty', { model: 'm', messages: [] }, 'messages must be a non-empty array'],
		['a message not an object', { model: 'm', messages: ['hi'] }, 'messages[0] must be an object with role and content'],
		['role tool', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role must be one of system, user, assistant (got "tool")'],
		['user content a number', one(42), 'messages[0].content must be a string or an array of content parts'],
		[
			'system content a number',
			{ model: 'm', messages: [{ role: 'system', content: 1 }, ask(text('x'))] },
			'messages[0].content must be a string or an array of text parts',
		],
		['user content empty string', one(''), 'messages[0].content must not be empty'],
		['user content empty array', one([]), 'messages[0].content must not be empty'],
		['user content only blank text', one([text('  ')]), 'messages[0].content must not be empty'],
		['part not an object', one(['x']), 'messages[0].content[0] must be an object with a type'],
		['part type image', one([{ type: 'image', image: smallPng }]), 'messages[0].content[0].type must be one of text, image_url (got "image")'],
		['text part without text', one([{ type: 'text', content: 'x' }]), 'messages[0].content[0].text must be a string'],
		['image in a system message', { model: 'm', messages: [{ role: 'system', content: [image(smallPng)] }] }, 'messages[0].content[0]: image_url parts are only allowed in user messages'],
		['image_url a string', one([{ type: 'image_url', image_url: smallPng }]), 'messages[0].content[0].image_url must be an object with a url'],
		['detail auto', withUrl(smallPng, 'auto'), 'messages[0].content[1].image_url.detail must be one of low, high (got "auto")'],
		[
			'url bare base64',
			withUrl(Buffer.from(makePng(4, 4)).toString('base64')),
			'messages[0].content[1].image_url.url must be an http(s) URL or a data:image/<jpeg|png|webp|gif>;base64, URL',
		],
		[
			'data URL image/jpg',
			withUrl(dataUrl('jpg', makeJpeg(8, 8))),
			'messages[0].content[1].image_url.url is not a readable data URL: expected data:image/<jpeg|png|webp|gif>;base64,<data>',
		],
		['data URL bad base64', withUrl('data:image/png;base64,iVBOR*w0KGgo='), 'messages[0].content[1].image_url.url is not a readable data URL: the data is not valid base64'],
		[
			'data not an image',
			withUrl(`data:image/png;base64,${Buffer.from('hello world, not a png').toString('base64')}`),
			'messages[0].content[1].image_url: image cannot be read: expected a complete JPEG, PNG, WebP or static GIF file',
		],
		['data a GIF cut short', withUrl(dataUrl('gif', makeGif(16, 16).subarray(0, 40))), /image cannot be read/],
		['animated GIF', withUrl(dataUrl('gif', makeGif(20, 10, { frames: 3 }))), 'messages[0].content[1].image_url: animated GIF (3 frames) is not supported: send a static image'],
		['image 5000 px high', withUrl(dataUrl('jpeg', makeJpeg(10, 5000))), 'messages[0].content[1].image_url: image too large: 10x5000, the longest side must be at most 4096 px'],
		['61 images', one(Array.from({ length: 61 }, () => image(smallPng))), 'too many images: 61 in one request, at most 60'],
		['max_tokens 0', { ...chatBase, max_tokens: 0 }, 'max_tokens must be a positive integer (got 0)'],
		['temperature 2.1', { ...chatBase, temperature: 2.1 }, 'temperature must be a number in range [0, 2] (got 2.1)'],
		['top_p 0', { ...chatBase, top_p: 0 }, 'top_p must be a number in range (0, 1] (got 0)'],
		['frequency_penalty 1.5', { ...chatBase, frequency_penalty: 1.5 }, 'frequency_penalty must be a number in range [0, 1] (got 1.5)'],
		['n 2', { ...chatBase, n: 2 }, 'n must be 1: only one choice per request is supported'],
		['reasoning_effort max', { ...chatBase, reasoning_effort: 'max' }, 'reasoning_effort must be one of low, medium, high (got "max")'],
		['response_format json_schema', { ...chatBase, response_format: { type: 'json_schema' } }, 'response_format must be {"type": "text"} or {"type": "json_object"}'],
		['stop a number', { ...chatBase, stop: 5 }, 'stop must be a string or an array of strings'],
		['stream true', { ...chatBase, stream: true }, 'stream is not supported by the stand-in: leave it out or send false'],
		['stream a string', { ...chatBase, stream: 'false' }, 'stream must be a boolean'],
	])('400: %s', async (_name, body, message) => {
		expectRefused(await chat(body), message);
	});

	it('60 images pass; an image refused for its animation is still recorded', async () => {
		const sixty = await chat(one(Array.from({ length: 60 }, (_, index) => image(dataUrl('gif', makeGif(index + 1, 2))))));
		expect(sixty.res.status).toBe(200);
		expect(s.requests[0].chatImages).toHaveLength(60);
		await chat(withUrl(dataUrl('gif', makeGif(20, 10, { frames: 2 }))));
		expect(s.requests[1].chatImages?.[0]).toMatchObject({ type: 'gif', frames: 2 });
	});

	it('400 when the images together pass 20 MB, before any of them is read', async () => {
		const half = Buffer.alloc(MAX_CHAT_IMAGE_BYTES / 2 + 1, 7); // not an image: the total is checked first
		expectRefused(await chat(one([image(dataUrl('png', half)), image(dataUrl('png', half))])), 'images too large: more than 20971520 bytes (20 MB) in one request');
		expect(s.requests[0].chatImages).toBeUndefined();
	});

	describe('an image URL it cannot use: 400 saying it could not be downloaded (it asks without credentials)', () => {
		it.each<[string, LoopbackAnswer, RegExp]>([
			['404', { status: 404, body: 'Not Found' }, /HTTP 404$/],
			['not an image', { body: '<html>a page</html>', headers: { 'content-type': 'image/png' } }, /the answer is not a JPEG, PNG, WebP or static GIF image$/],
		])('%s', async (_name, answer, reason) => {
			const host = await startLoopbackServer(() => answer);
			try {
				const url = `${host.url}/photo.png`;
				expectRefused(await chat(withUrl(url)), reason);
				expect(host.requests.map((request) => [request.method, request.url, request.headers.authorization])).toEqual([['GET', '/photo.png', undefined]]);
			} finally {
				await host.close();
			}
		});

		it('nothing listening', async () => {
			const host = await startLoopbackServer();
			await host.close();
			expectRefused(await chat(withUrl(`${host.url}/gone.png`)), /^messages\[0\]\.content\[1\]\.image_url: image could not be downloaded from http:\/\/127\.0\.0\.1:\d+\/gone\.png: ECONNREFUSED$/);
		});

		it('no answer within the download timeout', async () => {
			const host = await startLoopbackServer(() => new Promise(() => {}));
			s.chat.downloadTimeoutMs = 1;
			try {
				expectRefused(await chat(withUrl(`${host.url}/slow.png`)), /could not be downloaded from .*\/slow\.png: no answer within 1 ms$/);
			} finally {
				await host.close();
			}
		});
	});
});

describe('routes, key and image host', () => {
	it('401 without the right key, with a trace id', async () => {
		const { res, json } = await call('/v1/models', { headers: { authorization: KEY } });
		expect(res.status).toBe(401);
		expect(json).toEqual({ error: { message: 'Incorrect API key provided', type: 'invalid_api_key' } });
		expect(s.requests[0]).toMatchObject({ status: 401, traceId: res.headers.get('x-trace-id'), path: '/v1/models' });
	});

	it('404 for an unknown path, 405 with Allow for a wrong method', async () => {
		expect((await call('/v1/images/variations', { method: 'POST' })).json).toEqual({ error: { message: 'Not Found', type: 'not_found' } });
		expect((await call('/images/generations', { method: 'POST' })).res.status).toBe(404);
		const get = await call(CHAT);
		expect([get.res.status, get.res.headers.get('allow')]).toEqual([405, 'POST']);
		expect(get.json).toEqual({ error: { message: 'Method Not Allowed', type: 'method_not_allowed' } });
		const post = await call('/v1/accounts', { method: 'POST' });
		expect([post.res.status, post.res.headers.get('allow')]).toEqual([405, 'GET']);
	});

	it('the image host serves a result image, refuses an Authorization header (and flags it), a wrong method and an unknown image', async () => {
		const url = (await generate(base)).json?.data[0].url ?? '';
		expect(url.startsWith(`${s.imageBaseUrl}/images/`)).toBe(true);
		const image = await fetch(url);
		expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
		expect(imageSize(new Uint8Array(await image.arrayBuffer()))).toEqual({ type: 'png', width: 1024, height: 1024 });
		expect(s.authorizationSeen).toBe(false);
		expect((await fetch(url, { method: 'POST' })).status).toBe(405);
		expect((await fetch(`${s.imageBaseUrl}/images/0123abcd.png`)).status).toBe(404);
		expect((await fetch(url, { headers: auth })).status).toBe(400);
		expect(s.authorizationSeen).toBe(true);
	});

	it('redirect mode links to /redirect/, which answers 302 to the image', async () => {
		s.urlMode = 'redirect';
		const url = (await generate(base)).json?.data[0].url ?? '';
		expect(url).toContain('/redirect/');
		expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
		expect((await fetch(url)).status).toBe(200);
		expect(s.imageRequests.map((request) => request.status)).toEqual([302, 302, 200]);
	});
});

describe('scripted answers', () => {
	it('are one-shot and taken in order; match picks its request; transform alters a normal answer after the checks', async () => {
		s.fault(
			GENERATIONS,
			{ match: (request) => request.rawBody.includes('second'), status: 451, body: { error: { message: 'moderation', type: 'content_moderation' } } },
			{ status: 503, body: '<html>busy</html>' },
			{ transform: (answer) => ({ ...answer, data: [] }) },
			{ transform: () => ({ created: 1, data: [] }) },
		);
		expect((await generate(base)).res.status).toBe(503);
		expect((await generate({ ...base, prompt: 'second' })).res.status).toBe(451);
		expect((await generate({ ...base, seed: 'bad' })).res.status).toBe(400); // refused: the transform is used up all the same
		expect((await generate(base)).json).toEqual({ created: 1, data: [] });
		expect((await generate(base)).json?.data).toHaveLength(1);
		expect(s.requests.map((request) => [request.status, request.faulted])).toEqual([
			[503, true],
			[451, true],
			[400, true],
			[200, true],
			[200, false],
		]);
	});
});

describe('latency', () => {
	it('jitter multiplies the delay of a normal answer by a factor in [min, max] (scripted delays stay exact); checked when set', async () => {
		s.setDelay(1);
		s.jitter = { min: 2, max: 3 };
		s.fault('/v1/models', { delayMs: 1 });
		await Promise.all(Array.from({ length: 5 }, () => call('/v1/models')));
		const delays = s.requests.map((request) => request.appliedDelayMs).sort((a, b) => a - b);
		expect(delays[0]).toBe(1);
		for (const delay of delays.slice(1)) expect(delay >= 2 && delay <= 3).toBe(true);
		expect(() => (s.jitter = { min: 3, max: 0.5 })).toThrow('standIn.jitter must be null or { min, max } with 0 ≤ min ≤ max');
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
		expect(json?.data).toHaveLength(1);
	});
});

describe("the account's rate limits", () => {
	const models = (headers: Record<string, string> = auth) => fetch(`${s.baseUrl}/v1/models`, { headers });

	const messageOf = async (res: Response) => ((await res.json()) as ErrorBody).error.message;

	/** GET /v1/models at moments of the stand-in's clock, recording each status and Retry-After. */
	function onClock(limits: NonNullable<StandIn['limits']>) {
		let now = 0;
		s.limits = { ...limits, clock: () => now };
		const statuses: Array<[number, string | null]> = [];
		const at = async (time: number) => {
			now = time;
			const res = await models();
			statuses.push([res.status, res.headers.get('retry-after')]);
			return res;
		};
		return { statuses, at };
	}

	it('a sliding window: 429 beyond requestsPerWindow, Retry-After until a slot frees; a 429 does not count', async () => {
		const { statuses, at } = onClock({ requestsPerWindow: 2, windowMs: 10_000, retryAfter: 'auto' });
		await at(0);
		await at(0);
		expect(await (await at(4_000)).json()).toEqual({
			error: { message: 'rate limit reached: at most 2 requests per 10000 ms', type: 'rate_limit_exceeded' },
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
		expect(s.requests.map((request) => [request.status, request.rateLimited, request.faulted])).toEqual([
			[200, false, false],
			[200, false, false],
			[429, true, false],
			[200, false, false],
			[200, false, false],
			[429, true, false],
		]);
	});

	it('a fixed calendar window: requestsPerWindow from one multiple of windowMs to the next, Retry-After until the next begins', async () => {
		const { statuses, at } = onClock({ requestsPerWindow: 2, windowMs: 10_000, counting: 'fixed', retryAfter: 'auto' });
		await at(8_000);
		await at(9_000);
		expect(await messageOf(await at(9_500))).toBe('rate limit reached: at most 2 requests per 10000 ms (calendar window)');
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
		const { statuses, at } = onClock({ requestsPerWindow: 6, windowMs: 60_000, counting: 'bucket', burst: 3, retryAfter: 'auto' });
		await at(0);
		await at(0);
		await at(0);
		expect(await messageOf(await at(1_000))).toBe('rate limit reached: at most 6 requests per 60000 ms (token bucket, burst 3)');
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

	it('an in-flight cap: 429 beyond it, Retry-After when the soonest answer is due; a slot frees when an answer ends', async () => {
		s.limits = { maxInFlight: 2, retryAfter: 'auto', clock: () => 0 };
		// Two answers due in 4.5 s and 9 s on the stand-in's clock; the test never waits for them.
		s.fault(GENERATIONS, { delayMs: 4_500 }, { delayMs: 9_000 }, { status: 418, body: 'queued third' });
		const aborts = [new AbortController(), new AbortController()];
		const slow = aborts.map((abort) => call(GENERATIONS, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(base), signal: abort.signal }).catch(() => 'aborted'));
		await s.when(() => s.limitStats.inFlight === 2);
		const limited = await generate(base);
		expect(limited.res.status).toBe(429);
		expect(limited.res.headers.get('retry-after')).toBe('5'); // 4.5 s rounded up
		expect(limited.json?.error).toEqual({ message: 'rate limit reached: at most 2 requests in flight', type: 'rate_limit_exceeded' });
		aborts[0].abort();
		await s.when(() => s.limitStats.inFlight === 1);
		// The 429 took no scripted answer: the next request gets the third one.
		expect((await generate(base)).res.status).toBe(418);
		aborts[1].abort();
		expect(await Promise.all(slow)).toEqual(['aborted', 'aborted']);
		expect(s.limitStats).toMatchObject({ admitted: 3, rejected: 1, rejectedInFlight: 1, rejectedWindow: 0, peakInFlight: 2 });
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
	});

	it("counts the account's requests on every API path, not those with another key, not the image host", async () => {
		s.limits = { requestsPerWindow: 4, maxInFlight: 1 };
		expect((await models({ authorization: 'Bearer sk-wrong' })).status).toBe(401);
		expect((await models()).status).toBe(200);
		expect((await fetch(`${s.baseUrl}/v1/accounts`, { headers: auth })).status).toBe(200);
		const url = (await generate(base)).json?.data[0].url ?? '';
		expect((await chat({ model: 'step-1o-turbo-vision', messages: [{ role: 'user', content: 'hi' }] })).res.status).toBe(200);
		expect((await generate(base)).res.status).toBe(429);
		expect([(await fetch(url)).status, (await fetch(url)).status]).toEqual([200, 200]);
		expect(s.limitStats).toMatchObject({ admitted: 4, rejected: 1, peakInWindow: 4 });
	});

	it('settings are checked where they are set; a new limits starts fresh counters; reset() removes them', async () => {
		expect(() => (s.limits = { maxInflight: 2 } as never)).toThrow('standIn.limits: unknown setting maxInflight');
		expect(() => (s.limits = { requestsPerWindow: 0 })).toThrow('standIn.limits.requestsPerWindow must be a positive integer');
		expect(() => (s.limits = { retryAfter: -1 })).toThrow('standIn.limits.retryAfter must be a number of seconds ≥ 0 or "auto"');
		expect(() => (s.limits = { requestsPerWindow: 2, counting: 'calendar' as 'fixed' })).toThrow('standIn.limits.counting must be "sliding", "fixed" or "bucket"');
		expect(() => (s.limits = { requestsPerWindow: 2, burst: 2 })).toThrow('standIn.limits.burst is for counting: "bucket" only');
		s.limits = { requestsPerWindow: 1 };
		expect(Object.isFrozen(s.limits)).toBe(true);
		await models();
		expect((await models()).status).toBe(429);
		s.limits = { requestsPerWindow: 1 };
		expect(s.limitStats.rejected).toBe(0);
		expect((await models()).status).toBe(200);
		s.reset();
		expect(s.limits).toBeNull();
		expect((await models()).status).toBe(200);
	});
});
