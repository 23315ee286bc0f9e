// The pace of requests to StepFun. RunSlots: one run's requests in progress (Concurrency), so
// only their images are held. AccountLimiter: one per credential (API key + base URL) in this
// process, shared by every execution and node using it, since StepFun limits the account. Its
// law is stated in docs/performance.md. No timers in nodes: waiting is n8n's `sleep`.
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

/** What one run asks for; in force, `learned` if lowered after StepFun's 429s. */
export type PaceCaps = { concurrency: number; requestsPerMinute: number };
export type PaceInForce = PaceCaps & { learned: boolean };
/** Time as the limiter sees it; tests and benchmarks replace it (`minuteMs` too). */
export type LimiterTiming = {
	now: () => number;
	sleep: (ms: number, signal: AbortSignal) => Promise<void>;
	minuteMs: number;
};
export const REAL_TIME: LimiterTiming = { now: () => Date.now(), sleep, minuteMs: 60_000 };
/** How a request went ('rateLimited': a 429, nothing made); its turn ends once that is known. */
export type TurnOutcome = 'ok' | 'rateLimited' | 'failed';
export type Turn = { waitedMs: number; end: (outcome: TurnOutcome, retryAfterMs?: number) => void };
type Take = (options: { timeoutMs: number; signal?: AbortSignal }) => Promise<Turn>;
/** One run's use of its key: wait for turns (up to `timeoutMs`, or until `signal`), then leave. */
export type AccountPace = { take: Take; leave: () => void };

/** A request got no turn within its timeout. Nothing was sent. */
export class RateLimitWaitExpired extends Error {
	constructor(
		readonly waitedMs: number,
		readonly pace: PaceInForce,
	) {
		super(`No turn for StepFun's rate limit within ${waitedMs} ms`);
	}
}

/** Waiting for a turn; from `probeBy` (most of its Timeout gone) it may probe the window's cap. */
type Waiter = { since: number; deadline: number; probeBy: number; signal?: AbortSignal } & {
	resolve: (turn: Turn) => void;
	reject: (error: unknown) => void;
	onAbort: () => void;
};
/**
 * The window's test: one probe, sent once the key has fewer of its own in flight than at the 429
 * (`inFlight`), none if others are known (`shared`: then room means theirs were in flight).
 */
type WindowTest = { inFlight: number; shared: boolean };
/** A started request and what the key held then; `probe`: past a learned cap. */
type Started = { at: number; inFlight: number; inWindow: number; windowCap?: number } & {
	probe?: 'window' | 'flight';
	test?: WindowTest;
};

/** What 429s taught, and when each learned cap may next be probed; forgotten after a rest. */
const freshLesson = () => ({
	flightCap: undefined as number | undefined,
	windowCap: undefined as number | undefined,
	test: undefined as WindowTest | undefined,
	flightProbeAt: -Infinity,
	windowProbeAt: -Infinity,
	/** Starts a refill interval apart: the account refills steadily, as a token bucket does. */
	spaced: false,
	/** A 429 came before any start of the key was answered: others hold some of the slots. */
	othersMet: false,
});

export class AccountLimiter {
	/** The caps of the runs using the key now (the strictest are in force), and their waiters. */
	private readonly runs = new Set<PaceCaps>();
	private readonly queue: Waiter[] = [];
	/** Admitted start times inside the last window, oldest first. */
	private readonly starts: number[] = [];
	/** A minute counted 2 % long: requests reach StepFun a few ms apart. */
	private readonly windowMs: number;
	private inFlight = 0;
	private probing = false;
	private lastStartAt = -Infinity;
	private lastRefusedAt = -Infinity;
	private pausedUntil = -Infinity;
	/** The pause after a 429, doubled per 429 in a row. */
	private backoffMs = 0;
	private lesson = freshLesson();
	private lastActiveAt: number;
	private timer: { at: number; controller: AbortController } | undefined;

	constructor(private readonly timing: LimiterTiming = REAL_TIME) {
		this.lastActiveAt = timing.now();
		this.windowMs = timing.minuteMs * (1 + PACING.windowSlack);
	}

	join(caps: PaceCaps): AccountPace {
		if (this.idle(this.timing.now())) this.lesson = freshLesson();
		const entry = { ...caps };
		this.runs.add(entry);
		const leave = () => {
			if (this.runs.delete(entry)) this.lastActiveAt = this.timing.now();
			this.pump();
		};
		return { take: async ({ timeoutMs, signal }) => await this.take(timeoutMs, signal), leave };
	}

	/** The caps configured for the key: the strictest among the runs using it. */
	configured(): PaceCaps {
		const least = (key: keyof PaceCaps, otherwise: number) =>
			this.runs.size ? Math.min(...[...this.runs].map((run) => run[key])) : otherwise;
		const requestsPerMinute = least('requestsPerMinute', REQUESTS_PER_MINUTE.default);
		return { concurrency: least('concurrency', CONCURRENCY.default), requestsPerMinute };
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
		return !busy && now - this.lastActiveAt > this.windowMs;
	}

	private async take(timeoutMs: number, signal: AbortSignal | undefined): Promise<Turn> {
		const since = this.timing.now();
		const [deadline, probeBy] = [1, PACING.probeAfterWait].map(
			(share) => since + share * timeoutMs,
		);
		return await new Promise<Turn>((resolve, reject) => {
			if (signal?.aborted) return reject(signal.reason);
			const onAbort = () => {
				this.remove(waiter);
				reject(signal?.reason);
				this.pump();
			};
			const waiter = { since, deadline, probeBy, signal, resolve, reject, onAbort };
			signal?.addEventListener('abort', onAbort, { once: true });
			this.queue.push(waiter);
			this.pump();
		});
	}

	/** When the next request may start (Infinity: once one ends), and whether it probes. */
	private next(now: number): { at: number; probe?: Started['probe'] } {
		const { concurrency, requestsPerMinute } = this.configured();
		const { flightCap = concurrency, windowCap, spaced, test, windowProbeAt } = this.lesson;
		if (this.inFlight >= concurrency) return { at: Infinity };
		const gap = spaced ? this.windowMs / requestsPerMinute : this.timing.minuteMs * PACING.startGap;
		let at = Math.max(now, this.pausedUntil, this.lastStartAt + gap);
		// While the window is tested, nothing but its probe.
		const below = test && (test.shared ? 1 : Math.max(1, test.inFlight));
		if (below)
			return this.probing || this.inFlight >= below ? { at: Infinity } : { at, probe: 'window' };
		const perWindow = Math.min(requestsPerMinute, windowCap ?? Infinity);
		if (this.starts.length >= perWindow) {
			// Full until its oldest start leaves the window, unless a probe may go first (a request
			// that has waited most of its Timeout goes as one, once the cap has held a window).
			const frees = this.starts[this.starts.length - perWindow] + this.windowMs;
			const waited = Math.min(...this.queue.map((waiter) => waiter.probeBy));
			const due = Math.min(windowProbeAt, Math.max(waited, windowProbeAt - this.windowMs));
			const mayProbe = windowCap !== undefined && !this.probing && this.inFlight < flightCap;
			if (mayProbe && Math.max(at, due) < frees) return { at: Math.max(at, due), probe: 'window' };
			at = Math.max(at, frees);
		}
		if (this.inFlight < flightCap) return { at };
		if (this.probing) return { at: Infinity };
		return { at: Math.max(at, this.lesson.flightProbeAt), probe: 'flight' };
	}

	private pump(): void {
		const now = this.timing.now();
		while (this.starts.length > 0 && this.starts[0] <= now - this.windowMs) this.starts.shift();
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

	private grant(waiter: Waiter, now: number, probe: Started['probe']): void {
		waiter.signal?.removeEventListener('abort', waiter.onAbort);
		const { lesson, starts, inFlight } = this;
		const { windowCap, test } = lesson;
		const started: Started = { at: now, probe, inFlight, inWindow: starts.length, windowCap, test };
		this.inFlight++;
		starts.push(now);
		this.lastStartAt = this.lastActiveAt = now;
		this.probing ||= probe !== undefined;
		// Lifted as a window probe goes (put back if refused). After a test with no one else known,
		// starts go a refill apart: the next one a refill later, not after the probe's answer.
		if (probe === 'window') {
			const spaced = test !== undefined && !test.shared && !lesson.othersMet;
			Object.assign(lesson, { windowCap: undefined, test: undefined, spaced });
		}
		let ended = false;
		const end = (outcome: TurnOutcome, retryAfterMs?: number) => {
			if (!ended) this.end(started, outcome, retryAfterMs);
			ended = true;
		};
		waiter.resolve({ waitedMs: now - waiter.since, end });
	}

	private end(turn: Started, outcome: TurnOutcome, retryAfterMs: number | undefined): void {
		const now = (this.lastActiveAt = this.timing.now());
		const { lesson, starts, timing } = this;
		const gap = PACING.probeGap * timing.minuteMs;
		this.inFlight--;
		if (turn.probe) this.probing = false;
		if (outcome === 'ok') {
			if (turn.at > this.lastRefusedAt) this.backoffMs = 0;
			if (turn.probe) lesson.flightProbeAt = now;
			if (turn.probe === 'flight') {
				// Admitted past the in-flight cap: one more, and the next probe at once.
				const raised = (lesson.flightCap ?? 0) + 1;
				lesson.flightCap = raised < this.configured().concurrency ? raised : undefined;
			} else if (turn.test && (turn.test.shared || lesson.othersMet)) {
				// The window had room: what refused was others' requests in flight.
				const flightCap = Math.max(1, turn.test.inFlight);
				Object.assign(lesson, { othersMet: true, flightCap, spaced: false });
			}
			if (now - this.lastRefusedAt >= PACING.spacedFor * this.windowMs) lesson.spaced = false;
		}
		const index = outcome === 'rateLimited' ? starts.lastIndexOf(turn.at) : -1;
		if (index >= 0) starts.splice(index, 1);
		// A 429 sent before the last one was heard teaches nothing more.
		if (outcome !== 'rateLimited' || turn.at <= this.lastRefusedAt) return this.pump();
		const inARow = this.backoffMs > 0;
		const refill = this.windowMs / this.configured().requestsPerMinute;
		this.backoffMs = Math.min(2 * this.backoffMs || refill, PACING.maxPause * timing.minuteMs);
		this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? this.backoffMs));
		this.lastRefusedAt = now;
		if (turn.probe === 'flight') {
			lesson.flightProbeAt = now + gap;
		} else if (turn.test && turn.inFlight > 0) {
			// Refused with some of its own in flight: tested once more with none.
			Object.assign(lesson, { windowCap: turn.windowCap, test: { ...turn.test, shared: true } });
		} else if (turn.probe === 'window') {
			// The window is full. Others known (or met as in-flight in the test) started when the key
			// did, so their share may have left once its own oldest start has; alone, the cap is the
			// account's own rate.
			const retestAt =
				lesson.othersMet || turn.test?.shared
					? Math.max(now + gap, (starts[0] ?? now) + this.windowMs)
					: now + PACING.windowHold * this.windowMs;
			const windowProbeAt = retryAfterMs === undefined ? retestAt : now + retryAfterMs;
			Object.assign(lesson, { windowCap: turn.windowCap, windowProbeAt, spaced: false });
		} else if (turn.inWindow === turn.inFlight) {
			// None of its starts answered yet: others hold the account's slots.
			Object.assign(lesson, { othersMet: true, flightCap: Math.max(1, turn.inFlight) });
			lesson.flightProbeAt = now + gap;
		} else if (lesson.othersMet && !inARow && turn.inFlight > 0) {
			// Others known: most likely their requests in flight again; a second 429 in a row tests.
			const flightProbeAt = Math.max(lesson.flightProbeAt, now + gap);
			Object.assign(lesson, { flightCap: turn.inFlight, flightProbeAt });
		} else {
			// The window may be full, or others' requests in flight: the test tells.
			lesson.test = { inFlight: turn.inFlight, shared: lesson.othersMet || lesson.spaced };
			lesson.windowCap = turn.inWindow;
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
		const timer = Number.isFinite(at) ? { at, controller: new AbortController() } : undefined;
		this.timer = timer;
		if (!timer) return;
		// n8n versions whose sleep ignores the signal still wake a cancelled sleep: skip it.
		const wake = () => {
			if (this.timer !== timer) return;
			this.timer = undefined;
			this.pump();
		};
		const ms = Math.max(1, Math.ceil(at - this.timing.now()));
		this.timing.sleep(ms, timer.controller.signal).then(wake, () => {});
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
	for (const [other, limiter] of limiters)
		if (other !== key && limiter.idle(now)) limiters.delete(other);
	const limiter = limiters.get(key) ?? new AccountLimiter(timing);
	limiters.set(key, limiter);
	return limiter;
}

/** For tests and benchmarks: forget every limiter, and use this clock, sleep or minute from now. */
export function resetAccountLimiters(replacement: Partial<LimiterTiming> = {}): void {
	limiters.clear();
	timing = { ...REAL_TIME, ...replacement };
}
