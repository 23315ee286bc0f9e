// The pace of requests to StepFun. RunSlots: one run's requests in progress (Concurrency), so
// only their images are held. AccountLimiter: one per credential (API key + base URL) in this
// process, shared by every execution and node using it, since StepFun limits the account. Its
// law, stated for maintainers in docs/performance.md: at most C in flight, R started in any
// window (a minute, 2 % long), starts a little apart. A 429 pauses the key and caps it at what
// the account had granted (its starts in the window, or its requests in flight); one probe at a
// time past a learned cap tests it, and an admitted one lifts it. No timers in nodes: waiting is
// n8n's `sleep`, and tests and benchmarks replace the clock.
import { createHash } from 'crypto';
import { sleep } from 'n8n-workflow';

import { CONCURRENCY, PACING, REQUESTS_PER_MINUTE } from '../shared/limits';

/** At most `free` of one run's requests in progress; every acquire is followed by one release. */
export class RunSlots {
	private readonly waiting: Array<() => void> = [];

	constructor(private free: number) {}

	async acquire(): Promise<void> {
		if (this.free > 0) this.free--;
		else await new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.free++;
	}
}

/** What one run asks for, from its options. */
export type PaceCaps = { concurrency: number; requestsPerMinute: number };

/** The pace a key runs at right now; `learned`: lowered after StepFun's 429s. */
export type PaceInForce = PaceCaps & { learned: boolean };

/** Time as the limiter sees it; `minuteMs` is 60 000 except in tests and benchmarks. */
export interface LimiterTiming {
	now: () => number;
	sleep: (ms: number, signal: AbortSignal) => Promise<void>;
	minuteMs: number;
}

export const REAL_TIME: LimiterTiming = {
	now: () => Date.now(),
	sleep: async (ms, signal) => await sleep(ms, signal),
	minuteMs: 60_000,
};

/** How a request went; 'rateLimited' is a 429 (nothing made, nothing counted). */
export type TurnOutcome = 'ok' | 'rateLimited' | 'failed';

/** A request's place in flight, ended once its answer is read (with a 429: its Retry-After). */
export interface Turn {
	waitedMs: number;
	end: (outcome: TurnOutcome, retryAfterMs?: number) => void;
}

/** One run's use of its key: wait for turns (up to `timeoutMs`, or until `signal`), then leave. */
export interface AccountPace {
	take: (options: { timeoutMs: number; signal?: AbortSignal }) => Promise<Turn>;
	leave: () => void;
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

/** A request waiting for its turn. */
interface Waiter {
	since: number;
	deadline: number;
	resolve: (turn: Turn) => void;
	reject: (error: unknown) => void;
	signal?: AbortSignal;
	onAbort: () => void;
}

/** A start past a learned cap: the window's, or the in-flight one. */
type Probe = 'window' | 'flight' | undefined;

/** What 429s taught; forgotten once the key rests a whole window. */
const freshLesson = () => ({
	flightCap: undefined as number | undefined,
	windowCap: undefined as number | undefined,
	/** Starts spaced at R: the account refills steadily, as a bucket does. */
	spaced: false,
	/** No window probe before (a refused one holds the cap). */
	windowProbeAt: -Infinity,
	answersPerProbe: 0,
	answered: 0,
});

export class AccountLimiter {
	/** The caps of the runs using the key right now; the strictest are in force. */
	private readonly runs = new Set<PaceCaps>();
	/** First come, first served; each run has at most its Concurrency here. */
	private readonly queue: Waiter[] = [];
	/** Admitted start times inside the last window, oldest first. */
	private readonly starts: number[] = [];
	private inFlight = 0;
	private probing = false;
	private lastStartAt = -Infinity;
	private pausedUntil = -Infinity;
	private lastRefusedAt = -Infinity;
	/** The pause after a 429, doubled per 429 in a row; the in-flight cap before that row. */
	private backoffMs = 0;
	private flightCapBefore: number | undefined;
	private lesson = freshLesson();
	private lastActiveAt: number;
	private timer: { at: number; controller: AbortController } | undefined;

	constructor(private readonly timing: LimiterTiming = REAL_TIME) {
		this.lastActiveAt = timing.now();
	}

	join(caps: PaceCaps): AccountPace {
		// Whatever the account counts, a whole window of rest has given it back in full.
		if (this.idle(this.timing.now())) this.lesson = freshLesson();
		const entry = { ...caps };
		this.runs.add(entry);
		return {
			take: async ({ timeoutMs, signal }) => await this.take(timeoutMs, signal),
			leave: () => {
				if (!this.runs.delete(entry)) return;
				this.lastActiveAt = this.timing.now();
				this.pump();
			},
		};
	}

	/** The caps configured for the key: the strictest among the runs using it. */
	configured(): PaceCaps {
		const runs = [...this.runs];
		if (runs.length === 0) {
			return { concurrency: CONCURRENCY.default, requestsPerMinute: REQUESTS_PER_MINUTE.default };
		}
		const least = (key: keyof PaceCaps) => Math.min(...runs.map((run) => run[key]));
		return { concurrency: least('concurrency'), requestsPerMinute: least('requestsPerMinute') };
	}

	inForce(): PaceInForce {
		const { concurrency, requestsPerMinute } = this.configured();
		const { flightCap = Infinity, windowCap = Infinity, spaced } = this.lesson;
		const learned = Number.isFinite(flightCap) || Number.isFinite(windowCap) || spaced;
		const capped = { concurrency: Math.min(concurrency, flightCap), learned };
		return { ...capped, requestsPerMinute: Math.min(requestsPerMinute, windowCap) };
	}

	/** For tests and benchmarks: what the limiter holds right now. */
	state() {
		const { inFlight, pausedUntil, lesson, queue } = this;
		return { ...this.inForce(), ...lesson, inFlight, pausedUntil, waiting: queue.length };
	}

	/** Nothing running, waiting or started inside the last window: safe to forget. */
	idle(now: number): boolean {
		const busy = this.runs.size + this.inFlight + this.queue.length > 0;
		return !busy && now - this.lastActiveAt > this.windowMs();
	}

	private async take(timeoutMs: number, signal: AbortSignal | undefined): Promise<Turn> {
		const since = this.timing.now();
		return await new Promise<Turn>((resolve, reject) => {
			if (signal?.aborted) return reject(signal.reason);
			const waiter: Waiter = {
				since,
				deadline: since + timeoutMs,
				resolve,
				reject,
				signal,
				onAbort: () => {
					this.remove(waiter);
					reject(signal?.reason);
					this.pump();
				},
			};
			signal?.addEventListener('abort', waiter.onAbort, { once: true });
			this.queue.push(waiter);
			this.pump();
		});
	}

	/** A window counts a little longer than a minute: requests reach StepFun a few ms apart. */
	private windowMs(): number {
		return this.timing.minuteMs * (1 + PACING.windowSlack);
	}

	/** When the next request may start (Infinity: once one ends), and whether it probes. */
	private next(now: number): { at: number; probe?: Probe } {
		const { concurrency, requestsPerMinute } = this.configured();
		const { flightCap = concurrency, windowCap, spaced, windowProbeAt } = this.lesson;
		if (this.inFlight >= concurrency) return { at: Infinity };
		// Starts a little apart, so that a 429 is heard before the next one goes.
		const gap = spaced
			? this.windowMs() / requestsPerMinute
			: this.timing.minuteMs * PACING.startGap;
		let at = Math.max(now, this.pausedUntil, this.lastStartAt + gap);
		const perWindow = Math.min(requestsPerMinute, windowCap ?? Infinity);
		if (this.starts.length >= perWindow) {
			// Full until its oldest start leaves the window, unless a probe may go first.
			const frees = this.starts[this.starts.length - perWindow] + this.windowMs();
			const probeAt = Math.max(at, windowProbeAt);
			const mayProbe = windowCap !== undefined && !this.probing && this.inFlight < flightCap;
			if (mayProbe && probeAt < frees) return { at: probeAt, probe: 'window' };
			at = Math.max(at, frees);
		}
		if (this.inFlight < flightCap) return { at };
		const { answered, answersPerProbe } = this.lesson;
		return this.probing || answered < answersPerProbe ? { at: Infinity } : { at, probe: 'flight' };
	}

	private pump(): void {
		const now = this.timing.now();
		while (this.starts.length > 0 && this.starts[0] <= now - this.windowMs()) this.starts.shift();
		for (let next = this.next(now); this.queue.length > 0; next = this.next(now)) {
			if (next.at > now) {
				for (const waiter of this.queue.filter((w) => w.deadline <= now)) {
					this.remove(waiter);
					waiter.reject(new RateLimitWaitExpired(now - waiter.since, this.inForce()));
				}
				return this.wakeAt(Math.min(next.at, ...this.queue.map((waiter) => waiter.deadline)));
			}
			this.grant(this.queue.shift() as Waiter, now, next.probe);
		}
		this.wakeAt(Infinity);
	}

	private grant(waiter: Waiter, now: number, probe: Probe): void {
		waiter.signal?.removeEventListener('abort', waiter.onAbort);
		// What the account had granted the key when this one started: the lesson if it is refused.
		const turn = { startedAt: now, probe, inFlight: this.inFlight, inWindow: this.starts.length };
		const capBefore = this.lesson.windowCap;
		this.inFlight++;
		this.starts.push(now);
		this.lastStartAt = this.lastActiveAt = now;
		this.probing ||= probe !== undefined;
		// Lifted as the window probe goes, the next start a refill later: a 429 comes back sooner.
		if (probe === 'window') Object.assign(this.lesson, { windowCap: undefined, spaced: true });
		let ended = false;
		waiter.resolve({
			waitedMs: now - waiter.since,
			end: (outcome, retryAfterMs) => {
				if (!ended) this.end({ ...turn, capBefore }, outcome, retryAfterMs);
				ended = true;
			},
		});
	}

	private end(
		turn: {
			startedAt: number;
			probe: Probe;
			inFlight: number;
			inWindow: number;
			capBefore?: number;
		},
		outcome: TurnOutcome,
		retryAfterMs: number | undefined,
	): void {
		const now = (this.lastActiveAt = this.timing.now());
		const { lesson } = this;
		this.inFlight--;
		if (turn.probe) this.probing = false;
		if (outcome === 'rateLimited') {
			const index = this.starts.lastIndexOf(turn.startedAt);
			if (index >= 0) this.starts.splice(index, 1);
			if (this.backoffMs === 0) this.flightCapBefore = lesson.flightCap;
			const refill = this.windowMs() / this.configured().requestsPerMinute;
			const longest = PACING.maxPause * this.timing.minuteMs;
			this.backoffMs = Math.min(2 * this.backoffMs || refill, longest);
			this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? this.backoffMs));
			this.lastRefusedAt = now;
			if (turn.probe === 'window') {
				// The account counts a window: its cap holds for two windows.
				Object.assign(lesson, { windowCap: turn.capBefore, spaced: false });
				lesson.windowProbeAt = now + (retryAfterMs ?? PACING.holdWindows * this.windowMs());
			} else if (turn.probe === 'flight') {
				lesson.answersPerProbe *= 2;
				lesson.answered = 0;
			} else {
				// Some of its starts answered, and none in flight or no one else known to hold the
				// account's in-flight: the window is full. Else others hold the in-flight.
				const answered = turn.inWindow > turn.inFlight;
				if (answered && (lesson.flightCap === undefined || turn.inFlight === 0)) {
					lesson.windowCap = turn.inWindow;
					lesson.flightCap = this.flightCapBefore;
				} else {
					lesson.flightCap = Math.max(1, turn.inFlight);
					Object.assign(lesson, { answersPerProbe: PACING.answersPerProbe, answered: 0 });
				}
			}
		} else if (outcome === 'ok') {
			if (turn.startedAt > this.lastRefusedAt) this.backoffMs = 0;
			lesson.answered++;
			if (turn.probe === 'flight') {
				const raised = (lesson.flightCap ?? 0) + 1;
				lesson.flightCap = raised < this.configured().concurrency ? raised : undefined;
				lesson.answered = 0;
			}
			if (now - this.lastRefusedAt >= this.windowMs()) lesson.spaced = false;
		}
		this.pump();
	}

	private remove(waiter: Waiter): void {
		const index = this.queue.indexOf(waiter);
		if (index >= 0) this.queue.splice(index, 1);
		waiter.signal?.removeEventListener('abort', waiter.onAbort);
	}

	/** One sleep at a time, to the earliest moment something can change. */
	private wakeAt(at: number): void {
		if (Number.isFinite(at) && this.timer && this.timer.at <= at) return;
		this.timer?.controller.abort();
		this.timer = undefined;
		if (!Number.isFinite(at)) return;
		const controller = new AbortController();
		this.timer = { at, controller };
		const wake = () => {
			// n8n versions whose sleep ignores the signal still wake a cancelled sleep: skip it.
			if (this.timer?.controller !== controller) return;
			this.timer = undefined;
			this.pump();
		};
		this.timing
			.sleep(Math.max(1, Math.ceil(at - this.timing.now())), controller.signal)
			.then(wake, () => {});
	}
}

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
	const limiter = limiters.get(key) ?? new AccountLimiter(timing);
	limiters.set(key, limiter);
	return limiter;
}

/** For tests and benchmarks: forget every limiter, and use this clock, sleep or minute from now. */
export function resetAccountLimiters(replacement: Partial<LimiterTiming> = {}): void {
	limiters.clear();
	timing = { ...REAL_TIME, ...replacement };
}
