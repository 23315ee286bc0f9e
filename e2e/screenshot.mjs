#!/usr/bin/env node
// The n8n editor in Debian's Chromium, driven by playwright-core (installed by
// e2e/prepare.mjs into the cache, never downloading a browser): opens a workflow with a
// StepFun Image node for Generate, one for Edit and one for Analyze, opens each node's panel,
// asserts the field labels a user must see, and saves PNG screenshots to docs/.
//
// Used by e2e/scenarios/editor-screenshots.mjs (scenario 7). Standalone: `node e2e/screenshot.mjs` starts its own
// n8n 2.41.1 + stand-in (package from `npm pack`, dist/ must be built).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { CHROMIUM, launchChromium } from './lib/browser.mjs';
import { REPO } from './lib/pack.mjs';

export { CHROMIUM };
export const DOCS = join(REPO, 'docs');

/** What a user must see in each panel (labels as rendered). */
export const EXPECTED_LABELS = {
	'Generate Image': ['Credential', 'Resource', 'Operation', 'Model', 'Prompt', 'Size', 'Options'],
	'Edit Image': [
		'Credential',
		'Resource',
		'Operation',
		'Model',
		'Prompt',
		'Input Binary Field',
		'Options',
	],
	'Analyze Image': [
		'Credential',
		'Resource',
		'Operation',
		'Image Source',
		'Input Binary Fields',
		'Model',
		'Prompt',
		'Options',
		'JSON Output',
		'Detail',
	],
};

/** Where each panel's screenshot goes. */
const PANEL_FILES = {
	'Generate Image': 'node-generate.png',
	'Edit Image': 'node-edit.png',
	'Analyze Image': 'node-analyze.png',
};

/** The output fields a panel's JSON view must show after the run (the Edit panel keeps the binary view). */
const OUTPUT_FIELDS = {
	'Generate Image': ['seed', 'finishReason', 'width', 'height'],
	'Analyze Image': ['text', 'parsed', 'caption', 'tags', 'usage', 'finishReason'],
};

/**
 * @param {import('./lib/n8n.mjs').N8n} n8n started, owner set up (n8n.cookie)
 * @param {{ workflowId: string, outDir?: string, execute?: boolean }} opts
 * @returns {Promise<string[]>} what was checked and saved
 */
export async function takeScreenshots(n8n, { workflowId, outDir = DOCS, execute = true }) {
	if (!n8n.cookie) throw new Error('the n8n instance has no owner cookie');
	mkdirSync(outDir, { recursive: true });
	const browser = await launchChromium();
	const done = [];
	try {
		const context = await browser.newContext({
			viewport: { width: 1440, height: 900 },
			deviceScaleFactor: 1,
		});
		await context.addCookies([
			{
				name: 'n8n-auth',
				value: n8n.cookie.slice('n8n-auth='.length),
				domain: '127.0.0.1',
				path: '/',
				httpOnly: true,
				sameSite: 'Lax',
			},
		]);
		const page = await context.newPage();
		const consoleErrors = [];
		page.on('pageerror', (e) => consoleErrors.push(String(e)));
		await page.goto(`${n8n.baseUrl}/workflow/${workflowId}`, {
			waitUntil: 'domcontentloaded',
			timeout: 60_000,
		});
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
		await dismissPopups(page);
		const nodes = await page.locator('[data-test-id="canvas-node"]').count();
		const expectedNodes = Object.keys(EXPECTED_LABELS).length + 1;
		if (nodes < expectedNodes)
			throw new Error(`expected ${expectedNodes} nodes on the canvas, found ${nodes}`);
		// Fit the view so the nodes are centred, then let the canvas settle.
		await page.keyboard.press('1').catch(() => {});
		await page.waitForTimeout(800);
		// The node icon ships in the tarball: the canvas would show a "?" placeholder otherwise.
		for (const name of Object.keys(EXPECTED_LABELS)) {
			const node = page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
			if ((await node.count()) !== 1) throw new Error(`node "${name}" not on the canvas`);
			const img = node.locator('img, svg').first();
			if ((await img.count()) === 0) throw new Error(`node "${name}" shows no icon`);
			const src =
				(await node
					.locator('img')
					.first()
					.getAttribute('src')
					.catch(() => null)) ?? '';
			if (src && !/stepfun|icon|svg|data:/i.test(src))
				throw new Error(`node "${name}" icon src looks wrong: ${src}`);
		}
		// Run the workflow from the editor, as a user clicks "Execute workflow": the
		// panels then show real input and output (images from the stand-in).
		if (execute) {
			const button = page.locator('[data-test-id="execute-workflow-button"]').first();
			await button.click({ timeout: 15_000 });
			const deadline = Date.now() + 60_000;
			let exec;
			for (;;) {
				[exec] = await n8n.executions(workflowId);
				if (exec && exec.status !== 'running' && exec.status !== 'new') break;
				if (Date.now() > deadline)
					throw new Error('the execution started from the editor did not finish within 60 s');
				await page.waitForTimeout(500);
			}
			if (exec.status !== 'success')
				throw new Error(`the execution started from the editor ended with status ${exec.status}`);
			await page.waitForTimeout(1500);
			done.push(`executed from the editor (execution ${exec.id}: ${exec.status})`);
		}
		const canvasFile = join(outDir, 'workflow-canvas.png');
		await page.screenshot({ path: canvasFile });
		done.push(`canvas → ${canvasFile.split('/').pop()}`);

		for (const [name, labels] of Object.entries(EXPECTED_LABELS)) {
			await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).dblclick();
			const panel = page.locator('[data-test-id="ndv"]').first();
			await panel.waitFor({ state: 'visible', timeout: 30_000 });
			await page
				.locator(
					'[data-test-id="ndv"] [data-test-id="parameter-input-prompt"], [data-test-id="ndv"] textarea',
				)
				.first()
				.waitFor({ timeout: 30_000 });
			await page.waitForTimeout(700);
			const text = await panel.innerText();
			const missing = labels.filter((l) => !text.includes(l));
			if (missing.length)
				throw new Error(
					`panel "${name}" lacks labels: ${missing.join(', ')}\n--- panel text ---\n${text.slice(0, 1500)}`,
				);
			if (execute && OUTPUT_FIELDS[name]) {
				// Show the output item as JSON.
				const tableTab = panel.getByText('JSON', { exact: true }).last();
				if (await tableTab.count()) {
					await tableTab.click({ timeout: 5000 });
					// The JSON view renders after the click; on a busy machine that takes a while.
					await page
						.waitForFunction(
							([el, wanted]) => wanted.every((f) => el.innerText.includes(f)),
							[await panel.elementHandle(), OUTPUT_FIELDS[name]],
							{ timeout: 30_000 },
						)
						.catch(() => {});
					const after = await panel.innerText();
					const fields = OUTPUT_FIELDS[name].filter((f) => !after.includes(f));
					if (fields.length)
						throw new Error(`the output JSON of "${name}" lacks ${fields.join(', ')}`);
				}
			}
			const file = join(outDir, PANEL_FILES[name]);
			await page.screenshot({ path: file });
			done.push(`${name}: ${labels.length} labels → ${file.split('/').pop()}`);
			await page.keyboard.press('Escape');
			await panel.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
		}
		if (consoleErrors.length) done.push(`page errors: ${consoleErrors.slice(0, 3).join(' | ')}`);
	} finally {
		await browser.close();
	}
	return done;
}

async function dismissPopups(page) {
	// Fresh instances may greet with a modal or a toast; none must cover the canvas.
	for (const sel of [
		'[data-test-id="close-button"]',
		'.el-dialog__headerbtn',
		'.el-notification__closeBtn',
	]) {
		const loc = page.locator(sel);
		const n = await loc.count().catch(() => 0);
		for (let i = 0; i < n; i++)
			await loc
				.nth(i)
				.click({ timeout: 2000 })
				.catch(() => {});
	}
}

// Standalone
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const { LINES, prepare } = await import('./prepare.mjs');
	const { N8n } = await import('./lib/n8n.mjs');
	const { pack } = await import('./lib/pack.mjs');
	const wf = await import('./lib/workflows.mjs');
	const { analyzeShowcase } = await import('./lib/workflows-analyze.mjs');
	const { startStandIn } = await import('../test/stand-in/server.mjs');
	const { stopAll } = await import('./lib/proc.mjs');
	const line = LINES.find((l) => l.id === 'current');
	await prepare({ lines: [line], tools: true });
	const standIn = await startStandIn({});
	const n8n = new N8n(line, { label: 'n8n screenshot' });
	try {
		await n8n.init();
		const tgz = await pack();
		await n8n.installTarball(tgz);
		if (!process.env.E2E_PACKAGE_TGZ) rmSync(dirname(tgz), { recursive: true, force: true });
		const cred = wf.credential({ apiKey: standIn.apiKey, baseUrl: standIn.baseUrl });
		await n8n.importCredentials([cred]);
		const showcase = analyzeShowcase({ cred });
		await n8n.importWorkflows([showcase]);
		await n8n.start({ owner: true });
		for (const line of await takeScreenshots(n8n, { workflowId: showcase.id })) console.log(line);
	} finally {
		await n8n.dispose();
		await standIn.close();
		await stopAll();
	}
}
