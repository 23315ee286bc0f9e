#!/usr/bin/env node
// Runs n8n's community-package scanner (@n8n/scan-community-package) on this
// package, the way n8n's verification does it: once on the source tree and
// once on the tarball `npm pack` produces.
//
// The scanner's CLI only scans packages already published to npm, so this
// script calls its analyser module on local folders instead. The scanner is
// installed into a cache folder outside the clone (it is not a devDependency:
// it brings its own eslint and TypeScript 7, and it must not touch the
// project's lockfile). Override the folder with N8N_SCAN_CACHE.
//
// Needs a built `dist/` (run `npm run build` first). Exits non-zero on any
// violation or if the tarball lacks a file package.json's `n8n` section lists.
//
// Usage: node .ci/scan.mjs

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SCANNER_PACKAGE = '@n8n/scan-community-package';
const SCANNER_VERSION = '0.32.0';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir =
	process.env.N8N_SCAN_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-stepfun-scan');
const scannerDir = path.join(cacheDir, 'node_modules', ...SCANNER_PACKAGE.split('/'));

class ScanError extends Error {}

function fail(message) {
	throw new ScanError(message);
}

function run(command, args, options = {}) {
	const result = spawnSync(command, args, { encoding: 'utf8', ...options });
	if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`);
	if (result.status !== 0) {
		fail(`${command} ${args.join(' ')} exited with ${result.status}\n${result.stderr ?? ''}`);
	}
	return result.stdout;
}

function installedScannerVersion() {
	try {
		return JSON.parse(fs.readFileSync(path.join(scannerDir, 'package.json'), 'utf8')).version;
	} catch {
		return undefined;
	}
}

// 1. The scanner, pinned, in the cache folder.
async function loadScanner() {
	if (installedScannerVersion() !== SCANNER_VERSION) {
		console.log(`scan: installing ${SCANNER_PACKAGE}@${SCANNER_VERSION} into ${cacheDir}`);
		fs.mkdirSync(cacheDir, { recursive: true });
		// Run from the cache folder so this project's .npmrc and lockfile stay out of it.
		run(
			'npm',
			[
				'install',
				'--prefix',
				cacheDir,
				`${SCANNER_PACKAGE}@${SCANNER_VERSION}`,
				'--ignore-scripts',
				'--no-audit',
				'--no-fund',
				'--loglevel=error',
			],
			{ cwd: cacheDir, stdio: ['ignore', 'inherit', 'pipe'] },
		);
		if (installedScannerVersion() !== SCANNER_VERSION) {
			fail(`could not install ${SCANNER_PACKAGE}@${SCANNER_VERSION} into ${cacheDir}`);
		}
	}
	const scanner = await import(pathToFileURL(path.join(scannerDir, 'scanner', 'scanner.mjs')).href);
	if (
		typeof scanner.analyzePackage !== 'function' ||
		!Array.isArray(scanner.SOURCE_FILE_PATTERNS)
	) {
		fail(
			`${SCANNER_PACKAGE}@${SCANNER_VERSION} does not export analyzePackage/SOURCE_FILE_PATTERNS`,
		);
	}
	return scanner;
}

// 2. The tarball, packed and unpacked into a temp folder; returns its folder.
function unpackTarball(tempDir, declared) {
	const packOutput = run(
		'npm',
		['pack', '--json', '--ignore-scripts', '--pack-destination', tempDir],
		{
			cwd: root,
		},
	);
	const [{ filename }] = JSON.parse(packOutput);
	run('tar', ['-xzf', path.join(tempDir, path.basename(filename)), '-C', tempDir]);
	const tarballDir = path.join(tempDir, 'package');
	for (const file of declared) {
		if (!fs.existsSync(path.join(tarballDir, file))) {
			fail(`the tarball ${path.basename(filename)} lacks ${file} (listed in package.json "n8n")`);
		}
	}
	return { tarballDir, tarballName: path.basename(filename) };
}

// 3. Both scans; returns the number of failed scans.
async function main() {
	const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
	const declared = [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])];
	if (declared.length === 0)
		fail('package.json lists no nodes or credentials in its "n8n" section');
	for (const file of declared) {
		if (!fs.existsSync(path.join(root, file))) {
			fail(`${file} (listed in package.json "n8n") is missing: run \`npm run build\` first`);
		}
	}

	const { analyzePackage, SOURCE_FILE_PATTERNS } = await loadScanner();
	// The patterns the scanner's own CLI uses on an unpacked tarball.
	const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

	const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-nodes-stepfun-scan-'));
	try {
		const { tarballDir, tarballName } = unpackTarball(tempDir, declared);
		const scans = [
			{ label: 'source tree', dir: root, patterns: SOURCE_FILE_PATTERNS },
			{ label: `tarball ${tarballName}`, dir: tarballDir, patterns: TARBALL_FILE_PATTERNS },
		];
		let failed = 0;
		for (const { label, dir, patterns } of scans) {
			const result = await analyzePackage(dir, patterns);
			if (result.passed) {
				const note = result.message ? ` (${result.message})` : '';
				console.log(`scan: ${label} (${patterns.join(', ')}): passed${note}`);
			} else {
				failed += 1;
				console.error(`scan: ${label}: FAILED: ${result.message ?? 'unknown reason'}`);
				if (result.details) console.error(result.details);
			}
		}
		return failed;
	} finally {
		fs.rmSync(tempDir, { recursive: true, force: true });
	}
}

try {
	const failed = await main();
	process.exit(failed === 0 ? 0 : 1);
} catch (error) {
	if (!(error instanceof ScanError)) throw error;
	console.error(`scan: ${error.message}`);
	process.exit(1);
}
