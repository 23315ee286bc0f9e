// How fast requests go to StepFun. Two levels:
//
// - RunSlots: how many of one run's requests are in progress at once (Concurrency). It keeps
//   the images of only those items in memory, and the runner's order simple.
// - AccountLimiter: one per credential (API key + base URL) in this n8n process, shared by every
//   execution and every StepFun Image node using it. StepFun limits the account, not the
//   workflow, so this is where its limits are kept, counted the way the limit reads: at most C
//   requests in flight and at most R started in any minute, C and R being the strictest
//   Concurrency and Requests per Minute among the runs using the key right now. A job that fits
//   in what is left of the minute runs at C from its first request; once R have started, the
//   next waits until the oldest leaves the minute.
//   StepFun does not say how it counts, and an account may count more strictly (a bucket with a
//   small burst, a lower rate). A 429 shows that: the key then spaces its starts evenly at a
//   rate halved per lesson, with fewer in flight; sustained success raises it back, and a full
//   minute without a 429 at the configured rate returns it to counting by the minute. A 429 met
//   with the minute's budget nearly spent teaches less: StepFun's minute ended a little later
//   than the node's, so one more start is kept free per window.
//
// No timers (not allowed in nodes): waiting is n8n's `sleep`, and the clock and the sleep can be
// replaced, so tests run the limiter without real waiting.
import { createHash } from 'crypto';
import { sleep } from 'n8n-workflow';

import { CONCURRENCY, PACING, REQUESTS_PER_MINUTE } from '../shared/limits';

// ---------------------------------------------------------------------------------------------
// One run: its own slots

/** At most `size` of one run's requests in progress; every acquire is followed by one release. */
export class RunSlots {
	private free: number;

	private readonly waiting: Array<() => void> = [];

	constructor(size: number) {
		this.free = size;
	}

	async acquire(): Promise<void> {
		if (this.free > 0) {
			this.free--;
			return;
		}
		await new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.free++;
	}
}

// ---------------------------------------------------------------------------------------------
// The account: shared by every request with the same credential

/** What one run asks for, from its options. */
export interface PaceCaps {
	concurrency: number;
	requestsPerMinute: number;
}

/** The pace a key runs at right now. */
export interface PaceInForce extends PaceCaps {
	/** 1 = the configured caps; lower after a 429. */
	share: number;
}

/** Time as the limiter sees it. Tests and benchmarks replace it. */
export interface LimiterTiming {
	now: () => number;
	/** Resolves after `ms`; may reject (or resolve) early once `signal` aborts. */
	sleep: (ms: number, signal: AbortSignal) => Promise<void>;
	/** How long "a minute" is for Requests per Minute: 60 000, except in benchmarks. */
	minuteMs: number;
}

export const REAL_TIME: LimiterTiming = {
	now: () => Date.now(),
	sleep: async (ms, signal) => await sleep(ms, signal),
	minuteMs: 60_000,
};

/** How one request went, for the pace of its key. */
export type TurnOutcome = 'ok' | 'rateLimited' | 'failed';

/** A request's place in flight: ended exactly once, when its answer has been read. */
export interface Turn {
	/** `pauseMs` (with 'rateLimited'): no request of the key starts for that long. */
	end: (outcome: TurnOutcome, pauseMs?: number) => void;
}

export interface TurnOptions {
	/** How long the request may wait for its turn (its Timeout). */
	timeoutMs: number;
	/** The timeout counts only after this pause (a retry waiting out a 429's Retry-After). */
	pausedMs?: number;
	/** The execution's cancel signal: a cancelled execution stops waiting. */
	signal?: AbortSignal;
}

/** A request got no turn within its timeout. Nothing was sent. */
export class RateLimitWaitExpired extends Error {
	constructor(
		readonly waitedMs: number,
		readonly pace: PaceInForce,
	) {
		super(`No turn for StepFun's rate limit within ${waitedMs} ms`);
	}
}

/** One run's use of its key: take turns, and leave when the run is done. */
export interface AccountPace {
	take: (options: TurnOptions) => Promise<Turn>;
	leave: () => void;
}

interface Waiter {
	since: number;
	deadline: number;
	resolve: (turn: Turn) => void;
	reject: (error: unknown) => void;
	signal?: AbortSignal;
	onAbort?: () => void;
}

export class AccountLimiter {
	/** The caps of the runs using the key right now; the strictest are in force. */
	private readonly runs = new Set<PaceCaps>();

	/** Waiting requests, first come first served (each run has at most Concurrency here). */
	private readonly queue: Waiter[] = [];

	private inFlight = 0;

	/** Start times inside the last window, oldest first: never more than R in any window. */
	private readonly starts: number[] = [];

	private lastStartAt = -Infinity;

	private pausedUntil = 0;

	/** 1 = the configured caps; lower after a 429. */
	private share = 1;

	/**
	 * Set by a 429: the account counts more strictly than R per minute, so starts are spaced
	 * evenly at R × share per minute instead of running up to R at once.
	 */
	private spaced = false;

	/**
	 * Starts kept free in every window: one more per 429 met at the end of the minute's budget
	 * (StepFun's minute ended a little later than the node's).
	 */
	private spareStarts = 0;

	/** Counts the lessons, so one burst of 429s lowers the pace only once. */
	private epoch = 0;

	private successes = 0;

	private lastRateLimitedAt = -Infinity;

	private lastActiveAt: number;

	private timer: { at: number; controller: AbortController } | undefined;

	constructor(private readonly timing: LimiterTiming = REAL_TIME) {
		this.lastActiveAt = timing.now();
	}

	join(caps: PaceCaps): AccountPace {
		// A key unused for a whole window starts afresh: whatever the account counts (a minute, a
		// bucket), a minute of rest has given it back in full.
		if (this.idle(this.timing.now())) this.forgetLessons();
		const entry = { ...caps };
		this.runs.add(entry);
		let left = false;
		return {
			take: async (options) => await this.take(options),
			leave: () => {
				if (left) return;
				left = true;
				this.runs.delete(entry);
				this.lastActiveAt = this.timing.now();
				this.pump();
			},
		};
	}

	/** The caps configured for the key: the strictest among the runs using it. */
	configured(): PaceCaps {
		let concurrency = Infinity;
		let requestsPerMinute = Infinity;
		for (const caps of this.runs) {
			concurrency = Math.min(concurrency, caps.concurrency);
			requestsPerMinute = Math.min(requestsPerMinute, caps.requestsPerMinute);
		}
		return {
			concurrency: Number.isFinite(concurrency) ? concurrency : CONCURRENCY.default,
			requestsPerMinute: Number.isFinite(requestsPerMinute)
				? requestsPerMinute
				: REQUESTS_PER_MINUTE.default,
		};
	}

	inForce(): PaceInForce {
		const { concurrency, requestsPerMinute } = this.configured();
		return {
			concurrency: Math.max(1, Math.floor(concurrency * this.share)),
			requestsPerMinute: Math.max(Math.min(1, requestsPerMinute), requestsPerMinute * this.share),
			share: this.share,
		};
	}

	/** For tests and benchmarks: what the limiter holds right now. */
	state(): PaceInForce & {
		inFlight: number;
		waiting: number;
		pausedUntil: number;
		/** Starts spaced evenly (after a 429), instead of up to R at once in any minute. */
		spaced: boolean;
	} {
		return {
			...this.inForce(),
			inFlight: this.inFlight,
			waiting: this.queue.length,
			pausedUntil: this.pausedUntil,
			spaced: this.spaced,
		};
	}

	/** Nothing running, waiting or remembered inside the last window: safe to forget. */
	idle(now: number): boolean {
		return (
			this.runs.size === 0 &&
			this.inFlight === 0 &&
			this.queue.length === 0 &&
			now - this.lastActiveAt > this.windowMs()
		);
	}

	private forgetLessons(): void {
		this.share = 1;
		this.spaced = false;
		this.spareStarts = 0;
		this.successes = 0;
		this.epoch++;
	}

	private async take(options: TurnOptions): Promise<Turn> {
		const now = this.timing.now();
		const since = now + Math.max(0, options.pausedMs ?? 0);
		return await new Promise<Turn>((resolve, reject) => {
			const waiter: Waiter = { since, deadline: since + options.timeoutMs, resolve, reject };
			const { signal } = options;
			if (signal) {
				if (signal.aborted) {
					reject(signal.reason);
					return;
				}
				waiter.signal = signal;
				waiter.onAbort = () => {
					this.remove(waiter);
					reject(signal.reason);
					this.pump();
				};
				signal.addEventListener('abort', waiter.onAbort, { once: true });
			}
			this.queue.push(waiter);
			this.pump();
		});
	}

	/** A window counts a little longer than a minute: requests reach StepFun a few ms apart. */
	private windowMs(): number {
		return this.timing.minuteMs * (1 + PACING.windowSlack);
	}

	/** Forgets the starts that have left the window. */
	private slide(now: number): void {
		const windowStart = now - this.windowMs();
		while (this.starts.length > 0 && this.starts[0] <= windowStart) this.starts.shift();
	}

	/** When the next request may start (Infinity: when one in flight ends). Call after slide. */
	private nextStart(now: number): number {
		const pace = this.inForce();
		if (this.inFlight >= pace.concurrency) return Infinity;
		let at = Math.max(now, this.pausedUntil);
		// Never more than R in any window, whatever else: the oldest start must leave it first.
		const perWindow = this.perWindow();
		if (this.starts.length >= perWindow) {
			at = Math.max(at, this.starts[this.starts.length - perWindow] + this.windowMs());
		}
		if (this.spaced) {
			at = Math.max(at, this.lastStartAt + this.timing.minuteMs / pace.requestsPerMinute);
		}
		return at;
	}

	/** How many may start in one window: R, less the starts learned to keep free. */
	private perWindow(): number {
		return Math.max(1, this.configured().requestsPerMinute - this.spareStarts);
	}

	private pump(): void {
		const now = this.timing.now();
		this.slide(now);
		while (this.queue.length > 0 && this.nextStart(now) <= now) {
			this.grant(this.queue.shift() as Waiter, now);
		}
		for (const waiter of [...this.queue]) {
			if (waiter.deadline > now) continue;
			this.remove(waiter);
			waiter.reject(new RateLimitWaitExpired(now - waiter.since, this.inForce()));
		}
		if (this.queue.length === 0) {
			this.timer?.controller.abort();
			this.timer = undefined;
			return;
		}
		const deadline = Math.min(...this.queue.map((waiter) => waiter.deadline));
		this.wakeAt(Math.min(deadline, this.nextStart(now)));
	}

	private grant(waiter: Waiter, now: number): void {
		if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
		this.inFlight++;
		this.starts.push(now);
		this.lastStartAt = now;
		this.lastActiveAt = now;
		const epoch = this.epoch;
		let ended = false;
		waiter.resolve({
			end: (outcome, pauseMs) => {
				if (ended) return;
				ended = true;
				this.end(epoch, outcome, pauseMs);
			},
		});
	}

	private end(epoch: number, outcome: TurnOutcome, pauseMs: number | undefined): void {
		const now = this.timing.now();
		this.inFlight--;
		this.lastActiveAt = now;
		if (outcome === 'rateLimited') {
			if (pauseMs !== undefined && pauseMs > 0) {
				this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
			}
			this.lastRateLimitedAt = now;
			// Requests started before the last lesson reflect the old pace: no second lowering.
			if (epoch === this.epoch && !this.spaced && this.atBudgetEnd(now)) {
				// Refused with the minute's budget (nearly) spent: the account counts the minute as
				// the node does, only its minute ended a little later. Keep one more start free.
				this.spareStarts = Math.min(this.configured().requestsPerMinute - 1, this.spareStarts + 1);
				this.epoch++;
			} else if (epoch === this.epoch) {
				// Refused with budget left: the account counts more strictly than R a minute.
				this.spaced = true;
				this.share = Math.max(PACING.minShare, this.share / 2);
				this.epoch++;
				this.successes = 0;
			}
		} else if (outcome === 'ok' && epoch === this.epoch && this.spaced) {
			this.successes++;
			if (this.successes >= PACING.successesToRaise) {
				this.successes = 0;
				if (this.share < 1) {
					this.share = Math.min(1, this.share + PACING.raiseStep);
				} else if (now - this.lastRateLimitedAt >= this.windowMs()) {
					// A whole window at the configured rate without a 429: count by the minute again.
					this.spaced = false;
				}
			}
		}
		this.pump();
	}

	/**
	 * Whether the window holds so many starts that the next Concurrency could not all fit (and
	 * fewer than Concurrency starts are kept free yet: beyond that, 429s teach the stricter pace).
	 */
	private atBudgetEnd(now: number): boolean {
		this.slide(now);
		const { concurrency } = this.configured();
		return (
			this.spareStarts < concurrency && this.starts.length > this.perWindow() - concurrency
		);
	}

	private remove(waiter: Waiter): void {
		const index = this.queue.indexOf(waiter);
		if (index >= 0) this.queue.splice(index, 1);
		if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
	}

	/** One sleep at a time: the earliest moment something can change. */
	private wakeAt(at: number): void {
		if (!Number.isFinite(at)) return;
		if (this.timer && this.timer.at <= at) return;
		this.timer?.controller.abort();
		const controller = new AbortController();
		this.timer = { at, controller };
		const ms = Math.max(1, Math.ceil(at - this.timing.now()));
		this.timing.sleep(ms, controller.signal).then(
			() => {
				// n8n versions whose sleep ignores the signal still wake a cancelled sleep: skip it.
				if (this.timer?.controller !== controller) return;
				this.timer = undefined;
				this.pump();
			},
			() => {},
		);
	}
}

// ---------------------------------------------------------------------------------------------
// The limiters of this process, by credential

const limiters = new Map<string, AccountLimiter>();
let timing: LimiterTiming = REAL_TIME;

/** The limiter shared by every request with this base URL and API key (kept only as a hash). */
export function accountLimiter(baseUrl: string, apiKey: string | undefined): AccountLimiter {
	const key = createHash('sha256')
		.update(`${baseUrl}\n${apiKey ?? ''}`)
		.digest('hex');
	const now = timing.now();
	for (const [other, limiter] of limiters) {
		if (other !== key && limiter.idle(now)) limiters.delete(other);
	}
	let limiter = limiters.get(key);
	if (!limiter) {
		limiter = new AccountLimiter(timing);
		limiters.set(key, limiter);
	}
	return limiter;
}

/**
 * For tests and benchmarks: forget every limiter and, if given, use another clock, sleep or
 * length of a minute from now on.
 */
export function resetAccountLimiters(replacement: Partial<LimiterTiming> = {}): void {
	limiters.clear();
	timing = { ...REAL_TIME, ...replacement };
}
