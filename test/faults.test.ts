/**
 * StepFun faults, retries and timeouts: every fault StepFun (or the network) can
 * produce, run through n8n's engine against the stand-in, and exactly what the user sees.
 *
 * Scripted 429/5xx answers carry `Retry-After: 0` to keep the suite fast; the one case without it
 * ("503 then success, no Retry-After") exercises the jittered exponential backoff.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { readFixture } from './fixtures/index.mjs';
import { edit, generate, useStandIn } from './helpers/stepfun';
import type { InputItem } from './helpers/run-node';
import { makePng } from './stand-in/server.mjs';
import type { ScriptedResponse, StandIn } from './stand-in/server.mjs';

const stepfun = useStandIn();

const GENERATIONS = '/v1/images/generations';
const EDITS = '/v1/images/edits';
const NOW = { 'retry-after': '0' };

const stepFunError = (status: number, message: string, type: string, headers: Record<string, string> = {}): ScriptedResponse => ({
	status,
	headers,
	body: { error: { message, type } },
});

const BILLED =
	'The request was sent, so StepFun may still have made (and billed) the image; it was not resent automatically.';
const SERVER_PROBLEM = 'StepFun had a server problem. Try again later.';
const UNAVAILABLE = "StepFun's image service may be unavailable";
const LASTING = "A lasting 503 or 404 means StepFun's image service is unavailable.";
const POSSIBLY_BILLED =
	'It was not resent automatically: StepFun may already have made (and billed) the image. Turn on "Retry Possibly Billed Requests" to resend it anyway.';

interface FaultCase {
	name: string;
	/** Node parameters; default: Generate with the prompt "A red fox in snow" and `options`. */
	parameters?: INodeParameters;
	options?: IDataObject;
	items?: InputItem[];
	credentials?: (standIn: StandIn) => IDataObject;
	faults?: ScriptedResponse[];
	/** Scripted answers of the image host (response_format url downloads). */
	imageFaults?: ScriptedResponse[];
	/** Requests that reached the API, and what each was answered (0 = reset or no answer). */
	statuses: number[];
	/** Downloads from the image host. */
	downloads?: number;
	/** Success: how many output items; otherwise the error the user sees. */
	outputs?: number;
	message?: string;
	description?: Array<string | RegExp>;
	/** NodeApiError.httpCode; null when no HTTP answer came. */
	httpCode?: string | null;
	/** Whether the description names the X-Trace-Id of the last API answer (no answer, no trace ID). */
	trace?: boolean;
}

const cases: FaultCase[] = [
	{
		name: '400 with StepFun error body: its message is surfaced, not retried',
		faults: [stepFunError(400, 'steps must be in range [1, 50] (got 60)', 'request_params_invalid', NOW)],
		statuses: [400],
		message: 'StepFun error 400: steps must be in range [1, 50] (got 60)',
		description: ['StepFun rejected a parameter. Check the fields named in the message.'],
		httpCode: '400',
		trace: true,
	},
	{
		name: '400 whose StepFun error message is empty: the status, never an empty message',
		faults: [stepFunError(400, '', 'request_params_invalid', NOW)],
		statuses: [400],
		message: 'StepFun answered HTTP 400',
		description: ['StepFun rejected a parameter. Check the fields named in the message.'],
		httpCode: '400',
		trace: true,
	},
	{
		name: '401 (key of the other region): says to check the key and the Region',
		credentials: () => ({ apiKey: 'sk-key-from-the-china-platform' }),
		statuses: [401],
		message: 'StepFun error 401: Incorrect API key provided',
		description: [
			"Check the API key, and that the credential's Region matches where the key was created",
			'platform.stepfun.ai only works with International',
			'platform.stepfun.com only with China',
		],
		httpCode: '401',
		trace: true,
	},
	{
		name: '402: says the balance is too low',
		faults: [stepFunError(402, 'Insufficient account balance', 'insufficient_balance')],
		statuses: [402],
		message: 'StepFun error 402: Insufficient account balance',
		description: ['Your StepFun account balance is too low. Top up on the StepFun platform, then run again.'],
		httpCode: '402',
		trace: true,
	},
	{
		name: '404 on the image path: the image service may be unavailable, check Region/Base URL',
		faults: [stepFunError(404, 'Not Found', 'not_found')],
		statuses: [404],
		message: 'StepFun error 404: Not Found',
		description: [
			'The image endpoint was not found.',
			UNAVAILABLE,
			"check the credential's Region or Base URL",
		],
		httpCode: '404',
		trace: true,
	},
	{
		name: '404 from a wrong Base URL (…/step_plan/v1 on a host without it): same hint',
		credentials: (standIn) => ({ baseUrl: `${standIn.baseUrl}/step_plan/v1` }),
		statuses: [404],
		message: 'StepFun error 404: Not Found',
		description: ['The image endpoint was not found.', UNAVAILABLE, "check the credential's Region or Base URL"],
		httpCode: '404',
		trace: true,
	},
	{
		name: '429 then success: retried after Retry-After',
		faults: [stepFunError(429, 'Rate limit reached', 'rate_limit_exceeded', NOW)],
		statuses: [429, 200],
		outputs: 1,
	},
	{
		name: '429 five times in a row, Max Retries 3: waited for (a 429 makes and bills nothing), not counted as retries',
		options: { maxRetries: 3 },
		faults: Array.from({ length: 5 }, () => stepFunError(429, 'Rate limit reached', 'rate_limit_exceeded', NOW)),
		statuses: [429, 429, 429, 429, 429, 200],
		outputs: 1,
	},
	{
		name: '429 asking to wait an hour, longer than the Timeout: not waited for, says why',
		faults: [stepFunError(429, 'Rate limit reached', 'rate_limit_exceeded', { 'retry-after': '3600' })],
		statuses: [429],
		message: 'StepFun error 429: Rate limit reached',
		description: [
			"StepFun asked to wait 3600 seconds before trying again, longer than this request's Timeout (120 seconds), so it was not retried",
			'Raise Timeout (Seconds) to wait that long, or run later.',
		],
		httpCode: '429',
		trace: true,
	},
	{
		name: '451: moderation, not retried',
		faults: [stepFunError(451, 'The request failed content moderation', 'content_moderation', NOW)],
		statuses: [451],
		message: 'StepFun error 451: The request failed content moderation',
		description: ["The prompt, the input image or the result failed StepFun's content moderation. Change the prompt or image."],
		httpCode: '451',
		trace: true,
	},
	{
		name: '500: not resent by default (StepFun may have made and billed the image)',
		faults: [stepFunError(500, 'Internal server error', 'server_error', NOW)],
		statuses: [500],
		message: 'StepFun error 500: Internal server error',
		description: [SERVER_PROBLEM, POSSIBLY_BILLED],
		httpCode: '500',
		trace: true,
	},
	{
		name: '500 with Retry Possibly Billed Requests on: resent, then success',
		options: { retryAfterTimeout: true },
		faults: [stepFunError(500, 'Internal server error', 'server_error', NOW)],
		statuses: [500, 200],
		outputs: 1,
	},
	{
		name: '503 then success, no Retry-After: retried after the exponential backoff',
		faults: [{ status: 503, body: '' }],
		statuses: [503, 200],
		outputs: 1,
	},
	{
		name: '504 from a gateway: not resent by default (StepFun may still make and bill the image)',
		faults: [{ status: 504, headers: NOW, body: 'upstream request timeout' }],
		statuses: [504],
		message: 'StepFun answered HTTP 504: upstream request timeout',
		description: [SERVER_PROBLEM, POSSIBLY_BILLED],
		httpCode: '504',
		trace: true,
	},
	{
		name: '504 with Retry Possibly Billed Requests on: resent, then success',
		options: { retryAfterTimeout: true },
		faults: [{ status: 504, headers: NOW, body: 'upstream request timeout' }],
		statuses: [504, 200],
		outputs: 1,
	},
	{
		name: '503 every time: service may be unavailable (offline announcement), gives up after Max Retries',
		options: { maxRetries: 1 },
		faults: [
			stepFunError(503, 'Service temporarily unavailable', 'server_error', NOW),
			stepFunError(503, 'Service temporarily unavailable', 'server_error', NOW),
		],
		statuses: [503, 503],
		message: 'StepFun error 503: Service temporarily unavailable',
		description: [SERVER_PROBLEM, LASTING, 'Gave up after 2 attempts.'],
		httpCode: '503',
		trace: true,
	},
	{
		name: '502 with an HTML body from a gateway: readable text, not markup',
		options: { maxRetries: 0 },
		faults: [
			{
				status: 502,
				headers: { 'content-type': 'text/html' },
				body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
			},
		],
		statuses: [502],
		message: 'StepFun answered HTTP 502: 502 Bad Gateway 502 Bad Gateway nginx',
		description: [SERVER_PROBLEM, LASTING],
		httpCode: '502',
		trace: true,
	},
	{
		name: 'connection reset after the body was sent: not resent (may be billed)',
		faults: [{ reset: true }],
		statuses: [0],
		message: 'The connection to StepFun broke before an answer arrived (ECONNRESET)',
		description: [BILLED, 'turn on "Retry Possibly Billed Requests" if a possible double charge is acceptable'],
		httpCode: null,
		trace: false,
	},
	{
		name: 'connection reset with Retry Possibly Billed Requests on: resent once, then success',
		options: { retryAfterTimeout: true },
		faults: [{ reset: true }],
		statuses: [0, 200],
		outputs: 1,
	},
	{
		name: 'server never answers: times out after Timeout, not resent (may be billed)',
		options: { timeout: 1 },
		faults: [{ hang: true }],
		statuses: [0],
		message: 'StepFun did not answer within 1 second',
		description: [BILLED, 'Raise the Timeout option'],
		httpCode: null,
		trace: false,
	},
	{
		name: 'server never answers, Retry Possibly Billed Requests on: resent, then success',
		options: { timeout: 1, retryAfterTimeout: true },
		faults: [{ hang: true }],
		statuses: [0, 200],
		outputs: 1,
	},
	{
		name: 'nothing listening at the Base URL: could not connect, nothing sent',
		options: { maxRetries: 0 },
		credentials: () => ({ baseUrl: 'http://127.0.0.1:1' }),
		statuses: [],
		message: 'Could not connect to StepFun at http://127.0.0.1:1/v1 (ECONNREFUSED)',
		description: ["Nothing was sent. Check the credential's Region or Base URL and this machine's network."],
		httpCode: null,
		trace: false,
	},
	{
		name: '200 with malformed JSON',
		faults: [{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"created": 1700000000, "data": [{"b64_' }],
		statuses: [200],
		message: 'StepFun answered with something that is not JSON',
		description: ['The response to /images/generations could not be read.', "check the credential's Base URL"],
		httpCode: '200',
		trace: true,
	},
	{
		name: '200 with data: []',
		faults: [{ transform: (json) => ({ ...json, data: [] }) }],
		statuses: [200],
		message: 'StepFun returned no image',
		description: ['The answer had no images in "data".', 'quote the trace ID to StepFun support'],
		httpCode: '200',
		trace: true,
	},
	{
		name: 'an entry with neither b64_json nor url',
		faults: [{ transform: (json) => ({ ...json, data: [{ seed: 1, finish_reason: 'success' }] }) }],
		statuses: [200],
		message: 'StepFun returned an image entry with neither b64_json nor url',
		description: ['The answer held no image data.'],
		httpCode: '200',
		trace: true,
	},
	{
		name: 'b64_json that is not base64',
		faults: [
			{
				transform: (json) => {
					json.data[0].b64_json = 'iVBORw0KGgo%%%not*base64!!';
				},
			},
		],
		statuses: [200],
		message: 'StepFun returned image data that is not valid base64',
		description: ['The image could not be decoded. Run again.'],
		httpCode: '200',
		trace: true,
	},
	{
		name: 'b64_json that decodes to something other than an image',
		faults: [
			{
				transform: (json) => {
					json.data[0].b64_json = Buffer.from('<html>not an image</html>').toString('base64');
				},
			},
		],
		statuses: [200],
		message: 'StepFun returned image data that is not an image',
		description: ['The data could not be read as PNG, JPEG or WebP.'],
		httpCode: '200',
		trace: true,
	},
	{
		// A format the node only names (no size to report) is not passed on as an image.
		name: 'b64_json that decodes to a HEIC',
		faults: [
			{
				transform: (json) => {
					json.data[0].b64_json = readFixture('heic-iphone.heic').toString('base64');
				},
			},
		],
		statuses: [200],
		message: 'StepFun returned image data that is not an image',
		description: ['The data could not be read as PNG, JPEG or WebP.'],
		httpCode: '200',
		trace: true,
	},
	{
		name: 'url that answers 403 (expired signed link)',
		options: { responseFormat: 'url' },
		imageFaults: [{ status: 403, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' }],
		statuses: [200],
		downloads: 1,
		message: 'Could not download the image StepFun made: HTTP 403',
		description: [
			'The image link has expired or is not valid (StepFun links last about 2 hours).',
			'choose Response Format "Base64 (in the Response)"',
		],
		httpCode: '403',
		trace: true,
	},
	{
		name: 'url that answers 404 (link no longer exists)',
		options: { responseFormat: 'url' },
		faults: [
			{
				transform: (json) => {
					json.data[0].url = json.data[0].url.replace(/\/images\/[0-9a-f]+\.png$/, '/images/0123456789abcdef.png');
				},
			},
		],
		statuses: [200],
		downloads: 1,
		message: 'Could not download the image StepFun made: HTTP 404',
		description: ['The image link has expired or is not valid'],
		httpCode: '404',
		trace: true,
	},
	{
		name: 'finish_reason content_filtered (default On Content Filtered: Error)',
		faults: [
			{
				transform: (json) => ({ ...json, data: [{ seed: json.data[0].seed, finish_reason: 'content_filtered' }] }),
			},
		],
		statuses: [200],
		message: 'StepFun stopped the image at content moderation (finish reason content_filtered)',
		description: [
			'Change the prompt or input image.',
			'set the option "On Content Filtered" to "Output Item Without Image" or "Skip"',
		],
		httpCode: '200',
		trace: true,
	},
	{
		name: 'Edit: 503 then success resends the whole multipart body (image included)',
		parameters: edit('Make the sky stormy'),
		items: [{ binary: { data: { bytes: makePng(32, 24, 'input'), fileName: 'photo.png', mimeType: 'image/png' } } }],
		faults: [stepFunError(503, 'Service temporarily unavailable', 'server_error', NOW)],
		statuses: [503, 200],
		outputs: 1,
	},
	{
		name: 'Edit: 401 on /images/edits',
		parameters: edit('Make the sky stormy'),
		items: [{ binary: { data: { bytes: makePng(32, 24, 'input'), fileName: 'photo.png', mimeType: 'image/png' } } }],
		credentials: () => ({ apiKey: 'sk-wrong' }),
		statuses: [401],
		message: 'StepFun error 401: Incorrect API key provided',
		description: ["that the credential's Region matches where the key was created"],
		httpCode: '401',
		trace: true,
	},
];

describe('StepFun faults: what the user sees', () => {
	it.each(cases)('$name', async (fault) => {
		const standIn = stepfun.standIn;
		const parameters = fault.parameters ?? generate('A red fox in snow', fault.options ?? {});
		const path = parameters.operation === 'edit' ? EDITS : GENERATIONS;
		if (fault.faults) standIn.fault(path, ...fault.faults);
		if (fault.imageFaults) standIn.imageFault(...fault.imageFaults);

		const { items, error, logs } = await stepfun.run(parameters, {
			items: fault.items,
			credentials: fault.credentials?.(standIn),
		});

		// How many requests were sent (retries only where safe), and what each got.
		expect(standIn.requests.map((request) => request.status)).toEqual(fault.statuses);
		expect(standIn.imageRequests).toHaveLength(fault.downloads ?? 0);
		// A retry resends the very same request (a multipart body differs only in its boundary).
		const bodies = standIn.requests.map((request) => {
			const boundary = /boundary=([^;]+)/.exec(request.contentType ?? '')?.[1];
			const body = request.rawBody.toString('latin1');
			return boundary ? body.split(boundary).join('BOUNDARY') : body;
		});
		expect(new Set(bodies).size).toBeLessThanOrEqual(1);

		if (fault.outputs !== undefined) {
			expect(error).toBeUndefined();
			expect(items).toHaveLength(fault.outputs);
			expect(items[0].json.finishReason).toBe('success');
			expect(items[0].binary?.data.mimeType).toBe('image/png');
			if (parameters.operation === 'edit') {
				const input = fault.items![0].binary!.data.bytes;
				expect(standIn.requests.every((request) => request.rawBody.includes(input))).toBe(true);
			}
			return;
		}

		expect(items).toEqual([]);
		expect(error).toBeInstanceOf(NodeApiError);
		const apiError = error as NodeApiError;
		expect(apiError.message).toBe(fault.message);
		for (const part of fault.description ?? []) {
			if (typeof part === 'string') expect(apiError.description).toContain(part);
			else expect(apiError.description).toMatch(part);
		}
		expect(apiError.httpCode ?? null).toBe(fault.httpCode);
		expect(apiError.context.itemIndex).toBe(0);

		const answered = standIn.requests.at(-1);
		if (fault.trace) {
			const traceId = answered!.traceId;
			expect(apiError.description).toContain(`StepFun trace ID: ${traceId} (quote it to StepFun support).`);
			expect(apiError.context.traceId).toBe(traceId);
		} else {
			expect(apiError.description).not.toContain('trace ID');
			expect(apiError.context.traceId).toBeUndefined();
		}
		// Nothing the user sees carries the request (it holds the key).
		expect(JSON.stringify({ message: apiError.message, description: apiError.description, logs })).not.toMatch(/Bearer/);
	});

	it('has at least 15 distinct faults in the table', () => {
		expect(cases.length).toBeGreaterThanOrEqual(15);
		expect(new Set(cases.map((fault) => fault.name)).size).toBe(cases.length);
	});
});
