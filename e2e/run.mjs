#!/usr/bin/env node
// End-to-end tests in real n8n (`npm run test:e2e`). For each n8n line prepared by
// e2e/prepare.mjs and each binary data mode: a temporary user folder, a free port, the
// `npm pack` tarball installed as a community package, the StepFun stand-in on loopback,
// and the scenarios of e2e/scenarios/ (listed in e2e/scenarios/index.mjs). Every
// process is stopped by PID at the end.
//
// Per instance: setup (install the tarball, import what the scenarios declare, publish
// the workflows they activate), the `cli` scenarios (`n8n execute`), `n8n start` with the
// owner set up, then the `server` scenarios (webhooks, forms, REST, the editor).
//
// Options:  --line current|older|<version>   (repeatable; default: all lines)
//           --mode filesystem|default|database (repeatable; default: filesystem, default)
//           --only <text>     (repeatable) only the scenarios whose title contains it, e.g. 19d
//           --no-build        use dist/ as it is (default: `npm run build` first)
//           --no-prepare      fail instead of installing n8n if it is not prepared
//           --no-screenshots  skip the browser test
//           --update-screenshots  write the screenshots to docs/ (default: e2e/.artifacts/)
// Env:      E2E_CACHE, E2E_PACKAGE_TGZ (test this tarball), E2E_VERBOSE=1 (n8n logs),
//           E2E_KEEP=1 (keep temp user folders), E2E_REQUIRE_SCREENSHOTS=1 (CI).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { startLoopbackServer } from '../test/helpers/loopback-server.mjs';
import { makePng, startStandIn } from '../test/stand-in/server.mjs';
import { isLineReady, LINES, prepare, selectLines } from './prepare.mjs';
import { startGallery } from './lib/gallery.mjs';
import { N8n } from './lib/n8n.mjs';
import { startOpenAiStandIn } from './lib/openai-stand-in.mjs';
import { build, pack, REPO } from './lib/pack.mjs';
import { stopAll } from './lib/proc.mjs';
import { createReport, secs } from './lib/report.mjs';
import { CLIENT_NAME } from './lib/upload.mjs';
import * as wf from './lib/workflows.mjs';
import { SCENARIOS } from './scenarios/index.mjs';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const multi = (flag) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
const opt = {
	lines: multi('--line'),
	modes: multi('--mode'),
	only: multi('--only'),
	build: !argv.includes('--no-build'),
	prepare: !argv.includes('--no-prepare'),
	screenshots: !argv.includes('--no-screenshots'),
	screenshotDir: argv.includes('--update-screenshots')
		? join(REPO, 'docs')
		: process.env.E2E_SCREENSHOTS_DIR || join(REPO, 'e2e', '.artifacts', 'screenshots'),
};
const modes = () => (opt.modes.length ? opt.modes : ['filesystem', 'default']);

const { scenario, skip, run } = createReport();

// ---------------------------------------------------------------- one n8n instance
/**
 * The scenarios for one instance: what each factory in SCENARIOS returns for `ctx`
 * (nothing, one scenario or several), in the order listed.
 */
function scenariosFor(ctx) {
	const all = SCENARIOS.flatMap((make) => [make(ctx)].flat()).filter(Boolean);
	if (!opt.only.length) return all;
	return all.filter((s) => opt.only.some((text) => s.title.includes(text)));
}

/** Each object once, in the order first listed (scenarios may share a credential or workflow). */
const once = (list) => [...new Set(list)];

async function runStage(ctx, scenarios, stage) {
	for (const s of scenarios.filter((x) => x.stage === stage)) {
		if (s.when && !s.when(ctx)) continue;
		const name = `${ctx.tag} · ${s.title}`;
		if (s.skip) skip(name, s.skip);
		else await scenario(name, s.run);
	}
}

async function runInstance(line, mode, full, tgz, shared) {
	const tag = `n8n ${line.version} · ${mode}`;
	const n8n = new N8n(line, { label: tag, binaryDataMode: mode });
	await n8n.init();
	/** What every scenario factory gets; `state` carries results from one scenario to a later one. */
	const ctx = { tag, line, mode, full, n8n, opt, state: {}, ...shared };
	const scenarios = scenariosFor(ctx);
	const credentials = once(scenarios.flatMap((s) => s.credentials ?? []));
	const workflows = once(scenarios.flatMap((s) => s.workflows ?? []));
	const activated = once(scenarios.flatMap((s) => (s.activate ?? []).map((w) => w.id)));
	const published = once([
		...activated,
		...scenarios.flatMap((s) => (s.tryActivate ?? []).map((w) => w.id)),
	]);
	try {
		const ready = await scenario(
			`${tag} · setup: install the npm pack tarball, import credentials and workflows`,
			async () => {
				await n8n.installTarball(tgz);
				await n8n.importCredentials(credentials);
				await n8n.importWorkflows(workflows);
				for (const id of published) await n8n.activate(id);
				return `user folder ${n8n.userFolder}, port ${n8n.port}, package in .n8n/nodes/node_modules/n8n-nodes-stepfun`;
			},
		);
		if (!ready) return;

		await runStage(ctx, scenarios, 'cli');

		const started = await scenario(
			`${tag} · start n8n, owner set up (REST), webhook/form/schedule workflows live`,
			async () => {
				const s = Date.now();
				await n8n.start({ owner: true, waitForActive: activated });
				return `${n8n.baseUrl} up and ${activated.length} workflow(s) live in ${secs(Date.now() - s)}`;
			},
		);
		if (!started) return;

		await runStage(ctx, scenarios, 'server');
	} finally {
		const s = Date.now();
		await n8n.dispose();
		if (process.env.E2E_VERBOSE) console.log(`      stopped ${tag} in ${secs(Date.now() - s)}`);
	}
}

// ---------------------------------------------------------------- main
async function main() {
	const lines = selectLines(opt.lines);
	if (!lines.length)
		throw new Error(
			`no n8n line matches ${opt.lines.join(', ')} (have: ${LINES.map((l) => `${l.id}=${l.version}`).join(', ')})`,
		);
	console.log(
		`e2e: n8n ${lines.map((l) => l.version).join(', ')}; package from npm pack; client ${CLIENT_NAME}`,
	);
	if (opt.prepare) await prepare({ lines, tools: opt.screenshots });
	else
		for (const l of lines)
			if (!isLineReady(l))
				throw new Error(`n8n ${l.version} is not prepared: run node e2e/prepare.mjs`);
	if (opt.build && !process.env.E2E_PACKAGE_TGZ) {
		const s = Date.now();
		await build();
		console.log(`built dist/ in ${secs(Date.now() - s)}`);
	}
	const tgz = await pack();
	console.log(`package: ${tgz}`);
	if (!process.env.E2E_PACKAGE_TGZ)
		process.on('exit', () => rmSync(dirname(tgz), { recursive: true, force: true }));

	const keys = {
		good: `sk-e2e-good-${randomBytes(12).toString('hex')}`,
		bad: `sk-e2e-wrong-${randomBytes(12).toString('hex')}`,
	};
	const standIn = await startStandIn({ apiKey: keys.good });
	// Plain web servers on loopback: one holding a photo (Edit's Image Source "URL"), one
	// answering `{}` to anything (the target of n8n's own HTTP Request node).
	const photo = makePng(120, 80, 'e2e photo from a URL');
	const hosts = {
		photo: await startLoopbackServer(() => ({
			headers: { 'content-type': 'image/png' },
			body: photo,
		})),
		echo: await startLoopbackServer(),
		// Corpus photos by path (Analyze's Image URLs, the agent's links), and a scripted
		// OpenAI-compatible model for n8n's OpenAI Chat Model in an AI Agent.
		gallery: await startGallery(),
		openAi: await startOpenAiStandIn(),
	};
	hosts.photo.bytes = photo;
	const creds = {
		good: wf.credential({
			id: 'stepfunE2eGood01',
			name: 'StepFun (stand-in)',
			apiKey: keys.good,
			baseUrl: standIn.baseUrl,
		}),
		bad: wf.credential({
			id: 'stepfunE2eBad001',
			name: 'StepFun (wrong key)',
			apiKey: keys.bad,
			baseUrl: `${standIn.baseUrl}/v1/`,
		}),
		example: wf.credential({
			id: 'stepfunExampleCred',
			name: 'StepFun account',
			apiKey: keys.good,
			baseUrl: standIn.baseUrl,
		}),
	};
	try {
		for (const line of lines)
			for (const [i, mode] of modes().entries())
				await runInstance(line, mode, i === 0, tgz, { standIn, hosts, keys, creds });
	} finally {
		await standIn.close();
		for (const host of Object.values(hosts)) await host.close();
		await stopAll();
	}
}

await run('e2e', main);
