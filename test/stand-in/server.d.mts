// Types for ./server.mjs (the strict loopback stand-in of the StepFun API: images, vision chat,
// models, account balance, and the host of result images).

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
	/** Parsed JSON body (generations, chat completions) or undefined. */
	json: any;
	/** Text fields of a multipart body (edits only). */
	fields: Record<string, string> | undefined;
	image: RecordedImage | undefined;
	/**
	 * Chat completions: every image read from the messages, in order (set once the other fields
	 * passed; an image refused for its animation or size is recorded before the 400).
	 */
	chatImages: RecordedChatImage[] | undefined;
	/** Field names the spec does not define for that endpoint. */
	unknownFields: string[];
	/** Status answered; 0 for reset/hang; undefined while pending. */
	status: number | undefined;
	rawBody: Buffer;
	/** Value of the X-Trace-Id response header. */
	traceId: string;
	/** Whether a scripted fault was consumed by this request. */
	faulted: boolean;
	/** false for a request whose connection the stand-in dropped before reading its body. */
	bodyRead?: boolean;
	/** Answered 429 by `standIn.limits` (then no scripted fault was consumed). */
	rateLimited: boolean;
	/** The delay this request waited before its answer: a script's delayMs, or delayMs × jitter. */
	appliedDelayMs: number;
	/** performance.now() when the request (with its body) had arrived. */
	receivedAt: number;
	/** performance.now() when the answer was sent; undefined for reset/hang and while pending. */
	answeredAt: number | undefined;
	/** The JSON body of a normal (not scripted) answer, to compare outputs with. */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	responseJson?: any;
}

export interface RecordedChatImage {
	/** Where it was in the request, e.g. `messages[1].content[2].image_url`. */
	where: string;
	source: 'data' | 'url';
	/** The http(s) URL the stand-in downloaded (source 'url'). */
	url: string | undefined;
	/** The data URL's media type, or the download's Content-Type ('' when none). */
	mimeType: string;
	detail: 'low' | 'high';
	/** What the bytes are (read from their headers, whatever mimeType says). */
	type: 'jpeg' | 'png' | 'webp' | 'gif';
	width: number;
	height: number;
	/** 1, or a GIF's frame count. */
	frames: number;
	byteLength: number;
	bytes: Buffer;
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

/** GET /v1/accounts answers `{ object: 'account', ...DEFAULT_ACCOUNT, ...account }`. */
export interface AccountSettings {
	type?: 'prepaid' | 'postpaid' | string;
	balance?: number;
	total_cash_balance?: number;
	total_voucher_balance?: number;
	[key: string]: unknown;
}

/** How POST /v1/chat/completions answers; missing fields take DEFAULT_CHAT_SETTINGS. */
export interface ChatSettings {
	/** Answer only in the reasoning field, with `content: ''` (a reported Step Plan quirk). Default false. */
	answerInReasoning?: boolean;
	/** The message field carrying reasoning. Default 'reasoning'; some clients see 'reasoning_content'. */
	reasoningField?: 'reasoning' | 'reasoning_content';
	/** How long the stand-in waits for an http(s) image URL. Default 3000. */
	downloadTimeoutMs?: number;
}

/** The account's rate limits (opt-in). Counted over requests carrying the key, on every API path. */
export interface RateLimits {
	/** At most this many requests being answered at once; the next one gets 429. */
	maxInFlight?: number;
	/** At most this many admitted requests per `windowMs`, counted as `counting` says. */
	requestsPerWindow?: number;
	/** Default 60000. */
	windowMs?: number;
	/**
	 * How the window is counted (StepFun does not say): 'sliding' (default) in any window of
	 * `windowMs`; 'fixed' in each calendar window, from one multiple of `windowMs` on the clock to
	 * the next; 'bucket' a token bucket holding `burst`, refilled at `requestsPerWindow` per `windowMs`.
	 */
	counting?: 'sliding' | 'fixed' | 'bucket';
	/** With counting 'bucket': how many tokens it holds (default requestsPerWindow). */
	burst?: number;
	/**
	 * Retry-After on a 429: these seconds as given, or 'auto' = seconds until a slot frees
	 * (rounded up, at least 1). Omitted: no Retry-After header.
	 */
	retryAfter?: number | 'auto';
	/** The limiter's clock in ms (default performance.now), so a test can move time by hand. */
	clock?: () => number;
	/** Requests another client of the key made just before the first one arrived. */
	othersUsed?: number;
}

/** Counters since `limits` was last set (or reset()). */
export interface LimitStats {
	/** Admitted requests being answered right now (kept across a new `limits`, cleared by reset()). */
	inFlight: number;
	/** Requests let through. */
	admitted: number;
	/** 429s answered, in total and by cause (a request over both caps counts as in flight). */
	rejected: number;
	rejectedInFlight: number;
	rejectedWindow: number;
	/** The most admitted requests in flight at once. */
	peakInFlight: number;
	/** The most admitted requests in any sliding window of `windowMs`. */
	peakInWindow: number;
	/** Admitted requests per consecutive window of `windowMs`, from the first admitted one. */
	windows: number[];
}

/** Normal answers wait delayMs × a factor drawn uniformly from [min, max] per request. */
export interface Jitter {
	min: number;
	max: number;
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
	/**
	 * How many of the next API requests lose their connection as soon as their headers are in,
	 * before their body is read (recorded with status 0 and `bodyRead: false`). reset(): 0.
	 */
	resetOnArrival: number;
	/**
	 * Most API requests handled at the same time since the last reset (all of them, 429s of
	 * `limits` included; `limitStats.peakInFlight` counts only the admitted ones).
	 */
	maxInFlight: number;
	/** Answer of GET /v1/accounts (settable, partial allowed; reset() restores DEFAULT_ACCOUNT). */
	account: AccountSettings;
	/** Behaviour of POST /v1/chat/completions (settable per field or whole; reset() restores defaults). */
	chat: ChatSettings;
	/**
	 * Rate limits, null (default) = none. Assigning checks the value (TypeError on a bad one) and
	 * starts afresh: empty window history, zero limitStats. The value read back is frozen.
	 */
	limits: Readonly<RateLimits> | null;
	/** A copy of the limiter's counters. */
	readonly limitStats: LimitStats;
	/** null (default): every normal answer waits exactly delayMs. Assigning checks the value. */
	jitter: Readonly<Jitter> | null;
	/** Queue one-shot scripted answers for the next requests to `path` (e.g. '/v1/images/generations', '/v1/chat/completions'). */
	fault(path: string, ...responses: ScriptedResponse[]): void;
	/** One-shot scripted answers for the image host (status/body/headers/delayMs/reset/hang). */
	imageFault(...responses: ScriptedResponse[]): void;
	/** Delay every normal (non-scripted) API answer by ms (times the jitter factor, if set). */
	setDelay(ms: number): void;
	/**
	 * Clears recordings, faults, stored images, delay, limits, limitStats, jitter; restores apiKey,
	 * models, urlMode, acceptedModels, authorizationSeen, account, chat.
	 */
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
/** { type: 'prepaid', balance: 42.5, total_cash_balance: 30, total_voucher_balance: 12.5 } */
export const DEFAULT_ACCOUNT: Readonly<
	Required<
		Pick<AccountSettings, 'type' | 'balance' | 'total_cash_balance' | 'total_voucher_balance'>
	>
>;
/** { answerInReasoning: false, reasoningField: 'reasoning', downloadTimeoutMs: 3000 } */
export const DEFAULT_CHAT_SETTINGS: Readonly<Required<ChatSettings>>;
/** Chat: at most 60 images per request. */
export const MAX_CHAT_IMAGES: number;
/** Chat: at most 20 MB (20 × 1024 × 1024 bytes) of image data per request. */
export const MAX_CHAT_IMAGE_BYTES: number;
/** Chat: at most 4096 px on either side of an image. */
export const MAX_CHAT_IMAGE_SIDE: number;

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
/** Real GIF89a (LZW), diagonal stripes in 4 colours; frames > 1 makes an animated, looping GIF. */
export function makeGif(width: number, height: number, options?: { frames?: number }): Buffer;
/** Size and frame count of a complete GIF (every block walked to the trailer); undefined otherwise. */
export function gifInfo(
	buffer: Uint8Array,
): { type: 'gif'; width: number; height: number; frames: number } | undefined;
