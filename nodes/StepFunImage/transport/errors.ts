// StepFun's answers and network failures as NodeApiError: StepFun's own message, the HTTP
// status, the trace ID, and a hint that says what the status means. Never the request: it
// holds the key.
import type { IExecuteFunctions, JsonObject, NodeApiError } from 'n8n-workflow';

import { nodeApiErrorWithMessage } from './n8n-dependencies';
import type { Headers, RequestSettings } from './types';

export function header(headers: Headers, name: string): string | undefined {
	const value = headers[name] ?? headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

export function secondsText(ms: number): string {
	const seconds = Math.round(ms / 1000);
	return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
}

/** The one way API failures leave the node. */
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
	const { message, description, status, traceId, type } = details;
	const httpCode = status === undefined ? undefined : String(status);
	const response: JsonObject = { message };
	if (httpCode) response.httpCode = httpCode;
	if (traceId) response.traceId = traceId;
	if (type) response.type = type;
	const trace = traceId ? ` StepFun trace ID: ${traceId} (quote it to StepFun support).` : '';
	const options = { message, description: description + trace, httpCode, itemIndex };
	const error = nodeApiErrorWithMessage(ctx.getNode(), response, options);
	if (traceId) error.context.traceId = traceId;
	return error;
}

/** Retry-After in ms (seconds or an HTTP date), if the response has a usable one. */
export function retryAfterMs(headers: Headers): number | undefined {
	const value = header(headers, 'retry-after');
	if (value === undefined || value.trim() === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * `not-prepared`: n8n failed before sending (e.g. applying the credential). `not-sent`: the
 * connection never opened. Otherwise the request may have arrived.
 */
export type NetworkFailure = 'not-prepared' | 'not-sent' | 'timeout' | 'unknown';

/**
 * Whether a failed request could have reached StepFun (and so may be billed). Only a connection
 * that never opened is certain to have sent nothing: once connected, a reset reads the same
 * whether it came before StepFun had the whole request or after.
 */
export function classifyNetworkError(error: { code?: string; cause?: { code?: string } }): {
	failure: NetworkFailure;
	code: string;
} {
	const code = error.cause?.code ?? error.code;
	if (code === undefined) return { failure: 'not-prepared', code: 'none' };
	if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) {
		return { failure: 'not-sent', code };
	}
	if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
		return { failure: 'timeout', code };
	}
	return { failure: 'unknown', code };
}

/** StepFun's `{"error":{"message","type"}}` (or a bare message), or an excerpt of other text. */
function stepFunErrorMessage(text: string): { message?: string; type?: string; excerpt?: string } {
	const string = (value: unknown) => (typeof value === 'string' ? value : undefined);
	try {
		const { error, message } = (JSON.parse(text) ?? {}) as { error?: unknown; message?: unknown };
		if (error && typeof error === 'object') {
			const said = error as { message?: unknown; type?: unknown };
			return { message: string(said.message), type: string(said.type) };
		}
		if (typeof error === 'string') return { message: error };
		if (typeof message === 'string') return { message };
	} catch {
		// Not JSON: an excerpt of it below.
	}
	const excerpt = text
		.replace(/<[^>]*>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	return { excerpt: excerpt === '' ? undefined : excerpt.slice(0, 200) };
}

/** What a status means and what to check, where it is the same for every endpoint. */
const STATUS_HINTS: Record<number, string | undefined> = {
	400: 'StepFun rejected a parameter. Check the fields named in the message.',
	401: "Check the API key, and that the credential's Region matches where the key was created: a key from platform.stepfun.ai only works with International, one from platform.stepfun.com only with China.",
	402: 'Your StepFun account balance is too low. Top up on the StepFun platform, then run again.',
	403: "This key is not allowed to use this model or endpoint. Check the model ID and your account's permissions.",
	429: "StepFun's rate limit for your account was reached (everything using the key counts toward it). A refused request is neither made nor billed.",
	451: "The prompt, the input image or the result failed StepFun's content moderation. Change the prompt or image.",
};

/** What a status means and what to check, for the endpoint that answered. */
function hintForStatus(status: number, path: string): string {
	const images = path.startsWith('/images');
	if (status === 404)
		return images
			? "The image endpoint was not found. StepFun's image service may be unavailable; also check the credential's Region or Base URL."
			: "Not found. Check the credential's Region or Base URL.";
	if ([500, 502, 503, 504].includes(status))
		return images
			? "StepFun had a server problem. Try again later. A lasting 503 or 404 means StepFun's image service is unavailable."
			: 'StepFun had a server problem. Try again later.';
	return STATUS_HINTS[status] ?? 'See the message from StepFun.';
}

/** Endpoints that cost nothing (the balance, the model list): resending them never bills. */
function isFree(path: string): boolean {
	return path.startsWith('/accounts') || path.startsWith('/models');
}

/** What StepFun may have done with a request that got no clear answer: an image, or an answer. */
function possiblyDone(path: string): { done: string; what: string } {
	if (path.startsWith('/images')) return { done: 'made (and billed)', what: 'the image' };
	return { done: isFree(path) ? 'answered' : 'answered (and billed)', what: 'the request' };
}

/** Some gateways echo the request's key in their error text: cut it out of anything the server said. */
function withoutSecret(text: string, secret: string | undefined): string {
	if (!secret || secret.length < 8) return text;
	return text.split(secret).join('[API key hidden]');
}

/**
 * A non-2xx answer from StepFun. `secret` is the API key, only to hide it; `refusedWaitMs` is a
 * Retry-After longer than the request's Timeout, `timeoutMs`.
 */
export function httpError(
	ctx: IExecuteFunctions,
	response: { body: Buffer | undefined; headers: Headers; statusCode: number },
	context: {
		path: string;
		itemIndex: number;
		attempts: number;
		secret?: string;
		refusedWaitMs?: number;
		/** The request's Timeout, the longest a Retry-After is waited for. */
		timeoutMs?: number;
		/** Not resent because StepFun may already have made (and billed) the image or answer. */
		possiblyBilled?: boolean;
	},
): NodeApiError {
	const { path, itemIndex, secret } = context;
	const status = response.statusCode;
	const traceId = withoutSecret(header(response.headers, 'x-trace-id') ?? '', secret);
	const text = withoutSecret(response.body?.toString('utf8') ?? '', secret);
	const { message, type, excerpt } = stepFunErrorMessage(text);
	// StepFun's own message with the status, or else what came back.
	const answered = `StepFun answered HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
	const said = message ? `StepFun error ${status}: ${message}` : answered;
	const { done, what } = possiblyDone(path);
	const billed = context.possiblyBilled
		? ` It was not resent automatically: StepFun may already have ${done} ${what}. Turn on "Retry Possibly Billed Requests" to resend it anyway.`
		: '';
	const refused = context.refusedWaitMs;
	const tries =
		refused !== undefined
			? ` StepFun asked to wait ${secondsText(refused)} before trying again, longer than this request's Timeout (${secondsText(context.timeoutMs ?? 0)}), so it was not retried; other requests with this key pause meanwhile (up to their Timeout). Raise Timeout (Seconds) to wait that long, or run later.`
			: context.attempts > 1
				? ` Gave up after ${context.attempts} attempts.`
				: '';
	const description = hintForStatus(status, path) + billed + tries;
	return stepFunApiError(ctx, { message: said, description, status, traceId, type }, itemIndex);
}

/** A request that got no answer: whether it was sent decides what the user is told. */
export function networkError(
	ctx: IExecuteFunctions,
	error: unknown,
	context: {
		baseUrl: string;
		/** Below the API root, e.g. `/images/generations`: says what StepFun may have done. */
		path: string;
		settings: RequestSettings;
		itemIndex: number;
		attempts: number;
	},
): NodeApiError {
	const { failure, code } = classifyNetworkError(error as { code?: string });
	const { timeoutMs, retryPossiblyBilled } = context.settings;
	const fail = (message: string, description: string) =>
		stepFunApiError(ctx, { message, description }, context.itemIndex);
	const tries = context.attempts > 1 ? ` Gave up after ${context.attempts} attempts.` : '';
	if (failure === 'not-prepared') {
		const said = error instanceof Error ? error.message : 'n8n failed before sending it';
		return fail(
			`Could not send the request to StepFun: ${said}`,
			'Nothing was sent. n8n failed while preparing the request (for example while applying the StepFun API credential); the message says why.',
		);
	}
	if (failure === 'not-sent') {
		return fail(
			`Could not connect to StepFun at ${context.baseUrl} (${code})`,
			`Nothing was sent. Check the credential's Region or Base URL and this machine's network.${tries}`,
		);
	}
	const timedOut = failure === 'timeout';
	const message = timedOut
		? `StepFun did not answer within ${secondsText(timeoutMs)}`
		: `The connection to StepFun broke before an answer arrived (${code})`;
	const { done, what } = possiblyDone(context.path);
	if (!retryPossiblyBilled) {
		return fail(
			message,
			`The request was sent, so StepFun may still have ${done} ${what}; it was not resent automatically. ${timedOut ? 'Raise the Timeout option' : 'Run again'}, or turn on "Retry Possibly Billed Requests" if a possible double charge is acceptable.${tries}`,
		);
	}
	const resent = isFree(context.path)
		? 'It was resent, as this request costs nothing.'
		: `The request was sent, so StepFun may have ${done} it; it was resent, as Retry Possibly Billed Requests allows.`;
	const longer = timedOut ? ' Raise the Timeout option if StepFun needs longer.' : '';
	return fail(message, `${resent}${longer}${tries}`);
}
