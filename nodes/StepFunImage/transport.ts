import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { apiBaseUrl } from './limits';

export const CREDENTIAL_TYPE = 'stepFunApi';

/** How one item's requests are sent; read from the node's options. */
export interface RequestSettings {
	timeoutMs: number;
	maxRetries: number;
	/** Resend a request whose outcome is unknown (timeout, reset). It may be billed twice. */
	retryAfterTimeout: boolean;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A Retry-After longer than this is not waited for: the run would look hung. */
const RETRY_AFTER_MAX_MS = 60_000;

/**
 * Backoff shared by every request of one node run: when StepFun says 429, all
 * requests in flight wait, instead of each hammering the rate limit on its own.
 */
export class RateGate {
	private pausedUntil = 0;

	pause(ms: number): void {
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
	}

	async wait(): Promise<void> {
		for (let left = this.pausedUntil - Date.now(); left > 0; left = this.pausedUntil - Date.now()) {
			await sleep(left);
		}
	}
}

export interface ApiResponse {
	body: unknown;
	status: number;
	traceId?: string;
}

type Body = IDataObject | FormData;

interface HttpResponse {
	body: Buffer | undefined;
	headers: Record<string, string | string[] | undefined>;
	statusCode: number;
}

function header(headers: HttpResponse['headers'], name: string): string | undefined {
	const value = headers[name] ?? headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** The API root from the credential, checked once per run. */
export async function resolveApiBaseUrl(ctx: IExecuteFunctions): Promise<string> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const result = apiBaseUrl(String(credentials.region ?? 'international'), credentials.baseUrl);
	if ('error' in result) {
		throw new NodeOperationError(ctx.getNode(), `${result.error} (credential field "Base URL")`, {
			description:
				'Open the StepFun API credential and enter a Base URL such as https://api.stepfun.ai/v1, or pick the International or China region.',
		});
	}
	return result.url;
}

function backoffMs(attempt: number): number {
	const exponential = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
	// Jitter spreads out clients that failed together.
	return Math.round(exponential * (0.5 + Math.random() * 0.5));
}

/** Retry-After in ms (seconds or an HTTP date), if the response has a usable one. */
function retryAfterMs(headers: HttpResponse['headers']): number | undefined {
	const value = header(headers, 'retry-after');
	if (value === undefined || value.trim() === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

type NetworkFailure = 'not-sent' | 'timeout' | 'unknown';

/** Whether a failed request could have reached StepFun (and so may be billed). */
function classifyNetworkError(error: { code?: string; cause?: { code?: string } }): {
	failure: NetworkFailure;
	code: string;
} {
	const code = String(error.cause?.code ?? error.code ?? 'UNKNOWN');
	if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) {
		return { failure: 'not-sent', code };
	}
	if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
		return { failure: 'timeout', code };
	}
	return { failure: 'unknown', code };
}

function parseJson(buffer: Buffer | undefined): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(buffer?.toString('utf8') ?? '') };
	} catch {
		return { ok: false };
	}
}

/** StepFun's `{"error":{"message","type"}}`, or a short excerpt of whatever else came back. */
function stepFunErrorMessage(body: Buffer | undefined): {
	message?: string;
	type?: string;
	excerpt?: string;
} {
	const parsed = parseJson(body);
	if (parsed.ok && parsed.value && typeof parsed.value === 'object') {
		const error = (parsed.value as { error?: unknown }).error;
		if (error && typeof error === 'object') {
			const { message, type } = error as { message?: unknown; type?: unknown };
			return {
				message: typeof message === 'string' ? message : undefined,
				type: typeof type === 'string' ? type : undefined,
			};
		}
		if (typeof error === 'string') return { message: error };
		const message = (parsed.value as { message?: unknown }).message;
		if (typeof message === 'string') return { message };
	}
	const text =
		body
			?.toString('utf8')
			.replace(/<[^>]*>/g, ' ')
			.replace(/\s+/g, ' ')
			.trim() ?? '';
	return { excerpt: text === '' ? undefined : text.slice(0, 200) };
}

/** What a user should check for each StepFun status. */
function hintForStatus(status: number, path: string): string {
	switch (status) {
		case 400:
			return 'StepFun rejected a parameter. Check the fields named in the message.';
		case 401:
			return "Check the API key, and that the credential's Region matches where the key was created: a key from platform.stepfun.ai only works with International, one from platform.stepfun.com only with China.";
		case 402:
			return 'Your StepFun account balance is too low. Top up on the StepFun platform, then run again.';
		case 403:
			return "This key is not allowed to use this model or endpoint. Check the model ID and your account's permissions.";
		case 404:
			return path.startsWith('/images')
				? "The image endpoint was not found. StepFun announced its image service offline from 2026-10-10 (a system upgrade, no return date), so it may be unavailable; also check the credential's Region or Base URL."
				: "Not found. Check the credential's Region or Base URL.";
		case 429:
			return "StepFun's rate limit for your account was hit. Lower the Concurrency option, raise Max Retries, or try later.";
		case 451:
			return "The prompt, the input image or the result failed StepFun's content moderation. Change the prompt or image.";
		case 500:
		case 502:
		case 503:
		case 504:
			return path.startsWith('/images')
				? 'StepFun had a server problem. Try again later. StepFun announced its image service offline from 2026-10-10 for an upgrade, so it may be unavailable for now.'
				: 'StepFun had a server problem. Try again later.';
		default:
			return 'See the message from StepFun.';
	}
}

function secondsText(ms: number): string {
	const seconds = Math.round(ms / 1000);
	return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
}

function traceText(traceId: string | undefined): string {
	return traceId ? ` StepFun trace ID: ${traceId} (quote it to StepFun support).` : '';
}

/** The one way API failures leave the node: StepFun's words, the status, the trace ID, and never the request (it holds the key). */
export function stepFunApiError(
	ctx: IExecuteFunctions,
	details: {
		message: string;
		description: string;
		status?: number;
		traceId?: string;
		type?: string;
	},
	itemIndex: number,
): NodeApiError {
	const response: JsonObject = { message: details.message };
	if (details.status !== undefined) response.httpCode = String(details.status);
	if (details.traceId) response.traceId = details.traceId;
	if (details.type) response.type = details.type;
	const error = new NodeApiError(ctx.getNode(), response, {
		message: details.message,
		description: details.description + traceText(details.traceId),
		httpCode: details.status === undefined ? undefined : String(details.status),
		itemIndex,
	});
	// NodeApiError swaps a message naming a system error code (ECONNRESET, ECONNREFUSED ...) for n8n's generic text.
	error.message = details.message;
	if (details.traceId) error.context.traceId = details.traceId;
	return error;
}

/** Some gateways echo the request's key in their error text: cut it out of anything the server said. */
function withoutKey(text: string | undefined, apiKey: string | undefined): string | undefined {
	if (text === undefined || !apiKey || apiKey.length < 8) return text;
	return text.split(apiKey).join('[API key hidden]');
}

/** The credential's key, only to hide it in error texts. */
async function apiKeyToHide(ctx: IExecuteFunctions): Promise<string | undefined> {
	try {
		const { apiKey } = await ctx.getCredentials(CREDENTIAL_TYPE);
		return typeof apiKey === 'string' ? apiKey : undefined;
	} catch {
		return undefined;
	}
}

function httpError(
	ctx: IExecuteFunctions,
	response: HttpResponse,
	path: string,
	itemIndex: number,
	attempts: number,
	apiKey: string | undefined,
): NodeApiError {
	const status = response.statusCode;
	const traceId = withoutKey(header(response.headers, 'x-trace-id'), apiKey);
	const body =
		response.body && apiKey
			? Buffer.from(withoutKey(response.body.toString('utf8'), apiKey) ?? '')
			: response.body;
	const { message, type, excerpt } = stepFunErrorMessage(body);
	const said =
		message ??
		(excerpt ? `StepFun answered HTTP ${status}: ${excerpt}` : `StepFun answered HTTP ${status}`);
	const requested = RETRYABLE_STATUS.has(status) ? retryAfterMs(response.headers) : undefined;
	const tries =
		requested !== undefined && requested > RETRY_AFTER_MAX_MS
			? ` StepFun asked to wait ${secondsText(requested)} before trying again, longer than the node waits (${secondsText(RETRY_AFTER_MAX_MS)}), so it was not retried.`
			: attempts > 1
				? ` Gave up after ${attempts} attempts.`
				: '';
	return stepFunApiError(
		ctx,
		{
			message: message ? `StepFun error ${status}: ${message}` : said,
			description: hintForStatus(status, path) + tries,
			status,
			traceId,
			type,
		},
		itemIndex,
	);
}

/**
 * Sends one StepFun API request with the credential, retrying what is safe to
 * retry: 429 and 5xx answers, and connection errors before anything was sent.
 * A timeout after sending may already be billed (StepFun has no job lookup), so
 * it is only resent when the user allowed it.
 */
export async function stepFunRequest(
	ctx: IExecuteFunctions,
	request: {
		baseUrl: string;
		method: 'GET' | 'POST';
		path: string;
		/** Built afresh for every attempt: a multipart body is consumed when sent. */
		body?: () => Body;
		itemIndex: number;
		settings: RequestSettings;
		gate?: RateGate;
	},
): Promise<ApiResponse> {
	const { settings, itemIndex, path } = request;
	for (let attempt = 0; ; attempt++) {
		const attemptsLeft = attempt < settings.maxRetries;
		await request.gate?.wait();
		const options: IHttpRequestOptions = {
			method: request.method,
			url: `${request.baseUrl}${path}`,
			body: request.body?.(),
			encoding: 'arraybuffer',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: settings.timeoutMs,
			headers: { Accept: 'application/json' },
			// n8n forwards the Authorization header on a cross-origin redirect unless told not to.
			sendCredentialsOnCrossOriginRedirect: false,
		};
		let response: HttpResponse;
		try {
			response = (await ctx.helpers.httpRequestWithAuthentication.call(
				ctx,
				CREDENTIAL_TYPE,
				options,
			)) as HttpResponse;
		} catch (error) {
			const { failure, code } = classifyNetworkError(error as { code?: string });
			if (attemptsLeft && (failure === 'not-sent' || settings.retryAfterTimeout)) {
				await sleep(backoffMs(attempt));
				continue;
			}
			throw networkError(ctx, failure, code, request.baseUrl, settings, itemIndex, attempt + 1);
		}

		const status = response.statusCode;
		if (status >= 200 && status < 300) {
			const traceId = header(response.headers, 'x-trace-id');
			const parsed = parseJson(response.body);
			if (!parsed.ok) {
				throw stepFunApiError(
					ctx,
					{
						message: 'StepFun answered with something that is not JSON',
						description: `The response to ${path} could not be read. This usually means a proxy or gateway answered instead of StepFun; check the credential's Base URL.`,
						status,
						traceId,
					},
					itemIndex,
				);
			}
			return { body: parsed.value, status, traceId };
		}

		if (attemptsLeft && RETRYABLE_STATUS.has(status)) {
			const requested = retryAfterMs(response.headers);
			if (requested === undefined || requested <= RETRY_AFTER_MAX_MS) {
				const delay = requested ?? backoffMs(attempt);
				if (status === 429) request.gate?.pause(delay);
				await sleep(delay);
				continue;
			}
		}
		throw httpError(ctx, response, path, itemIndex, attempt + 1, await apiKeyToHide(ctx));
	}
}

function networkError(
	ctx: IExecuteFunctions,
	failure: NetworkFailure,
	code: string,
	baseUrl: string,
	settings: RequestSettings,
	itemIndex: number,
	attempts: number,
): NodeApiError {
	const tries = attempts > 1 ? ` Gave up after ${attempts} attempts.` : '';
	if (failure === 'not-sent') {
		return stepFunApiError(
			ctx,
			{
				message: `Could not connect to StepFun at ${baseUrl} (${code})`,
				description: `Nothing was sent. Check the credential's Region or Base URL and this machine's network.${tries}`,
			},
			itemIndex,
		);
	}
	const what =
		failure === 'timeout'
			? `StepFun did not answer within ${secondsText(settings.timeoutMs)}`
			: `The connection to StepFun broke before an answer arrived (${code})`;
	return stepFunApiError(
		ctx,
		{
			message: what,
			description: `The request was sent, so StepFun may still have made (and billed) the image; it was not resent automatically. Raise the Timeout option, or turn on "Retry After Timeout" if a possible double charge is acceptable.${tries}`,
		},
		itemIndex,
	);
}

const DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024;

/** Who a download is for decides what its errors tell the user. */
const DOWNLOAD_TEXT = {
	result: {
		what: 'the image StepFun made',
		fix: 'Run again, or choose Response Format "Base64 (in the Response)" to receive the image in the API answer.',
		expired:
			'The image link has expired or is not valid (StepFun links last about 2 hours). Run again, or choose Response Format "Base64 (in the Response)".',
	},
	input: {
		what: 'the input image',
		fix: 'Check that the Image URL is reachable from the n8n server and points straight at the image file.',
		expired: 'The Image URL was refused or not found. Check it in a browser; signed links expire.',
	},
};

/**
 * Downloads an image by URL with a size cap and the timeout. Uses the plain HTTP
 * helper, so the API key is never sent: result links live on StepFun's storage
 * host, and input links belong to someone else entirely.
 */
export async function downloadImage(
	ctx: IExecuteFunctions,
	url: string,
	settings: Pick<RequestSettings, 'timeoutMs'>,
	itemIndex: number,
	purpose: keyof typeof DOWNLOAD_TEXT = 'result',
	/** Trace ID of the API answer that gave the link, for StepFun support. */
	traceId?: string,
): Promise<{ bytes: Buffer; contentType?: string }> {
	const text = DOWNLOAD_TEXT[purpose];
	const failed = (message: string, description: string, status?: number) =>
		stepFunApiError(
			ctx,
			{ message: `Could not download ${text.what}: ${message}`, description, status, traceId },
			itemIndex,
		);
	let response: {
		body: AsyncIterable<Buffer> & { destroy?: () => void };
		headers: HttpResponse['headers'];
		statusCode: number;
	};
	try {
		response = await ctx.helpers.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: settings.timeoutMs,
			sendCredentialsOnCrossOriginRedirect: false,
		});
	} catch (error) {
		const { failure, code } = classifyNetworkError(error as { code?: string });
		throw failed(
			failure === 'timeout' ? `no answer within ${secondsText(settings.timeoutMs)}` : code,
			text.fix,
		);
	}
	const status = response.statusCode;
	if (status < 200 || status >= 300) {
		response.body.destroy?.();
		throw failed(
			`HTTP ${status}`,
			[401, 403, 404, 410].includes(status) ? text.expired : text.fix,
			status,
		);
	}
	const limitText = `it is larger than ${DOWNLOAD_MAX_BYTES / 1024 / 1024} MiB`;
	if (Number(header(response.headers, 'content-length')) > DOWNLOAD_MAX_BYTES) {
		response.body.destroy?.();
		throw failed(
			limitText,
			'The download was not started. Images for StepFun are far smaller; check the URL.',
		);
	}
	const chunks: Buffer[] = [];
	let received = 0;
	try {
		for await (const chunk of response.body) {
			received += chunk.length;
			if (received > DOWNLOAD_MAX_BYTES) break;
			chunks.push(chunk);
		}
	} catch (error) {
		const { code } = classifyNetworkError(error as { code?: string });
		throw failed(`the connection broke (${code})`, text.fix);
	}
	if (received > DOWNLOAD_MAX_BYTES) {
		response.body.destroy?.();
		throw failed(
			limitText,
			'The download was stopped. Images for StepFun are far smaller; check the URL.',
		);
	}
	return {
		bytes: Buffer.concat(chunks, received),
		contentType: header(response.headers, 'content-type'),
	};
}
