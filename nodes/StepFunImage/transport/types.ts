// What a request is, as plain data: what an operation asks StepFun, how it is sent, and what
// comes back. Types only; imports nothing of the node.
import type { IDataObject } from 'n8n-workflow';

/** How one item's requests are sent; read from the node's options. */
export interface RequestSettings {
	timeoutMs: number;
	maxRetries: number;
	/**
	 * Resend what StepFun may already have made and billed ("Retry Possibly Billed Requests"): a
	 * timeout, a connection broken after sending, a 500, 502 or 504. It may be billed twice.
	 */
	retryPossiblyBilled: boolean;
}

export interface FilePart {
	bytes: Buffer;
	mimeType: string;
	fileName: string;
}

export interface PlainRequest {
	method: 'GET' | 'POST';
	/** Below the API root, e.g. `/images/generations`. */
	path: string;
	/** JSON, or multipart/form-data: each field as a text part, each file as a file part. */
	body?: { format: 'json' | 'multipart'; fields: IDataObject; files?: Record<string, FilePart> };
}

export type Headers = Record<string, string | string[] | undefined>;

/** An answer as n8n hands it over with `encoding: 'stream'`. */
export interface StreamResponse {
	body: AsyncIterable<Buffer> & { destroy?: () => void };
	headers: Headers;
	statusCode: number;
}

export interface ApiResponse {
	body: unknown;
	status: number;
	traceId?: string;
}
