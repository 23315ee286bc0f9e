/**
 * Secrets: the API key (a recognisable test key) must appear in no output item, no error
 * message, description or cause, and nothing the node logs, for every validation case and every
 * StepFun fault; the image downloads never carry it, redirects included; and a download larger
 * than the cap is an error, not an out-of-memory.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { jsonStringify, NodeApiError, NodeOperationError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startBigBodyServer } from './helpers/big-body-server.mjs';
import type { BigBodyServer } from './helpers/big-body-server.mjs';
import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackAnswer, LoopbackServer } from './helpers/loopback-server.mjs';
import type { InputItem } from './helpers/run-node';
import type { StepFunRun } from './helpers/stepfun';
import { API_KEY, edit, generate, useStandIn } from './helpers/stepfun';
import { inputHostAnswer, validationCases } from './helpers/validation-cases';
import { makePng } from './stand-in/server.mjs';
import type { ScriptedResponse, StandIn } from './stand-in/server.mjs';

const stepfun = useStandIn();

const GENERATIONS = '/v1/images/generations';
const EDITS = '/v1/images/edits';
const NOW = { 'retry-after': '0' };
const MiB = 1024 * 1024;

let inputHost: LoopbackServer | undefined;
let bigHost: BigBodyServer | undefined;
beforeAll(async () => {
	inputHost = await startLoopbackServer((request) => inputHostAnswer(request.url));
	bigHost = await startBigBodyServer();
});
afterAll(async () => {
	await inputHost?.close();
	await bigHost?.close();
});

// ---------------------------------------------------------------------------------------------
// Where the key could end up
// ---------------------------------------------------------------------------------------------

function safeJson(value: unknown): string {
	try {
		return jsonStringify(value, { replaceCircularRefs: true }) ?? String(value);
	} catch {
		return String(value);
	}
}

/** Every text reachable from the error: its own fields and its cause chain. */
function errorTexts(error: unknown): string[] {
	const texts: string[] = [];
	const seen = new Set<unknown>();
	const visit = (value: unknown, depth: number) => {
		if (value === null || value === undefined || depth > 8) return;
		if (typeof value !== 'object') {
			texts.push(String(value));
			return;
		}
		if (seen.has(value)) return;
		seen.add(value);
		texts.push(safeJson(value));
		const record = value as Record<string, unknown>;
		for (const key of ['message', 'description', 'stack', 'messages', 'httpCode']) {
			if (record[key] !== undefined) texts.push(safeJson(record[key]));
		}
		for (const key of ['cause', 'errorResponse', 'context', 'reason', 'response', 'config', 'request', 'options', 'errors']) {
			visit(record[key], depth + 1);
		}
	};
	visit(error, 0);
	return texts;
}

/** Asserts the key is nowhere a user, a log collector or a later node could see it. */
function expectNoKey(run: StepFunRun): void {
	const places: Record<string, string> = {
		'output items': safeJson(
			run.outputs.flat().map((item) => ({
				json: item.json,
				pairedItem: item.pairedItem,
				error: item.error,
				binary: Object.fromEntries(
					Object.entries(item.binary ?? {}).map(([key, binary]) => [
						key,
						{ ...binary, bytes: binary.bytes.toString('latin1'), raw: binary.raw },
					]),
				),
			})),
		),
		'error.message': String(run.error?.message),
		'error.description': String((run.error as { description?: unknown } | undefined)?.description),
		'JSON.stringify(error)': safeJson(run.error),
		'error cause chain': errorTexts(run.error).join('\n'),
		logs: run.logs.join('\n'),
		'run data': safeJson(run.runData),
	};
	for (const [place, text] of Object.entries(places)) {
		expect(text.includes(API_KEY), `the API key leaked into ${place}`).toBe(false);
		// A partial echo (e.g. a gateway cutting the key) is a leak too.
		expect(text.includes(API_KEY.slice(0, 16)), `part of the API key leaked into ${place}`).toBe(false);
	}
	expect(run.standIn.authorizationSeen, 'the image host received an Authorization header').toBe(false);
}

// ---------------------------------------------------------------------------------------------
// Every validation case
// ---------------------------------------------------------------------------------------------

describe('the key does not leak from validation errors', () => {
	const names = validationCases({ inputHost: 'http://input-host.invalid' }).map((c, index) => [c.name, index] as const);

	it.each(names)('%s', async (_, index) => {
		const c = validationCases({ inputHost: inputHost!.url })[index];
		for (const continueOnFail of [false, true]) {
			const run = await stepfun.run(c.parameters, { items: c.items, credentials: c.credentials, continueOnFail });
			expect(continueOnFail ? run.items[0]?.json.error : run.error?.message).toBe(c.message);
			expectNoKey(run);
			expect(run.standIn.requests).toEqual([]);
		}
	});
});

// ---------------------------------------------------------------------------------------------
// A broad set of faults
// ---------------------------------------------------------------------------------------------

interface Fault {
	name: string;
	parameters?: INodeParameters;
	options?: IDataObject;
	items?: InputItem[];
	credentials?: (standIn: StandIn) => IDataObject;
	setup?: (standIn: StandIn) => void;
	faults?: ScriptedResponse[];
	faultPath?: string;
	imageFaults?: ScriptedResponse[];
	/** Whether the run ends in success (otherwise an error, or an error item with Continue On Fail). */
	succeeds?: boolean;
	/** Extra checks on the error the user sees. */
	check?: (error: Error) => void;
}

const photo = makePng(48, 32, 'secret test photo');
const photoItems: InputItem[] = [{ json: {}, binary: { data: { bytes: photo, fileName: 'me.png', mimeType: 'image/png' } } }];
const stepFunError = (status: number, message: string, type = 'request_params_invalid', headers: Record<string, string> = {}): ScriptedResponse => ({
	status,
	headers,
	body: { error: { message, type } },
});
const hidden = (error: Error) => expect(error.message).toContain('[API key hidden]');

const faults: Fault[] = [
	{ name: '400 with a StepFun error body', faults: [stepFunError(400, 'steps must be in range [1, 50]')] },
	{
		name: '400 whose message echoes the key',
		faults: [stepFunError(400, `invalid request from key ${API_KEY}`)],
		check: hidden,
	},
	{ name: '401 from the stand-in (key of another region)', setup: (standIn) => (standIn.apiKey = 'sk-other-region') },
	{
		name: '401 from a gateway that echoes the Authorization header as HTML',
		faults: [
			{
				status: 401,
				headers: { 'content-type': 'text/html' },
				body: `<html><body><h1>401</h1><pre>Authorization: Bearer ${API_KEY}</pre></body></html>`,
			},
		],
		check: hidden,
	},
	{
		name: '401 from a gateway that echoes the key as JSON {"message"}',
		faults: [{ status: 401, body: { message: `Invalid token: Bearer ${API_KEY}` } }],
		check: hidden,
	},
	{ name: '402 balance', faults: [stepFunError(402, 'Insufficient balance', 'insufficient_balance')] },
	{ name: '403', faults: [stepFunError(403, 'model not permitted', 'permission_denied')] },
	{ name: '404 on the image path', faults: [stepFunError(404, 'Not Found', 'not_found')] },
	{ name: '404 from a wrong Base URL', credentials: (standIn) => ({ baseUrl: `${standIn.baseUrl}/step_plan/v1` }) },
	{ name: '429 then success', options: { maxRetries: 1 }, faults: [stepFunError(429, 'Rate limit', 'rate_limit', NOW)], succeeds: true },
	{
		name: '429 three times, more than Max Retries (waited for)',
		options: { maxRetries: 2 },
		faults: [0, 1, 2].map(() => stepFunError(429, 'Rate limit', 'rate_limit', NOW)),
		succeeds: true,
	},
	{ name: '429 asking to wait an hour', options: { maxRetries: 2 }, faults: [stepFunError(429, 'Rate limit', 'rate_limit', { 'retry-after': '3600' })] },
	{ name: '451 moderation', faults: [stepFunError(451, 'The prompt failed moderation', 'content_policy')] },
	{ name: '503 then success', options: { maxRetries: 1 }, faults: [stepFunError(503, 'Unavailable', 'server_error', NOW)], succeeds: true },
	{ name: '500, Retry Possibly Billed Requests on', options: { maxRetries: 1, retryAfterTimeout: true }, faults: [stepFunError(500, 'Internal error', 'server_error', NOW)], succeeds: true },
	{ name: '503 then success', options: { maxRetries: 1 }, faults: [stepFunError(503, 'Busy', 'server_error', NOW)], succeeds: true },
	{ name: '504 every time', options: { maxRetries: 1 }, faults: [{ status: 504, headers: NOW }, { status: 504, headers: NOW }] },
	{
		name: '502 with an HTML body that echoes the key',
		faults: [{ status: 502, headers: { 'content-type': 'text/html' }, body: `<html><body>Bad Gateway (upstream said: key ${API_KEY} rejected)</body></html>` }],
		check: hidden,
	},
	{
		name: 'an X-Trace-Id header that echoes the key',
		faults: [{ status: 400, headers: { 'x-trace-id': `trace-${API_KEY}` }, body: { error: { message: 'bad', type: 'x' } } }],
	},
	{ name: 'connection reset after sending', faults: [{ reset: true }] },
	{ name: 'connection reset, Retry Possibly Billed Requests on', options: { retryAfterTimeout: true, maxRetries: 1 }, faults: [{ reset: true }], succeeds: true },
	{ name: 'server never answers (timeout 1 s)', options: { timeout: 1 }, faults: [{ hang: true }] },
	{ name: 'nothing listening at the Base URL', credentials: () => ({ baseUrl: 'http://127.0.0.1:9/v1' }) },
	{ name: '200 with malformed JSON', faults: [{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"created": 1, "data": [' }] },
	{ name: '200 with data: []', faults: [{ transform: (json) => ({ ...json, data: [] }) }] },
	{
		name: 'an entry with neither b64_json nor url',
		faults: [{ transform: (json) => ({ ...json, data: [{ seed: 1, finish_reason: 'success' }] }) }],
	},
	{ name: 'b64_json that is not base64', faults: [{ transform: (json) => ({ ...json, data: [{ ...json.data[0], b64_json: '***not base64***' }] }) }] },
	{
		name: 'b64_json that is not an image',
		faults: [{ transform: (json) => ({ ...json, data: [{ ...json.data[0], b64_json: Buffer.from('plain text').toString('base64') }] }) }],
	},
	{
		name: 'content_filtered (Error)',
		faults: [{ transform: (json) => ({ ...json, data: [{ seed: 1, finish_reason: 'content_filtered' }] }) }],
	},
	{
		name: 'content_filtered (Output Item Without Image)',
		options: { onContentFiltered: 'outputItem' },
		faults: [{ transform: (json) => ({ ...json, data: [{ seed: 1, finish_reason: 'content_filtered' }] }) }],
		succeeds: true,
	},
	{ name: 'url mode: the image downloads', options: { responseFormat: 'url' }, succeeds: true },
	{
		name: 'url mode: the image link redirects to the image',
		options: { responseFormat: 'url' },
		setup: (standIn) => (standIn.urlMode = 'redirect'),
		succeeds: true,
	},
	{ name: 'url mode: the link answers 403', options: { responseFormat: 'url' }, imageFaults: [{ status: 403, body: 'AccessDenied' }] },
	{ name: 'url mode: the link answers 404', options: { responseFormat: 'url' }, imageFaults: [{ status: 404, body: 'NoSuchKey' }] },
	{ name: 'url mode: the image host resets', options: { responseFormat: 'url' }, imageFaults: [{ reset: true }] },
	{ name: 'url mode: the image host never answers', options: { responseFormat: 'url', timeout: 1 }, imageFaults: [{ hang: true }] },
	{
		name: 'the API answers 307 to another origin (must not follow with the key)',
		faults: [{ status: 307, headers: { location: 'IMAGE_HOST/images/elsewhere.png' } }],
	},
	{
		name: 'the API answers 302 to another origin',
		faults: [{ status: 302, headers: { location: 'IMAGE_HOST/redirect/elsewhere.png' } }],
	},
	{ name: 'Edit: 400 on /images/edits', parameters: edit('Add a hat'), items: photoItems, faultPath: EDITS, faults: [stepFunError(400, 'image cannot be read')] },
	{ name: 'Edit: 503 then success', parameters: edit('Add a hat', { maxRetries: 1 }), items: photoItems, faultPath: EDITS, faults: [{ status: 503, headers: NOW }], succeeds: true },
	{ name: 'Edit: success', parameters: edit('Add a hat'), items: photoItems, succeeds: true },
	{
		name: 'Edit: the Image URL never answers (timeout 1 s)',
		parameters: edit('Add a hat', { timeout: 1 }, { imageSource: 'url', imageUrl: 'IMAGE_HOST/images/input.png' }),
		imageFaults: [{ hang: true }],
	},
	{
		name: 'Edit: the Image URL answers 403',
		parameters: edit('Add a hat', {}, { imageSource: 'url', imageUrl: 'IMAGE_HOST/images/input.png' }),
		imageFaults: [{ status: 403, body: 'AccessDenied' }],
	},
	{
		name: 'Edit: the Image URL answers 404',
		parameters: edit('Add a hat', {}, { imageSource: 'url', imageUrl: '={{ $json.link }}' }),
		items: [{ json: { link: 'INPUT_HOST/gone.png' } }],
	},
];

/** Fills in the addresses only known once the servers run. */
function withHosts(value: unknown, standIn: StandIn): unknown {
	if (typeof value === 'string') {
		return value.replace('IMAGE_HOST', standIn.imageBaseUrl).replace('INPUT_HOST', inputHost!.url);
	}
	if (Array.isArray(value)) return value.map((entry) => withHosts(entry, standIn));
	if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
		return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, withHosts(entry, standIn)]));
	}
	return value;
}

describe('the key does not leak from faults', () => {
	const onErrors = ['stopWorkflow', 'continueRegularOutput', 'continueErrorOutput'] as const;
	it.each(faults.flatMap((fault) => onErrors.map((onError) => [fault.name, onError, fault] as const)))(
		'%s (On Error: %s)',
		async (_, onError, fault) => {
			const standIn = stepfun.standIn;
			fault.setup?.(standIn);
			if (fault.faults) {
				// withHosts keeps functions (transform) as they are.
				standIn.fault(fault.faultPath ?? GENERATIONS, ...(withHosts(fault.faults, standIn) as ScriptedResponse[]));
			}
			if (fault.imageFaults) standIn.imageFault(...fault.imageFaults);
			const parameters = (withHosts(fault.parameters, standIn) as INodeParameters | undefined) ?? generate('A red fox in snow', { maxRetries: 0, ...fault.options });
			const run = await stepfun.run(parameters, {
				items: withHosts(fault.items, standIn) as InputItem[] | undefined,
				credentials: fault.credentials?.(standIn),
				onError,
			});

			expectNoKey(run);
			// The key really was sent to the API, so not finding it elsewhere means something.
			for (const request of run.standIn.requests) expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
			for (const request of run.standIn.imageRequests) expect(request.headers.authorization).toBeUndefined();

			if (fault.succeeds) {
				expect(run.error).toBeUndefined();
				expect(run.items.length).toBeGreaterThan(0);
				expect(run.items.every((item) => item.json.error === undefined)).toBe(true);
			} else if (onError !== 'stopWorkflow') {
				expect(run.error).toBeUndefined();
				// The failed item, on the error output or in place of the image: `error` is the message.
				const failed = run.outputs[onError === 'continueErrorOutput' ? 1 : 0];
				expect(failed).toHaveLength(1);
				expect(failed[0].json.error).toEqual(expect.any(String));
				expect(failed[0].pairedItem).toEqual({ item: 0 });
			} else {
				expect(run.error).toBeDefined();
				fault.check?.(run.error!);
			}
		},
	);
});

// ---------------------------------------------------------------------------------------------
// Redirects and downloads
// ---------------------------------------------------------------------------------------------

describe('downloads never carry the key', () => {
	it('the result image download has no Authorization header, also after a redirect', async () => {
		stepfun.standIn.urlMode = 'redirect';
		const run = await stepfun.run(generate('A lighthouse', { responseFormat: 'url' }));
		expect(run.error).toBeUndefined();
		expect(run.standIn.imageRequests.map((request) => request.path)).toEqual([
			expect.stringMatching(/^\/redirect\//),
			expect.stringMatching(/^\/images\//),
		]);
		for (const request of run.standIn.imageRequests) expect(request.headers.authorization).toBeUndefined();
		expect(run.standIn.authorizationSeen).toBe(false);
		expectNoKey(run);
	});

	it('an API answer redirecting to another host is not followed with the key', async () => {
		const other = await startLoopbackServer(() => ({ status: 200, body: { created: 1, data: [] } }));
		try {
			stepfun.standIn.fault(GENERATIONS, { status: 307, headers: { location: `${other.url}/v1/images/generations` } });
			const run = await stepfun.run(generate('A lighthouse'));
			expect(run.standIn.requests[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
			// The request may be followed (n8n follows redirects) but never with the Authorization header.
			for (const request of other.requests) expect(request.headers.authorization).toBeUndefined();
			expect(run.error).toBeInstanceOf(NodeApiError);
			expectNoKey(run);
		} finally {
			await other.close();
		}
	});

	it('the Image URL download (Edit) has no Authorization header, also after a redirect', async () => {
		const host = await startLoopbackServer((request): LoopbackAnswer =>
			request.url.startsWith('/moved')
				? { status: 302, headers: { location: '/photo.png' } }
				: { status: 200, headers: { 'content-type': 'image/png' }, body: photo },
		);
		try {
			const run = await stepfun.run(edit('Add a hat', {}, { imageSource: 'url', imageUrl: `${host.url}/moved/photo.png` }));
			expect(run.error).toBeUndefined();
			expect(host.requests.map((request) => request.url)).toEqual(['/moved/photo.png', '/photo.png']);
			for (const request of host.requests) expect(request.headers.authorization).toBeUndefined();
			expect(run.standIn.requests[0].image?.bytes.equals(photo)).toBe(true);
			expectNoKey(run);
		} finally {
			await host.close();
		}
	});
});

describe('a download larger than 64 MiB is an error, not an out-of-memory', () => {
	const TOO_BIG = 200 * MiB;

	it.each([
		['announced by Content-Length', 'with-length'],
		['without Content-Length (chunked)', 'chunked'],
	])('result image (url mode), %s', async (_, mode) => {
		const link = `${bigHost!.url}/${mode}/huge.png?bytes=${TOO_BIG}`;
		stepfun.standIn.fault(GENERATIONS, { transform: (json) => ({ ...json, data: [{ ...json.data[0], url: link }] }) });
		const before = bigHost!.requests.length;
		const run = await stepfun.run(generate('A huge image', { responseFormat: 'url' }));

		expect(run.error).toBeInstanceOf(NodeApiError);
		expect(run.error?.message).toBe('Could not download the image StepFun made: it is larger than 64 MiB');
		expect((run.error as NodeApiError).description).toMatch(
			mode === 'with-length' ? /^The download was not started\./ : /^The download was stopped\./,
		);
		const served = bigHost!.requests.slice(before);
		expect(served).toHaveLength(1);
		expect(served[0].headers.authorization).toBeUndefined();
		// The node stopped reading: the server never got to send the whole 200 MiB.
		expect(served[0].completed).toBe(false);
		expect(served[0].bytesSent).toBeLessThan(TOO_BIG);
		if (mode === 'with-length') expect(served[0].bytesSent).toBeLessThan(64 * MiB);
		expectNoKey(run);
	});

	it('input image from Image URL (Edit), without Content-Length', async () => {
		const before = bigHost!.requests.length;
		const run = await stepfun.run(
			edit('Add a hat', {}, { imageSource: 'url', imageUrl: `${bigHost!.url}/chunked/huge.png?bytes=${TOO_BIG}` }),
		);
		// The user's own link: their input, nothing sent, never worded as StepFun's failure.
		expect(run.error).toBeInstanceOf(NodeOperationError);
		expect(run.error?.message).toBe(`Image URL: could not download the image from ${new URL(bigHost!.url).host}: it is larger than 64 MiB (item 0)`);
		expect(bigHost!.requests.slice(before)[0].completed).toBe(false);
		expect(run.standIn.requests).toEqual([]);
		expectNoKey(run);
	});

	it('a download of exactly 64 MiB is not refused for its size', async () => {
		// 64 MiB of zeros after a PNG signature is no image, but it passes the size cap.
		const before = bigHost!.requests.length;
		const run = await stepfun.run(
			edit('Add a hat', {}, { imageSource: 'url', imageUrl: `${bigHost!.url}/chunked/edge.png?bytes=${64 * MiB}` }),
		);
		expect(bigHost!.requests.slice(before)[0].completed).toBe(true);
		expect(run.error?.message).toBe(`Image URL: "edge.png" from ${new URL(bigHost!.url).host} is a damaged or incomplete PNG (item 0)`);
		expect(run.standIn.requests).toEqual([]);
	});
});
