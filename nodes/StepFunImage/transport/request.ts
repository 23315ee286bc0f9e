import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { apiBaseUrl, BACKOFF_BASE_MS, BACKOFF_MAX_MS, RETRY_AFTER_MAX_MS } from '../limits';
import type { Headers } from './errors';
import {
	classifyNetworkError,
	header,
	httpError,
	networkError,
	parseJson,
	retryAfterMs,
	stepFunApiError,
} from './errors';
import type { RequestLimiter } from './limiter';

export const CREDENTIAL_TYPE = 'stepFunApi';

/** How one item's requests are sent; read from the node's options. */
export interface RequestSettings {
	timeoutMs: number;
	maxRetries: number;
	/** Resend a request whose outcome is unknown (timeout, reset). It may be billed twice. */
	retryAfterTimeout: boolean;
}

/** A file part of a multipart request. */
export interface FilePart {
	bytes: Buffer;
	mimeType: string;
	fileName: string;
}

/** A request as plain data: what an operation asks StepFun. */
export interface PlainRequest {
	method: 'GET' | 'POST';
	/** Below the API root, e.g. `/images/generations`. */
	path: string;
	/** JSON, or multipart/form-data: each field as a text part, each file as a file part. */
	body?: { format: 'json' | 'multipart'; fields: IDataObject; files?: Record<string, FilePart> };
}

/** Where a run's requests go, read from the credential once per run. */
export interface Connection {
	baseUrl: string;
	/** The API key, only to cut it out of error texts that echo it. */
	secret?: string;
}

export interface ApiResponse {
	body: unknown;
	status: number;
	traceId?: string;
}

export async function readConnection(ctx: IExecuteFunctions): Promise<Connection> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const result = apiBaseUrl(String(credentials.region ?? 'international'), credentials.baseUrl);
	if ('error' in result) {
		throw new NodeOperationError(ctx.getNode(), `${result.error} (credential field "Base URL")`, {
			description:
				'Open the StepFun API credential and enter a Base URL such as https://api.stepfun.ai/v1, or pick the International or China region.',
		});
	}
	return {
		baseUrl: result.url,
		secret: typeof credentials.apiKey === 'string' ? credentials.apiKey : undefined,
	};
}

/**
 * StepFun refused these before doing anything (rate limit, service unavailable): resending
 * cannot bill twice.
 */
const REFUSED_STATUS = new Set([429, 503]);
/**
 * StepFun or a gateway failed while the request was in hand: the image may have been made and
 * billed, so these are resent only when the user accepts a possible double charge.
 */
const UNKNOWN_OUTCOME_STATUS = new Set([500, 502, 504]);

function backoffMs(attempt: number): number {
	const exponential = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
	// Jitter spreads out clients that failed together.
	return Math.round(exponential * (0.5 + Math.random() * 0.5));
}

/** The HTTP body for one attempt; a multipart body is consumed when sent, so it is built anew. */
function httpBody(body: PlainRequest['body']): IDataObject | FormData | undefined {
	if (body === undefined) return undefined;
	if (body.format === 'json') return body.fields;
	const form = new FormData();
	for (const [name, value] of Object.entries(body.fields)) {
		if (value !== undefined) form.append(name, String(value));
	}
	for (const [name, file] of Object.entries(body.files ?? {})) {
		form.append(name, new Blob([file.bytes], { type: file.mimeType }), file.fileName);
	}
	return form;
}

interface HttpResponse {
	body: Buffer | undefined;
	headers: Headers;
	statusCode: number;
}

/**
 * Sends one StepFun API request with the credential, resending only what cannot bill twice on
 * its own: 429 and 503 (StepFun refused it) and connection failures before the request was
 * written. A timeout, a reset after sending, and 500/502/504 may come after StepFun made (and
 * billed) the image (it has no job lookup), so those are resent only when the user allowed it.
 */
export async function sendRequest(
	ctx: IExecuteFunctions,
	connection: Connection,
	request: PlainRequest,
	context: { itemIndex: number; settings: RequestSettings; limiter: RequestLimiter },
): Promise<ApiResponse> {
	const { settings, itemIndex, limiter } = context;
	for (let attempt = 0; ; attempt++) {
		const attemptsLeft = attempt < settings.maxRetries;
		await limiter.whenUnpaused();
		const options: IHttpRequestOptions = {
			method: request.method,
			url: `${connection.baseUrl}${request.path}`,
			body: httpBody(request.body),
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
			throw networkError(ctx, failure, code, {
				baseUrl: connection.baseUrl,
				timeoutMs: settings.timeoutMs,
				itemIndex,
				attempts: attempt + 1,
				message: error instanceof Error ? error.message : undefined,
			});
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
						description: `The response to ${request.path} could not be read. This usually means a proxy or gateway answered instead of StepFun; check the credential's Base URL.`,
						status,
						traceId,
					},
					itemIndex,
				);
			}
			return { body: parsed.value, status, traceId };
		}

		let refusedWaitMs: number | undefined;
		const resendable =
			REFUSED_STATUS.has(status) ||
			(UNKNOWN_OUTCOME_STATUS.has(status) && settings.retryAfterTimeout);
		if (resendable) {
			const requested = retryAfterMs(response.headers);
			if (requested !== undefined && requested > RETRY_AFTER_MAX_MS) {
				refusedWaitMs = requested;
			} else if (attemptsLeft) {
				const delay = requested ?? backoffMs(attempt);
				if (status === 429) limiter.pause(delay);
				await sleep(delay);
				continue;
			}
		}
		throw httpError(ctx, response, {
			path: request.path,
			itemIndex,
			attempts: attempt + 1,
			secret: connection.secret,
			refusedWaitMs,
			possiblyBilled: UNKNOWN_OUTCOME_STATUS.has(status) && !settings.retryAfterTimeout,
		});
	}
}
