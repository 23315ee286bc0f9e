// StepFun's documented limits and fixed values, in one place. Pure: no n8n imports.

export const DEFAULT_MODEL = 'step-image-edit-2';

export const PROMPT_MAX_CHARACTERS = 512;
export const EDIT_MAX_SIDE = 4096;
export const DEFAULT_FILE_NAME = 'stepfun-{seed}.{ext}';

/** A number a user sets: its bounds, and the value the UI starts from. */
export type Range = { min: number; max: number; default: number };

export const SEED: Range = { min: 0, max: 2147483647, default: 0 };
/** StepFun's defaults: 8 steps, CFG scale 1.0. */
export const STEPS: Range = { min: 1, max: 50, default: 8 };
export const CFG_SCALE: Range = { min: 1, max: 10, default: 1 };
/**
 * StepFun's lowest tier allows about 5 concurrent requests per account; the default stays one
 * below, leaving a slot for other uses of the key (the editor, a script, another instance).
 */
export const CONCURRENCY: Range = { min: 1, max: 5, default: 4 };
/**
 * StepFun's lowest tier allows about 100 requests per minute per account. The pace counts them as
 * that limit reads (at most this many started in any minute), so the default is the tier's own
 * figure: a job that fits in the minute is never slowed, a bigger one gets the whole budget, and
 * if the account counts more strictly or something else uses the key, its 429s lower the pace.
 */
export const REQUESTS_PER_MINUTE: Range = { min: 1, max: 1000, default: 100 };
/** The pace's numbers (transport/limiter.ts; docs/performance.md states the law). */
export const PACING = {
	/**
	 * The node counts its requests per minute over a window this much longer than a minute, so
	 * requests that reach StepFun a few ms later or earlier than they left never look like R + 1.
	 */
	windowSlack: 0.02,
	/**
	 * Starts at least this share of a minute apart (10 ms), so that a 429 is heard before the next
	 * request goes: at the account's limit, one request is refused, not every one sent at once.
	 */
	startGap: 1 / 6000,
	/** A 429 pauses the key a refill interval (a minute / R), doubled per 429 in a row up to this share of a minute. */
	maxPause: 1 / 12,
	/** A probe past a learned cap goes at most once per this share of a minute (10 s). */
	probeGap: 1 / 6,
	/** Starts spaced a refill apart go back to full speed once this share of a window passes without a 429. */
	spacedFor: 1 / 4,
	/** A request that has waited this share of its Timeout on a learned window cap goes as its probe. */
	probeAfterWait: 2 / 3,
	/** With no one else known, a refused probe past the window's cap holds it this many windows. */
	windowHold: 2,
} as const;
/** StepFun makes one image per request; more per item are more requests. */
export const IMAGES_PER_ITEM: Range = { min: 1, max: 10, default: 1 };
/** Image generation takes seconds, so 120 leaves room. */
export const TIMEOUT_SECONDS: Range = { min: 1, max: 3600, default: 120 };
export const MAX_RETRIES: Range = { min: 0, max: 10, default: 2 };

/** Vision chat (Analyze). StepFun's defaults: temperature 0.5, top_p 0.9, no token limit. */
export const DEFAULT_VISION_MODEL = 'step-3.7-flash';
export const MAX_TOKENS: Range = { min: 1, max: 1_000_000, default: 1024 };
export const TEMPERATURE: Range = { min: 0, max: 2, default: 0.5 };
/** Above 0: top_p 0 would leave no token to pick. */
export const TOP_P: Range = { min: 0.01, max: 1, default: 0.9 };
/** step-3.7-flash reads up to 60 images per request, 20 MB of them together, each side under 4096. */
export const ANALYZE_MAX_IMAGES = 60;
export const ANALYZE_MAX_TOTAL_BYTES = 20 * 1024 * 1024;
export const ANALYZE_MAX_SIDE = 4096;

/** Exponential backoff between retries: 0.5 s, 1 s, 2 s, … capped, with jitter. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/**
 * How long a result link of a Response Format URL answer works: the international docs say
 * 2 hours, the China docs 30 days. A Base URL on neither host (or not a URL) gets the shorter,
 * so the time the node states is never later than the real one.
 */
export function resultLinkLifetimeMs(baseUrl: string): number {
	// A URL's hostname is lower case.
	const host = URL.canParse(baseUrl) ? new URL(baseUrl).hostname : '';
	const china = host === 'stepfun.com' || host.endsWith('.stepfun.com');
	return (china ? 30 * 24 : 2) * 60 * 60 * 1000;
}

/** Far above any image StepFun takes or returns; stops a wrong URL from filling memory. */
export const DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024;
/** The model list is a convenience in the editor; it must not hang the panel. */
export const MODEL_LIST_TIMEOUT_MS = 15_000;

/**
 * The five generation sizes, as StepFun writes them: HEIGHT x WIDTH, so `768x1360` is a
 * landscape image 1360 wide and 768 high. The labels spell both numbers out.
 */
export const GENERATION_SIZES = ['1024x1024', '768x1360', '896x1184', '1360x768', '1184x896'];

export const DEFAULT_SIZE = '1024x1024';

/** A size's label, e.g. "Landscape 1360 wide × 768 high" for `768x1360`. */
export function sizeLabel(size: string): string {
	const [height, width] = size.split('x').map(Number);
	const shape = width > height ? 'Landscape' : width < height ? 'Portrait' : 'Square';
	return `${shape} ${width} wide × ${height} high`;
}

export const REGION_BASE_URLS = {
	international: 'https://api.stepfun.ai/v1',
	china: 'https://api.stepfun.com/v1',
} as const;

/**
 * The API root for a credential, always ending in `/v1` with no trailing slash (a custom URL may
 * have `/v1` and trailing slashes or not), or an error text for an unusable custom URL. The
 * credential's test request repeats this rule as an n8n expression.
 */
export function apiBaseUrl(region: string, baseUrl: unknown): { url: string } | { error: string } {
	if (region === 'international' || region === 'china') return { url: REGION_BASE_URLS[region] };
	if (region !== 'custom') return { error: `Unknown region "${region}"` };
	const raw = typeof baseUrl === 'string' ? baseUrl.trim() : '';
	if (raw === '') return { error: 'The Base URL is empty' };
	if (!URL.canParse(raw)) return { error: `The Base URL "${raw}" is not a URL` };
	const parsed = new URL(raw);
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		return { error: `The Base URL must start with http:// or https://, not ${parsed.protocol}//` };
	}
	const root = raw.replace(/\/+$/, '').replace(/\/v1$/, '');
	return { url: `${root}/v1` };
}
