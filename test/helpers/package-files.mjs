// File-system and npm access for the tests that read the package's own files, kept out of the linted .ts files (the
// community-node lint rules ban `process`, `node:*` imports and friends in every .ts file); its
// JSDoc types are checked by `npm run typecheck`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding package.json). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * @typedef {object} PackageJson
 * @property {string} [name]
 * @property {string} [version]
 * @property {Record<string, string>} [scripts]
 * @property {string[]} [files]
 * @property {{ nodes?: string[], credentials?: string[] }} [n8n]
 */

/** Whether a file exists, relative to the repository root. @param {string} relativePath */
export function packageFileExists(relativePath) {
	return existsSync(join(packageRoot, relativePath));
}

/** A file's text (UTF-8), relative to the repository root. @param {string} relativePath */
export function readPackageFile(relativePath) {
	return readFileSync(join(packageRoot, relativePath), 'utf8');
}

/**
 * The files below a folder (relative to the repository root, `/`-separated, sorted).
 * @param {string} relativeDir
 * @returns {string[]}
 */
export function listPackageFiles(relativeDir) {
	/** @type {(dir: string) => string[]} */
	const walk = (dir) =>
		readdirSync(join(packageRoot, dir), { withFileTypes: true }).flatMap((entry) =>
			entry.isDirectory() ? walk(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`],
		);
	return walk(relativeDir).sort();
}

/** The parsed package.json. @returns {PackageJson & Record<string, unknown>} */
export function readPackageJson() {
	return JSON.parse(readPackageFile('package.json'));
}

/**
 * The paths (relative, `/`-separated, sorted) that `npm pack` would put in the tarball, from
 * `npm pack --dry-run --json`. Lifecycle scripts are skipped: this only lists, it builds nothing.
 * @returns {string[]}
 */
export function packedFiles() {
	const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
		cwd: packageRoot,
		encoding: 'utf8',
		maxBuffer: 16 * 1024 * 1024,
	});
	if (result.error) throw result.error;
	if (result.status !== 0) {
		throw new Error(`npm pack --dry-run exited with ${result.status}: ${result.stderr}`);
	}
	/** @type {[{ files: Array<{ path: string }> }]} */
	const [pack] = JSON.parse(result.stdout);
	return pack.files.map((file) => file.path.replace(/\\/g, '/')).sort();
}
