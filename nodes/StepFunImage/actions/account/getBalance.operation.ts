// Account → Get Balance: what the account can spend, GET /accounts (free).
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { optionsCollection, readItemOptions } from '../../descriptions/options';
import { outputItem } from '../../helpers/output';
import type { Operation, PreparedItem } from '../../helpers/runner';
import { operationProperties } from '../../helpers/runner';
import { stepFunApiError } from '../../transport/errors';

const properties: INodeProperties[] = [
	{
		displayName:
			"Returns the balance of the credential's StepFun account, in that platform's currency (CNY on the China platform). Free: no request is billed.",
		name: 'balanceNotice',
		type: 'notice',
		default: '',
	},
	optionsCollection('getBalance'),
];

function prepare(ctx: IExecuteFunctions, itemIndex: number): PreparedItem {
	const options = readItemOptions(ctx, itemIndex, 'getBalance');
	return {
		// Reading the balance is free, so a request whose outcome is unknown can always be resent.
		options: { ...options, request: { ...options.request, retryPossiblyBilled: true } },
		request: { method: 'GET', path: '/accounts' },
		requestCount: 1,
	};
}

const amount = (value: unknown) => (typeof value === 'number' ? value : undefined);

const toItems: Operation['toItems'] = async (ctx, itemIndex, { options }, answer) => {
	const { body, status, traceId } = answer.response;
	const account = (typeof body === 'object' && body !== null ? body : {}) as IDataObject;
	if (amount(account.balance) === undefined) {
		throw stepFunApiError(
			ctx,
			{
				message: 'StepFun returned no balance',
				description:
					"The answer to /accounts had no balance. Check the credential's Base URL: it must be StepFun's API.",
				status,
				traceId,
			},
			itemIndex,
		);
	}
	return [
		outputItem(ctx, itemIndex, options.output, {
			balance: amount(account.balance),
			type: typeof account.type === 'string' ? account.type : undefined,
			totalCashBalance: amount(account.total_cash_balance),
			totalVoucherBalance: amount(account.total_voucher_balance),
		}),
	];
};

export const getBalance: Operation = {
	name: 'getBalance',
	resource: 'account',
	choice: {
		name: 'Get Balance',
		action: 'Get the account balance',
		description: 'What the StepFun account can spend (free)',
	},
	description: operationProperties('account', 'getBalance', properties),
	prepare,
	toItems,
};
