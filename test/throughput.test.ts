/**
 * The shared pace through n8n's engine, with the stand-in enforcing an account's limits
 * (`standIn.limits`) and counting what it admitted and refused (`standIn.limitStats`).
 *
 * Time is virtual: the node's pace (resetAccountLimiters) and the stand-in's account
 * (`limits.clock`) share one clock that moves only when the test moves it, and only once every
 * request the runs have going is either waiting for its turn or being answered (not on its way,
 * and not a 429 the node has yet to read). So a "minute" takes no real time, and nothing here
 * compares real times: what is asserted is what reached the stand-in, in what order, what came
 * out, and where the virtual clock stood.
 */
import { describe, expect, it, vi } from 'vitest';

import { PACING } from '../nodes/StepFunImage/shared/limits';
import { accountLimiter } from '../nodes/StepFunImage/transport/limiter';
import type { OutputItem } from './helpers/run-node';
import { API_KEY, generate, getBalance, heldRequests, sentJson, summary, useStandIn } from './helpers/stepfun';
import type { VirtualClock } from './helpers/virtual-clock';
import { useVirtualClock } from './helpers/virtual-clock';
import type { RateLimits, RecordedRequest, StandIn } from './stand-in/server.mjs';

const stepfun = useStandIn();

const MINUTE = 60_000;
const WINDOW = MINUTE * (1 + PACING.windowSlack);
const GENERATIONS = '/v1/images/generations';

/** A run the clock waits for: its prompts start with `label`, `requests` of them, `concurrency` at once. */
interface RunShape {
	label: string;
	requests: number;
	concurrency: number;
	path?: string;
}

const prompt = (request: RecordedRequest): string => (request.path === GENERATIONS ? sentJson(request).prompt : '');

/** The key's pace in this process. */
const pace = (standIn: StandIn) => accountLimiter(`${standIn.baseUrl}/v1`, API_KEY);

/** Puts the pace and the stand-in's account on one held virtual clock, the account with `limits`. */
function virtualAccount(standIn: StandIn, limits?: RateLimits): VirtualClock {
	const clock = useVirtualClock({ held: true });
	if (limits) standIn.limits = { windowMs: MINUTE, ...limits, clock: () => clock.now };
	return clock;
}

/** Holds the next `count` requests to `path` at the stand-in, for `drive` to answer one at a time. */
function holdAll(standIn: StandIn, count: number, path = GENERATIONS): void {
	standIn.fault(path, ...Array.from({ length: count }, () => ({ hold: true })));
}

/**
 * Whether every request of `runs` is waiting for its turn or being answered: then the node can
 * start nothing more until the clock moves or an answer comes. (A run holds min(its Concurrency,
 * requests left) of them.)
 */
function settled(standIn: StandIn, runs: RunShape[]): boolean {
	const state = pace(standIn).state();
	const answered = (run: RunShape) =>
		standIn.requests.filter((r) => r.path === (run.path ?? GENERATIONS) && prompt(r).startsWith(run.label) && r.status !== undefined && r.status !== 429).length;
	const expected = runs.reduce((sum, run) => sum + Math.min(run.concurrency, run.requests - answered(run)), 0);
	const beingAnswered = standIn.requests.filter((r) => r.status === undefined).length;
	return state.waiting + state.inFlight >= expected && state.inFlight === beingAnswered;
}

/**
 * Until `work` is done, whenever the runs have settled: ends the pace's earliest sleep, or else
 * answers the oldest held request. While requests are being answered, a sleep ends only if it is
 * no longer than the gap between two starts: an answer takes longer than that, but no longer than
 * a wait the pace is counting down.
 */
async function drive<T>(clock: VirtualClock, work: Promise<T>, runs: RunShape[]): Promise<T> {
	const { standIn } = stepfun;
	let done = false;
	const result = work.finally(() => {
		done = true;
	});
	const move = (): (() => unknown) | undefined => {
		if (!settled(standIn, runs)) return undefined;
		const wake = clock.nextWake;
		if (wake !== undefined && (pace(standIn).state().inFlight === 0 || wake <= clock.now + MINUTE * PACING.startGap)) return () => clock.wakeNext();
		const held = heldRequests(standIn)[0];
		return held && (() => held.release());
	};
	while (!done) {
		// Real requests run meanwhile: this polls until the runs have settled.
		await vi.waitFor(() => expect(done || move() !== undefined).toBe(true), { timeout: 20_000, interval: 1 });
		if (!done) move()?.();
		// What the move lets start, starts before the next look.
		await clock.settle();
	}
	return await result;
}

const prompts = (label: string, count: number) => Array.from({ length: count }, (_, index) => ({ json: { prompt: `${label} ${index}` } }));

/** The index of the last element that `matches`, or -1. */
function lastIndex<T>(list: T[], matches: (element: T) => boolean): number {
	for (let index = list.length - 1; index >= 0; index--) if (matches(list[index])) return index;
	return -1;
}

/** Every output image is the one the stand-in made for that very request. */
function expectOwnImages(items: OutputItem[], requests: RecordedRequest[]): void {
	for (const item of items) {
		const request = requests.find((candidate) => candidate.status === 200 && prompt(candidate) === item.json.prompt && candidate.responseJson.data[0].seed === item.json.seed);
		expect(request, `no request made the image of ${String(item.json.prompt)}`).toBeDefined();
		expect(item.binary?.data.bytes.equals(Buffer.from(request!.responseJson.data[0].b64_json, 'base64'))).toBe(true);
	}
}

/** Nothing lost, in input order, paired, each with its own image. */
function expectDelivered(items: OutputItem[], label: string, count: number, requests: RecordedRequest[]): void {
	expect(items.map((item) => [item.json.prompt, item.pairedItem, item.json.error])).toEqual(prompts(label, count).map((item, index) => [item.json.prompt, { item: index }, undefined]));
	expectOwnImages(items, requests);
}

/**
 * Notes, as each request arrives at the stand-in, how many the node's pace has in flight (this
 * one included) and the Concurrency in force.
 */
function noteArrivals(standIn: StandIn, path = GENERATIONS): Array<{ label: string; path: string; inFlight: number; concurrency: number }> {
	const notes: Array<{ label: string; path: string; inFlight: number; concurrency: number }> = [];
	const note = (request: RecordedRequest) => {
		const { inFlight, concurrency } = pace(standIn).state();
		notes.push({ label: prompt(request), path: request.path, inFlight, concurrency });
		return false;
	};
	standIn.fault(path, { match: note });
	if (path !== GENERATIONS) standIn.fault(GENERATIONS, { match: note });
	return notes;
}

describe('pacing to the account', () => {
	it('one execution under both caps: nothing lost, order and pairing kept, not a single 429, the minute counted as the account counts it', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn, { maxInFlight: 3, requestsPerWindow: 8 });
		holdAll(standIn, 18);
		// Items ask for 1 or 2 images; several requests per item share the same pace.
		const input = prompts('item', 12).map((item, index) => ({ json: { ...item.json, n: 1 + (index % 2) } }));
		const { items, error } = await drive(clock, 
			stepfun.run(generate('={{ $json.prompt }}', { concurrency: 3, requestsPerMinute: 8, seed: 10, numberOfImages: '={{ $json.n }}' }), { items: input }),
			[{ label: 'item', requests: 18, concurrency: 3 }],
		);
		expect(error).toBeUndefined();
		expect(items.map(summary)).toEqual(
			input.flatMap((item, index) => Array.from({ length: item.json.n }, (_, image) => ({ paired: { item: index }, prompt: item.json.prompt, seed: 10 + image }))),
		);
		expectOwnImages(items, standIn.requests);
		expect(standIn.limitStats).toMatchObject({ admitted: 18, rejected: 0, windows: [8, 8, 2] });
		expect(standIn.limitStats.peakInFlight).toBeLessThanOrEqual(3);
		// Two whole windows waited for, counted 2 % long.
		expect(clock.now).toBeGreaterThanOrEqual(2 * WINDOW);
	});

	it('two executions at once with the same credential share the caps: together never above them, taking turns', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn, { maxInFlight: 3, requestsPerWindow: 8 });
		holdAll(standIn, 20);
		// Three windows for the 20: the last requests wait two of them.
		const options = { concurrency: 3, requestsPerMinute: 8, timeout: 300 };
		const [first, second] = await drive(clock, 
			Promise.all([
				stepfun.run(generate('={{ $json.prompt }}', options), { items: prompts('first', 10) }),
				stepfun.run(generate('={{ $json.prompt }}', options), { items: prompts('second', 10) }),
			]),
			[
				{ label: 'first', requests: 10, concurrency: 3 },
				{ label: 'second', requests: 10, concurrency: 3 },
			],
		);
		expect(first.error).toBeUndefined();
		expect(second.error).toBeUndefined();
		expectDelivered(first.items, 'first', 10, standIn.requests);
		expectDelivered(second.items, 'second', 10, standIn.requests);
		expect(standIn.limitStats).toMatchObject({ admitted: 20, rejected: 0, windows: [8, 8, 4] });
		expect(standIn.limitStats.peakInFlight).toBeLessThanOrEqual(3);
		// They really ran side by side: the second had requests in before the first's last one.
		const order = standIn.requests.map(prompt);
		expect(order.findIndex((p) => p.startsWith('second'))).toBeLessThan(lastIndex(order, (p) => p.startsWith('first')));
	});

	it('different Concurrency on two nodes with one key: the strictest is in force while both run, then the other gets its own back', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn);
		const arrivals = noteArrivals(standIn);
		holdAll(standIn, 18);
		// The relaxed run starts once the strict one has joined the pace (its first request is held).
		const strict = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1, requestsPerMinute: 1000 }), { items: prompts('strict', 2) });
		await standIn.when(() => heldRequests(standIn).length === 1);
		const relaxed = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 4, requestsPerMinute: 1000 }), { items: prompts('relaxed', 16) });
		const [strictRun, relaxedRun] = await drive(clock, Promise.all([strict, relaxed]), [
			{ label: 'strict', requests: 2, concurrency: 1 },
			{ label: 'relaxed', requests: 16, concurrency: 4 },
		]);
		expect(strictRun.error).toBeUndefined();
		expectDelivered(relaxedRun.items, 'relaxed', 16, standIn.requests);
		const lastStrict = lastIndex(arrivals, (a) => a.label.startsWith('strict'));
		const whileBoth = arrivals.slice(0, lastStrict + 1);
		// While the Concurrency 1 run ran, one request at a time for both runs together, and the
		// relaxed run had turns too...
		expect(Math.max(...whileBoth.map((a) => a.inFlight))).toBe(1);
		expect(whileBoth.some((a) => a.label.startsWith('relaxed'))).toBe(true);
		// ...afterwards the relaxed run had its own 4.
		expect(Math.max(...arrivals.slice(lastStrict + 1).map((a) => a.inFlight))).toBe(4);
	});

	it('Get Balance at the same time never tightens the pace: a Generate at Concurrency 5 keeps 5 in flight while balances are asked', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn);
		const arrivals = noteArrivals(standIn, '/v1/accounts');
		holdAll(standIn, 40);
		holdAll(standIn, 10, '/v1/accounts');
		// The balances start once the images have joined the pace (their first request is held).
		const images = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 5, requestsPerMinute: 1000 }), { items: prompts('image', 40) });
		await standIn.when(() => heldRequests(standIn).length === 1);
		const balances = stepfun.run(getBalance(), { items: prompts('balance', 10) });
		const [imageRun, balanceRun] = await drive(clock, Promise.all([images, balances]), [
			{ label: 'image', requests: 40, concurrency: 5 },
			{ label: '', requests: 10, concurrency: 5, path: '/v1/accounts' },
		]);
		expect(imageRun.error).toBeUndefined();
		expect(balanceRun.error).toBeUndefined();
		expect(balanceRun.items).toHaveLength(10);
		const first = arrivals.findIndex((a) => a.path === '/v1/accounts');
		const last = lastIndex(arrivals, (a) => a.path === '/v1/accounts');
		const whileBalances = arrivals.slice(first, last + 1);
		// Get Balance joins at the most the options allow (5), not at the default Concurrency 4.
		expect(whileBalances.some((a) => a.path === GENERATIONS)).toBe(true);
		expect(Math.min(...whileBalances.map((a) => a.concurrency))).toBe(5);
		expect(Math.max(...whileBalances.map((a) => a.inFlight))).toBe(5);
	});
});

describe('a 429 waits for the account: every image delivered, whatever the account counts', () => {
	it('another client used 80 of the minute just before the job: 20 at once, the rest when its starts leave the minute; at defaults and at Concurrency 5, two 429s', async () => {
		for (const concurrency of [4, 5]) {
			const { standIn } = stepfun;
			standIn.reset();
			const clock = virtualAccount(standIn, { maxInFlight: 5, requestsPerWindow: 100, othersUsed: 80 });
			const { items, error } = await drive(clock, stepfun.run(generate('={{ $json.prompt }}', { concurrency }), { items: prompts(`c${concurrency}`, 24) }), [
				{ label: `c${concurrency}`, requests: 24, concurrency },
			]);
			expect(error).toBeUndefined();
			expectDelivered(items, `c${concurrency}`, 24, standIn.requests);
			expect(standIn.limitStats).toMatchObject({ admitted: 24, rejected: 2 });
			expect(standIn.limitStats.windows[0]).toBe(20);
			// The other client's starts left the minute at 60 s; the last 4 went then.
			expect(clock.now).toBeLessThanOrEqual(1.15 * MINUTE);
		}
	});

	it('an account of 10 a minute (StepFun China\'s lowest tier), the node at its defaults: at most 10 % of requests refused, 10 a minute, in a sliding window and in a calendar minute', async () => {
		for (const counting of ['sliding', 'fixed'] as const) {
			const { standIn } = stepfun;
			standIn.reset();
			const clock = virtualAccount(standIn, { maxInFlight: 5, requestsPerWindow: 10, counting });
			const { items, error } = await drive(clock, stepfun.run(generate('={{ $json.prompt }}'), { items: prompts(counting, 24) }), [{ label: counting, requests: 24, concurrency: 4 }]);
			expect(error).toBeUndefined();
			expectDelivered(items, counting, 24, standIn.requests);
			const { admitted, rejected, windows } = standIn.limitStats;
			expect(admitted).toBe(24);
			expect(rejected).toBeLessThanOrEqual(0.1 * (admitted + rejected));
			expect(windows).toEqual([10, 10, 4]);
			// 10 now, 10 a minute later, 4 a minute after that.
			expect(clock.now).toBeLessThanOrEqual(1.15 * 2 * MINUTE);
		}
	});

	it('a token bucket (burst 10, refilled at 100 a minute): at most one 429, then starts go evenly at the refill rate', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn, { maxInFlight: 5, requestsPerWindow: 100, counting: 'bucket', burst: 10 });
		const { items, error } = await drive(clock, stepfun.run(generate('={{ $json.prompt }}', { concurrency: 5 }), { items: prompts('bucket', 24) }), [
			{ label: 'bucket', requests: 24, concurrency: 5 },
		]);
		expect(error).toBeUndefined();
		expectDelivered(items, 'bucket', 24, standIn.requests);
		expect(standIn.limitStats).toMatchObject({ admitted: 24 });
		expect(standIn.limitStats.rejected).toBeLessThanOrEqual(1);
		// What the bucket allows: 10 at once, then one every 0.6 s.
		expect(clock.now).toBeLessThanOrEqual(1.15 * 14 * (MINUTE / 100));
	});

	it('an account busier than the node knows (2 at once): the pace drops to 2 in flight, every item succeeds, and 429s stay few', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn, { maxInFlight: 2 });
		holdAll(standIn, 20);
		const { items, error } = await drive(clock, stepfun.run(generate('={{ $json.prompt }}'), { items: prompts('item', 20) }), [{ label: 'item', requests: 20, concurrency: 4 }]);
		expect(error).toBeUndefined();
		expectDelivered(items, 'item', 20, standIn.requests);
		const { admitted, rejected } = standIn.limitStats;
		expect(admitted).toBe(20);
		// The first burst meets the limit of 2 once; then a probe for a third slot (at most one per
		// 10 s of the pace's clock, PACING.probeGap) may be refused while the account allows 2.
		expect(rejected).toBeGreaterThanOrEqual(1);
		expect(rejected).toBeLessThanOrEqual(1 + 2);
		expect(pace(standIn).state()).toMatchObject({ windowCap: undefined });
	});
});

describe('nothing waits forever', () => {
	it('an image that cannot start within its Timeout under the pace becomes an error item saying it waited for the rate limit; nothing is sent for it', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn);
		const { items, error } = await drive(clock, 
			stepfun.run(generate('={{ $json.prompt }}', { requestsPerMinute: 1, timeout: 1 }), { items: prompts('item', 3), continueOnFail: true }),
			[{ label: 'item', requests: 3, concurrency: 4 }],
		);
		expect(error).toBeUndefined();
		expect(standIn.requests.map(prompt)).toEqual(['item 0']);
		const message = "Timed out after 1 second waiting for StepFun's rate limit: raise the Timeout or Requests per Minute option";
		expect(items.map(summary)).toEqual([
			{ paired: { item: 0 }, prompt: 'item 0', seed: items[0].json.seed },
			{ paired: { item: 1 }, error: message },
			{ paired: { item: 2 }, error: message },
		]);
		expect(items[1].json.description).toContain('now at most 4 at once and 1 per minute');
		expect(items[1].json.description).toContain('nothing was sent for it');
		expect(items[1].json.itemIndex).toBe(1);
		expect(clock.now).toBe(1000);
	});

	it("images StepFun keeps refusing wait up to their Timeout, not Max Retries, then fail saying they waited for StepFun's rate limit and what to change", async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn, { maxInFlight: 5, requestsPerWindow: 10 });
		const { items, error } = await drive(clock, 
			stepfun.run(generate('={{ $json.prompt }}', { timeout: 30, maxRetries: 0 }), { items: prompts('item', 11), continueOnFail: true }),
			[{ label: 'item', requests: 11, concurrency: 4 }],
		);
		expect(error).toBeUndefined();
		expect(items.slice(0, 10).map(summary)).toEqual(prompts('item', 10).map((item, index) => ({ paired: { item: index }, prompt: item.json.prompt, seed: items[index].json.seed })));
		for (const [index, item] of items.slice(10).entries()) {
			expect(item.pairedItem).toEqual({ item: 10 + index });
			expect(item.json.description).toContain('refusing this image twice');
			expect(item.json.error).toBe("Timed out after 30 seconds waiting for StepFun's rate limit: raise the Timeout option (StepFun refused more than the account allows)");
			expect(item.json.description).toMatch(/^StepFun limits each account \(its lowest tier: 5 at once and 100 a minute, in China 10 a minute\), counting everything that uses the key, and answered 429/);
			expect(item.json.description).toContain('A refused request is neither made nor billed, so the node waited for the account instead of failing; nothing was made for this image.');
			expect(item.json.description).toContain('now at most 4 at once and 10 per minute');
		}
		// Two 429s in all (the first to learn, one probe), though Max Retries was 0; nothing made twice.
		expect(standIn.limitStats).toMatchObject({ admitted: 10, rejected: 2 });
	});
});

describe('Stop Workflow while requests wait for their turn', () => {
	it('a request still waiting in the pace is not sent once an earlier item failed', async () => {
		const { standIn } = stepfun;
		const clock = virtualAccount(standIn);
		standIn.fault(GENERATIONS, { status: 400, body: { error: { message: 'bad prompt', type: 'request_params_invalid' } } });
		// One request per minute: the second item waits a minute, unless the run gives it up.
		const { error } = await drive(clock, stepfun.run(generate('={{ $json.prompt }}', { concurrency: 2, requestsPerMinute: 1 }), { items: prompts('item', 2) }), [
			{ label: 'item', requests: 2, concurrency: 2 },
		]);
		expect(error?.message).toBe('StepFun error 400: bad prompt');
		expect(standIn.requests).toHaveLength(1);
		expect(clock.now).toBeLessThan(MINUTE);
	});
});
