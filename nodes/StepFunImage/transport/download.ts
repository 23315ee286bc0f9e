import type { IExecuteFunctions, NodeApiError } from 'n8n-workflow';

import { DOWNLOAD_MAX_BYTES } from '../shared/limits';
import type { Headers } from './errors';
import { classifyNetworkError, header, secondsText, stepFunApiError } from './errors';

export type DownloadProblem =
	| { kind: 'network'; code: string; timedOut: boolean }
	| { kind: 'broken'; code: string }
	| { kind: 'status'; status: number }
	| { kind: 'too-large'; started: boolean };

export type Download =
	| { ok: true; bytes: Buffer; contentType?: string }
	| { ok: false; problem: DownloadProblem };

/**
 * Downloads a file by URL within the timeout, stopping at DOWNLOAD_MAX_BYTES. Uses the plain
 * HTTP helper, so the API key is never sent: result links live on StepFun's storage host, and
 * input links belong to someone else entirely.
 */
export async function download(
	ctx: IExecuteFunctions,
	url: string,
	timeoutMs: number,
): Promise<Download> {
	let response: {
		body: AsyncIterable<Buffer> & { destroy?: () => void };
		headers: Headers;
		statusCode: number;
	};
	try {
		response = await ctx.helpers.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: timeoutMs,
			sendCredentialsOnCrossOriginRedirect: false,
		});
	} catch (error) {
		const { failure, code } = classifyNetworkError(error as { code?: string });
		const reason = failure === 'not-prepared' && error instanceof Error ? error.message : code;
		return {
			ok: false,
			problem: { kind: 'network', code: reason, timedOut: failure === 'timeout' },
		};
	}
	const status = response.statusCode;
	if (status < 200 || status >= 300) {
		response.body.destroy?.();
		return { ok: false, problem: { kind: 'status', status } };
	}
	if (Number(header(response.headers, 'content-length')) > DOWNLOAD_MAX_BYTES) {
		response.body.destroy?.();
		return { ok: false, problem: { kind: 'too-large', started: false } };
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
		return {
			ok: false,
			problem: { kind: 'broken', code: code === 'none' ? 'no error code' : code },
		};
	}
	if (received > DOWNLOAD_MAX_BYTES) {
		response.body.destroy?.();
		return { ok: false, problem: { kind: 'too-large', started: true } };
	}
	return {
		ok: true,
		bytes: Buffer.concat(chunks, received),
		contentType: header(response.headers, 'content-type'),
	};
}

/** How a failed download is explained: what was downloaded, and what to do about it. */
export interface DownloadWording {
	what: string;
	fix: string;
	/** For a refused or missing file (401, 403, 404, 410): links expire. */
	expired: string;
}

export function downloadError(
	ctx: IExecuteFunctions,
	problem: DownloadProblem,
	wording: DownloadWording,
	context: { itemIndex: number; timeoutMs: number; traceId?: string },
): NodeApiError {
	const fail = (reason: string, description: string, status?: number) =>
		stepFunApiError(
			ctx,
			{
				message: `Could not download ${wording.what}: ${reason}`,
				description,
				status,
				traceId: context.traceId,
			},
			context.itemIndex,
		);
	switch (problem.kind) {
		case 'network':
			return fail(
				problem.timedOut ? `no answer within ${secondsText(context.timeoutMs)}` : problem.code,
				wording.fix,
			);
		case 'broken':
			return fail(`the connection broke (${problem.code})`, wording.fix);
		case 'status':
			return fail(
				`HTTP ${problem.status}`,
				[401, 403, 404, 410].includes(problem.status) ? wording.expired : wording.fix,
				problem.status,
			);
		case 'too-large':
			return fail(
				`it is larger than ${DOWNLOAD_MAX_BYTES / 1024 / 1024} MiB`,
				problem.started
					? 'The download was stopped. Images for StepFun are far smaller; check the URL.'
					: 'The download was not started. Images for StepFun are far smaller; check the URL.',
			);
	}
}
