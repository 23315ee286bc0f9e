// GET /v1/accounts: the account's balance (free, no parameters).

/** What GET /v1/accounts answers until `standIn.account` says otherwise. */
export const DEFAULT_ACCOUNT = Object.freeze({
	type: 'prepaid',
	balance: 42.5,
	total_cash_balance: 30,
	total_voucher_balance: 12.5,
});

/** @type {import('./http.mjs').Endpoint} */
export const accounts = {
	path: '/v1/accounts',
	method: 'GET',
	// Fields the test set replace the defaults one by one, so `{ balance: 0 }` is enough.
	handle: (_request, env) => ({ object: 'account', ...DEFAULT_ACCOUNT, ...env.standIn.account }),
};
