/**
 * The node's folders are layers: a file imports only from its own folder and from the folders
 * below its own (type imports included), never from above or from beside. Every HTTP call is in
 * transport/, and shared/ imports nothing of n8n but types. See docs/architecture.md.
 */
import { describe, expect, it } from 'vitest';

import { listPackageFiles, readPackageFile } from './helpers/package-files.mjs';

const ROOT = 'nodes/StepFunImage';
const NODE_FILE = `${ROOT}/StepFunImage.node.ts`;
const FILES = listPackageFiles(ROOT).filter((file) => file.endsWith('.ts'));

/** The layers, from the top; folders on one row sit side by side and may not import each other. */
const LAYERS: string[][] = [
	['StepFunImage.node.ts'],
	['actions'],
	['descriptions', 'methods'],
	['engine'],
	['transport'],
	['shared'],
];

const inNode = (file: string) => file.slice(ROOT.length + 1);
const folderOf = (file: string) => file.slice(0, file.lastIndexOf('/'));
/** The layer folder a file is in: its first path segment below the node folder. */
const topFolder = (file: string) => inNode(file).split('/')[0];
const layerOf = (file: string) => LAYERS.findIndex((row) => row.includes(topFolder(file)));

/** A relative import specifier of `file` as a path from the repository root. */
function resolveImport(file: string, specifier: string): string {
	const parts = folderOf(file).split('/');
	for (const part of specifier.split('/')) {
		if (part === '..') parts.pop();
		else if (part !== '.') parts.push(part);
	}
	return `${parts.join('/')}.ts`;
}

/** Every module a text imports or re-exports (type imports, `import('…')` and `require` included). */
function specifiersIn(text: string): string[] {
	const forms = [
		/^import\s+(?:type\s+)?[^;]*?from\s+'([^']+)'/gms,
		/^import\s+'([^']+)'/gm,
		/^export\s+(?:type\s+)?(?:\*|\{[^}]*\})(?:\s+as\s+\w+)?\s+from\s+'([^']+)'/gm,
		/\b(?:import|require)\(\s*'([^']+)'\s*\)/g,
	];
	return forms.flatMap((form) => [...text.matchAll(form)].map((match) => match[1]));
}

const specifiersOf = (file: string) => specifiersIn(readPackageFile(file));

/** The node's own files a file imports, type imports included. */
function importsOf(file: string): string[] {
	return specifiersOf(file)
		.filter((specifier) => specifier.startsWith('.'))
		.map((specifier) => resolveImport(file, specifier));
}

/** The imports that go up a layer or sideways to another folder of the same layer. */
function upOrSideways(edges: ReadonlyArray<readonly [string, string]>): string[] {
	return edges
		.filter(([file, imported]) => topFolder(imported) !== topFolder(file))
		.filter(([file, imported]) => layerOf(imported) <= layerOf(file))
		.map(([file, imported]) => `${inNode(file)} → ${inNode(imported)}`);
}

/** Throws on an import cycle reachable from `file`. */
function assertNoCycle(file: string, seen: string[] = [], done = new Set<string>()): void {
	if (seen.includes(file)) throw new Error(`import cycle: ${[...seen, file].map(inNode).join(' → ')}`);
	if (done.has(file)) return;
	for (const imported of importsOf(file)) assertNoCycle(imported, [...seen, file], done);
	done.add(file);
}

describe('the layout of the node folder', () => {
	it('puts every file in a layer folder, the node file alone at the top', () => {
		expect(FILES.filter((file) => layerOf(file) === -1).map(inNode)).toEqual([]);
		expect(FILES.filter((file) => folderOf(file) === ROOT)).toEqual([NODE_FILE]);
	});

	it('imports only from the same folder or from a layer below, type imports included', () => {
		const edges = FILES.flatMap((file) => importsOf(file).map((imported) => [file, imported] as const));
		expect(edges.length).toBeGreaterThan(20);
		expect(upOrSideways(edges)).toEqual([]);
	});

	it('would catch an import that goes up or sideways', () => {
		const file = (path: string) => `${ROOT}/${path}`;
		expect(
			upOrSideways([
				[file('engine/runner.ts'), file('actions/operations.ts')],
				[file('methods/listSearch.ts'), file('descriptions/fields.ts')],
				[file('actions/operations.ts'), file('engine/runner.ts')],
				[file('engine/runner.ts'), file('engine/output.ts')],
			]),
		).toEqual(['engine/runner.ts → actions/operations.ts', 'methods/listSearch.ts → descriptions/fields.ts']);
	});

	it('reads every way a file can reach another: imports, re-exports, import types and require', () => {
		const text = [
			"import { a } from './a';",
			"import type {\n\tB,\n} from '../b';",
			"import './c';",
			"export { d } from './d';",
			"export type { E } from './e';",
			"export * from './f';",
			"type G = import('./g').G;",
			"const h = require('./h');",
			"export const notAnImport = { from: 'x' };",
		].join('\n');
		expect(specifiersIn(text).sort()).toEqual(['../b', './a', './c', './d', './e', './f', './g', './h']);
	});

	it('has no import cycle', () => {
		for (const file of FILES) assertNoCycle(file);
	});

	it('makes every HTTP call in transport/', () => {
		const http = /helpers\.(httpRequest|httpRequestWithAuthentication|request|requestWithAuthentication)\b/;
		const calling = FILES.filter((file) => http.test(readPackageFile(file))).map(inNode);
		expect(calling.length).toBeGreaterThan(0);
		expect(calling.filter((file) => !file.startsWith('transport/'))).toEqual([]);
	});

	it('keeps shared/ pure: no n8n but its types, nothing of the node outside shared/', () => {
		const shared = FILES.filter((file) => topFolder(file) === 'shared');
		expect(shared.length).toBeGreaterThan(0);
		for (const file of shared) {
			expect(readPackageFile(file), inNode(file)).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+'n8n-workflow'/m);
			expect(importsOf(file).filter((imported) => topFolder(imported) !== 'shared').map(inNode)).toEqual([]);
		}
	});
});
