/**
 * The shared limiter on its own, with a virtual clock: no real waiting, and every figure below
 * (who started when, how many at once) is exact. The engine-level view, with the stand-in
 * judging what reached it, is test/throughput.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { PACING } from '../nodes/StepFunImage/shared/limits';
import type { AccountPace, LimiterTiming, Turn, TurnOutcome } from '../nodes/StepFunImage/transport/limiter';
import {
	AccountLimiter,
	accountLimiter,
	RateLimitWaitExpired,
	resetAccountLimiters,
} from '../nodes/StepFunImage/transport/limiter';

const MINUTE = 60_000;
/** The node counts a minute 2 % long. */
const WINDOW = MINUTE * (1 + PACING.windowSlack);

/** A clock that only moves when told to, waking sleepers in time order. */
class VirtualTime {
	now = 0;

	private sleepers: Array<{ at: number; wake: () => void }> = [];

	readonly timing: LimiterTiming = {
		now: () => this.now,
		sleep: async (ms, signal) => await this.sleep(ms, signal),
		minuteMs: MINUTE,
	};

	async sleep(ms: number, signal?: AbortSignal): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			const sleeper = { at: this.now + ms, wake: resolve };
			this.sleepers.push(sleeper);
			signal?.addEventListener('abort', () => {
				this.sleepers = this.sleepers.filter((other) => other !== sleeper);
				reject(signal.reason);
			});
		});
	}

	/** Lets every promise that can settle now settle. */
	async settle(): Promise<void> {
		for (let i = 0; i < 50; i++) await Promise.resolve();
	}

	/** Moves time on, sleeper by sleeper, until `work` is done. */
	async run<T>(work: Promise<T>): Promise<T> {
		let done = false;
		const result = work.finally(() => {
			done = true;
		});
		result.catch(() => {});
		await this.settle();
		while (!done) {
			const next = this.sleepers.sort((a, b) => a.at - b.at).shift();
			if (!next) throw new Error('nothing left to wake, but the work is not done');
			this.now = Math.max(this.now, next.at);
			next.wake();
			await this.settle();
		}
		return await result;
	}

	/** Moves time on by `ms`, waking what is due. */
	async advance(ms: number): Promise<void> {
		const until = this.now + ms;
		await this.settle();
		for (;;) {
			const next = this.sleepers.sort((a, b) => a.at - b.at)[0];
			if (!next || next.at > until) break;
			this.sleepers.shift();
			this.now = next.at;
			next.wake();
			await this.settle();
		}
		this.now = until;
		await this.settle();
	}
}

interface Started {
	at: number;
	name: string;
}

/**
 * A fake StepFun: each request takes `latencyMs`; `answer` decides 200 or 429 as it arrives,
 * given how many would be in flight with it. A 429 is answered at once, holds no place and asks
 * to wait `retryAfterMs`; the request is sent again until it succeeds.
 */
function account(
	time: VirtualTime,
	options: { latencyMs: number; answer?: (inFlight: number) => TurnOutcome; retryAfterMs?: number },
) {
	const started: Started[] = [];
	const outcomes: TurnOutcome[] = [];
	/** 429s per request name. */
	const refusals = new Map<string, number>();
	let inFlight = 0;
	let peak = 0;
	/** [time, in flight] after each start. */
	const levels: Array<[number, number]> = [];
	async function request(pace: AccountPace, name: string, timeoutMs = 10 * MINUTE): Promise<void> {
		for (;;) {
			const turn: Turn = await pace.take({ timeoutMs });
			started.push({ at: time.now, name });
			const outcome = options.answer?.(inFlight + 1) ?? 'ok';
			outcomes.push(outcome);
			if (outcome === 'rateLimited') {
				refusals.set(name, (refusals.get(name) ?? 0) + 1);
				await time.sleep(1);
				turn.end(outcome, options.retryAfterMs ?? 1000);
				continue;
			}
			inFlight++;
			peak = Math.max(peak, inFlight);
			levels.push([time.now, inFlight]);
			await time.sleep(options.latencyMs);
			inFlight--;
			turn.end(outcome);
			return;
		}
	}
	return {
		started,
		outcomes,
		refusals,
		request,
		/** How many were answered 429. */
		get rateLimited() {
			return outcomes.filter((o) => o === 'rateLimited').length;
		},
		get peak() {
			return peak;
		},
		/** The most in flight at once, counting starts before `until`. */
		peakUntil(until: number): number {
			return Math.max(0, ...levels.filter(([at]) => at < until).map(([, level]) => level));
		},
		/** The most starts inside any window of `windowMs`. */
		mostIn(windowMs: number, from = 0, to = Infinity): number {
			const times = started.map((s) => s.at).filter((at) => at >= from && at <= to);
			let most = 0;
			for (let i = 0, j = 0; i < times.length; i++) {
				while (times[i] - times[j] >= windowMs) j++;
				most = Math.max(most, i - j + 1);
			}
			return most;
		},
	};
}

/** An account counting with a token bucket: `burst` at once, refilled at `perMinute`, and at most `maxInFlight`. */
function tokenBucket(time: VirtualTime, limits: { burst: number; perMinute: number; maxInFlight: number }) {
	let tokens = limits.burst;
	let at = time.now;
	return (inFlight: number): TurnOutcome => {
		tokens = Math.min(limits.burst, tokens + ((time.now - at) * limits.perMinute) / MINUTE);
		at = time.now;
		if (inFlight > limits.maxInFlight || tokens < 1) return 'rateLimited';
		tokens--;
		return 'ok';
	};
}

/**
 * An account allowing `perMinute` admitted in any sliding minute (of `minuteMs`, default a
 * minute), and at most `maxInFlight`.
 */
function slidingMinute(time: VirtualTime, limits: { perMinute: number; maxInFlight: number; minuteMs?: number }) {
	const admitted: number[] = [];
	return (inFlight: number): TurnOutcome => {
		while (admitted.length > 0 && admitted[0] <= time.now - (limits.minuteMs ?? MINUTE)) admitted.shift();
		if (inFlight > limits.maxInFlight || admitted.length >= limits.perMinute) return 'rateLimited';
		admitted.push(time.now);
		return 'ok';
	};
}

describe('caps: at most Concurrency in flight and Requests per Minute started', () => {
	it('200 requests at 5 in flight and 100 per minute: both caps hold, and it takes the rate ideal, not longer', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 1500 });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		await time.run(Promise.all(Array.from({ length: 200 }, (_, i) => stepfun.request(pace, `r${i}`))));
		pace.leave();

		expect(stepfun.started).toHaveLength(200);
		expect(stepfun.peak).toBe(5);
		// Never more than 100 in any minute, counted 2 % long as the node counts it.
		expect(stepfun.mostIn(MINUTE)).toBe(100);
		expect(stepfun.mostIn(WINDOW)).toBe(100);
		// The first 100 fit in the minute: they run at 5 at once from the first request, 20 waves
		// of 1.5 s; the 101st waits until the first leaves the window.
		expect(stepfun.started.slice(0, 100).map((s) => s.at)).toEqual(Array.from({ length: 100 }, (_, i) => Math.floor(i / 5) * 1500));
		expect(stepfun.started[100].at).toBe(WINDOW);
		// No longer than the rate ideal: 200 at 100 per minute.
		const last = stepfun.started.at(-1)!.at;
		expect(last).toBeLessThan(2 * MINUTE * (1 + PACING.windowSlack));
		expect(limiter.state().spaced).toBe(false);
	});

	it('a job that fits in the minute runs at Concurrency from its first request: 24 answers of 1.5 s take ceil(24 / 5) × 1.5 s', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 1500 });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		await time.run(Promise.all(Array.from({ length: 24 }, (_, i) => stepfun.request(pace, `r${i}`))));
		pace.leave();
		expect(stepfun.started.map((s) => s.at)).toEqual(Array.from({ length: 24 }, (_, i) => Math.floor(i / 5) * 1500));
		expect(time.now).toBe(Math.ceil(24 / 5) * 1500);
		expect(stepfun.outcomes.every((o) => o === 'ok')).toBe(true);
	});

	it('what is left of the minute: a second job starts at once with the budget the first left, then waits for the oldest start to leave the window', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 1000 });
		const first = limiter.join({ concurrency: 5, requestsPerMinute: 10 });
		await time.run(Promise.all(Array.from({ length: 6 }, (_, i) => stepfun.request(first, `a${i}`))));
		first.leave();
		// 6 started at 0 and 1 s; 4 left in this window.
		await time.advance(10_000);
		const second = limiter.join({ concurrency: 5, requestsPerMinute: 10 });
		await time.run(Promise.all(Array.from({ length: 8 }, (_, i) => stepfun.request(second, `b${i}`))));
		second.leave();
		const b = stepfun.started.filter((s) => s.name.startsWith('b')).map((s) => s.at);
		// Four at once (the budget left), then each when a start of the first job leaves the window.
		expect(b.slice(0, 4)).toEqual([12_000, 12_000, 12_000, 12_000]);
		expect(b.slice(4)).toEqual([WINDOW, WINDOW, WINDOW, WINDOW]);
		expect(stepfun.mostIn(WINDOW)).toBe(10);
	});

	it('first come, first served: requests start in the order they asked', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 100 });
		const pace = limiter.join({ concurrency: 2, requestsPerMinute: 1000 });
		const names = Array.from({ length: 12 }, (_, i) => `r${i}`);
		await time.run(Promise.all(names.map((name) => stepfun.request(pace, name))));
		expect(stepfun.started.map((s) => s.name)).toEqual(names);
	});

	it('two runs on one key: the strictest caps are in force while both run, then the other run gets its own back', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 1000 });
		const relaxed = limiter.join({ concurrency: 4, requestsPerMinute: 200 });
		const strict = limiter.join({ concurrency: 2, requestsPerMinute: 20 });
		expect(limiter.inForce()).toMatchObject({ concurrency: 2, requestsPerMinute: 20 });

		// The two runs ask in turns, so both have requests waiting at once.
		const strictRequests: Array<Promise<void>> = [];
		const relaxedRequests: Array<Promise<void>> = [];
		for (let i = 0; i < 40; i++) {
			relaxedRequests.push(stepfun.request(relaxed, `r${i}`));
			if (i < 6) strictRequests.push(stepfun.request(strict, `s${i}`));
		}
		const strictWork = Promise.all(strictRequests).then(() => {
			strict.leave();
			return time.now;
		});
		const relaxedWork = Promise.all(relaxedRequests);
		const strictDoneAt = await time.run(strictWork);
		expect(limiter.inForce()).toMatchObject({ concurrency: 4, requestsPerMinute: 200 });
		await time.run(relaxedWork);
		relaxed.leave();

		const whileBoth = stepfun.started.filter((s) => s.at < strictDoneAt);
		// Both runs took turns at the strict pace, in the order they asked...
		expect(whileBoth.slice(0, 12).map((s) => s.name)).toEqual(['r0', 's0', 'r1', 's1', 'r2', 's2', 'r3', 's3', 'r4', 's4', 'r5', 's5']);
		expect(stepfun.mostIn(MINUTE, 0, strictDoneAt - 1)).toBeLessThanOrEqual(20);
		expect(stepfun.peakUntil(strictDoneAt)).toBe(2);
		// ...then the relaxed run alone had its own caps.
		expect(stepfun.peak).toBe(4);
	});
});

describe('adaptive: a 429 lowers the pace, sustained success raises it back', () => {
	it('an account that really allows 2 at once: the pace drops to it, probes upward, and comes back to the caps once the account allows them', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		let allowed = 2;
		const stepfun = account(time, { latencyMs: 500, answer: (inFlight) => (inFlight > allowed ? 'rateLimited' : 'ok') });
		const pace = limiter.join({ concurrency: 4, requestsPerMinute: 1000 });

		await time.run(Promise.all(Array.from({ length: 60 }, (_, i) => stepfun.request(pace, `a${i}`))));
		const rateLimited = stepfun.outcomes.filter((o) => o === 'rateLimited').length;
		// The first burst of 4 meets the limit of 2 (2 × 429, one lowering); after that each probe
		// upward needs 10 successes first, so 429s stay few.
		expect(rateLimited).toBeGreaterThanOrEqual(2);
		expect(rateLimited).toBeLessThanOrEqual(2 + Math.ceil(60 / PACING.successesToRaise));
		expect(limiter.inForce().share).toBeLessThan(1);

		// The account allows 4 again: success after success, the pace climbs back to the caps.
		allowed = 4;
		await time.run(Promise.all(Array.from({ length: 60 }, (_, i) => stepfun.request(pace, `b${i}`))));
		expect(limiter.inForce()).toMatchObject({ share: 1, concurrency: 4, requestsPerMinute: 1000 });
		pace.leave();
	});

	it('a burst of 429s lowers the pace once, not once per answer', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const pace = limiter.join({ concurrency: 4, requestsPerMinute: 80 });
		const turns = await Promise.all([1, 2, 3, 4].map(() => pace.take({ timeoutMs: 1000 })));
		for (const turn of turns) turn.end('rateLimited');
		expect(limiter.inForce()).toMatchObject({ share: 0.5, concurrency: 2, requestsPerMinute: 40 });
		// Turns taken after the lowering count again.
		const next = await time.run(pace.take({ timeoutMs: MINUTE }));
		next.end('rateLimited');
		expect(limiter.inForce()).toMatchObject({ share: 0.25, concurrency: 1, requestsPerMinute: 20 });
		pace.leave();
	});

	it('never below one request at a time and an eighth of the rate', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const pace = limiter.join({ concurrency: 4, requestsPerMinute: 80 });
		for (let i = 0; i < 8; i++) (await time.run(pace.take({ timeoutMs: 10 * MINUTE }))).end('rateLimited');
		expect(limiter.inForce()).toMatchObject({ share: PACING.minShare, concurrency: 1, requestsPerMinute: 10 });
		pace.leave();
	});

	it('Retry-After pauses every request of the key, also those of other runs', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const first = limiter.join({ concurrency: 4, requestsPerMinute: 1000 });
		const second = limiter.join({ concurrency: 4, requestsPerMinute: 1000 });
		const turn = await first.take({ timeoutMs: 1000 });
		turn.end('rateLimited', 5000);
		let startedAt: number | undefined;
		const waiting = second.take({ timeoutMs: 1000, pausedMs: 5000 }).then((next) => {
			startedAt = time.now;
			next.end('ok');
		});
		await time.advance(4999);
		expect(startedAt).toBeUndefined();
		await time.run(waiting);
		expect(startedAt).toBe(5000);
		first.leave();
		second.leave();
	});
});

describe('learning how the account counts: 429s teach a stricter pace, sustained success undoes it', () => {
	it('a token bucket (burst 10, 100 a minute, 5 at once) under a pace set to 5 and 100: after the first 429s starts are spaced evenly, every request gets through, 429s stay under 5 %', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 1500, retryAfterMs: 500, answer: tokenBucket(time, { burst: 10, perMinute: 100, maxInFlight: 5 }) });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		const names = Array.from({ length: 200 }, (_, i) => `r${i}`);
		let spacedAfterFirst429: boolean | undefined;
		const work = Promise.all(names.map((name) => stepfun.request(pace, name)));
		// Watch the first 429 land.
		const watch = (async () => {
			while (stepfun.rateLimited === 0) await time.sleep(100);
			await time.sleep(2);
			spacedAfterFirst429 = limiter.state().spaced;
		})();
		await time.run(Promise.all([work, watch]));
		pace.leave();

		expect(spacedAfterFirst429).toBe(true);
		// Nothing lost: each of the 200 succeeded once, none needed more than Max Retries' default 2 resends.
		expect(stepfun.outcomes.filter((o) => o === 'ok')).toHaveLength(200);
		expect(Math.max(0, ...stepfun.refusals.values())).toBeLessThanOrEqual(2);
		expect(stepfun.rateLimited).toBeLessThanOrEqual(0.05 * stepfun.outcomes.length);
		expect(stepfun.peak).toBeLessThanOrEqual(5);
		// The rate bound of the bucket: 10 at once, then 190 at 100 a minute; within 15 % of it.
		expect(time.now).toBeLessThan(1.15 * ((190 / 100) * MINUTE + 1500));
	});

	it("a 429 at the end of the minute's budget (StepFun's minute ends later than the node's): no halving and no spacing, one more start kept free per window for each, up to Concurrency; every request gets through", async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		// The account's minute is 3 % longer: a little more than the node's 2 % margin covers.
		const stepfun = account(time, { latencyMs: 1500, retryAfterMs: 500, answer: slidingMinute(time, { perMinute: 100, maxInFlight: 5, minuteMs: 1.03 * MINUTE }) });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		await time.run(Promise.all(Array.from({ length: 300 }, (_, i) => stepfun.request(pace, `r${i}`))));
		expect(limiter.state()).toMatchObject({ spaced: false, share: 1, concurrency: 5, requestsPerMinute: 100 });
		pace.leave();
		expect(stepfun.outcomes.filter((o) => o === 'ok')).toHaveLength(300);
		expect(Math.max(0, ...stepfun.refusals.values())).toBeLessThanOrEqual(2);
		// A few 429s at the first window ends (five start at once there), then none.
		expect(stepfun.rateLimited).toBeLessThanOrEqual(0.03 * stepfun.outcomes.length);
		// Still at the account's rate: within 10 % of 300 at 100 a minute.
		expect(time.now).toBeLessThan(1.1 * 3 * MINUTE);
	});

	it('a lower rate than configured (30 a minute, the pace set to 100): the pace falls to spaced starts at a rate the account takes, and every request gets through', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 1000, retryAfterMs: 500, answer: slidingMinute(time, { perMinute: 30, maxInFlight: 5 }) });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		await time.run(Promise.all(Array.from({ length: 90 }, (_, i) => stepfun.request(pace, `r${i}`))));
		expect(limiter.state()).toMatchObject({ spaced: true });
		expect(limiter.state().requestsPerMinute).toBeLessThan(100);
		pace.leave();
		expect(stepfun.outcomes.filter((o) => o === 'ok')).toHaveLength(90);
		expect(Math.max(0, ...stepfun.refusals.values())).toBeLessThanOrEqual(2);
		expect(stepfun.rateLimited).toBeLessThanOrEqual(0.25 * stepfun.outcomes.length);
	});

	it('order kept while the pace learns: requests start in the order they asked, also after a 429', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const stepfun = account(time, { latencyMs: 1500, retryAfterMs: 0, answer: tokenBucket(time, { burst: 10, perMinute: 100, maxInFlight: 5 }) });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		const names = Array.from({ length: 40 }, (_, i) => `r${i}`);
		await time.run(Promise.all(names.map((name) => stepfun.request(pace, name))));
		pace.leave();
		// First starts in asking order; a refused one is sent again after those already waiting.
		const firstStarts = names.map((name) => stepfun.started.findIndex((s) => s.name === name));
		expect(firstStarts).toEqual([...firstStarts].sort((a, b) => a - b));
		expect(stepfun.rateLimited).toBeGreaterThan(0);
		expect(stepfun.outcomes.filter((o) => o === 'ok')).toHaveLength(40);
	});

	it('sustained success undoes the lesson: the share climbs back, and after a whole minute at the configured rate without a 429 the key counts by the minute again (bursts at Concurrency)', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		let strict = true;
		const bucket = tokenBucket(time, { burst: 10, perMinute: 100, maxInFlight: 5 });
		const stepfun = account(time, { latencyMs: 1500, retryAfterMs: 500, answer: (inFlight) => (strict ? bucket(inFlight) : 'ok') });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		await time.run(Promise.all(Array.from({ length: 30 }, (_, i) => stepfun.request(pace, `a${i}`))));
		expect(limiter.state()).toMatchObject({ spaced: true });
		expect(limiter.state().share).toBeLessThan(1);

		// The account stops refusing; the same run keeps sending.
		strict = false;
		await time.run(Promise.all(Array.from({ length: 150 }, (_, i) => stepfun.request(pace, `b${i}`))));
		expect(limiter.state()).toMatchObject({ spaced: false, share: 1, concurrency: 5, requestsPerMinute: 100 });
		// Half a minute later half the budget is free again: five start at once.
		await time.advance(MINUTE / 2);
		const before = stepfun.started.length;
		await time.run(Promise.all(Array.from({ length: 5 }, (_, i) => stepfun.request(pace, `c${i}`))));
		const c = stepfun.started.slice(before).map((s) => s.at);
		expect(new Set(c).size).toBe(1);
		pace.leave();
	});

	it('a key left alone for a whole window forgets its lessons: the next job bursts again', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const pace = limiter.join({ concurrency: 4, requestsPerMinute: 80 });
		(await pace.take({ timeoutMs: 1000 })).end('rateLimited');
		pace.leave();
		expect(limiter.state()).toMatchObject({ spaced: true, share: 0.5 });
		await time.advance(WINDOW + 1);
		const next = limiter.join({ concurrency: 4, requestsPerMinute: 80 });
		expect(limiter.state()).toMatchObject({ spaced: false, share: 1, concurrency: 4 });
		const turns = await Promise.all([1, 2, 3, 4].map(() => next.take({ timeoutMs: 1000 })));
		expect(limiter.state().inFlight).toBe(4);
		for (const turn of turns) turn.end('ok');
		next.leave();
	});
});

describe('nothing waits forever', () => {
	it('a request that gets no turn within its timeout fails with RateLimitWaitExpired, at its deadline; the queue moves on', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const pace = limiter.join({ concurrency: 1, requestsPerMinute: 80 });
		const holder = await pace.take({ timeoutMs: 1000 });
		const waiting = pace.take({ timeoutMs: 3000 });
		const failure = waiting.then(
			() => undefined,
			(error: unknown) => ({ error, at: time.now }),
		);
		const after = pace.take({ timeoutMs: 10_000 });
		await time.advance(3000);
		const { error, at } = (await failure)!;
		expect(error).toBeInstanceOf(RateLimitWaitExpired);
		expect(error).toMatchObject({ waitedMs: 3000, pace: { concurrency: 1, requestsPerMinute: 80, share: 1 } });
		expect(at).toBe(3000);
		expect(limiter.state().waiting).toBe(1);
		holder.end('ok');
		await time.run(after);
		expect(limiter.state()).toMatchObject({ inFlight: 1, waiting: 0 });
		pace.leave();
	});

	it('at the end of the minute budget, a request whose Timeout ends before the oldest start leaves the window fails at its deadline; nothing was started for it', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 3 });
		for (let i = 0; i < 3; i++) (await pace.take({ timeoutMs: 1000 })).end('ok');
		const failure = pace.take({ timeoutMs: 30_000 }).then(
			() => undefined,
			(error: unknown) => ({ error, at: time.now }),
		);
		await time.advance(30_000);
		const { error, at } = (await failure)!;
		expect(error).toBeInstanceOf(RateLimitWaitExpired);
		expect(at).toBe(30_000);
		expect(limiter.state()).toMatchObject({ inFlight: 0, waiting: 0 });
		// One with a Timeout past the window's end gets its turn just then.
		const later = pace.take({ timeoutMs: MINUTE });
		await time.run(later);
		expect(time.now).toBe(WINDOW);
		pace.leave();
	});

	it("the timeout of a retry counts after the 429's pause", async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const pace = limiter.join({ concurrency: 1, requestsPerMinute: 80 });
		(await pace.take({ timeoutMs: 1000 })).end('rateLimited', 20_000);
		const retry = await time.run(pace.take({ timeoutMs: 1000, pausedMs: 20_000 }));
		expect(time.now).toBe(20_000);
		retry.end('ok');
		pace.leave();
	});

	it('a cancelled execution stops waiting, and the requests behind it still get their turn', async () => {
		const time = new VirtualTime();
		const limiter = new AccountLimiter(time.timing);
		const pace = limiter.join({ concurrency: 1, requestsPerMinute: 80 });
		const holder = await pace.take({ timeoutMs: 1000 });
		const cancel = new AbortController();
		const cancelled = pace.take({ timeoutMs: MINUTE, signal: cancel.signal });
		const behind = pace.take({ timeoutMs: MINUTE });
		cancel.abort(new Error('cancelled'));
		await expect(cancelled).rejects.toThrow('cancelled');
		holder.end('ok');
		const turn = await time.run(behind);
		turn.end('ok');
		expect(limiter.state()).toMatchObject({ inFlight: 0, waiting: 0 });
		pace.leave();
	});
});

describe('one limiter per credential in the process', () => {
	it('same base URL and key: the same limiter; another key or base URL: another one', () => {
		resetAccountLimiters();
		const one = accountLimiter('https://api.stepfun.ai/v1', 'sk-one');
		expect(accountLimiter('https://api.stepfun.ai/v1', 'sk-one')).toBe(one);
		expect(accountLimiter('https://api.stepfun.ai/v1', 'sk-two')).not.toBe(one);
		expect(accountLimiter('https://api.stepfun.com/v1', 'sk-one')).not.toBe(one);
		resetAccountLimiters();
		expect(accountLimiter('https://api.stepfun.ai/v1', 'sk-one')).not.toBe(one);
	});

	it('an idle limiter is forgotten after a window, one in use never', async () => {
		const time = new VirtualTime();
		resetAccountLimiters(time.timing);
		const idle = accountLimiter('https://a.example/v1', 'k');
		const busy = accountLimiter('https://b.example/v1', 'k');
		const pace = busy.join({ concurrency: 1, requestsPerMinute: 1 });
		time.now = 2 * MINUTE;
		accountLimiter('https://c.example/v1', 'k');
		expect(accountLimiter('https://b.example/v1', 'k')).toBe(busy);
		expect(accountLimiter('https://a.example/v1', 'k')).not.toBe(idle);
		pace.leave();
		resetAccountLimiters();
	});
});
