/**
 * The one retry rule, row by row as the README's table states it: resent automatically only what
 * StepFun refused without making anything, or what never reached it; what may already be made
 * and billed only with "Retry Possibly Billed Requests" (option `retryAfterTimeout`).
 */
import type { INodeProperties } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { StepFunApi } from '../credentials/StepFunApi.credentials';
import { OPTION } from '../nodes/StepFunImage/descriptions/options';
import { StepFunImage } from '../nodes/StepFunImage/StepFunImage.node';
import { runNode } from './helpers/run-node';
import { readFixture } from './fixtures/index.mjs';
import { API_KEY, edit, generate, useStandIn } from './helpers/stepfun';
import type { ScriptedResponse } from './stand-in/server.mjs';

const stepfun = useStandIn();
const NOW = { 'retry-after': '0' };
const answer = (status: number): ScriptedResponse => ({ status, headers: NOW, body: { error: { message: `status ${status}`, type: 'x' } } });

interface Row {
	failure: string;
	fault?: ScriptedResponse;
	/** Statuses the stand-in answered with the option off, then on (0: reset or no answer). */
	off: number[];
	on: number[];
	options?: Record<string, unknown>;
}

const rows: Row[] = [
	{ failure: '400 bad parameters', fault: answer(400), off: [400], on: [400] },
	{ failure: '401 wrong key or region', fault: answer(401), off: [401], on: [401] },
	{ failure: '402 balance too low', fault: answer(402), off: [402], on: [402] },
	{ failure: '404 wrong path or service offline', fault: answer(404), off: [404], on: [404] },
	{ failure: '429 rate limited', fault: answer(429), off: [429, 200], on: [429, 200] },
	{ failure: '451 moderation', fault: answer(451), off: [451], on: [451] },
	{ failure: '500 StepFun failed while handling it', fault: answer(500), off: [500], on: [500, 200] },
	{ failure: '502 a gateway lost the answer', fault: answer(502), off: [502], on: [502, 200] },
	{ failure: '503 StepFun unavailable', fault: answer(503), off: [503, 200], on: [503, 200] },
	{ failure: '504 a gateway stopped waiting', fault: answer(504), off: [504], on: [504, 200] },
	{ failure: 'connection reset after the request was sent', fault: { reset: true }, off: [0], on: [0, 200] },
	{ failure: 'no answer within Timeout', fault: { hang: true }, off: [0], on: [0, 200], options: { timeout: 1 } },
];

describe('retry and billing: one rule per failure', () => {
	describe.each(rows)('$failure', (row) => {
		it.each([
			['off', false, row.off],
			['on', true, row.on],
		] as const)('Retry Possibly Billed Requests %s', async (_, retryAfterTimeout, statuses) => {
			if (row.fault) stepfun.standIn.fault('/v1/images/generations', row.fault);
			const { items, error, standIn } = await stepfun.run(generate('A fox', { ...row.options, retryAfterTimeout }));
			expect(standIn.requests.map((request) => request.status)).toEqual(statuses);
			if (statuses.at(-1) === 200) {
				expect(error).toBeUndefined();
				expect(items).toHaveLength(1);
			} else {
				expect(error).toBeDefined();
			}
		});
	});

	it.each([
		['no answer within Timeout', { hang: true }, /^The request was sent, so StepFun may have made \(and billed\) it; it was resent, as Retry Possibly Billed Requests allows\. Raise the Timeout option if StepFun needs longer\. Gave up after 2 attempts\.$/],
		['a reset after sending', { reset: true }, /^The request was sent, so StepFun may have made \(and billed\) it; it was resent, as Retry Possibly Billed Requests allows\. Gave up after 2 attempts\.$/],
	] as const)('%s every time, resending allowed: the error says it was resent', async (_, fault, description) => {
		stepfun.standIn.fault('/v1/images/generations', fault, fault);
		const { error } = await stepfun.run(generate('A fox', { timeout: 1, maxRetries: 1, retryAfterTimeout: true }));
		expect((error as { description?: string }).description).toMatch(description);
	});

	it('a reset, resending not allowed: says to run again, not to raise the Timeout', async () => {
		stepfun.standIn.fault('/v1/images/generations', { reset: true });
		const { error } = await stepfun.run(generate('A fox'));
		expect((error as { description?: string }).description).toContain('it was not resent automatically. Run again, or turn on "Retry Possibly Billed Requests"');
	});

	it.each([
		['off', false, [0]],
		['on', true, [0, 200]],
	] as const)('a reset before StepFun read the request body follows the same rule (option %s)', async (_, retryAfterTimeout, statuses) => {
		// A large upload, dropped as soon as its headers arrive: the node cannot tell this reset
		// from one after StepFun had the whole request.
		stepfun.standIn.resetOnArrival = 1;
		const big = Buffer.concat([readFixture('jpeg-baseline.jpg'), Buffer.alloc(8 * 1024 * 1024)]);
		const { error, standIn } = await stepfun.run(edit('Add a hat', { retryAfterTimeout }), {
			items: [{ binary: { data: { bytes: big, fileName: 'big.jpg', mimeType: 'image/jpeg' } } }],
		});
		expect(standIn.requests.map((request) => request.status)).toEqual(statuses);
		expect(standIn.requests[0].bodyRead).toBe(false);
		if (retryAfterTimeout) expect(error).toBeUndefined();
		else expect(error?.message).toMatch(/^The connection to StepFun broke before an answer arrived \(E[A-Z]+\)$/);
	});

	it('a connection that never opened (nothing sent) is retried up to Max Retries', async () => {
		const { error } = await stepfun.run(generate('A fox', { maxRetries: 1 }), { credentials: { baseUrl: 'http://127.0.0.1:1' } });
		expect(error?.message).toBe('Could not connect to StepFun at http://127.0.0.1:1/v1 (ECONNREFUSED)');
		expect((error as { description?: string }).description).toContain('Nothing was sent.');
		expect((error as { description?: string }).description).toContain('Gave up after 2 attempts.');
	});

	it('a failure while n8n prepares the request says nothing was sent, not that a connection broke', async () => {
		class UnusableCredential extends StepFunApi {
			async authenticate(): Promise<never> {
				throw new Error("Node 'StepFun Image' hasn't been executed");
			}
		}
		const { error } = await runNode({
			nodeType: new StepFunImage(),
			credentialType: new UnusableCredential(),
			credentials: { apiKey: API_KEY, region: 'custom', baseUrl: stepfun.standIn.baseUrl },
			parameters: { resource: 'image', ...generate('A fox') },
		});
		expect(error?.message).toBe("Could not send the request to StepFun: Node 'StepFun Image' hasn't been executed");
		expect((error as { description?: string }).description).toMatch(/^Nothing was sent\./);
		expect(stepfun.standIn.requests).toEqual([]);
	});

	it('the options say the same as this table', () => {
		const option = (name: string) => Object.values(OPTION).find((declared) => declared.property.name === name)?.property as INodeProperties;
		expect(option('maxRetries').description).toMatch(/503 \(unavailable\), or a connection that failed before the request was sent/);
		expect(option('maxRetries').description).toMatch(/A 429 \(rate limit\) is not counted: the request waits for the account, up to its Timeout/);
		expect(option('retryAfterTimeout').displayName).toBe('Retry Possibly Billed Requests');
		expect(option('retryAfterTimeout').description).toMatch(/timed out, its connection broke after it was sent, or StepFun or a gateway answered 500, 502 or 504/);
	});
});
