// The package under test, as a user's n8n gets it: `npm pack` of the built repo.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runCommand } from './proc.mjs';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** `npm run build` in the repo (the same build `npm test` runs). */
export async function build() {
	const r = await runCommand('npm', ['run', 'build', '--silent'], {
		cwd: REPO,
		timeoutMs: 600_000,
	});
	if (r.code !== 0)
		throw new Error(`npm run build failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}

/**
 * Returns the path of the tarball to install: $E2E_PACKAGE_TGZ if set, else a fresh
 * `npm pack` of the repo into a temp folder.
 */
export async function pack() {
	if (process.env.E2E_PACKAGE_TGZ) return resolve(process.env.E2E_PACKAGE_TGZ);
	if (!existsSync(join(REPO, 'dist', 'nodes', 'StepFunImage', 'StepFunImage.node.js'))) {
		throw new Error('dist/ is not built: run `npm run build` first (or drop --no-build)');
	}
	const dest = mkdtempSync(join(tmpdir(), 'stepfun-e2e-pack-'));
	const r = await runCommand(
		'npm',
		['pack', '--json', '--ignore-scripts', '--pack-destination', dest],
		{ cwd: REPO, timeoutMs: 120_000 },
	);
	if (r.code !== 0) throw new Error(`npm pack failed:\n${r.stderr.slice(-3000)}`);
	const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
	return join(dest, info[0].filename);
}
