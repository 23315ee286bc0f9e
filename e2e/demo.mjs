#!/usr/bin/env node
// `npm run demo`: try the node without a StepFun account. Starts n8n 2.41.1 (prepared
// by e2e/prepare.mjs), installs this package from `npm pack` as a community package,
// starts the local StepFun stand-in (test/stand-in), creates a credential pointing at
// it, imports the examples and a ready-to-run workflow, and sets up a login.
//
// Env: N8N_PORT (default 5678, or a free port), DEMO_FOLDER (default <cache>/demo; it
// is reset on every run).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { startStandIn } from '../test/stand-in/server.mjs';
import { CACHE, LINES, prepare } from './prepare.mjs';
import { exampleForExecution, EXAMPLE_FILES_DIR, loadExamples } from './lib/examples.mjs';
import { N8n } from './lib/n8n.mjs';
import { build, pack } from './lib/pack.mjs';
import { freePort, stopAll } from './lib/proc.mjs';
import * as wf from './lib/workflows.mjs';

const line = LINES.find((l) => l.id === 'current');
const folder = process.env.DEMO_FOLDER || join(CACHE, 'demo');
const LOGIN = {
	email: 'demo@example.com',
	firstName: 'Demo',
	lastName: 'User',
	password: 'Demo-Passw0rd',
};

console.log(
	`[demo] preparing n8n ${line.version} (cached in ${CACHE}; the first run installs it, a few minutes)`,
);
await prepare({ lines: [line], tools: false });
if (!process.env.E2E_PACKAGE_TGZ) {
	console.log('[demo] building and packing the package (npm run build, npm pack)');
	await build();
}
const tgz = await pack();

const standIn = await startStandIn({ apiKey: 'demo-key-for-the-local-stand-in' });
rmSync(folder, { recursive: true, force: true });
mkdirSync(join(folder, 'files'), { recursive: true });
const port = Number(process.env.N8N_PORT) || (await freePort(5678));
const n8n = new N8n(line, {
	label: 'n8n',
	userFolder: folder,
	port,
	env: { N8N_RESTRICT_FILE_ACCESS_TO: join(folder, 'files') },
});

async function shutdown(code) {
	await n8n.stop().catch(() => {});
	await standIn.close().catch(() => {});
	await stopAll();
	process.exit(code);
}

try {
	await n8n.init();
	await n8n.installTarball(tgz);
	if (!process.env.E2E_PACKAGE_TGZ) rmSync(dirname(tgz), { recursive: true, force: true });
	// The examples refer to a credential "StepFun account" (id stepfunExampleCred):
	// this demo creates it, pointing at the stand-in.
	const cred = wf.credential({
		id: 'stepfunExampleCred',
		name: 'StepFun account',
		apiKey: standIn.apiKey,
		baseUrl: standIn.baseUrl,
	});
	await n8n.importCredentials([cred]);
	const tryIt = {
		...wf.panelShowcase({ cred, id: 'stepfunDemoTryIt' }),
		name: 'Try StepFun: generate, then edit',
	};
	const examples = loadExamples().map((ex) => {
		const copy = exampleForExecution(ex, { filesDir: join(folder, 'files') });
		// Keep the shipped names and paths, but let files land in the demo folder.
		const workflow = JSON.parse(
			JSON.stringify(ex.raw).replaceAll(EXAMPLE_FILES_DIR, join(folder, 'files')),
		);
		return { ...copy, workflow: { ...workflow, id: copy.workflow.id } };
	});
	await n8n.importWorkflows([tryIt, ...examples.map((e) => e.workflow)]);
	const webhookExample = examples.find((e) =>
		e.workflow.nodes.some((n) => n.type === 'n8n-nodes-base.webhook'),
	);
	// The form example that needs no other account (the shipped one: its path, not the copy's).
	const formExample = examples.find((e) => e.execute === 'form');
	for (const live of [webhookExample, formExample].filter(Boolean))
		await n8n.activate(live.workflow.id);
	console.log(`[demo] starting n8n on port ${port}`);
	await n8n.start({ timeoutMs: 180_000 });
	await n8n.setupOwner(LOGIN);
	for (const live of [webhookExample, formExample].filter(Boolean))
		await n8n.waitForPublished(live.workflow.id).catch(() => {});
	const formPath = formExample?.workflow.nodes.find((n) => n.type === 'n8n-nodes-base.formTrigger')
		?.parameters.options.path;
	const hook = webhookExample?.workflow.nodes.find((n) => n.type === 'n8n-nodes-base.webhook')
		?.parameters.path;

	console.log(`
============================================================================
  StepFun Image for n8n: demo running

  Editor:   http://127.0.0.1:${port}/workflow/${tryIt.id}
  Log in:   ${LOGIN.email} / ${LOGIN.password}

  IMAGES COME FROM A LOCAL STAND-IN of the StepFun API
  (${standIn.baseUrl}, generated test patterns): no StepFun account is
  used and nothing is billed.

  Open "${tryIt.name}" and click "Execute workflow". The examples are
  imported too (${examples.map((e) => e.file).join(', ')}).${
		hook
			? `
  The webhook example is active:
    curl -F image=@photo.png -F 'prompt=Make it winter' -o edited.png \\
      http://127.0.0.1:${port}/webhook/${hook}`
			: ''
	}${
		formPath
			? `
  The form example is active: open http://127.0.0.1:${port}/form/${formPath}
  in a browser, pick a photo, and the edited photo downloads.`
			: ''
	}

  To use the real StepFun API: Overview → Credentials → "StepFun account":
  paste your API key, choose Region "International (api.stepfun.ai)" or
  "China (api.stepfun.com)" to match where the key was created, Save.

  Data lives in ${folder} (reset by the next npm run demo).
  Ctrl+C stops n8n and the stand-in.
============================================================================
`);
	const code = await n8n.proc.exited;
	console.error(`[demo] n8n exited (${code})`);
	await shutdown(1);
} catch (err) {
	console.error(`[demo] ${err?.stack ?? err}`);
	if (n8n.proc) console.error(n8n.output().slice(-3000));
	await shutdown(1);
}
