// 17–18. StepFun Account → Get Balance in real n8n:
// 17  Manual → Get Balance → IF balance < 5 → "Low Balance" / "Enough Balance", run with
//     `n8n execute` twice: the stand-in's account at 42.5 (the false branch runs), then at
//     3.25 (the true branch); the output fields equal the account the stand-in answered.
// 18  The example examples/schedule-balance-alert.json itself, its Slack node posting to a
//     loopback host, published during the scenario only, its Schedule Trigger firing every
//     5 s: with the balance below 5 the warning is posted with the balance, cash and
//     voucher amounts.
import assert from 'node:assert/strict';

import { DEFAULT_ACCOUNT } from '../../test/stand-in/server.mjs';
import { onlyRequests, whyFailed } from '../lib/checks.mjs';
import { slackMessages, withSlackPostingTo } from '../lib/analyze-checks.mjs';
import { exampleForExecution, loadExamples } from '../lib/examples.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import * as wfa from '../lib/workflows-analyze.mjs';
import { importSetup } from '../lib/workflows.mjs';

const ACCOUNTS = '/v1/accounts';
const EXAMPLE = 'schedule-balance-alert.json';
const LOW = { balance: 3.25, total_cash_balance: 1.25, total_voucher_balance: 2, type: 'postpaid' };

/** What Get Balance must output for the account the stand-in answered. */
const expectedItem = (account) => ({
	balance: account.balance,
	type: account.type,
	totalCashBalance: account.total_cash_balance,
	totalVoucherBalance: account.total_voucher_balance,
});

export default function balance(ctx) {
	if (!ctx.full) return undefined;
	return [ifBranches(ctx), scheduleExample(ctx)];
}

function ifBranches(ctx) {
	const { n8n, standIn, creds, keys } = ctx;
	const workflow = wfa.balanceCheck({ cred: creds.good, threshold: 5 });
	const once = async (account) => {
		standIn.reset();
		standIn.account = account;
		const r = await n8n.execute(workflow.id);
		assert.ok(r.ok, `execution failed (exit ${r.code}): ${whyFailed(r)}`);
		const reqs = onlyRequests(standIn, ACCOUNTS);
		assert.equal(reqs.length, 1, 'one balance request');
		assert.equal(reqs[0].method, 'GET');
		assert.equal(reqs[0].headers.authorization, `Bearer ${keys.good}`);
		const answered = reqs[0].responseJson;
		const [item] = nodeOutput(r.run, 'Get Balance');
		assert.deepEqual(
			Object.fromEntries(Object.keys(expectedItem(answered)).map((k) => [k, item.json[k]])),
			expectedItem(answered),
			'Get Balance outputs the account the stand-in answered',
		);
		const ran = ['Low Balance', 'Enough Balance'].filter((name) => nodeOutput(r.run, name));
		return { item: item.json, ran, run: r.run };
	};
	return {
		title:
			'17 Manual → StepFun Get Balance → IF balance < 5: the output is the account, the IF takes the right branch',
		...importSetup('cli', workflow, creds.good),
		async run() {
			const enough = await once({ ...DEFAULT_ACCOUNT });
			assert.deepEqual(
				enough.ran,
				['Enough Balance'],
				`balance ${enough.item.balance}: ran ${enough.ran}`,
			);
			const low = await once({ ...LOW });
			assert.deepEqual(low.ran, ['Low Balance'], `balance ${low.item.balance}: ran ${low.ran}`);
			const [alert] = nodeOutput(low.run, 'Low Balance');
			assert.equal(alert.json.alert, 'Balance 3.25 is below 5');
			return `balance ${enough.item.balance} (${enough.item.type}) → "Enough Balance"; balance ${low.item.balance} (cash ${low.item.totalCashBalance}, vouchers ${low.item.totalVoucherBalance}, ${low.item.type}) → "Low Balance"`;
		},
	};
}

function scheduleExample(ctx) {
	const { n8n, standIn, hosts, creds } = ctx;
	const shipped = loadExamples().find((ex) => ex.file === EXAMPLE);
	const title = `18 example ${EXAMPLE}, Slack posting to a loopback host: its Schedule Trigger fires (every 5 s in the copy), Get Balance, IF below 5, the warning`;
	if (!shipped) return { title, stage: 'server', skip: `examples/${EXAMPLE} is missing` };
	const raw = withSlackPostingTo(shipped.raw, hosts.echo.url);
	const copy = exampleForExecution({ file: EXAMPLE, raw }, { filesDir: n8n.filesDir });
	assert.equal(copy.execute, 'schedule', `${EXAMPLE} without Slack should run by its schedule`);
	const workflow = {
		...copy.workflow,
		id: 'e2eBalanceAlertX',
		name: `${raw.name} (e2e copy, Slack to loopback)`,
	};
	return {
		title,
		...importSetup('server', workflow, creds.example),
		when: () => !!n8n.cookie,
		async run() {
			standIn.reset();
			standIn.account = { ...LOW };
			hosts.echo.requests.length = 0;
			const before = await n8n.latestExecutionId(workflow.id);
			// Published now and unpublished at the end, not at the setup: its schedule would
			// otherwise ask the stand-in for the balance every 5 s through every other
			// scenario of the server stage.
			await n8n.publishNow(workflow.id);
			try {
				const deadline = Date.now() + 30_000;
				while (slackMessages(hosts.echo).length === 0) {
					if (Date.now() > deadline)
						assert.fail('no warning posted within 30 s of the balance dropping below 5');
					await new Promise((resolve) => setTimeout(resolve, 300));
				}
			} finally {
				await n8n.unpublish(workflow.id);
				standIn.account = { ...DEFAULT_ACCOUNT };
			}
			const [message] = slackMessages(hosts.echo);
			assert.deepEqual(message, {
				channel: '#ops',
				text: 'StepFun balance is low: 3.25 (cash 1.25, vouchers 2). Top up before the next batch.',
			});
			const exec = await executionThatWarned(n8n, workflow.id, before);
			assert.equal(exec.status, 'success', `execution ${exec.id}: ${exec.status}`);
			assert.equal(exec.mode, 'trigger', 'started by the Schedule Trigger');
			const [item] = nodeOutput(exec.run, 'Get Balance');
			assert.deepEqual(
				Object.fromEntries(Object.keys(expectedItem(LOW)).map((k) => [k, item.json[k]])),
				expectedItem(LOW),
			);
			return `balance 3.25 → execution ${exec.id} (mode ${exec.mode}) took the true branch and posted ${JSON.stringify(message.text)}; published for the scenario only`;
		},
	};
}

/** The finished execution after `afterId` in which "Warn in Slack" ran. */
async function executionThatWarned(n8n, workflowId, afterId) {
	const deadline = Date.now() + 20_000;
	for (;;) {
		const rows = (await n8n.executionRows(workflowId)).filter(
			(row) => afterId === undefined || Number(row.id) > Number(afterId),
		);
		for (const row of rows.filter((r) => r.status !== 'running' && r.status !== 'new')) {
			const exec = await n8n.execution(row.id);
			if (exec.run.data?.resultData?.runData?.['Warn in Slack']) return exec;
		}
		if (Date.now() > deadline)
			throw new Error(
				`no stored execution of ${workflowId} ran "Warn in Slack" (after ${afterId ?? 'none'})`,
			);
		await new Promise((resolve) => setTimeout(resolve, 300));
	}
}
