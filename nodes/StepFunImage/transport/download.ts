import type { IExecuteFunctions } from 'n8n-workflow';

import { DOWNLOAD_MAX_BYTES } from '../shared/limits';
import { classifyNetworkError, header, secondsText } from './errors';
import type { StreamResponse } from './types';

/** Why a download failed: no connection (`code`), a broken one, an HTTP status, a huge file. */
export type DownloadProblem =
	| { kind: 'network'; code: string; timedOut: boolean }
	| { kind: 'broken'; code: string }
	| { kind: 'status'; status: number }
	| { kind: 'too-large'; started: boolean };

/**
 * A file by URL, downloaded within the timeout and DOWNLOAD_MAX_BYTES, or why not. The plain HTTP
 * helper never sends the API key: result links are StepFun's storage, input links anyone's.
 */
export async function download(
	ctx: IExecuteFunctions,
	url: string,
	timeoutMs: number,
): Promise<Buffer | DownloadProblem> {
	let response: StreamResponse;
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
		return { kind: 'network', code: reason, timedOut: failure === 'timeout' };
	}
	const { statusCode: status, body } = response;
	const refused = status < 200 || status >= 300;
	if (refused || Number(header(response.headers, 'content-length')) > DOWNLOAD_MAX_BYTES) {
		body.destroy?.();
		return refused ? { kind: 'status', status } : { kind: 'too-large', started: false };
	}
	const chunks: Buffer[] = [];
	let received = 0;
	try {
		for await (const chunk of body) {
			received += chunk.length;
			if (received > DOWNLOAD_MAX_BYTES) {
				body.destroy?.();
				return { kind: 'too-large', started: true };
			}
			chunks.push(chunk);
		}
	} catch (error) {
		const { code } = classifyNetworkError(error as { code?: string });
		return { kind: 'broken', code: code === 'none' ? 'no error code' : code };
	}
	return Buffer.concat(chunks, received);
}

const NETWORK_WORDS: Record<string, string> = {
	ENOTFOUND: 'the host was not found',
	EAI_AGAIN: 'the host was not found',
	ECONNREFUSED: 'the connection was refused',
};

/** What went wrong in a few words ("HTTP 404"), never a system error code: n8n would reword it. */
export function downloadFailure(problem: DownloadProblem, timeoutMs: number): string {
	switch (problem.kind) {
		case 'network':
			if (problem.timedOut) return `no answer within ${secondsText(timeoutMs)}`;
			// A code, or what n8n said when it failed before sending.
			return (
				NETWORK_WORDS[problem.code] ??
				(/^E[A-Z_]+$/.test(problem.code) ? 'the connection failed' : problem.code)
			);
		case 'broken':
			return 'the connection broke';
		case 'status':
			return `HTTP ${problem.status}`;
		case 'too-large':
			return `it is larger than ${DOWNLOAD_MAX_BYTES / 1024 / 1024} MiB`;
	}
}

/** The system's code of a failed connection, for the description: " Error code: ENOTFOUND.". */
export function errorCodeText(problem: DownloadProblem): string {
	const code = problem.kind === 'network' || problem.kind === 'broken' ? problem.code : '';
	return /^E[A-Z_]+$/.test(code) ? ` Error code: ${code}.` : '';
}
