// 9. An n8n 2.x behaviour, reproduced with n8n's own nodes and credentials only: in a
// workflow with `binaryMode: "combined"`, a credential whose `authenticate` is the
// declarative generic kind (an expression such as `=Bearer {{$credentials.accessToken}}`)
// cannot be applied: the node fails before sending with "Node '<itself>' hasn't been
// executed". Manual Trigger → Set → three HTTP Request nodes side by side, aimed at a
// loopback host: Airtable token (generic expression), OpenAI (`authenticate` is a
// function), Bearer Auth (the HTTP Request node writes the header itself). The same
// workflow without the setting is the control.
//
// This documents n8n, not our node: when the Airtable branch gets through, the scenario
// passes and says that n8n fixed it. It fails only when the reproduction itself breaks
// (the control, or a branch that has always worked, no longer sends its header).
import assert from 'node:assert/strict';

import { whyFailed } from '../lib/checks.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import * as wf from '../lib/workflows.mjs';

const TITLE =
	"9 combined binary mode, n8n's own credentials: HTTP Request with Airtable token (generic expression) vs OpenAI (function) vs Bearer Auth";

const CREDENTIALS = [
	{
		branch: 'Airtable token (generic expression)',
		cred: {
			id: 'e2eAirtableToken',
			name: 'Airtable token (e2e)',
			type: 'airtableTokenApi',
			data: { accessToken: 'pat-e2e-airtable' },
		},
		header: 'Bearer pat-e2e-airtable',
		generic: true,
	},
	{
		branch: 'OpenAI (function)',
		cred: {
			id: 'e2eOpenAiApiKey1',
			name: 'OpenAI (e2e)',
			type: 'openAiApi',
			data: { apiKey: 'sk-e2e-openai', url: 'https://api.openai.com/v1' },
		},
		header: 'Bearer sk-e2e-openai',
	},
	{
		branch: 'Bearer Auth (set by the node)',
		cred: {
			id: 'e2eBearerToken01',
			name: 'Bearer (e2e)',
			type: 'httpBearerAuth',
			data: { token: 'e2e-bearer-token' },
		},
		header: 'Bearer e2e-bearer-token',
	},
];

export default function combinedCredentialWall(ctx) {
	const { n8n, line, full, hosts } = ctx;
	if (!full) return undefined;
	if (!n8n.hasCombinedBinaryMode)
		return {
			title: TITLE,
			stage: 'cli',
			skip: wf.noCombinedMode(line.version),
		};
	const build = (id, mode, settings) =>
		wf.httpRequestPerCredential({
			id,
			name: `E2E ${mode}: HTTP Request per credential`,
			settings,
			branches: CREDENTIALS.map((c, i) => ({
				name: c.branch,
				cred: c.cred,
				url: `${hosts.echo.url}/${mode}/${i}`,
			})),
		});
	const combined = build('e2eWallCombined1', 'combined', wf.COMBINED);
	const separate = build('e2eWallSeparate1', 'separate', {});
	return {
		title: TITLE,
		stage: 'cli',
		credentials: CREDENTIALS.map((c) => c.cred),
		workflows: [combined, separate],
		async run() {
			const control = await observe(n8n, hosts.echo, separate, 'separate');
			for (const o of control)
				assert.equal(
					o.sent,
					o.header,
					`control (default binary mode), ${o.branch}: ${o.error ?? 'header differs'}`,
				);
			const seen = await observe(n8n, hosts.echo, combined, 'combined');
			for (const o of seen.filter((x) => !x.generic))
				assert.equal(
					o.sent,
					o.header,
					`combined mode, ${o.branch}: ${o.error ?? 'header differs'}`,
				);
			const wall = seen.find((x) => x.generic);
			const verdict =
				wall.sent === wall.header
					? `n8n fixed it: in n8n ${line.version}${n8n.expressionEngineNote} the generic-expression credential is applied in combined mode too`
					: !wall.sent &&
						  new RegExp(`Node '${escape(wall.branch)}' hasn't been executed`).test(
								wall.error ?? '',
						  )
						? `still there in n8n ${line.version}: "${wall.branch}" failed before sending: "${wall.error}"`
						: `n8n ${line.version} behaves differently now: sent ${wall.sent ?? 'nothing'}, error ${wall.error ?? 'none'}`;
			return [
				verdict,
				'control without the setting: all three sent their header',
				`combined mode: ${seen
					.filter((x) => !x.generic)
					.map((x) => x.branch)
					.join(' and ')} sent theirs`,
			].join('\n');
		},
	};
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Run `workflow` once; per branch, the Authorization header the host got and the node's error. */
async function observe(n8n, host, workflow, mode) {
	host.requests.length = 0;
	const r = await n8n.execute(workflow.id);
	assert.ok(r.run, `no run data (${mode}, exit ${r.code}): ${whyFailed(r)}`);
	return CREDENTIALS.map((c, i) => {
		const got = host.requests.find((q) => q.url === `/${mode}/${i}`);
		const [item] = nodeOutput(r.run, c.branch) ?? [];
		const error = item?.json?.error;
		return {
			...c,
			sent: got?.headers.authorization,
			error: typeof error === 'string' ? error : error?.message,
		};
	});
}
