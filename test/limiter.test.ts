/**
 * The shared limiter on its own, with a virtual clock: no real waiting, and every figure below
 * (who started when, how many at once) is exact. The engine-level view, with the stand-in
 * judging what reached it, is test/throughput.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { PACING } from '../nodes/StepFunImage/helpers/limits';
import type { AccountPace, LimiterTiming, Turn, TurnOutcome } from '../nodes/StepFunImage/transport/limiter';
import {
	AccountLimiter,
	accountLimiter,
	RateLimitWaitExpired,
	resetAccountLimiters,
} from '../nodes/StepFunImage/transport/limiter';

const MINUTE = 60_000;

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

/** A fake StepFun: each request takes `latencyMs`; `answer` decides 200 or 429. */
function account(time: VirtualTime, options: { latencyMs: number; answer?: (inFlight: number) => TurnOutcome }) {
	const started: Started[] = [];
	const outcomes: TurnOutcome[] = [];
	let inFlight = 0;
	let peak = 0;
	/** [time, in flight] after each start. */
	const levels: Array<[number, number]> = [];
	async function request(pace: AccountPace, name: string, timeoutMs = 10 * MINUTE): Promise<void> {
		for (;;) {
			const turn: Turn = await pace.take({ timeoutMs });
			started.push({ at: time.now, name });
			inFlight++;
			peak = Math.max(peak, inFlight);
			levels.push([time.now, inFlight]);
			const outcome = options.answer?.(inFlight) ?? 'ok';
			await time.sleep(outcome === 'rateLimited' ? 1 : options.latencyMs);
			inFlight--;
			outcomes.push(outcome);
			turn.end(outcome, outcome === 'rateLimited' ? 1000 : undefined);
			if (outcome === 'ok') return;
		}
	}
	return {
		started,
		outcomes,
		request,
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
		expect(stepfun.mostIn(MINUTE)).toBe(100);
		// 100 per minute (counted over a window slightly longer than a minute): the last start is
		// just under two minutes in, plus its 1.5 s answer.
		const last = stepfun.started.at(-1)!.at;
		expect(last).toBeGreaterThan(1.9 * MINUTE);
		expect(last).toBeLessThan(2 * MINUTE * (1 + PACING.windowSlack));
		// Evenly spread, not in bursts: no 10 s holds more than a first burst of 5 plus 100/6 starts.
		expect(stepfun.mostIn(10_000)).toBeLessThanOrEqual(5 + Math.ceil(100 / 6));
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
