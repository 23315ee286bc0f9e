// Debian's Chromium driven by playwright-core (installed by e2e/prepare.mjs into the cache; no
// browser is ever downloaded), and an n8n form filled in as a person does: open it, pick the
// file, type, submit; what the browser then shows or downloads.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { playwrightCoreDir } from '../prepare.mjs';

export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

/**
 * Why a browser scenario cannot run here, or undefined: `--no-screenshots` (no browser, and
 * playwright-core not prepared) or no Chromium (CI sets E2E_REQUIRE_SCREENSHOTS=1, so there a
 * missing Chromium fails instead).
 */
export function noBrowser(opt) {
	if (!opt.screenshots) return '--no-screenshots: no browser';
	if (!existsSync(CHROMIUM) && !process.env.E2E_REQUIRE_SCREENSHOTS)
		return `${CHROMIUM} not installed (apt-get install -y chromium); CI sets E2E_REQUIRE_SCREENSHOTS=1`;
	return undefined;
}

/** A headless Chromium; the caller closes it. */
export async function launchChromium() {
	if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
	const dir = playwrightCoreDir();
	if (!existsSync(dir))
		throw new Error(`playwright-core is not installed in ${dir}: run node e2e/prepare.mjs`);
	const mod = await import(pathToFileURL(join(dir, 'index.mjs')).href);
	const chromium = mod.chromium ?? mod.default.chromium;
	return chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-dev-shm-usage',
		],
	});
}

/**
 * A page that remembers the type of every Blob a script of it turns into a link (how n8n's form
 * ending hands a file to the browser), in `window.__blobTypes`, and every download it starts.
 */
export async function formPage(browser) {
	const context = await browser.newContext({ acceptDownloads: true });
	await context.addInitScript(() => {
		const original = URL.createObjectURL;
		window.__blobTypes = [];
		URL.createObjectURL = function (blob) {
			window.__blobTypes.push(blob.type);
			return original.call(this, blob);
		};
	});
	const page = await context.newPage();
	const downloads = [];
	page.on('download', (download) => downloads.push(download));
	return { page, downloads };
}

/**
 * Fills the form shown on `page` as a person does, each field by its label: a file ({ name,
 * mimeType, buffer }) is picked, text is typed. Then clicks the submit button.
 */
export async function fillAndSubmit(page, fields) {
	await page.waitForSelector('#submit-btn', { timeout: 60_000 });
	for (const [label, value] of Object.entries(fields)) {
		const field = page.getByLabel(label, { exact: true });
		if (typeof value === 'string') await field.fill(value);
		else await field.setInputFiles(value);
	}
	await page.click('#submit-btn');
}

/** The file the page downloads (waits for it): its suggested name, bytes and Blob type. */
export async function downloaded(page, downloads, timeoutMs = 90_000) {
	const download = downloads[0] ?? (await page.waitForEvent('download', { timeout: timeoutMs }));
	const bytes = readFileSync(await download.path());
	const blobTypes = await page.evaluate(() => window.__blobTypes);
	return { name: download.suggestedFilename(), bytes, blobTypes };
}
