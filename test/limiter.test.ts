/**
 * The shared pace on its own, on a virtual clock: no real waiting, and every figure below (who
 * started when, how many at once, how many were refused) is exact. A model of the account (its
 * in-flight cap and its window, counted as a sliding window, a calendar minute or a token bucket)
 * answers each request as it arrives; the requests behave as the node's do (transport/request.ts):
 * each waits for its turn, a 429 waits again within its Timeout, and one run holds at most its
 * Concurrency. Queue mode is several processes, each with its own limiter, on one account; their
 * requests reach it a few ms after their turn, as through n8n. The engine-level view, with the
 * stand-in judging what reached it, is test/throughput.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { PACING } from '../nodes/StepFunImage/shared/limits';
import type { AccountPace } from '../nodes/StepFunImage/transport/limiter';
import { useVirtualClock, VirtualClock } from './helpers/virtual-clock';
import {
	AccountLimiter,
	accountLimiter,
	RateLimitWaitExpired,
	resetAccountLimiters,
	RunSlots,
} from '../nodes/StepFunImage/transport/limiter';

const MINUTE = 60_000;
/** The node counts a minute 2 % long. */
const WINDOW = MINUTE * (1 + PACING.windowSlack);
/** Starts go at least this far apart. */
const GAP = MINUTE * PACING.startGap;
/** A probe past a learned cap goes at most once per this long. */
const PROBE_GAP = PACING.probeGap * MINUTE;

/** A limiter alone on a held virtual clock. */
function limiterOnClock(): { time: VirtualClock; limiter: AccountLimiter } {
	const time = new VirtualClock({ held: true });
	return { time, limiter: new AccountLimiter(time.timing) };
}

/** How an account counts its requests per window (StepFun does not say). */
interface AccountLimits {
	maxInFlight: number;
	perMinute: number;
	counting?: 'sliding' | 'calendar' | 'bucket';
	/** 'bucket': how many tokens it holds (default perMinute). */
	burst?: number;
	/** Started by another client of the key just before the first request. */
	othersUsed?: number;
	/** Sent with every 429, in ms. */
	retryAfterMs?: number;
}

interface Started {
	at: number;
	name: string;
	admitted: boolean;
}

/**
 * A StepFun account: admits a request as it arrives, or answers 429 at once (a 429 holds no place
 * and counts toward nothing). `limits` may be changed while it runs.
 */
function account(time: VirtualClock, limits: AccountLimits) {
	const started: Started[] = [];
	const admittedAt: number[] = [];
	let tokens: number | undefined;
	let tokensAt = 0;
	let inFlight = 0;
	let peak = 0;
	let othersAt: number | undefined;
	const window = (now: number) => {
		othersAt ??= now - 1;
		const others = now - othersAt < MINUTE ? (limits.othersUsed ?? 0) : 0;
		if (limits.counting === 'calendar') {
			const from = Math.floor(now / MINUTE) * MINUTE;
			const calendarOthers = othersAt >= from ? (limits.othersUsed ?? 0) : 0;
			return calendarOthers + admittedAt.filter((at) => at >= from).length < limits.perMinute;
		}
		if (limits.counting === 'bucket') {
			const burst = limits.burst ?? limits.perMinute;
			tokens = Math.min(burst, (tokens ?? burst - others) + ((now - tokensAt) * limits.perMinute) / MINUTE);
			tokensAt = now;
			return tokens >= 1;
		}
		return others + admittedAt.filter((at) => at > now - MINUTE).length < limits.perMinute;
	};
	return {
		started,
		get limits() {
			return limits;
		},
		set limits(value: AccountLimits) {
			limits = value;
		},
		/** Whether the request arriving now is admitted. */
		arrive(name: string): boolean {
			const admitted = inFlight < limits.maxInFlight && window(time.now);
			started.push({ at: time.now, name, admitted });
			if (!admitted) return false;
			admittedAt.push(time.now);
			if (tokens !== undefined) tokens--;
			peak = Math.max(peak, ++inFlight);
			return true;
		},
		answered(): void {
			inFlight--;
		},
		get refused(): number {
			return started.filter((s) => !s.admitted).length;
		},
		get peak(): number {
			return peak;
		},
		/** The most admitted starts inside any window of `windowMs`. */
		mostIn(windowMs: number): number {
			let most = 0;
			for (let i = 0, j = 0; i < admittedAt.length; i++) {
				while (admittedAt[i] - admittedAt[j] >= windowMs) j++;
				most = Math.max(most, i - j + 1);
			}
			return most;
		},
		/** First starts of each name, in order. */
		firstStarts(): string[] {
			return [...new Set(started.map((s) => s.name))];
		},
	};
}

type Account = ReturnType<typeof account>;

/** What became of one request. */
interface Result {
	name: string;
	ok: boolean;
	at: number;
	refusals: number;
}

/**
 * One run as the node makes it: `items` requests, at most `concurrency` at once (RunSlots), each
 * waiting for its turn, sent, and on a 429 waiting again, all within its Timeout.
 */
async function job(
	time: VirtualClock,
	pace: AccountPace,
	stepfun: Account,
	options: { items: number; concurrency: number; answerMs: number | ((index: number) => number); timeoutMs?: number; label?: string; transitMs?: (index: number) => number },
): Promise<Result[]> {
	const slots = new RunSlots(options.concurrency);
	const answerMs = (index: number) => (typeof options.answerMs === 'number' ? options.answerMs : options.answerMs(index));
	return await Promise.all(
		Array.from({ length: options.items }, async (_, index): Promise<Result> => {
			await slots.acquire();
			const name = `${options.label ?? 'r'}${index}`;
			let leftMs = options.timeoutMs ?? 120_000;
			let refusals = 0;
			try {
				for (;;) {
					const turn = await pace.take({ timeoutMs: leftMs });
					leftMs -= turn.waitedMs;
					// Between the turn and StepFun: n8n builds and sends the request.
					if (options.transitMs) await time.sleep(options.transitMs(index));
					if (!stepfun.arrive(name)) {
						refusals++;
						// A 429 comes back at once over a fast line: before the next start.
						await time.sleep(1);
						turn.end('rateLimited', stepfun.limits.retryAfterMs);
						continue;
					}
					await time.sleep(answerMs(index));
					stepfun.answered();
					turn.end('ok');
					return { name, ok: true, at: time.now, refusals };
				}
			} catch (error) {
				// Only a wait that ran out ends a request here.
				expect(error).toBeInstanceOf(RateLimitWaitExpired);
				return { name, ok: false, at: time.now, refusals };
			} finally {
				slots.release();
			}
		}),
	);
}

/** One run on a fresh limiter against `limits`, to the end. */
async function runJob(
	limits: AccountLimits,
	options: { items: number; concurrency: number; requestsPerMinute?: number; answerMs: number | ((index: number) => number) },
) {
	const { time, limiter } = limiterOnClock();
	const stepfun = account(time, limits);
	const pace = limiter.join({ concurrency: options.concurrency, requestsPerMinute: options.requestsPerMinute ?? 100 });
	const results = await time.run(job(time, pace, stepfun, options));
	const lesson = limiter.state();
	pace.leave();
	return { time, limiter, stepfun, results, lesson, end: time.now };
}

/** Nothing lost: every request succeeded once, and its first start came in asking order. */
function expectAllDelivered(results: Result[], stepfun: Account): void {
	expect(results.filter((r) => !r.ok)).toEqual([]);
	expect(stepfun.started.filter((s) => s.admitted)).toHaveLength(results.length);
	expect(stepfun.firstStarts()).toEqual(results.map((r) => r.name));
}

/** The least time a token bucket allows `answers` to take on `slots` at once. */
function bucketBound(answers: number[], slots: number, burst: number, perMinute: number): number {
	const free = Array.from({ length: slots }, () => 0);
	let tokens = burst;
	let at = 0;
	let end = 0;
	for (const answer of answers) {
		free.sort((a, b) => a - b);
		let start = free[0];
		const refilled = (t: number) => Math.min(burst, tokens + ((t - at) * perMinute) / MINUTE);
		if (refilled(start) < 1) start = at + ((1 - tokens) * MINUTE) / perMinute;
		tokens = refilled(start) - 1;
		at = start;
		free[0] = start + answer;
		end = Math.max(end, free[0]);
	}
	return end;
}

/** The least time an account of 5 at once and 100 a minute allows for `count` answers of `answerMs`. */
function accountBound(count: number, answerMs: number): number {
	const slots = [0, 0, 0, 0, 0];
	const starts: number[] = [];
	for (let i = 0; i < count; i++) {
		slots.sort((a, b) => a - b);
		const start = Math.max(slots[0], i >= 100 ? starts[i - 100] + MINUTE : 0);
		starts.push(start);
		slots[0] = start + answerMs;
	}
	return Math.max(...slots);
}

/**
 * n8n processes with one key each (queue-mode workers), every run on the defaults (4 at once, 100
 * a minute): each process runs its runs (`at`: when it starts) on its own limiter, against one
 * account. A request reaches StepFun 1 to 4 ms after its turn, as it would through n8n.
 */
async function processes(time: VirtualClock, stepfun: Account, workers: Array<Array<{ items: number; at?: number }>>, answerMs: number) {
	const ended: number[] = [];
	const limiters = workers.map(() => new AccountLimiter(time.timing));
	const results = await Promise.all(
		workers.map(async (runs, process) => {
			const all = await Promise.all(
				runs.map(async ({ items, at = 0 }, run) => {
					await time.sleep(at);
					const pace = limiters[process].join({ concurrency: 4, requestsPerMinute: 100 });
					const label = `p${process}r${run}-`;
					const done = await job(time, pace, stepfun, { items, concurrency: 4, answerMs, label, transitMs: (index) => 1 + ((index + run + process) % 4) });
					pace.leave();
					return done;
				}),
			);
			ended[process] = time.now;
			return all.flat();
		}),
	);
	return { results: results.flat(), ended, limiters };
}

/** A worker of the scale test: a 60-item Generate run, and `uploads` one-item Edit runs half a second later. */
const scaleWorker = (uploads: number): Array<{ items: number; at?: number }> => [{ items: 60 }, ...Array.from({ length: uploads }, () => ({ items: 1, at: 500 }))];

describe('caps: at most Concurrency in flight and Requests per Minute started', () => {
	it('200 requests at 5 in flight and 100 per minute: both caps hold, the first 100 run at Concurrency from the first request, and no 429', async () => {
		const { stepfun, results, end } = await runJob({ maxInFlight: 5, perMinute: 100 }, { items: 200, concurrency: 5, answerMs: 1500 });
		expectAllDelivered(results, stepfun);
		expect(stepfun.refused).toBe(0);
		expect(stepfun.peak).toBe(5);
		expect(stepfun.mostIn(MINUTE)).toBe(100);
		expect(stepfun.mostIn(WINDOW)).toBe(100);
		// Waves of 5 every 1.5 s, the starts of a wave a gap apart (a 429 is heard before the next goes).
		expect(stepfun.started.slice(0, 100).map((s) => s.at)).toEqual(Array.from({ length: 100 }, (_, i) => Math.floor(i / 5) * 1500 + (i % 5) * GAP));
		// The 101st waits until the first leaves the window.
		expect(stepfun.started[100].at).toBe(WINDOW);
		expect(end).toBeLessThan(2 * WINDOW);
	});

	it('a job that fits in the minute runs at Concurrency from its first request: 24 answers of 1.5 s take ceil(24 / 5) × 1.5 s', async () => {
		const { stepfun, end } = await runJob({ maxInFlight: 5, perMinute: 100 }, { items: 24, concurrency: 5, answerMs: 1500 });
		expect(stepfun.started.map((s) => s.at)).toEqual(Array.from({ length: 24 }, (_, i) => Math.floor(i / 5) * 1500 + (i % 5) * GAP));
		expect(end).toBe(Math.ceil(24 / 5) * 1500 + 3 * GAP);
		expect(stepfun.refused).toBe(0);
	});

	it('what is left of the minute: a second job starts at once with the budget the first left, then waits for the oldest start to leave the window', async () => {
		const { time, limiter } = limiterOnClock();
		const stepfun = account(time, { maxInFlight: 5, perMinute: 1000 });
		const first = limiter.join({ concurrency: 5, requestsPerMinute: 10 });
		await time.run(job(time, first, stepfun, { items: 6, concurrency: 5, answerMs: 1000, label: 'a' }));
		first.leave();
		await time.advance(10_000);
		const second = limiter.join({ concurrency: 5, requestsPerMinute: 10 });
		await time.run(job(time, second, stepfun, { items: 8, concurrency: 5, answerMs: 1000, label: 'b' }));
		second.leave();
		const b = stepfun.started.filter((s) => s.name.startsWith('b')).map((s) => s.at);
		const a = stepfun.started.filter((s) => s.name.startsWith('a')).map((s) => s.at);
		// Four at once (the budget left), then each when a start of the first job leaves the window.
		expect(b.slice(0, 4)).toEqual([0, 1, 2, 3].map((i) => 12_000 + i * GAP));
		expect(b.slice(4)).toEqual(a.slice(0, 4).map((at) => at + WINDOW));
		expect(stepfun.mostIn(WINDOW)).toBe(10);
	});

	it('first come, first served: requests start in the order they asked', async () => {
		const { stepfun, results } = await runJob({ maxInFlight: 5, perMinute: 1000 }, { items: 12, concurrency: 2, requestsPerMinute: 1000, answerMs: 100 });
		expect(stepfun.started.map((s) => s.name)).toEqual(results.map((r) => r.name));
	});

	it('two runs on one key: the strictest caps are in force while both run, then the other run gets its own back', async () => {
		const { time, limiter } = limiterOnClock();
		const stepfun = account(time, { maxInFlight: 5, perMinute: 1000 });
		const relaxed = limiter.join({ concurrency: 4, requestsPerMinute: 200 });
		const strict = limiter.join({ concurrency: 2, requestsPerMinute: 20 });
		expect(limiter.inForce()).toMatchObject({ concurrency: 2, requestsPerMinute: 20 });
		const relaxedWork = job(time, relaxed, stepfun, { items: 40, concurrency: 4, answerMs: 1000, label: 'r' });
		const strictWork = job(time, strict, stepfun, { items: 6, concurrency: 2, answerMs: 1000, label: 's' }).then(() => {
			strict.leave();
			return time.now;
		});
		const strictDoneAt = await time.run(strictWork);
		expect(limiter.inForce()).toMatchObject({ concurrency: 4, requestsPerMinute: 200 });
		await time.run(relaxedWork);
		relaxed.leave();
		const whileBoth = stepfun.started.filter((s) => s.at < strictDoneAt);
		// Both runs took turns at the strict pace, in the order they asked (the strict run's 2 slots
		// asked after the relaxed run's 4)...
		expect(whileBoth.slice(0, 2).map((s) => s.name)).toEqual(['r0', 'r1']);
		expect(whileBoth.length).toBeLessThanOrEqual(20);
		expect(whileBoth.some((s) => s.name.startsWith('s'))).toBe(true);
		// ...then the relaxed run alone had its own 4.
		expect(stepfun.peak).toBe(4);
	});
});

describe('a 429 waits for the account; the pace learns what the account grants', () => {
	it('another client used 80 of the minute just before the job: 20 at once, the rest once the minute frees; one refusal to learn, one probe; nothing lost', async () => {
		for (const concurrency of [4, 5]) {
			for (const answerMs of [400, 1500]) {
				const { stepfun, results, lesson, end } = await runJob({ maxInFlight: 5, perMinute: 100, othersUsed: 80 }, { items: 24, concurrency, answerMs });
				expectAllDelivered(results, stepfun);
				expect(lesson).toMatchObject({ windowCap: 20, requestsPerMinute: 20, learned: true });
				expect(stepfun.refused).toBe(2);
				// The ideal: the other client's starts leave the minute at 60 s, then 4 answers.
				expect(end).toBeLessThanOrEqual(1.15 * (MINUTE + answerMs));
			}
		}
	});

	it("an account of 10 a minute (StepFun China's lowest tier), the pace at its defaults: at most 10 % refused, within 1.15× the rate bound, in a sliding window and a calendar minute", async () => {
		for (const counting of ['sliding', 'calendar'] as const) {
			for (const concurrency of [4, 5]) {
				const { stepfun, results, lesson, end } = await runJob({ maxInFlight: 5, perMinute: 10, counting }, { items: 24, concurrency, answerMs: 400 });
				expectAllDelivered(results, stepfun);
				expect(lesson.windowCap).toBe(10);
				// One 429 to learn, one probe to tell a window from a bucket; then it holds.
				expect(stepfun.refused).toBeLessThanOrEqual(0.1 * stepfun.started.length);
				expect(stepfun.mostIn(MINUTE)).toBe(10);
				// 10 now, 10 a minute later, 4 a minute after that.
				expect(end).toBeLessThanOrEqual(1.15 * (2 * MINUTE + 400));
				// Every request waited within its Timeout (120 s), whatever its 429s.
				expect(Math.max(...results.map((r) => r.refusals))).toBeLessThanOrEqual(2);
			}
		}
	});

	it('a lower rate than configured (30 a minute, the pace set to 100): it learns 30 and every request gets through', async () => {
		const { stepfun, results, lesson } = await runJob({ maxInFlight: 5, perMinute: 30 }, { items: 90, concurrency: 5, answerMs: 1000 });
		expectAllDelivered(results, stepfun);
		expect(lesson.windowCap).toBe(30);
		expect(stepfun.refused).toBeLessThanOrEqual(0.1 * stepfun.started.length);
	});

	it('a token bucket (burst 10, refilled at 100 a minute): one refusal, then one probe a refill later is admitted and starts go evenly at the rate; 24 items within 1.15× of what the bucket allows', async () => {
		for (const [answerMs, jitter] of [
			[400, false],
			[1500, false],
			[1500, true],
		] as const) {
			let seed = 7;
			const answers = Array.from({ length: 24 }, () => {
				seed = (seed * 1103515245 + 12345) % 2147483648;
				return jitter ? answerMs * (0.5 + (2.5 * seed) / 2147483648) : answerMs;
			});
			const { stepfun, results, lesson, end } = await runJob({ maxInFlight: 5, perMinute: 100, counting: 'bucket', burst: 10 }, { items: 24, concurrency: 5, answerMs: (i) => answers[i] });
			expectAllDelivered(results, stepfun);
			expect(stepfun.refused).toBeLessThanOrEqual(1);
			if (stepfun.refused > 0) expect(lesson).toMatchObject({ spaced: true, windowCap: undefined });
			expect(end).toBeLessThanOrEqual(1.15 * bucketBound(answers, 5, 10, 100));
		}
	});

	it('a token bucket, 200 items and 3 runs of 50 at once: within 1.10× of the rate bound, at most 5 % refused', async () => {
		const large = await runJob({ maxInFlight: 5, perMinute: 100, counting: 'bucket', burst: 10 }, { items: 200, concurrency: 5, answerMs: 1500 });
		expectAllDelivered(large.results, large.stepfun);
		expect(large.stepfun.refused).toBeLessThanOrEqual(0.05 * large.stepfun.started.length);
		expect(large.end).toBeLessThanOrEqual(1.1 * 2 * MINUTE);

		const { time, limiter } = limiterOnClock();
		const stepfun = account(time, { maxInFlight: 5, perMinute: 100, counting: 'bucket', burst: 10 });
		const runs = await time.run(
			Promise.all(
				['a', 'b', 'c'].map(async (label) => {
					const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
					const results = await job(time, pace, stepfun, { items: 50, concurrency: 5, answerMs: 1500, label });
					pace.leave();
					return results;
				}),
			),
		);
		expect(runs.flat().filter((r) => !r.ok)).toEqual([]);
		expect(stepfun.refused).toBeLessThanOrEqual(0.05 * stepfun.started.length);
		expect(time.now).toBeLessThanOrEqual(1.1 * 1.5 * MINUTE);
	});

	it('an account that allows 2 at once (others hold the rest): the pace drops to 2 in flight, not to a tiny per-minute budget; it probes past that cap at most once per probe gap, and once the account allows 4 it is back at 4 within a gap and two answers', async () => {
		const { time, limiter } = limiterOnClock();
		const stepfun = account(time, { maxInFlight: 2, perMinute: 1000 });
		const pace = limiter.join({ concurrency: 4, requestsPerMinute: 1000 });
		const first = await time.run(job(time, pace, stepfun, { items: 60, concurrency: 4, answerMs: 500, label: 'a' }));
		expectAllDelivered(first, stepfun);
		expect(limiter.state()).toMatchObject({ concurrency: 2, windowCap: undefined });
		// One refusal to learn, then a probe once per gap.
		expect(stepfun.refused).toBeLessThanOrEqual(1 + Math.floor(time.now / PROBE_GAP));

		stepfun.limits = { maxInFlight: 4, perMinute: 1000 };
		const freedAt = time.now;
		let backAt = Infinity;
		const watch = async () => {
			while (limiter.state().flightCap !== undefined) await time.sleep(100);
			backAt = time.now;
		};
		await time.run(Promise.all([job(time, pace, stepfun, { items: 200, concurrency: 4, answerMs: 500, label: 'b' }), watch()]));
		expect(limiter.state()).toMatchObject({ concurrency: 4, flightCap: undefined });
		// Additive increase: a probe at the latest a gap later, then one per answer.
		expect(backAt - freedAt).toBeLessThanOrEqual(PROBE_GAP + 2 * 500 + 100);
		pace.leave();
	});

	it('queue mode: two processes on the defaults (4 at once, 100 a minute) share an account of 5 at once and 100 a minute: each learns its share of both, nothing lost, within 1.25× of the account\'s bound, at most 10 % refused', async () => {
		for (const answerMs of [400, 1500]) {
			const time = new VirtualClock({ held: true });
			const stepfun = account(time, { maxInFlight: 5, perMinute: 100 });
			const limiters = [new AccountLimiter(time.timing), new AccountLimiter(time.timing)];
			const firstLessons: Array<ReturnType<AccountLimiter['state']>> = [];
			const runs = await time.run(
				Promise.all(
					limiters.map(async (limiter, process) => {
						const pace = limiter.join({ concurrency: 4, requestsPerMinute: 100 });
						const watch = (async () => {
							while (!limiter.state().learned) await time.sleep(1);
							firstLessons.push(limiter.state());
						})();
						const results = await job(time, pace, stepfun, { items: 60, concurrency: 4, answerMs, label: `p${process}-` });
						pace.leave();
						await watch;
						return results;
					}),
				),
			);
			expect(runs.flat().filter((r) => !r.ok)).toEqual([]);
			expect(stepfun.started.filter((s) => s.admitted)).toHaveLength(120);
			// The first 429s come from the shared in-flight cap: read as that, not as a per-minute budget.
			for (const lesson of firstLessons) expect(lesson).toMatchObject({ windowCap: undefined });
			expect(firstLessons.map((lesson) => lesson.concurrency).reduce((a, b) => a + b)).toBeLessThanOrEqual(5);
			expect(stepfun.refused).toBeLessThanOrEqual(0.1 * stepfun.started.length);
			// 100 in the first minute at 5 at once, 20 more when it frees.
			expect(time.now).toBeLessThanOrEqual(1.25 * (MINUTE + Math.ceil(20 / 5) * answerMs));
			expect(stepfun.mostIn(MINUTE)).toBeLessThanOrEqual(100);
		}
	});

	it("queue mode at the lowest tier, the scale test's load: two workers on the defaults, each a 60-item run and 25 one-item runs, answers in 1 s and 1.5 s; every request made once, within 1.25× the account's bound, at most 10 % refused (three workers: at most 15 %)", async () => {
		for (const [workers, answerMs] of [
			[2, 1000],
			[2, 1500],
			[3, 1000],
		] as const) {
			const time = new VirtualClock({ held: true });
			const stepfun = account(time, { maxInFlight: 5, perMinute: 100 });
			const uploads = Math.floor(50 / workers);
			const { results } = await time.run(processes(time, stepfun, Array.from({ length: workers }, () => scaleWorker(uploads)), answerMs));
			const requests = workers * (60 + uploads);
			expect(results.filter((r) => !r.ok)).toEqual([]);
			expect(stepfun.started.filter((s) => s.admitted)).toHaveLength(requests);
			expect(new Set(stepfun.started.filter((s) => s.admitted).map((s) => s.name)).size).toBe(requests);
			expect(stepfun.mostIn(MINUTE)).toBeLessThanOrEqual(100);
			expect(time.now).toBeLessThanOrEqual(1.25 * accountBound(requests, answerMs));
			// Each worker pays for learning its share; three pay a little more than two.
			expect(stepfun.refused).toBeLessThanOrEqual((workers === 2 ? 0.1 : 0.15) * stepfun.started.length);
		}
	});

	it('a share learned from another process comes back once that process is done: the other takes the whole account, its learned caps gone within a window', async () => {
		const time = new VirtualClock({ held: true });
		const stepfun = account(time, { maxInFlight: 5, perMinute: 100 });
		const { results, ended, limiters } = await time.run(processes(time, stepfun, [[{ items: 60 }], [{ items: 200 }]], 1000));
		expect(results.filter((r) => !r.ok)).toEqual([]);
		// From a window after the first process is done, the second runs at its own Concurrency.
		const later = stepfun.started.filter((s) => s.admitted && s.at > ended[0] + WINDOW).map((s) => s.at);
		const peakAfter = Math.max(...later.map((at) => later.filter((other) => other <= at && other > at - 1000).length));
		expect(peakAfter).toBe(4);
		expect(limiters[1].state()).toMatchObject({ flightCap: undefined, windowCap: undefined, concurrency: 4, requestsPerMinute: 100 });
		expect(time.now).toBeLessThanOrEqual(1.25 * accountBound(260, 1000));
		expect(stepfun.refused).toBeLessThanOrEqual(0.1 * stepfun.started.length);
	});

	it('a window cap learned by mistake fails no request untested: others hold every slot for a few seconds while the key, alone, has nothing in flight; it reads a full window of 3, held two windows, and a request that has waited two thirds of its Timeout goes as a probe', async () => {
		const time = new VirtualClock({ held: true });
		const stepfun = account(time, { maxInFlight: 5, perMinute: 100 });
		const limiter = new AccountLimiter(time.timing);
		const others = (async () => {
			await time.sleep(3200);
			stepfun.limits = { maxInFlight: 0, perMinute: 100 };
			await time.sleep(4000);
			stepfun.limits = { maxInFlight: 5, perMinute: 100 };
		})();
		let misread: ReturnType<AccountLimiter['state']> | undefined;
		const watch = (async () => {
			while (limiter.state().windowCap === undefined || limiter.state().test !== undefined) await time.sleep(100);
			misread = limiter.state();
		})();
		// One-item runs (uploads), one every 1.5 s, each answered in 1 s: nothing in flight between them.
		const runs = Array.from({ length: 60 }, async (_, run) => {
			await time.sleep(1500 * run);
			const pace = limiter.join({ concurrency: 4, requestsPerMinute: 100 });
			const done = await job(time, pace, stepfun, { items: 1, concurrency: 4, answerMs: 1000, label: `r${run}-`, timeoutMs: 100_000 });
			pace.leave();
			return done;
		});
		const results = (await time.run(Promise.all([...runs, others, watch]).then(() => Promise.all(runs)))).flat();
		expect(misread?.windowCap).toBeLessThan(10);
		expect(results.filter((r) => !r.ok)).toEqual([]);
		// The cap, held two windows for no one, let 3 through as its own starts left the window; then
		// the oldest request left waiting (since 9 s, its Timeout 100 s, so due to fail at 109 s) went
		// as a probe once it had waited two thirds of its Timeout.
		const probedAt = stepfun.started.find((s) => s.admitted && s.at > WINDOW + 7200)?.at ?? Infinity;
		expect(probedAt).toBeLessThan(misread!.windowProbeAt);
		expect(probedAt).toBe(Math.ceil(9000 + PACING.probeAfterWait * 100_000));
	});

	it('another client uses the whole account: the key pauses longer after each 429 in a row, at most one refusal per 5 s of waiting, and goes on once the minute frees', async () => {
		const { stepfun, results, end } = await runJob({ maxInFlight: 5, perMinute: 100, othersUsed: 100 }, { items: 4, concurrency: 4, answerMs: 400 });
		expectAllDelivered(results, stepfun);
		expect(stepfun.started.find((s) => s.admitted)!.at).toBeGreaterThanOrEqual(MINUTE);
		// The pause doubles from a refill interval (0.6 s) to 5 s in four 429s, then stays there.
		expect(stepfun.refused).toBeLessThanOrEqual(4 + MINUTE / (PACING.maxPause * MINUTE));
		// Its 429s came with nothing of its own in flight: it goes on one at a time, probing upward.
		expect(end).toBeLessThanOrEqual(MINUTE + PACING.maxPause * MINUTE + 4 * 400 + 4 * GAP);
	});

	it("StepFun's Retry-After: every request of the key waits that long, also those of other runs, and no longer", async () => {
		const { time, limiter } = limiterOnClock();
		const first = limiter.join({ concurrency: 4, requestsPerMinute: 1000 });
		const second = limiter.join({ concurrency: 4, requestsPerMinute: 1000 });
		(await first.take({ timeoutMs: 1000 })).end('rateLimited', 5000);
		let startedAt: number | undefined;
		const waiting = second.take({ timeoutMs: 10_000 }).then((next) => {
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

	it('back to full speed: a quarter of a window without a 429 ends the even spacing, and a key left alone for a window forgets every lesson', async () => {
		const { time, limiter } = limiterOnClock();
		const stepfun = account(time, { maxInFlight: 5, perMinute: 100, counting: 'bucket', burst: 10 });
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 100 });
		await time.run(job(time, pace, stepfun, { items: 30, concurrency: 5, answerMs: 1500, label: 'a' }));
		expect(limiter.state()).toMatchObject({ spaced: true });
		// The account stops refusing; the same run keeps sending.
		stepfun.limits = { maxInFlight: 5, perMinute: 1000 };
		await time.run(job(time, pace, stepfun, { items: 150, concurrency: 5, answerMs: 1500, label: 'b' }));
		expect(limiter.state()).toMatchObject({ spaced: false, learned: false, concurrency: 5, requestsPerMinute: 100 });
		pace.leave();

		const other = new AccountLimiter(time.timing);
		const run = other.join({ concurrency: 4, requestsPerMinute: 80 });
		const turns = await time.run(Promise.all([1, 2].map(() => run.take({ timeoutMs: 1000 }))));
		turns[0].end('ok');
		turns[1].end('rateLimited');
		run.leave();
		expect(other.state()).toMatchObject({ learned: true });
		await time.advance(WINDOW + 1);
		const next = other.join({ concurrency: 4, requestsPerMinute: 80 });
		expect(other.state()).toMatchObject({ learned: false, spaced: false, concurrency: 4, requestsPerMinute: 80 });
		next.leave();
	});
});

describe('nothing waits forever', () => {
	it('a request that gets no turn within its timeout fails with RateLimitWaitExpired, at its deadline; the queue moves on', async () => {
		const { time, limiter } = limiterOnClock();
		const pace = limiter.join({ concurrency: 1, requestsPerMinute: 80 });
		const holder = await pace.take({ timeoutMs: 1000 });
		const failure = pace.take({ timeoutMs: 3000 }).then(
			() => undefined,
			(error: unknown) => ({ error, at: time.now }),
		);
		const after = pace.take({ timeoutMs: 10_000 });
		await time.advance(3000);
		const { error, at } = (await failure)!;
		expect(error).toBeInstanceOf(RateLimitWaitExpired);
		expect(error).toMatchObject({ waitedMs: 3000, pace: { concurrency: 1, requestsPerMinute: 80, learned: false } });
		expect(at).toBe(3000);
		expect(limiter.state().waiting).toBe(1);
		holder.end('ok');
		await time.run(after);
		expect(limiter.state()).toMatchObject({ inFlight: 1, waiting: 0 });
		pace.leave();
	});

	it('at the end of the minute budget, a request whose Timeout ends before the oldest start leaves the window fails at its deadline; nothing was started for it', async () => {
		const { time, limiter } = limiterOnClock();
		const pace = limiter.join({ concurrency: 5, requestsPerMinute: 3 });
		for (let i = 0; i < 3; i++) (await time.run(pace.take({ timeoutMs: 1000 }))).end('ok');
		const failure = pace.take({ timeoutMs: 30_000 }).then(
			() => undefined,
			(error: unknown) => ({ error, at: time.now }),
		);
		await time.advance(30_000);
		const { error, at } = (await failure)!;
		expect(error).toBeInstanceOf(RateLimitWaitExpired);
		expect(at).toBe(2 * GAP + 30_000);
		expect(limiter.state()).toMatchObject({ inFlight: 0, waiting: 0 });
		// One with a Timeout past the window's end gets its turn just then.
		await time.run(pace.take({ timeoutMs: MINUTE }));
		expect(time.now).toBe(WINDOW);
		pace.leave();
	});

	it('an account that keeps refusing: the request waits through its 429s up to its Timeout, then fails, having sent a few probes, not a burst', async () => {
		const { time, limiter } = limiterOnClock();
		const never = account(time, { maxInFlight: 0, perMinute: 10 });
		const pace = limiter.join({ concurrency: 4, requestsPerMinute: 100 });
		const [result] = await time.run(job(time, pace, never, { items: 1, concurrency: 1, answerMs: 400, timeoutMs: 30_000 }));
		expect(result.ok).toBe(false);
		// The waits for turns add up to the Timeout; each 429 took a millisecond on top.
		expect(result.at).toBe(30_000 + result.refusals);
		expect(result.refusals).toBeGreaterThan(1);
		expect(result.refusals).toBeLessThanOrEqual(4 + 30_000 / (PACING.maxPause * MINUTE));
		pace.leave();
	});

	it('a cancelled execution stops waiting, and the requests behind it still get their turn', async () => {
		const { time, limiter } = limiterOnClock();
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
		const time = useVirtualClock({ held: true });
		const idle = accountLimiter('https://a.example/v1', 'k');
		const busy = accountLimiter('https://b.example/v1', 'k');
		const pace = busy.join({ concurrency: 1, requestsPerMinute: 1 });
		await time.advance(2 * MINUTE);
		accountLimiter('https://c.example/v1', 'k');
		expect(accountLimiter('https://b.example/v1', 'k')).toBe(busy);
		expect(accountLimiter('https://a.example/v1', 'k')).not.toBe(idle);
		pace.leave();
		resetAccountLimiters();
	});
});
