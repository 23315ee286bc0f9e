/**
 * The shared pace through n8n's engine, with the stand-in enforcing an account's limits
 * (`standIn.limits`) and counting what it admitted and refused (`standIn.limitStats`).
 *
 * Time is scaled down: the node's "minute" is MINUTE_MS, and the stand-in counts its window
 * shorter, so requests that reach it later than they left the node (on a busy machine, tens of
 * ms: the pace starts a whole window's budget at once) cannot look like one too many. No
 * assertion is about how long anything took.
 */
import type { IDataObject } from 'n8n-workflow';
import { beforeEach, describe, expect, it } from 'vitest';

import { resetAccountLimiters } from '../nodes/StepFunImage/transport/limiter';
import type { OutputItem } from './helpers/run-node';
import { generate, getBalance, useStandIn } from './helpers/stepfun';
import type { RecordedRequest } from './stand-in/server.mjs';

const stepfun = useStandIn();

const MINUTE_MS = 500;
const STAND_IN_WINDOW_MS = 300;
const GENERATIONS = '/v1/images/generations';

beforeEach(() => resetAccountLimiters({ minuteMs: MINUTE_MS }));

const prompt = (request: RecordedRequest): string => JSON.parse(request.rawBody.toString('utf8')).prompt;

const prompts = (label: string, count: number) =>
	Array.from({ length: count }, (_, index) => ({ json: { prompt: `${label} ${index}` } }));

/** Each output: its pairing, prompt and seed, or its error. */
function summary(item: OutputItem): IDataObject {
	return item.json.error !== undefined
		? { paired: item.pairedItem as IDataObject, error: item.json.error }
		: { paired: item.pairedItem as IDataObject, prompt: item.json.prompt, seed: item.json.seed };
}

/** Every output image is the one the stand-in made for that very request. */
function expectOwnImages(items: OutputItem[], requests: RecordedRequest[]): void {
	for (const item of items) {
		const request = requests.find((candidate) => candidate.status === 200 && prompt(candidate) === item.json.prompt && candidate.responseJson.data[0].seed === item.json.seed);
		expect(request, `no request made the image of ${String(item.json.prompt)}`).toBeDefined();
		expect(item.binary?.data.bytes.equals(Buffer.from(request!.responseJson.data[0].b64_json, 'base64'))).toBe(true);
	}
}

/** The most requests the stand-in was answering at once, over [from, to]. */
function mostAtOnce(requests: RecordedRequest[], from = -Infinity, to = Infinity): number {
	const events = requests
		.filter((request) => request.answeredAt !== undefined && request.answeredAt >= from && request.receivedAt <= to)
		.flatMap((request) => [
			[request.receivedAt, 1],
			[request.answeredAt!, -1],
		])
		// An answer sent and the next request received at the same instant do not overlap.
		.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
	let now = 0;
	let most = 0;
	for (const [, change] of events) most = Math.max(most, (now += change));
	return most;
}

/** Resolves when the first image request that `matches` reaches the stand-in (answered as usual). */
function arrivalOf(matches: (request: RecordedRequest) => boolean): Promise<void> {
	return new Promise((resolve) =>
		stepfun.standIn.fault(GENERATIONS, {
			match: (request) => {
				if (matches(request)) resolve();
				return false;
			},
		}),
	);
}

describe('pacing to the account', () => {
	it('one execution under both caps: nothing lost, order and pairing kept, not a single 429', async () => {
		const { standIn } = stepfun;
		standIn.setDelay(40);
		standIn.limits = { maxInFlight: 3, requestsPerWindow: 8, windowMs: STAND_IN_WINDOW_MS };
		// Items ask for 1 or 2 images; several requests per item share the same pace.
		const input = prompts('item', 12).map((item, index) => ({ json: { ...item.json, n: 1 + (index % 2) } }));
		const { items, error } = await stepfun.run(
			generate('={{ $json.prompt }}', { concurrency: 3, requestsPerMinute: 8, seed: 10, numberOfImages: '={{ $json.n }}' }),
			{ items: input },
		);
		expect(error).toBeUndefined();
		expect(items.map(summary)).toEqual(
			input.flatMap((item, index) =>
				Array.from({ length: item.json.n }, (_, image) => ({ paired: { item: index }, prompt: item.json.prompt, seed: 10 + image })),
			),
		);
		expectOwnImages(items, standIn.requests);
		expect(standIn.limitStats).toMatchObject({ admitted: 18, rejected: 0 });
		expect(standIn.limitStats.peakInFlight).toBeLessThanOrEqual(3);
	});

	it('two executions at once with the same credential share the caps: together never above them', async () => {
		const { standIn } = stepfun;
		standIn.setDelay(40);
		standIn.limits = { maxInFlight: 3, requestsPerWindow: 8, windowMs: STAND_IN_WINDOW_MS };
		const options = { concurrency: 3, requestsPerMinute: 8 };
		const [first, second] = await Promise.all([
			stepfun.run(generate('={{ $json.prompt }}', options), { items: prompts('first', 10) }),
			stepfun.run(generate('={{ $json.prompt }}', options), { items: prompts('second', 10) }),
		]);
		for (const [run, label] of [
			[first, 'first'],
			[second, 'second'],
		] as const) {
			expect(run.error).toBeUndefined();
			expect(run.items.map((item) => [item.json.prompt, item.pairedItem])).toEqual(
				prompts(label, 10).map((item, index) => [item.json.prompt, { item: index }]),
			);
			expectOwnImages(run.items, standIn.requests);
		}
		expect(standIn.limitStats).toMatchObject({ admitted: 20, rejected: 0 });
		expect(standIn.limitStats.peakInFlight).toBeLessThanOrEqual(3);
		// They really ran side by side: the second started before the first was done.
		const firstLast = Math.max(...standIn.requests.filter((request) => prompt(request).startsWith('first')).map((request) => request.receivedAt));
		const secondFirst = Math.min(...standIn.requests.filter((request) => prompt(request).startsWith('second')).map((request) => request.receivedAt));
		expect(secondFirst).toBeLessThan(firstLast);
	});

	it('different Concurrency on two nodes with one key: the strictest is in force while both run', async () => {
		const { standIn } = stepfun;
		standIn.setDelay(30);
		// The relaxed run starts once the strict one's first request has arrived (it has joined).
		const arrived = arrivalOf((request) => prompt(request) === 'strict 0');
		// A high rate, so that only Concurrency shapes what is in flight.
		const strict = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1, requestsPerMinute: 1000 }), { items: prompts('strict', 4) });
		await arrived;
		const relaxed = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 4, requestsPerMinute: 1000 }), { items: prompts('relaxed', 16) });
		const [strictRun, relaxedRun] = await Promise.all([strict, relaxed]);
		expect(strictRun.error).toBeUndefined();
		expect(relaxedRun.error).toBeUndefined();
		expect(relaxedRun.items).toHaveLength(16);

		const strictRequests = standIn.requests.filter((request) => prompt(request).startsWith('strict'));
		const strictFrom = Math.min(...strictRequests.map((request) => request.receivedAt));
		const strictTo = Math.max(...strictRequests.map((request) => request.answeredAt!));
		// While the Concurrency 1 run was running: one request at a time, for both runs together,
		// and the relaxed run had turns too.
		expect(mostAtOnce(standIn.requests, strictFrom, strictTo)).toBe(1);
		expect(standIn.requests.some((request) => prompt(request).startsWith('relaxed') && request.receivedAt < strictTo)).toBe(true);
		// Afterwards the relaxed run had its own 4.
		expect(mostAtOnce(standIn.requests, strictTo + 1)).toBe(4);
	});

	it('Get Balance at the same time never tightens the pace: a Generate at Concurrency 5 keeps 5 in flight while balances are asked', async () => {
		const { standIn } = stepfun;
		standIn.setDelay(30);
		// The balances are asked once the Generate run's first request has arrived (it has joined);
		// its 100 images keep it running well past them.
		const arrived = arrivalOf(() => true);
		const images = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 5, requestsPerMinute: 1000 }), { items: prompts('image', 100) });
		await arrived;
		const balances = stepfun.run(getBalance(), { items: prompts('balance', 10) });
		const [imageRun, balanceRun] = await Promise.all([images, balances]);
		expect(imageRun.error).toBeUndefined();
		expect(balanceRun.error).toBeUndefined();
		expect(balanceRun.items).toHaveLength(10);

		const balanceRequests = standIn.requests.filter((request) => request.path === '/v1/accounts');
		const balanceFrom = Math.min(...balanceRequests.map((request) => request.receivedAt));
		const balanceTo = Math.max(...balanceRequests.map((request) => request.answeredAt!));
		// While balances were asked, both runs together had the Generate run's 5 (Get Balance joins
		// at the most the options allow, not at the default Concurrency 4).
		expect(standIn.requests.some((request) => request.path === GENERATIONS && request.receivedAt > balanceFrom && request.receivedAt < balanceTo)).toBe(true);
		expect(mostAtOnce(standIn.requests, balanceFrom, balanceTo)).toBe(5);
	});
});

describe('adaptive pace', () => {
	it('an account busier than the node knows answers 429: the pace drops, every item still succeeds, and 429s stay few', async () => {
		const { standIn } = stepfun;
		standIn.setDelay(40);
		// Something else uses half the account: only 2 of the node's 4 fit.
		standIn.limits = { maxInFlight: 2 };
		const { items, error } = await stepfun.run(generate('={{ $json.prompt }}'), { items: prompts('item', 20) });
		expect(error).toBeUndefined();
		expect(items.map((item) => [item.json.prompt, item.pairedItem])).toEqual(prompts('item', 20).map((item, index) => [item.json.prompt, { item: index }]));
		const { admitted, rejected } = standIn.limitStats;
		expect(admitted).toBe(20);
		// The first burst of 4 meets the limit of 2: two 429s and one lowering, to 2 at once.
		// Each try upward comes after 10 successes, so at most one 429 per 10 images after that.
		expect(rejected).toBeGreaterThanOrEqual(2);
		expect(rejected).toBeLessThanOrEqual(2 + 20 / 10);
	});
});

describe('nothing waits forever', () => {
	it('an image that cannot start within its Timeout becomes an error item saying it waited for the rate limit; nothing is sent for it', async () => {
		// A real minute: one request per minute leaves the second and third no turn within 1 second.
		resetAccountLimiters();
		const { items, error, standIn } = await stepfun.run(generate('={{ $json.prompt }}', { requestsPerMinute: 1, timeout: 1 }), {
			items: prompts('item', 3),
			continueOnFail: true,
		});
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
	});
});

describe('Stop Workflow while requests wait for their turn', () => {
	it('a request still waiting in the pace is not sent once an earlier item failed', async () => {
		// A real minute and one request per minute: the second item waits a minute for its turn,
		// unless the run gives it up when the first fails.
		resetAccountLimiters();
		stepfun.standIn.fault('/v1/images/generations', { status: 400, body: { error: { message: 'bad prompt', type: 'request_params_invalid' } } });
		const { error, standIn } = await stepfun.run(generate('={{ $json.prompt }}', { concurrency: 2, requestsPerMinute: 1 }), {
			items: prompts('item', 2),
		});
		expect(error?.message).toBe('StepFun error 400: bad prompt');
		expect(standIn.requests).toHaveLength(1);
	});
});

