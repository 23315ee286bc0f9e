/**
 * Content filtering, nothing lost, and concurrency: what comes out of a
 * run with filtered images, failures among many items, several images per item and requests
 * running at once. No time is compared or waited for: the test holds requests at the stand-in
 * and releases them in the order it chooses, and the pace runs on a virtual clock.
 */
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { apiBaseUrl } from '../nodes/StepFunImage/shared/limits';
import { accountLimiter } from '../nodes/StepFunImage/transport/limiter';
import { API_KEY, answerInTurn, generate, heldRequests, sentJson, summary, TEST_MINUTE_MS, useStandIn } from './helpers/stepfun';
import { useVirtualClock } from './helpers/virtual-clock';
import type { RecordedRequest, ScriptedResponse, StandIn } from './stand-in/server.mjs';

const stepfun = useStandIn();

const GENERATIONS = '/v1/images/generations';

/** The requests for one prompt, in the order they came. */
const requestsFor = (standIn: StandIn, prompt: string) => standIn.requests.filter((request) => sentJson(request).prompt === prompt);

/** The item number in a request's prompt (`item 7` → 7). */
const itemNumber = (request: RecordedRequest) => Number(sentJson(request).prompt.replace('item ', ''));

const forPrompt = (prompt: string, answer: ScriptedResponse = {}): ScriptedResponse => ({
	...answer,
	match: (request) => sentJson(request).prompt === prompt,
});

const filtered = (keepBytes: boolean): ScriptedResponse => ({
	transform: (json) => {
		json.data[0].finish_reason = 'content_filtered';
		if (!keepBytes) delete json.data[0].b64_json;
	},
});

const prompts = (count: number) => Array.from({ length: count }, (_, index) => ({ json: { prompt: `item ${index}` } }));

describe('On Content Filtered', () => {
	it('Error (default): fails the item even when StepFun sent image bytes', async () => {
		stepfun.standIn.fault(GENERATIONS, filtered(true));
		const { items, error, standIn } = await stepfun.run(generate('A beach', { onContentFiltered: 'error' }));
		expect(items).toEqual([]);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('StepFun stopped the image at content moderation (finish reason content_filtered)');
		expect((error as NodeApiError).httpCode).toBe('200');
		expect((error as NodeApiError).context.traceId).toBe(standIn.requests[0].traceId);
	});

	it('Output Item Without Image: metadata with finishReason content_filtered, no binary when none was sent', async () => {
		stepfun.standIn.fault(GENERATIONS, filtered(false));
		const { items, error, standIn } = await stepfun.run(generate('A beach', { onContentFiltered: 'outputItem', seed: 7 }));
		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		expect(items[0].binary).toBeUndefined();
		expect(items[0].pairedItem).toEqual({ item: 0 });
		expect(items[0].json).toEqual({
			seed: 7,
			finishReason: 'content_filtered',
			created: standIn.requests[0].responseJson.created,
			createdAt: new Date(standIn.requests[0].responseJson.created * 1000).toISOString(),
			model: 'step-image-edit-2',
			prompt: 'A beach',
			operation: 'generate',
		});
	});

	it('Output Item Without Image: keeps the image when StepFun sent bytes anyway', async () => {
		stepfun.standIn.fault(GENERATIONS, filtered(true));
		const { items, error, standIn } = await stepfun.run(generate('A beach', { onContentFiltered: 'outputItem' }));
		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({ finishReason: 'content_filtered', width: 1024, height: 1024 });
		const sentBytes = Buffer.from(standIn.requests[0].responseJson.data[0].b64_json, 'base64');
		expect(items[0].binary?.data.bytes.equals(sentBytes)).toBe(true);
	});

	it('Output Item Without Image with a url: the image is downloaded and kept, the link output', async () => {
		stepfun.standIn.fault(GENERATIONS, filtered(false));
		const { items, error, standIn } = await stepfun.run(
			generate('A beach', { onContentFiltered: 'outputItem', responseFormat: 'url' }),
		);
		expect(error).toBeUndefined();
		expect(standIn.imageRequests).toHaveLength(1);
		expect(items[0].json).toMatchObject({ finishReason: 'content_filtered', url: standIn.requests[0].responseJson.data[0].url });
		expect(items[0].binary?.data.mimeType).toBe('image/png');
	});

	it('Skip: outputs nothing for that image, bytes or not, and downloads nothing', async () => {
		const { standIn } = stepfun;
		standIn.fault(GENERATIONS, filtered(true));
		const withBytes = await stepfun.run(generate('A beach', { onContentFiltered: 'skip' }));
		expect(withBytes.error).toBeUndefined();
		expect(withBytes.items).toEqual([]);

		// A filtered image behind an expired link is skipped, not a download error.
		standIn.fault(GENERATIONS, filtered(false));
		standIn.imageFault({ status: 404, body: 'Not Found' });
		const withUrl = await stepfun.run(generate('A beach', { onContentFiltered: 'skip', responseFormat: 'url' }));
		expect(withUrl.error).toBeUndefined();
		expect(withUrl.items).toEqual([]);
		expect(standIn.imageRequests).toEqual([]);
	});

	it('Skip: only the filtered image of several is left out; the others keep their order and pairing', async () => {
		stepfun.standIn.fault(GENERATIONS, { ...filtered(false), match: (request) => sentJson(request).seed === 21 });
		const { items, error } = await stepfun.run(generate('A beach', { onContentFiltered: 'skip', seed: 20, numberOfImages: 3 }));
		expect(error).toBeUndefined();
		expect(items.map(summary)).toEqual([
			{ paired: { item: 0 }, prompt: 'A beach', seed: 20 },
			{ paired: { item: 0 }, prompt: 'A beach', seed: 22 },
		]);
	});

	it('Error with a url: reports the filter, without downloading the image', async () => {
		stepfun.standIn.fault(GENERATIONS, filtered(false));
		const { error, standIn } = await stepfun.run(generate('A beach', { responseFormat: 'url' }));
		expect(error?.message).toBe('StepFun stopped the image at content moderation (finish reason content_filtered)');
		expect(standIn.imageRequests).toEqual([]);
	});
});

describe('Nothing lost: Continue On Fail', () => {
	it('a mix of good items, bad inputs and faults: one item per image, one error item per failure, in input order', async () => {
		const { standIn } = stepfun;
		standIn.fault(
			GENERATIONS,
			forPrompt('moderated', { status: 451, body: { error: { message: 'Prompt failed moderation', type: 'content_moderation' } } }),
			forPrompt('filtered', filtered(false)),
			forPrompt('reset', { reset: true }),
			forPrompt('flaky', { status: 503, headers: { 'retry-after': '0' }, body: '' }),
			{
				match: (request) => sentJson(request).prompt === 'half' && sentJson(request).seed === 101,
				status: 400,
				body: { error: { message: 'steps must be in range [1, 50]', type: 'request_params_invalid' } },
			},
			// Answers finish out of input order: cat's first image is answered last.
			{ match: (request) => sentJson(request).prompt === 'cat' && sentJson(request).seed === 100, hold: true },
		);
		const input = [
			{ json: { prompt: 'cat', n: 2 } },
			{ json: { prompt: '' } },
			{ json: { prompt: 'moderated' } },
			{ json: { prompt: 'dog' } },
			{ json: { prompt: 'filtered' } },
			{ json: { prompt: 'x'.repeat(513) } },
			{ json: { prompt: 'reset' } },
			{ json: { prompt: 'flaky' } },
			{ json: { prompt: 'half', n: 2 } },
		];
		const running = stepfun.run(generate('={{ $json.prompt }}', { seed: 100, numberOfImages: '={{ $json.n ?? 1 }}' }), {
			items: input,
			continueOnFail: true,
		});
		// Released once every other request has been answered.
		await standIn.when(() => standIn.requests.length === 10 && standIn.requests.every((request) => request.held || request.status !== undefined));
		heldRequests(standIn)[0].release();
		const { items, error } = await running;
		expect(error).toBeUndefined();
		expect(items.map(summary)).toEqual([
			{ paired: { item: 0 }, prompt: 'cat', seed: 100 },
			{ paired: { item: 0 }, prompt: 'cat', seed: 101 },
			{ paired: { item: 1 }, error: 'Prompt: is empty (item 1)' },
			{ paired: { item: 2 }, error: 'StepFun error 451: Prompt failed moderation' },
			{ paired: { item: 3 }, prompt: 'dog', seed: 100 },
			{ paired: { item: 4 }, error: 'StepFun stopped the image at content moderation (finish reason content_filtered)' },
			{ paired: { item: 5 }, error: 'Prompt: is 513 characters long; StepFun accepts at most 512 (item 5)' },
			{ paired: { item: 6 }, error: 'The connection to StepFun broke before an answer arrived (ECONNRESET)' },
			{ paired: { item: 7 }, prompt: 'flaky', seed: 100 },
			{ paired: { item: 8 }, prompt: 'half', seed: 100 },
			{ paired: { item: 8 }, error: 'StepFun error 400: steps must be in range [1, 50]' },
		]);
		// Images are real, error items carry what the user needs.
		expect(items.filter((item) => item.json.error === undefined).every((item) => item.binary?.data.mimeType === 'image/png')).toBe(true);
		const moderated = items[3].json;
		expect(moderated).toMatchObject({ httpCode: '451', itemIndex: 2 });
		const moderatedRequest = standIn.requests.find((request) => sentJson(request).prompt === 'moderated')!;
		expect(moderated.traceId).toBe(moderatedRequest.traceId);
		expect(moderated.description).toContain(moderatedRequest.traceId);
		expect(items[2].json).toMatchObject({ itemIndex: 1 });
		// Bad inputs send nothing; the reset is not resent; the 503 is.
		const byPrompt = standIn.requests.map((request) => sentJson(request).prompt).sort();
		expect(byPrompt).toEqual(['cat', 'cat', 'dog', 'filtered', 'flaky', 'flaky', 'half', 'half', 'moderated', 'reset']);
	});
});

describe('Nothing lost: Continue On Fail off', () => {
	it('the first failure in input order is reported, even when a later item failed first; no further requests start', async () => {
		const { standIn } = stepfun;
		standIn.fault(
			GENERATIONS,
			forPrompt('item 0', { hold: true, status: 451, body: { error: { message: 'Image failed moderation', type: 'content_moderation' } } }),
			forPrompt('item 1', { status: 400, body: { error: { message: 'bad cfg_scale', type: 'request_params_invalid' } } }),
		);
		const running = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 2 }), { items: prompts(6) });
		// Item 1 fails while item 0 is held; then item 0 fails too.
		await standIn.when(() => requestsFor(standIn, 'item 1')[0]?.status === 400 && requestsFor(standIn, 'item 0')[0]?.held);
		requestsFor(standIn, 'item 0')[0].release();
		const { items, error } = await running;
		expect(items).toEqual([]);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('StepFun error 451: Image failed moderation');
		expect((error as NodeApiError).context.itemIndex).toBe(0);
		// Item 1 failed while item 0 was still running: items 2-5 were never sent.
		expect(standIn.requests.map((request) => sentJson(request).prompt).sort()).toEqual(['item 0', 'item 1']);
	});

	it('sequentially: stops at the failing item with its error, no partial success', async () => {
		const { standIn } = stepfun;
		standIn.fault(GENERATIONS, forPrompt('item 1', { status: 402, body: { error: { message: 'Insufficient balance', type: 'insufficient_balance' } } }));
		const { items, error } = await stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1 }), { items: prompts(4) });
		expect(items).toEqual([]);
		expect(error?.message).toBe('StepFun error 402: Insufficient balance');
		expect((error as NodeApiError).context.itemIndex).toBe(1);
		expect(standIn.requests.map((request) => sentJson(request).prompt)).toEqual(['item 0', 'item 1']);
	});

	it('a bad input stops the node with its validation error before any item is sent (nothing billed)', async () => {
		const input = [{ json: { prompt: 'item 0' } }, { json: { prompt: 'item 1' } }, { json: { prompt: '   ' } }, { json: { prompt: 'item 3' } }];
		const { items, error, standIn } = await stepfun.run(generate('={{ $json.prompt }}'), { items: input });
		expect(items).toEqual([]);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toBe('Prompt: is empty (item 2)');
		expect(standIn.requests).toEqual([]);
	});
});

describe('Number of Images', () => {
	it('3 images with seed 10: seeds 10, 11, 12 on the wire and in the output, in order, all paired to the item', async () => {
		const { standIn } = stepfun;
		// The first image answers last: seed 12, then 11, then 10.
		const bySeed = (seed: number) => standIn.requests.find((request) => sentJson(request).seed === seed);
		standIn.fault(GENERATIONS, { match: (request) => sentJson(request).seed === 10, hold: true }, { match: (request) => sentJson(request).seed === 11, hold: true });
		const running = stepfun.run(generate('Three foxes', { seed: 10, numberOfImages: 3 }));
		await standIn.when(() => bySeed(12)?.status === 200 && heldRequests(standIn).length === 2);
		bySeed(11)?.release();
		await standIn.when(() => bySeed(11)?.status === 200);
		bySeed(10)?.release();
		const { items, error } = await running;
		expect(error).toBeUndefined();
		expect(standIn.requests.map((request) => sentJson(request).seed).sort()).toEqual([10, 11, 12]);
		expect(items.map((item) => [item.json.seed, item.pairedItem, item.json.fileName])).toEqual([
			[10, { item: 0 }, 'stepfun-10.png'],
			[11, { item: 0 }, 'stepfun-11.png'],
			[12, { item: 0 }, 'stepfun-12.png'],
		]);
		// Each output holds the image of its own request.
		for (const item of items) {
			const request = standIn.requests.find((candidate) => sentJson(candidate).seed === item.json.seed)!;
			expect(item.binary?.data.bytes.equals(Buffer.from(request.responseJson.data[0].b64_json, 'base64'))).toBe(true);
		}
	});
});

describe('Concurrency', () => {
	it('5 at once over 10 items finishing out of order: output order and pairing as if sequential, at most 5 in flight', async () => {
		const { standIn } = stepfun;
		// Whenever 5 are held, the highest item among them is answered: 4 to 9 as they come, then 3 to 0.
		const highest = (held: RecordedRequest[]) => held.reduce((a, b) => (itemNumber(a) > itemNumber(b) ? a : b));
		const {
			run: { items, error },
			answered,
		} = await answerInTurn(standIn, { path: GENERATIONS, count: 10, atOnce: 5, pick: highest }, () =>
			stepfun.run(generate('={{ $json.prompt }}', { concurrency: 5 }), { items: prompts(10) }),
		);
		expect(error).toBeUndefined();
		expect(standIn.maxInFlight).toBe(5);
		// They really finished out of order...
		expect(answered.map(itemNumber)).toEqual([4, 5, 6, 7, 8, 9, 3, 2, 1, 0]);
		// ...and come out in input order, each with the image of its own request.
		expect(items.map((item) => [item.json.prompt, item.pairedItem])).toEqual(
			prompts(10).map((item, index) => [item.json.prompt, { item: index }]),
		);
		for (const item of items) {
			const request = standIn.requests.find((candidate) => sentJson(candidate).prompt === item.json.prompt)!;
			expect(item.json.seed).toBe(request.responseJson.data[0].seed);
		}
	});

	it('Concurrency 1: one request at a time, each sent after the previous was answered', async () => {
		const { standIn } = stepfun;
		const {
			run: { items, error },
			answered,
		} = await answerInTurn(standIn, { path: GENERATIONS, count: 4, atOnce: 1 }, () =>
			stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1 }), { items: prompts(4) }),
		);
		expect(error).toBeUndefined();
		expect(standIn.maxInFlight).toBe(1);
		expect(answered.map((request) => sentJson(request).prompt)).toEqual(['item 0', 'item 1', 'item 2', 'item 3']);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
	});

	it('the default keeps below the lowest tier: at most 4 at once', async () => {
		const { standIn } = stepfun;
		const { run } = await answerInTurn(standIn, { path: GENERATIONS, count: 8, atOnce: 4 }, () =>
			stepfun.run(generate('={{ $json.prompt }}'), { items: prompts(8) }),
		);
		const { items, error } = run;
		expect(error).toBeUndefined();
		expect(items).toHaveLength(8);
		expect(standIn.maxInFlight).toBe(4);
	});

	it('several images per item and several items share one limit', async () => {
		const { standIn } = stepfun;
		const { run } = await answerInTurn(standIn, { path: GENERATIONS, count: 6, atOnce: 2 }, () =>
			stepfun.run(generate('={{ $json.prompt }}', { concurrency: 2, seed: 5, numberOfImages: 2 }), { items: prompts(3) }),
		);
		const { items, error } = run;
		expect(error).toBeUndefined();
		expect(standIn.requests).toHaveLength(6);
		expect(standIn.maxInFlight).toBe(2);
		expect(items.map(summary)).toEqual(
			[0, 1, 2].flatMap((index) => [
				{ paired: { item: index }, prompt: `item ${index}`, seed: 5 },
				{ paired: { item: index }, prompt: `item ${index}`, seed: 6 },
			]),
		);
	});

	it('a 429 with Retry-After pauses every request of the key, not just the one that got it', async () => {
		// Held virtual clock: the pace's waits (the pause, the gap between starts) last until the
		// test resumes it, so what is sent during the pause is read, not timed.
		const clock = useVirtualClock({ held: true, minuteMs: TEST_MINUTE_MS });
		const { standIn } = stepfun;
		standIn.fault(GENERATIONS, forPrompt('item 0', rateLimited(0.5)));
		const connection = apiBaseUrl('custom', standIn.baseUrl);
		const pace = accountLimiter('url' in connection ? connection.url : '', API_KEY);
		const running = stepfun.run(generate('={{ $json.prompt }}', { concurrency: 2 }), { items: prompts(4) });

		const sentSoFar = () => standIn.requests.map((request) => [sentJson(request).prompt, request.status]);
		// Item 0 got its 429: its resend and item 1 both wait out the pause; nothing else is sent.
		await clock.until(() => pace.state().waiting === 2 && standIn.requests[0]?.status === 429);
		expect(sentSoFar()).toEqual([['item 0', 429]]);
		expect(pace.state().pausedUntil).toBeGreaterThanOrEqual(500);
		clock.resume();

		const { items, error } = await running;
		expect(error).toBeUndefined();
		expect(items.map((item) => [item.json.prompt, item.pairedItem])).toEqual(
			prompts(4).map((item, index) => [item.json.prompt, { item: index }]),
		);
		expect(sentSoFar().slice(1).sort()).toEqual([
			['item 0', 200],
			['item 1', 200],
			['item 2', 200],
			['item 3', 200],
		]);
		// The pause lasted what StepFun asked for, on the pace's clock.
		expect(clock.now).toBeGreaterThanOrEqual(500);
	});
});

const rateLimited = (retryAfterSeconds: number): ScriptedResponse => ({
	status: 429,
	headers: { 'retry-after': String(retryAfterSeconds) },
	body: { error: { message: 'Rate limit reached', type: 'rate_limit_exceeded' } },
});

describe('a Retry-After longer than a minute', () => {
	// The key's pause is waited in the pace, on a virtual clock: a sleep moves the clock on at
	// once, so a 90 s pause takes no real time and every wait is recorded.
	it('90 s within a Timeout of 120 s: the key pauses for the 90 s StepFun asked, then the request is sent again and succeeds', async () => {
		const clock = useVirtualClock();
		const { standIn } = stepfun;
		standIn.fault(GENERATIONS, forPrompt('item 0', rateLimited(90)));
		const { items, error } = await stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1 }), { items: prompts(2) });
		expect(error).toBeUndefined();
		expect(items.map(summary)).toEqual([
			{ paired: { item: 0 }, prompt: 'item 0', seed: items[0].json.seed },
			{ paired: { item: 1 }, prompt: 'item 1', seed: items[1].json.seed },
		]);
		expect(standIn.requests.map((request) => [sentJson(request).prompt, request.status])).toEqual([
			['item 0', 429],
			['item 0', 200],
			['item 1', 200],
		]);
		// Nothing started before the 90 s were over (the pace's clock, not a backoff of a second or two).
		expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(90_000);
	});

	it('longer than the Timeout: the request fails at once saying so, and the next item of the key waits out the pause (up to its Timeout) before it is sent', async () => {
		const clock = useVirtualClock();
		const { standIn } = stepfun;
		standIn.fault(GENERATIONS, forPrompt('item 0', rateLimited(150)));
		const { items, error } = await stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1, timeout: 100 }), {
			items: prompts(2),
			continueOnFail: true,
		});
		expect(error).toBeUndefined();
		expect(items[0].json.error).toBe('StepFun error 429: Rate limit reached');
		expect(items[0].json.description).toContain(
			"StepFun asked to wait 150 seconds before trying again, longer than this request's Timeout (100 seconds), so it was not retried",
		);
		expect(summary(items[1])).toEqual({ paired: { item: 1 }, prompt: 'item 1', seed: items[1].json.seed });
		expect(standIn.requests.map((request) => [sentJson(request).prompt, request.status])).toEqual([
			['item 0', 429],
			['item 1', 200],
		]);
		expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(100_000);
	});
});
