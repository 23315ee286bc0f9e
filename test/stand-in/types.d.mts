// The shapes the stand-in (./server.mjs) works with: what it records, what a test scripts, its
// settings. Types only: the functions and constants have their types from their JSDoc, and the
// type-check (`npm run typecheck`, checkJs) checks the code against these shapes, so they cannot
// drift from it. Import them from ./server.mjs.

export interface ScriptedResponse {
	/** Send this status instead of the normal answer (default 200 when only `body` is given). */
	status?: number;
	/** Extra/override headers. Alone (or with delayMs/transform) they are merged into the normal answer. */
	headers?: Record<string, string>;
	/** string and Buffer are sent as-is; anything else as JSON. Omitted with `status`: empty body. */
	body?: string | Uint8Array | object;
	/** Answer after this delay. Alone: delays the normal answer. */
	delayMs?: number;
	/**
	 * A latch (API requests only): the request is held open, recorded with `held: true`, counted
	 * in flight and holding its slot of `limits`, until the test calls its record's `release()`;
	 * then the rest of the script plays (delayMs, status/body, ...) or the normal answer follows.
	 */
	hold?: boolean;
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
	/** True while a script's `hold` keeps it open. */
	held: boolean;
	/** Lets a held request go on (no-op otherwise). */
	release(): void;
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
	/**
	 * Resolves once `condition()` is true: checked now and after every change to an API request
	 * (it arrives and is admitted or refused, is held or released, is answered, its connection
	 * closes). Rejects when the stand-in closes or `condition` throws. No polling, no time.
	 */
	when(condition: () => boolean): Promise<void>;
	/**
	 * Resolves once the event loop has gone round `turns` times (default 20) in a row with no
	 * such change: whatever the code under test was about to send has arrived. It counts turns
	 * of the event loop, never time, so a slow machine does not change what it finds.
	 */
	quiet(turns?: number): Promise<void>;
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
