// Account → Get Balance: what the account can spend, GET /accounts (free).
import type { IDataObject } from 'n8n-workflow';

import { COMMON_OPTIONS } from '../../descriptions/options';
import { defineOperation } from '../../engine/operation';

const amount = (value: unknown) => (typeof value === 'number' ? value : undefined);

export const getBalance = defineOperation({
	name: 'getBalance',
	resource: 'account',
	choice: {
		name: 'Get Balance',
		action: 'Get the account balance',
		description: 'What the StepFun account can spend (free)',
	},
	subtitle: 'Get Balance',
	fields: [
		{
			displayName:
				"Returns the balance of the credential's StepFun account, in that platform's currency (CNY on the China platform). Free: no request is billed.",
			name: 'balanceNotice',
			type: 'notice',
			default: '',
		},
	],
	options: COMMON_OPTIONS,
	free: true,

	prepare: () => ({ request: { method: 'GET', path: '/accounts' }, facts: {} }),

	output: {
		kind: 'json',
		read: ({ response: { body } }, _values, fail) => {
			const account = (typeof body === 'object' && body !== null ? body : {}) as IDataObject;
			if (amount(account.balance) === undefined) {
				throw fail(
					'StepFun returned no balance',
					"The answer to /accounts had no balance. Check the credential's Base URL: it must be StepFun's API.",
				);
			}
			return {
				balance: amount(account.balance),
				type: typeof account.type === 'string' ? account.type : undefined,
				totalCashBalance: amount(account.total_cash_balance),
				totalVoucherBalance: amount(account.total_voucher_balance),
			};
		},
	},
});
