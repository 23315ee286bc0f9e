// The account's rate limits, opt-in: at most `maxInFlight` requests being answered at once and
// at most `requestsPerWindow` admitted per `windowMs`, counted one of three ways (`counting`),
// since StepFun does not say how it counts:
//   - 'sliding' (default): in any window of `windowMs`;
//   - 'fixed': in each calendar window, from one multiple of `windowMs` on the clock to the next;
//   - 'bucket': a token bucket holding `burst` (default requestsPerWindow), refilled at
//     `requestsPerWindow` per `windowMs`; each admitted request takes one token.
// A request beyond a cap gets a 429 at once; a 429 holds no slot and counts toward nothing.
// `othersUsed`: requests another client of the key made just before the first one arrived
// (they count in the window or bucket, and in its peak, but not as admitted).

const LIMIT_KEYS = new Set(['maxInFlight', 'requestsPerWindow', 'windowMs', 'counting', 'burst', 'retryAfter', 'clock', 'othersUsed']);
const COUNTINGS = new Set(['sliding', 'fixed', 'bucket']);
const DEFAULT_WINDOW_MS = 60_000;

/**
 * @typedef {import('./types.d.mts').RateLimits} RateLimits
 * @typedef {import('./types.d.mts').LimitStats} LimitStats
 */

/**
 * Checks `standIn.limits` when it is set, so a typo fails where it is made.
 * @param {unknown} value
 * @returns {Readonly<RateLimits> | null}
 */
export function checkLimits(value) {
	if (value === null || value === undefined) return null;
	if (typeof value !== 'object' || Array.isArray(value))
		throw new TypeError('standIn.limits must be an object or null');
	const v = /** @type {Record<string, unknown>} */ (value);
	for (const key of Object.keys(v)) {
		if (!LIMIT_KEYS.has(key)) throw new TypeError(`standIn.limits: unknown setting ${key}`);
	}
	const positiveInt = (/** @type {string} */ key) => {
		if (v[key] !== undefined && !(Number.isInteger(v[key]) && /** @type {number} */ (v[key]) >= 1))
			throw new TypeError(`standIn.limits.${key} must be a positive integer`);
	};
	positiveInt('maxInFlight');
	positiveInt('requestsPerWindow');
	positiveInt('burst');
	positiveInt('othersUsed');
	if (v.counting !== undefined && !COUNTINGS.has(/** @type {string} */ (v.counting)))
		throw new TypeError('standIn.limits.counting must be "sliding", "fixed" or "bucket"');
	if (v.burst !== undefined && v.counting !== 'bucket')
		throw new TypeError('standIn.limits.burst is for counting: "bucket" only');
	if (
		v.windowMs !== undefined &&
		!(typeof v.windowMs === 'number' && v.windowMs > 0 && Number.isFinite(v.windowMs))
	)
		throw new TypeError('standIn.limits.windowMs must be a positive number of milliseconds');
	const ra = v.retryAfter;
	if (
		ra !== undefined &&
		ra !== 'auto' &&
		!(typeof ra === 'number' && ra >= 0 && Number.isFinite(ra))
	)
		throw new TypeError('standIn.limits.retryAfter must be a number of seconds ≥ 0 or "auto"');
	if (v.clock !== undefined && typeof v.clock !== 'function')
		throw new TypeError('standIn.limits.clock must be a function giving milliseconds');
	return Object.freeze({ ...v });
}

/** @returns {LimitStats} */
const freshStats = () => ({
	inFlight: 0,
	admitted: 0,
	rejected: 0,
	rejectedInFlight: 0,
	rejectedWindow: 0,
	peakInFlight: 0,
	peakInWindow: 0,
	windows: [],
});

/**
 * One account's limiter. `admit()` decides at a request's arrival; an admitted request keeps
 * its slot until `release()` (its answer is sent or its connection closes).
 */
export function createRateLimiter() {
	/** @type {Readonly<RateLimits> | null} */
	let limits = null;
	let stats = freshStats();
	/** Arrival times of the admitted requests still inside the window, oldest first. */
	/** @type {number[]} */
	let recent = [];
	/** When the first admitted request arrived: fixed window 0 starts there. */
	/** @type {number | undefined} */
	let firstAt;
	/** 'fixed': the calendar window counted, and how many it admitted. */
	let calendar = { index: NaN, admitted: 0 };
	/** 'bucket': tokens, as of `bucketAt`. */
	let bucket = { tokens: 0, at: NaN };
	/** Admitted requests not yet answered, with when each is expected to be answered. */
	/** @type {Set<{ endsAt: number }>} */
	const inFlight = new Set();

	const now = () => (limits?.clock ?? (() => performance.now()))();
	const windowMs = () => limits?.windowMs ?? DEFAULT_WINDOW_MS;

	return {
		/** @returns {Readonly<RateLimits> | null} */
		get limits() {
			return limits;
		},
		/**
		 * Starts afresh: new limits, empty window history, zero counters.
		 * @param {Readonly<RateLimits> | null} value checked here, since tests assign it from JS too
		 */
		set limits(value) {
			limits = checkLimits(value);
			stats = freshStats();
			recent = [];
			firstAt = undefined;
			calendar = { index: NaN, admitted: 0 };
			bucket = { tokens: limits?.burst ?? limits?.requestsPerWindow ?? 0, at: NaN };
		},
		/** @returns {LimitStats} a copy of the counters since the limits were set */
		get stats() {
			return { ...stats, inFlight: inFlight.size, windows: [...stats.windows] };
		},
		/** Forgets the requests in flight too (with `reset()` of the stand-in). */
		clear() {
			this.limits = null;
			inFlight.clear();
		},
		/**
		 * @returns {{ admitted: true, expectAnswerIn: (ms: number) => void, release: () => void } | { admitted: false, message: string, retryAfter: string | undefined }}
		 */
		admit() {
			if (!limits) return { admitted: true, expectAnswerIn: () => {}, release: () => {} };
			const t = now();
			const span = windowMs();
			if (stats.admitted + stats.rejected === 0) useForOthers(t, limits.othersUsed ?? 0);
			while (recent.length && recent[0] <= t - span) recent.shift();
			const inFlightFull = limits.maxInFlight !== undefined && inFlight.size >= limits.maxInFlight;
			const windowFull = limits.requestsPerWindow !== undefined && !budgetLeft(t);
			if (inFlightFull || windowFull) {
				stats.rejected++;
				if (inFlightFull) stats.rejectedInFlight++;
				else stats.rejectedWindow++;
				const message = inFlightFull
					? `rate limit reached: at most ${limits.maxInFlight} requests in flight`
					: `rate limit reached: at most ${limits.requestsPerWindow} requests per ${span} ms${counting() === 'sliding' ? '' : ` (${counting() === 'fixed' ? 'calendar window' : `token bucket, burst ${burst()}`})`}`;
				return { admitted: false, message, retryAfter: retryAfter(t, inFlightFull, windowFull) };
			}
			recent.push(t);
			takeBudget(t);
			firstAt ??= t;
			const index = Math.floor((t - firstAt) / span);
			while (stats.windows.length <= index) stats.windows.push(0);
			stats.windows[index]++;
			stats.admitted++;
			stats.peakInWindow = Math.max(stats.peakInWindow, recent.length);
			const slot = { endsAt: Infinity };
			inFlight.add(slot);
			stats.peakInFlight = Math.max(stats.peakInFlight, inFlight.size);
			return {
				admitted: true,
				expectAnswerIn: (/** @type {number} */ ms) => {
					slot.endsAt = t + ms;
				},
				release: () => {
					inFlight.delete(slot);
				},
			};
		},
	};

	function counting() {
		return limits?.counting ?? 'sliding';
	}

	function burst() {
		return limits?.burst ?? limits?.requestsPerWindow ?? 0;
	}

	/** Refills the bucket up to `t`. */
	function refill(/** @type {number} */ t) {
		const perMs = (limits?.requestsPerWindow ?? 0) / windowMs();
		bucket.tokens = Number.isNaN(bucket.at) ? burst() : Math.min(burst(), bucket.tokens + (t - bucket.at) * perMs);
		bucket.at = t;
	}

	/** Whether the window (as counted) admits one more at `t`. */
	function budgetLeft(/** @type {number} */ t) {
		const perWindow = limits?.requestsPerWindow ?? Infinity;
		if (counting() === 'fixed') {
			const index = Math.floor(t / windowMs());
			if (index !== calendar.index) calendar = { index, admitted: 0 };
			return calendar.admitted < perWindow;
		}
		if (counting() === 'bucket') {
			refill(t);
			return bucket.tokens >= 1;
		}
		return recent.length < perWindow;
	}

	/** Another client's requests, arrived just before `t`. */
	function useForOthers(/** @type {number} */ t, /** @type {number} */ count) {
		for (let i = 0; i < count; i++) {
			recent.push(t);
			takeBudget(t);
		}
	}

	function takeBudget(/** @type {number} */ t) {
		if (counting() === 'fixed') {
			budgetLeft(t);
			calendar.admitted++;
		} else if (counting() === 'bucket') {
			refill(t);
			bucket.tokens--;
		}
	}

	/**
	 * The Retry-After header: the configured seconds, or with "auto" the seconds until a slot
	 * frees (rounded up, at least 1; 1 when no request in flight says when it ends).
	 * @param {number} t
	 * @param {boolean} inFlightFull
	 * @param {boolean} windowFull
	 */
	function retryAfter(t, inFlightFull, windowFull) {
		if (limits?.retryAfter === undefined) return undefined;
		if (limits.retryAfter !== 'auto') return String(limits.retryAfter);
		let waitMs = 0;
		if (windowFull) {
			if (counting() === 'fixed') waitMs = (calendar.index + 1) * windowMs() - t;
			else if (counting() === 'bucket')
				waitMs = ((1 - bucket.tokens) * windowMs()) / (limits?.requestsPerWindow ?? 1);
			else waitMs = recent[0] + windowMs() - t;
		}
		if (inFlightFull) {
			const soonest = Math.min(...[...inFlight].map((slot) => slot.endsAt));
			waitMs = Math.max(waitMs, Number.isFinite(soonest) ? soonest - t : 0);
		}
		return String(Math.max(1, Math.ceil(waitMs / 1000)));
	}
}
