// 10. Another n8n 2.x behaviour of the combined binary mode, with n8n's own nodes only:
// Webhook → Set → Convert to File → Respond to Webhook "Binary File" cannot answer with
// the file ("No binary data exists on the first item!": the node looks only at
// `item.binary`, which this mode empties when the file is stored). The same workflow
// without the setting is the control. Like scenario 9 this documents n8n: when the
// combined variant answers with the file, it passes and says that n8n fixed it.
import assert from 'node:assert/strict';

import { makePng } from '../../test/stand-in/server.mjs';
import * as wf from '../lib/workflows.mjs';

const TITLE =
	'10 combined binary mode, n8n\'s own nodes: Convert to File → Respond to Webhook "Binary File"';

export default function combinedRespondBinary(ctx) {
	const { n8n, line, mode, full } = ctx;
	if (!full) return undefined;
	const skipped = (why) => ({ title: TITLE, stage: 'server', skip: why });
	if (!n8n.hasCombinedBinaryMode) return skipped(wf.noCombinedMode(line.version));
	if (mode === 'default')
		return skipped('with in-memory binary data the combined mode leaves files in item.binary');
	const png = makePng(64, 48, 'respond');
	const build = (variant, inputFieldName, settings) =>
		wf.fileToRespondToWebhook({
			id: `e2eRespond${variant}`.padEnd(16, '0'),
			path: `e2e-respond-${variant}`,
			base64: png.toString('base64'),
			inputFieldName,
			settings,
		});
	const combined = build('Combined', '_files.data', wf.COMBINED);
	const separate = build('Separate', 'data', {});
	const get = async (workflow) => {
		const res = await fetch(`${n8n.baseUrl}/webhook/${workflow.nodes[0].parameters.path}`);
		const body = Buffer.from(await res.arrayBuffer());
		return { status: res.status, body, same: body.equals(png) };
	};
	return {
		title: TITLE,
		stage: 'server',
		workflows: [combined, separate],
		activate: [combined, separate],
		async run() {
			const control = await get(separate);
			assert.ok(
				control.status === 200 && control.same,
				`control (default binary mode) did not answer with the file: ${control.status} ${control.body.toString('utf8').slice(0, 200)}`,
			);
			const seen = await get(combined);
			const [exec] = await n8n.executions(combined.id);
			const error = exec?.run?.data?.resultData?.error;
			const verdict =
				seen.status === 200 && seen.same
					? `n8n fixed it: n8n ${line.version} answers with the file in combined mode too`
					: /No binary data exists on the first item/.test(error?.message ?? '')
						? `still there in n8n ${line.version}: the webhook answered ${seen.status}, ${error.node?.name}: "${error.message}"`
						: `n8n ${line.version} behaves differently now: ${seen.status} ${seen.body.toString('utf8').slice(0, 120)}${error ? `, ${error.message}` : ''}`;
			return `${verdict}\ncontrol without the setting: answered with the file (${png.length} B)`;
		},
	};
}
