/**
 * Account → Get Balance: one free GET /v1/accounts per item, in the credential's region, and the
 * answer's fields as the item's JSON.
 */
import { NodeApiError } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { API_KEY, getBalance, useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();

describe('Get Balance', () => {
	it("asks the credential's account and outputs balance, type, cash and voucher balances", async () => {
		stepfun.standIn.account = { type: 'prepaid', balance: 12.5, total_cash_balance: 10, total_voucher_balance: 2.5 };
		const { items, error, standIn } = await stepfun.run(getBalance());
		expect(error).toBeUndefined();
		expect(standIn.requests.map((request) => [request.method, request.path, request.headers.authorization, request.rawBody.length])).toEqual([
			['GET', '/v1/accounts', `Bearer ${API_KEY}`, 0],
		]);
		expect(items.map((item) => [item.json, item.pairedItem])).toEqual([
			[{ balance: 12.5, type: 'prepaid', totalCashBalance: 10, totalVoucherBalance: 2.5 }, { item: 0 }],
		]);
	});

	it('Include Input Fields keeps what the workflow carries (e.g. a threshold)', async () => {
		const { items } = await stepfun.run(getBalance({ includeInputFields: true }), { items: [{ json: { threshold: 5 } }] });
		expect(items[0].json).toMatchObject({ threshold: 5, balance: 42.5 });
	});

	it('is free, so even a request that timed out is asked again', async () => {
		stepfun.standIn.fault('/v1/accounts', { hang: true });
		const { items, standIn } = await stepfun.run(getBalance({ timeout: 1 }));
		expect(standIn.requests.map((request) => request.status)).toEqual([0, 200]);
		expect(items[0].json.balance).toBe(42.5);
	});

	it('a balance request that keeps failing says it was resent, with no word of billing (it is free)', async () => {
		stepfun.standIn.fault('/v1/accounts', { hang: true }, { hang: true });
		const { error, standIn } = await stepfun.run(getBalance({ timeout: 1, maxRetries: 1 }));
		expect(standIn.requests.map((request) => request.status)).toEqual([0, 0]);
		expect(error?.message).toBe('StepFun did not answer within 1 second');
		const description = (error as NodeApiError).description ?? '';
		expect(description).toContain('It was resent, as this request costs nothing.');
		expect(description).toContain('Gave up after 2 attempts.');
		expect(description).not.toMatch(/billed|Retry Possibly Billed Requests/);
	});

	it("StepFun's errors, with status and trace ID", async () => {
		const { error, standIn } = await stepfun.run(getBalance(), { credentials: { apiKey: 'sk-other-region' } });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('StepFun error 401: Incorrect API key provided');
		expect((error as NodeApiError).description).toContain(standIn.requests[0].traceId);
	});

	it('an answer without a balance (a proxy, not StepFun)', async () => {
		stepfun.standIn.fault('/v1/accounts', { status: 200, body: { ok: true } });
		const { error } = await stepfun.run(getBalance());
		expect(error?.message).toBe('StepFun returned no balance');
	});
});
