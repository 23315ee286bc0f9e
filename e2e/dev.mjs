#!/usr/bin/env node
// `npm run dev`: n8n 2.41.1 (prepared by e2e/prepare.mjs on Node 24 from the npm
// registry) with this package installed the way a community install lays it out, and
// `tsc --watch` compiling straight into that install; n8n hot-reloads the node
// (N8N_DEV_RELOAD) when the compiled files change.
//
// Why not `n8n-node dev`: it starts `npx n8n@latest`, which needs Node >= 24 and does
// not install from the npm registry alone. Its `--external-n8n` mode only links the
// package under ~/.n8n-node-cli/.n8n/custom (node type CUSTOM.stepFunImage) and runs
// tsc; this script does the same job with the node type users really get
// (n8n-nodes-stepfun.stepFunImage).
//
// Env: N8N_USER_FOLDER (default <cache>/dev: credentials and workflows persist),
//      N8N_PORT (default 5678, or a free port), N8N_LISTEN_ADDRESS (default 127.0.0.1).
import { cpSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { CACHE, LINES, prepare } from './prepare.mjs';
import { N8n, PACKAGE_NAME } from './lib/n8n.mjs';
import { build, REPO } from './lib/pack.mjs';
import { freePort, startProcess, stopAll } from './lib/proc.mjs';

const line = LINES.find((l) => l.id === 'current');
const userFolder = process.env.N8N_USER_FOLDER || join(CACHE, 'dev');

console.log(
	`[dev] preparing n8n ${line.version} (cached in ${CACHE}; the first run installs it, a few minutes)`,
);
await prepare({ lines: [line], tools: false });
console.log('[dev] building the package (npm run build)');
await build();

const port = Number(process.env.N8N_PORT) || (await freePort(5678));
const n8n = new N8n(line, {
	label: 'n8n',
	userFolder,
	port,
	env: {
		N8N_DEV_RELOAD: 'true',
		N8N_LISTEN_ADDRESS: process.env.N8N_LISTEN_ADDRESS || '127.0.0.1',
		N8N_RESTRICT_FILE_ACCESS_TO:
			process.env.N8N_RESTRICT_FILE_ACCESS_TO || join(userFolder, 'files'),
	},
});
await n8n.init();

// The package folder n8n loads: a real folder (not a symlink) so that n8n's hot reload
// sees the same paths as require's cache. package.json and icons are copied; tsc
// writes the JavaScript.
const pkgDir = n8n.packageDir;
if (existsSync(pkgDir) && lstatSync(pkgDir).isSymbolicLink()) rmSync(pkgDir);
mkdirSync(pkgDir, { recursive: true });
cpSync(join(REPO, 'package.json'), join(pkgDir, 'package.json'));
rmSync(join(pkgDir, 'dist'), { recursive: true, force: true });
cpSync(join(REPO, 'dist'), join(pkgDir, 'dist'), { recursive: true });

const tsc = startProcess(
	'tsc',
	process.execPath,
	[
		join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
		'--watch',
		'--preserveWatchOutput',
		'-p',
		join(REPO, 'tsconfig.json'),
		'--outDir',
		join(pkgDir, 'dist'),
	],
	{ cwd: REPO, echo: true },
);

console.log(`[dev] starting n8n ${line.version} (user folder ${userFolder})`);
try {
	n8n.proc = undefined;
	await n8n.start({ timeoutMs: 180_000 });
} catch (err) {
	console.error(String(err.message ?? err));
	await stopAll();
	process.exit(1);
}
// From here on show n8n's own log as it comes.
let shown = n8n.output().length;
setInterval(() => {
	const out = n8n.output();
	if (out.length > shown) process.stdout.write(out.slice(shown).replace(/^(?=.)/gm, '[n8n] '));
	shown = out.length;
}, 500).unref();

console.log(`
  n8n editor:  http://127.0.0.1:${port}
  Package:     ${PACKAGE_NAME} (node type ${PACKAGE_NAME}.stepFunImage), from ${pkgDir}
  Rebuilds:    tsc --watch compiles nodes/ and credentials/ into it; n8n reloads the node
               (reopen the node panel). Icons or package.json changed: restart npm run dev.
  First start: create the owner account in the browser. Data persists in ${userFolder}.
  No StepFun key? Use npm run demo (a local stand-in of the API).
  Ctrl+C stops n8n and tsc.
`);
await Promise.race([n8n.proc.exited, tsc.exited]);
console.error('[dev] n8n or tsc exited; stopping');
await stopAll();
process.exit(1);
