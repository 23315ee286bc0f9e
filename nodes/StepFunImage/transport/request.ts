import { randomBytes } from 'crypto';
import type { FunctionsBase, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { apiBaseUrl, BACKOFF_BASE_MS, BACKOFF_MAX_MS } from '../shared/limits';
import { readJsonAnswer } from './answer';
import {
	classifyNetworkError,
	header,
	httpError,
	networkError,
	retryAfterMs,
	secondsText,
	stepFunApiError,
} from './errors';
import type { AccountPace } from './limiter';
import { RateLimitWaitExpired } from './limiter';
import type { ApiResponse, PlainRequest, RequestSettings, StreamResponse } from './types';

export const CREDENTIAL_TYPE = 'stepFunApi';

/** Where requests go, read from the credential once per run (or model list). */
export interface Connection {
	baseUrl: string;
	/** The API key, only to cut it out of error texts that echo it. */
	secret?: string;
}

export async function readConnection(ctx: FunctionsBase): Promise<Connection> {
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

/** Refused by a gateway or StepFun before anything was made: resending cannot bill twice. */
const UNAVAILABLE = 503;
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

/** A name or file name inside a multipart header, escaped as browsers do. */
const quoted = (text: string) =>
	`"${text.replace(/[\r\n"]/g, (c) => ({ '\r': '%0D', '\n': '%0A', '"': '%22' })[c] ?? c)}"`;

/**
 * The HTTP body and its Content-Type header. Multipart/form-data is one buffer: text parts, then
 * file parts, as FormData writes them, built once per request and reused by its retries. (A
 * FormData with a Blob would copy the image into the Blob and again, chunk by chunk, while sending.)
 */
function httpBody(body: PlainRequest['body']) {
	if (body?.format !== 'multipart') return { body: body?.fields, headers: {} };
	const boundary = `----StepFunImageBoundary${randomBytes(12).toString('hex')}`;
	const part = (name: string, more = '') =>
		`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}${more}\r\n`;
	const parts: Buffer[] = [];
	for (const [name, value] of Object.entries(body.fields)) {
		if (value === undefined) continue;
		// Line breaks in a text part are CRLF on the wire, as FormData sends them.
		const text = String(value).replace(/\r\n|\r|\n/g, '\r\n');
		parts.push(Buffer.from(`${part(name)}\r\n${text}\r\n`));
	}
	for (const [name, file] of Object.entries(body.files ?? {})) {
		const type = file.mimeType.replace(/[\r\n]/g, '');
		const head = `${part(name, `; filename=${quoted(file.fileName)}`)}Content-Type: ${type}\r\n\r\n`;
		parts.push(Buffer.from(head), file.bytes, Buffer.from('\r\n'));
	}
	parts.push(Buffer.from(`--${boundary}--\r\n`));
	const contentType = `multipart/form-data; boundary=${boundary}`;
	return { body: Buffer.concat(parts), headers: { 'Content-Type': contentType } };
}

/** A whole (error) answer, for its message. */
async function readAll(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
	const parts: Buffer[] = [];
	for await (const chunk of chunks) parts.push(chunk);
	return Buffer.concat(parts);
}

/** The wait for a turn ran out: the user learns it was the rate limit, and what to change. */
function rateLimitWaitError(
	ctx: IExecuteFunctions,
	{ pace }: RateLimitWaitExpired,
	context: { timeoutMs: number; itemIndex: number; refusals: number },
) {
	const { refusals } = context;
	const refused = refusals > 0 || pace.learned;
	const times = refusals > 2 ? `${refusals} times` : ['once', 'twice'][refusals - 1];
	const why = refused
		? `StepFun limits each account (its lowest tier: 5 at once and 100 a minute, in China 10 a minute), counting everything that uses the key, and answered 429${refusals > 0 ? `, refusing this image ${times}` : ''}. A refused request is neither made nor billed, so the node waited for the account instead of failing; nothing was made for this image. `
		: 'This image could not start within its Timeout (Seconds), so nothing was sent for it. ';
	return stepFunApiError(
		ctx,
		{
			message: `Timed out after ${secondsText(context.timeoutMs)} waiting for StepFun's rate limit: raise the Timeout${refused ? ' option (StepFun refused more than the account allows)' : ' or Requests per Minute option'}`,
			description: `${why}Requests with this API key and Base URL, from every StepFun Image node and execution in this n8n process, share one pace: now at most ${pace.concurrency} at once and ${Math.round(pace.requestsPerMinute)} per minute (${refused ? "lowered after StepFun's 429s" : 'the lowest Concurrency and Requests per Minute among the nodes running with this key'}). Raise Timeout (Seconds) to let requests wait longer, set Requests per Minute and Concurrency to what your StepFun tier allows, or run fewer workflows with this key at the same time.`,
		},
		context.itemIndex,
	);
}

/** A request the run gave up before it was sent: another item failed, and the run stops. */
function runStopped(ctx: IExecuteFunctions, itemIndex: number): NodeOperationError {
	const error = new NodeOperationError(ctx.getNode(), 'Not sent: the run stopped at a failure', {
		itemIndex,
	});
	error.context.notSent = 'runStopped';
	return error;
}

/** Whether a request was given up because the run stopped (so it has nothing to report). */
export function isRunStopped(error: unknown): boolean {
	return error instanceof NodeOperationError && error.context.notSent === 'runStopped';
}

/**
 * Waits (for a turn, or before a resend) until `wait` settles, or the execution is cancelled, or
 * the run stops at another item's failure: then the request is not sent, and says why.
 */
async function waitUnlessStopped<T>(
	ctx: IExecuteFunctions,
	context: { itemIndex: number; stop?: AbortSignal; refusals?: number; timeoutMs?: number },
	wait: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
	const { itemIndex, stop, refusals = 0, timeoutMs = 0 } = context;
	if (stop?.aborted) throw runStopped(ctx, itemIndex);
	const cancel = ctx.getExecutionCancelSignal?.();
	const signals = [cancel, stop].filter((signal): signal is AbortSignal => signal !== undefined);
	try {
		return await wait(signals.length > 1 ? AbortSignal.any(signals) : signals[0]);
	} catch (error) {
		if (error instanceof RateLimitWaitExpired) {
			throw rateLimitWaitError(ctx, error, { timeoutMs, itemIndex, refusals });
		}
		if (stop?.aborted && !cancel?.aborted) throw runStopped(ctx, itemIndex);
		const cause = error instanceof Error ? error : String(error);
		throw new NodeOperationError(ctx.getNode(), cause, { itemIndex });
	}
}

/**
 * Sends one StepFun API request with the credential. A 429 was neither made nor billed: it waits
 * for the account (the key's pace, StepFun's Retry-After), as long as the request's Timeout
 * allows. Resent up to Max Retries: 503 and connections that never opened. A timeout, a reset
 * after sending, and 500/502/504 may come after StepFun made (and billed) the image (it has no
 * job lookup), so those are resent only when the user allowed it. Every attempt waits for its
 * turn with the credential's pace and ends it with how it went.
 */
export async function sendRequest(
	ctx: IExecuteFunctions,
	connection: Connection,
	request: PlainRequest,
	context: {
		itemIndex: number;
		settings: RequestSettings;
		pace: AccountPace;
		/** Aborted when the run stops: a request still waiting for its turn is not sent. */
		stop?: AbortSignal;
	},
): Promise<ApiResponse> {
	const { settings, itemIndex, pace } = context;
	const { body, headers } = httpBody(request.body);
	// How long this request may still wait for its turn, over all its 429s.
	const wait = { leftMs: settings.timeoutMs, refusals: 0 };
	for (let attempt = 0; ; ) {
		const attemptsLeft = attempt < settings.maxRetries;
		const turn = await waitUnlessStopped(
			ctx,
			{ ...context, ...wait, timeoutMs: settings.timeoutMs },
			async (signal) => await pace.take({ timeoutMs: Math.max(0, wait.leftMs), signal }),
		);
		wait.leftMs -= turn.waitedMs;
		const options: IHttpRequestOptions = {
			method: request.method,
			url: `${connection.baseUrl}${request.path}`,
			body,
			// The answer is read as it arrives, so its base64 image is decoded without first
			// holding the whole text (see answer.ts).
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: settings.timeoutMs,
			headers: { Accept: 'application/json', ...headers },
			// n8n forwards the Authorization header on a cross-origin redirect unless told not to.
			sendCredentialsOnCrossOriginRedirect: false,
		};
		let response: StreamResponse;
		let answer: Awaited<ReturnType<typeof readJsonAnswer>> | undefined;
		let errorBody: Buffer | undefined;
		try {
			response = (await ctx.helpers.httpRequestWithAuthentication.call(
				ctx,
				CREDENTIAL_TYPE,
				options,
			)) as StreamResponse;
			if (response.statusCode >= 200 && response.statusCode < 300) {
				const length = Number(header(response.headers, 'content-length'));
				answer = await readJsonAnswer(response.body, Number.isFinite(length) ? length : undefined);
			} else {
				errorBody = await readAll(response.body);
			}
		} catch (error) {
			turn.end('failed');
			const { failure } = classifyNetworkError(error as { code?: string });
			if (attemptsLeft && (failure === 'not-sent' || settings.retryPossiblyBilled)) {
				const ms = backoffMs(attempt++);
				await waitUnlessStopped(ctx, context, async (signal) => await sleep(ms, signal));
				continue;
			}
			throw networkError(ctx, error, {
				baseUrl: connection.baseUrl,
				path: request.path,
				settings,
				itemIndex,
				attempts: attempt + 1,
			});
		}

		const status = response.statusCode;
		if (answer) {
			turn.end('ok');
			const traceId = header(response.headers, 'x-trace-id');
			if (!answer.ok) {
				const message = 'StepFun answered with something that is not JSON';
				const description = `The response to ${request.path} could not be read. This usually means a proxy or gateway answered instead of StepFun; check the credential's Base URL.`;
				throw stepFunApiError(ctx, { message, description, status, traceId }, itemIndex);
			}
			return { body: answer.value, status, traceId };
		}

		// StepFun's wait is honoured as long as it fits in the Timeout; a longer one would only end
		// in a timeout, so the request fails now and says why.
		const requested = retryAfterMs(response.headers);
		const refusedWaitMs = (requested ?? 0) > settings.timeoutMs ? requested : undefined;
		if (status === 429) {
			// Every request of the key pauses for StepFun's wait, up to the Timeout.
			const pauseMs = requested === undefined ? undefined : Math.min(requested, settings.timeoutMs);
			turn.end('rateLimited', pauseMs);
			wait.refusals++;
			if (refusedWaitMs === undefined) continue;
		} else {
			turn.end('failed');
			const resendable =
				status === UNAVAILABLE ||
				(UNKNOWN_OUTCOME_STATUS.has(status) && settings.retryPossiblyBilled);
			if (resendable && attemptsLeft && refusedWaitMs === undefined) {
				const ms = requested ?? backoffMs(attempt);
				await waitUnlessStopped(ctx, context, async (signal) => await sleep(ms, signal));
				attempt++;
				continue;
			}
		}
		throw httpError(
			ctx,
			{ ...response, body: errorBody },
			{
				path: request.path,
				itemIndex,
				attempts: attempt + 1,
				secret: connection.secret,
				refusedWaitMs,
				timeoutMs: settings.timeoutMs,
				possiblyBilled: UNKNOWN_OUTCOME_STATUS.has(status) && !settings.retryPossiblyBilled,
			},
		);
	}
}
