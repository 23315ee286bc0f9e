/**
 * The published package and its release machinery:
 * - the tarball (`npm pack --dry-run`) holds exactly what n8n needs at run time: compiled JS of
 *   the node and credential, the node's codex, the icons, README, LICENSE, package.json; no
 *   TypeScript sources, source maps, build info or tests. Needs a built `dist/` (`npm test`
 *   builds before it runs vitest).
 * - the GitHub workflows are well-formed (no template leftovers) and every `npm run X` they
 *   call, directly or through a script file they run, names a real package.json script.
 */
import { describe, expect, it } from 'vitest';

import {
	packageFileExists,
	packedFiles,
	readPackageFile,
	readPackageJson,
} from './helpers/package-files.mjs';

const NODE_JS = 'dist/nodes/StepFunImage/StepFunImage.node.js';
const CREDENTIAL_JS = 'dist/credentials/StepFunApi.credentials.js';
const CODEX = 'dist/nodes/StepFunImage/StepFunImage.node.json';
const ICON_LIGHT = 'dist/icons/stepfun.svg';
const ICON_DARK = 'dist/icons/stepfun.dark.svg';

/** Every file in the tarball matches one of these. */
const ALLOWED = [
	/^package\.json$/,
	/^README\.md$/,
	/^LICENSE$/,
	// Compiled node code: the node class and the modules it imports (actions, transport, ...).
	/^dist\/nodes\/StepFunImage\/(?:[\w.-]+\/)*[\w.-]+\.js$/,
	/^dist\/credentials\/[\w.-]+\.js$/,
	/^dist\/nodes\/StepFunImage\/StepFunImage\.node\.json$/,
	/^dist\/icons\/stepfun(?:\.dark)?\.svg$/,
];

/** No file in the tarball matches any of these (a second net under the allow-list). */
const FORBIDDEN = [
	/\.ts$/, // sources and .d.ts declarations
	/\.map$/,
	/tsbuildinfo/,
	/(?:^|\/)(?:test|tests|__tests__|e2e)\//,
	/\.(?:test|spec)\.[cm]?js$/,
];

const REQUIRED = [
	'package.json',
	'README.md',
	'LICENSE',
	NODE_JS,
	CREDENTIAL_JS,
	CODEX,
	ICON_LIGHT,
	ICON_DARK,
];

describe('npm tarball', () => {
	const built = packageFileExists(NODE_JS) && packageFileExists(CREDENTIAL_JS);
	const files = built ? packedFiles() : [];

	it('is built before this test runs (npm test builds first)', () => {
		expect(built, `${NODE_JS} or ${CREDENTIAL_JS} is missing: run \`npm run build\``).toBe(true);
	});

	it('holds only files on the allow-list', () => {
		const unexpected = files.filter((file) => !ALLOWED.some((pattern) => pattern.test(file)));
		expect(unexpected).toEqual([]);
	});

	it('holds no sources, source maps, build info or tests', () => {
		const forbidden = files.filter((file) => FORBIDDEN.some((pattern) => pattern.test(file)));
		expect(forbidden).toEqual([]);
	});

	it('holds every required file', () => {
		expect(files).toEqual(expect.arrayContaining(REQUIRED));
	});

	it('holds every file package.json lists in its "n8n" section', () => {
		const { n8n } = readPackageJson();
		const declared = [...(n8n?.nodes ?? []), ...(n8n?.credentials ?? [])];
		expect(declared).toEqual(expect.arrayContaining([NODE_JS, CREDENTIAL_JS]));
		expect(files).toEqual(expect.arrayContaining(declared));
	});
});

// ---------------------------------------------------------------------------------------------
// A minimal reading of the workflow YAML: enough for these two files, not a YAML parser.

/** The shell text of every `run:` step: plain, quoted, or a `|` / `>` block. */
function runCommands(yaml: string): string[] {
	const lines = yaml.split('\n');
	const commands: string[] = [];
	for (let i = 0; i < lines.length; i++) {
		const match = /^(\s*)(?:-\s+)?run:\s*(.*?)\s*$/.exec(lines[i]);
		if (!match) continue;
		const indent = match[1].length;
		const value = match[2];
		if (/^[|>][-+0-9]*$/.test(value)) {
			const block: string[] = [];
			while (i + 1 < lines.length) {
				const next = lines[i + 1];
				const nextIndent = next.length - next.trimStart().length;
				if (next.trim() !== '' && nextIndent <= indent) break;
				block.push(next.trim());
				i++;
			}
			commands.push(block.join('\n').trim());
		} else {
			commands.push(value.replace(/\s+#.*$/, '').replace(/^(['"])(.*)\1$/, '$2'));
		}
	}
	return commands;
}

/** Script names a shell text runs through npm: `npm run X`, `npm run-script X`, `npm test`. */
function npmScriptsCalled(shell: string): string[] {
	const names: string[] = [];
	for (const match of shell.matchAll(/\bnpm\s+(?:run|run-script)\s+([\w:.-]+)/g)) {
		names.push(match[1]);
	}
	for (const match of shell.matchAll(/\bnpm\s+(test|start|stop|restart)\b/g)) {
		names.push(match[1]);
	}
	return names;
}

/** Repository files a shell text runs: `bash FILE`, `sh FILE`, `node FILE`. */
function filesRun(shell: string): string[] {
	return [...shell.matchAll(/\b(?:bash|sh|node)\s+([\w./-]+)/g)]
		.map((match) => match[1].replace(/^\.\//, ''))
		.filter((file) => !file.startsWith('-'));
}

describe('minimal workflow reader', () => {
	it('reads plain, quoted, commented and block `run:` values', () => {
		const yaml = [
			'jobs:',
			'  a:',
			'    steps:',
			'      - run: npm ci',
			"      - run: 'npm run lint' # lint",
			'      - name: x',
			'        run: |',
			'          if [ -n "$X" ]; then',
			'            npm run build',
			'          fi',
			'        env:',
			'          X: ${{ secrets.X }}',
		].join('\n');
		expect(runCommands(yaml)).toEqual([
			'npm ci',
			'npm run lint',
			'if [ -n "$X" ]; then\nnpm run build\nfi',
		]);
		expect(npmScriptsCalled('npm ci && npm run build && npm test')).toEqual(['build', 'test']);
		expect(filesRun('bash .ci/run && node .ci/scan.mjs')).toEqual(['.ci/run', '.ci/scan.mjs']);
	});
});

describe.each(['.github/workflows/ci.yml', '.github/workflows/publish.yml'])('%s', (workflow) => {
	const yaml = packageFileExists(workflow) ? readPackageFile(workflow) : '';
	const scripts = readPackageJson().scripts ?? {};

	it('exists', () => {
		expect(yaml).not.toBe('');
	});

	it('has no template leftovers or broken ${{ }} expressions', () => {
		const lines = yaml.split('\n');
		expect(lines.filter((line) => /\t/.test(line))).toEqual([]);
		// Handlebars leftovers (`{{packageManager.name}}`): a `{{` that is not part of `${{`.
		expect(lines.filter((line) => /(?<!\$)\{\{/.test(line))).toEqual([]);
		// An expression eaten by the template engine leaves a bare `$` (`group: ci-$`).
		expect(lines.filter((line) => /\$['"]?\s*$/.test(line))).toEqual([]);
		// Every `${{` opens a non-empty expression closed on the same line.
		const opened = (line: string) => line.match(/\$\{\{/g)?.length ?? 0;
		const closed = (line: string) => line.match(/\$\{\{\s*[^{}\s][^{}]*\}\}/g)?.length ?? 0;
		expect(lines.filter((line) => opened(line) !== closed(line))).toEqual([]);
	});

	it('calls only real package scripts, also through the files it runs', () => {
		const commands = runCommands(yaml);
		expect(commands.length).toBeGreaterThan(0);
		const shells = [...commands];
		for (const file of commands.flatMap(filesRun)) {
			expect(packageFileExists(file), `${workflow} runs ${file}, which does not exist`).toBe(true);
			if (!/\.[cm]?js$/.test(file)) shells.push(readPackageFile(file));
		}
		const called = shells.flatMap(npmScriptsCalled);
		const missing = called.filter((name) => !(name in scripts));
		expect(missing).toEqual([]);
	});
});

describe('workflow content', () => {
	const ci = packageFileExists('.github/workflows/ci.yml')
		? readPackageFile('.github/workflows/ci.yml')
		: '';
	const publish = packageFileExists('.github/workflows/publish.yml')
		? readPackageFile('.github/workflows/publish.yml')
		: '';

	it('CI runs .ci/run on pull requests and pushes to main', () => {
		expect(ci).toMatch(/^ {2}pull_request:/m);
		expect(ci).toMatch(/^ {2}push:\n {4}branches:\n {6}- main$/m);
		expect(runCommands(ci)).toContain('bash .ci/run');
		expect(ci).toContain('group: ci-${{ github.ref }}');
	});

	it('publish runs on version tags and releases with provenance', () => {
		expect(publish).toMatch(/^ {2}push:\n {4}tags:\n {6}- '\*\.\*\.\*'$/m);
		expect(publish).toMatch(/^ {6}id-token: write$/m);
		expect(publish).toMatch(/^ {6}contents: read$/m);
		expect(publish).toMatch(/registry-url: 'https:\/\/registry\.npmjs\.org\/'/);
		expect(publish).toContain('NPM_TOKEN: ${{ secrets.NPM_TOKEN }}');
		const commands = runCommands(publish);
		expect(commands).toEqual(
			expect.arrayContaining(['npm ci', 'npm run lint', 'npm run build', 'npm test']),
		);
		expect(commands.at(-1)).toMatch(/\bnpm run release$/);
	});
});

describe('package.json scripts', () => {
	it('call only real scripts themselves', () => {
		const scripts = readPackageJson().scripts ?? {};
		const missing = Object.values(scripts)
			.flatMap(npmScriptsCalled)
			.filter((name) => !(name in scripts));
		expect(missing).toEqual([]);
	});
});
