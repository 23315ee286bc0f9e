/**
 * The node's Settings tab as a user flips it: Always Output Data, Execute Once and n8n's own
 * Retry On Fail (which reruns the whole node: the README warns about it, this proves what it does).
 * On Error is in test/real-uploads.test.ts and test/reliability.test.ts; binary modes in
 * test/real-uploads.test.ts and test/edit.test.ts.
 */
import type { IDataObject } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { generate, sentJson, useStandIn } from './helpers/stepfun';
import type { RecordedRequest } from './stand-in/server.mjs';

const stepfun = useStandIn();
const GENERATIONS = '/v1/images/generations';
const prompts = (...texts: string[]) => texts.map((prompt) => ({ json: { prompt } }));
const promptOf = (request: RecordedRequest) => sentJson(request).prompt;

describe('n8n node settings', () => {
	it('Always Output Data: one empty item when every image was skipped', async () => {
		const filtered = { transform: (json: IDataObject) => ({ ...json, data: [{ seed: 1, finish_reason: 'content_filtered' }] }) };
		stepfun.standIn.fault(GENERATIONS, filtered);
		const without = await stepfun.run(generate('A fox', { onContentFiltered: 'skip' }));
		expect(without.items).toEqual([]);

		stepfun.standIn.fault(GENERATIONS, filtered);
		const withIt = await stepfun.run(generate('A fox', { onContentFiltered: 'skip' }), { alwaysOutputData: true });
		expect(withIt.items.map((item) => item.json)).toEqual([{}]);
	});

	it('Execute Once: only the first item is sent', async () => {
		const { items, standIn } = await stepfun.run(generate('={{ $json.prompt }}'), { items: prompts('cat', 'dog', 'owl'), executeOnce: true });
		expect(standIn.requests.map(promptOf)).toEqual(['cat']);
		expect(items.map((item) => [item.pairedItem, item.json.prompt])).toEqual([[{ item: 0 }, 'cat']]);
	});

	it("n8n's Retry On Fail reruns the whole node: images already made are requested (and billed) again", async () => {
		stepfun.standIn.fault(GENERATIONS, { match: (request) => promptOf(request) === 'dog', status: 400, body: { error: { message: 'bad', type: 'x' } } });
		const { items, error, standIn } = await stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1 }), {
			items: prompts('cat', 'dog'),
			retryOnFail: true,
			maxTries: 2,
			waitBetweenTries: 1,
		});
		expect(error).toBeUndefined();
		expect(items).toHaveLength(2);
		expect(standIn.requests.map(promptOf)).toEqual(['cat', 'dog', 'cat', 'dog']);
	});

	it("the node's own Max Retries resends only the request that failed", async () => {
		stepfun.standIn.fault(GENERATIONS, { match: (request) => promptOf(request) === 'dog', status: 503, headers: { 'retry-after': '0' } });
		const { items, standIn } = await stepfun.run(generate('={{ $json.prompt }}', { concurrency: 1 }), { items: prompts('cat', 'dog') });
		expect(items).toHaveLength(2);
		expect(standIn.requests.map(promptOf)).toEqual(['cat', 'dog', 'dog']);
	});
});
