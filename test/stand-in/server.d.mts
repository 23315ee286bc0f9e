// Types for ./server.mjs (the strict loopback stand-in of the StepFun image API).

export interface ScriptedResponse {
	/** Send this status instead of the normal answer (default 200 when only `body` is given). */
	status?: number;
	/** Extra/override headers. Alone (or with delayMs/transform) they are merged into the normal answer. */
	headers?: Record<string, string>;
	/** string and Buffer are sent as-is; anything else as JSON. Omitted with `status`: empty body. */
	body?: string | Uint8Array | object;
	/** Answer after this delay. Alone: delays the normal answer. */
	delayMs?: number;
	/** Destroy the socket after reading the request; no answer. */
	reset?: boolean;
	/** Read the request and never answer (socket closed by close()). */
	hang?: boolean;
	/**
	 * Only a request this accepts takes the answer (later queued answers stay for the others);
	 * without it, the next request takes it. Sees the request before parsing: use `rawBody`.
	 */
	match?: (request: RecordedRequest) => boolean;
	/**
	 * Run normal validation and generation, then alter the JSON body (only applied to 2xx answers).
	 * Return the new body (object -> JSON, string/Buffer -> sent raw) or undefined to keep the mutated input.
	 */
	transform?: (json: any, request: RecordedRequest) => unknown;
}

export interface RecordedImage {
	fileName: string;
	mimeType: string;
	bytes: Buffer;
}

export interface RecordedRequest {
	method: string;
	/** Path without query string. */
	path: string;
	/** Query string including '?', or ''. */
	query: string;
	/** Lower-cased header names. */
	headers: Record<string, string | string[] | undefined>;
	contentType: string | undefined;
	/** Parsed JSON body (generations only) or undefined. */
	json: any;
	/** Text fields of a multipart body (edits only). */
	fields: Record<string, string> | undefined;
	image: RecordedImage | undefined;
	/** Field names the spec does not define for that endpoint. */
	unknownFields: string[];
	/** Status answered; 0 for reset/hang; undefined while pending. */
	status: number | undefined;
	rawBody: Buffer;
	/** Value of the X-Trace-Id response header. */
	traceId: string;
	/** Whether a scripted fault was consumed by this request. */
	faulted: boolean;
	/** performance.now() when the request (with its body) had arrived. */
	receivedAt: number;
	/** performance.now() when the answer was sent; undefined for reset/hang and while pending. */
	answeredAt: number | undefined;
	/** The JSON body of a normal (not scripted) answer, to compare outputs with. */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	responseJson?: any;
}

export interface RecordedImageRequest {
	method: string;
	path: string;
	headers: Record<string, string | string[] | undefined>;
	status: number | undefined;
}

export interface ModelEntry {
	id: string;
	object: string;
	created: number;
	owned_by: string;
	[key: string]: unknown;
}

export interface StandIn {
	/** http://127.0.0.1:<port>; the API lives under `${baseUrl}/v1`. */
	readonly baseUrl: string;
	/** http://127.0.0.1:<other port>: serves /images/<id>.png and /redirect/<id>.png. */
	readonly imageBaseUrl: string;
	/** Accepted key (settable). */
	apiKey: string;
	requests: RecordedRequest[];
	imageRequests: RecordedImageRequest[];
	/** Answer of GET /v1/models (settable). */
	models: ModelEntry[] | object[];
	/** null (default): any non-empty model id is accepted; otherwise others get 400. */
	acceptedModels: string[] | null;
	/** Which URL the API puts in url-mode answers. */
	urlMode: 'direct' | 'redirect';
	/** True once any request to the image host carried an Authorization header. */
	authorizationSeen: boolean;
	/** Current delay of normal answers (see setDelay). */
	delayMs: number;
	/** Most API requests handled at the same time since the last reset. */
	maxInFlight: number;
	/** Queue one-shot scripted answers for the next requests to `path` (e.g. '/v1/images/generations'). */
	fault(path: string, ...responses: ScriptedResponse[]): void;
	/** One-shot scripted answers for the image host (status/body/headers/delayMs/reset/hang). */
	imageFault(...responses: ScriptedResponse[]): void;
	/** Delay every normal (non-scripted) API answer by ms. */
	setDelay(ms: number): void;
	/** Clears recordings, faults, stored images, delay; restores apiKey, models, urlMode, acceptedModels, authorizationSeen. */
	reset(): void;
	/** Stops both servers, destroying open sockets (including hung ones). */
	close(): Promise<void>;
}

export interface StartOptions {
	apiKey?: string;
	/** API port, 0 (default) = free port. */
	port?: number;
	/** Image host port, 0 (default) = free port. */
	imagePort?: number;
}

/** Starts the API server and a second "image host" server (different port) on 127.0.0.1. */
export function startStandIn(options?: StartOptions): Promise<StandIn>;

/** HEIGHTxWIDTH sizes accepted by /v1/images/generations. */
export const GENERATION_SIZES: readonly string[];
export const DEFAULT_MODELS: readonly ModelEntry[];

/** Real 8-bit RGB PNG, content derived from the seed (different seeds -> different bytes). */
export function makePng(
	width: number,
	height: number,
	seedForColour?: string | number | Uint8Array | object,
): Buffer;
/** Full decoder for 8-bit non-interlaced PNGs (checks CRCs, inflates, unfilters). Throws if not decodable. */
export function decodePng(buffer: Uint8Array): {
	width: number;
	height: number;
	channels: number;
	data: Buffer;
};
/** Strict PNG/JPEG/WebP sniffer (rejects truncated files); undefined if not readable. */
export function imageSize(
	buffer: Uint8Array,
): { type: 'png' | 'jpeg' | 'webp'; width: number; height: number } | undefined;
/** Baseline JPEG fixture: header-valid (SOI, APP0, DQT, SOF0 with size, DHT, SOS, minimal DC-only scan, EOI). */
export function makeJpeg(width: number, height: number): Buffer;
/** Lossless single-colour WebP (RIFF/WEBP/VP8L) fixture with exact RIFF length. */
export function makeWebp(width: number, height: number, rgb?: [number, number, number]): Buffer;
export function crc32(buffer: Uint8Array, start?: number, end?: number): number;
