/**
 * The node's files read like n8n's vendor nodes: imports go one way and at most four levels
 * below the node file, every HTTP call is in transport/, and the pure modules import nothing of
 * n8n. See docs/architecture.md.
 */
import { describe, expect, it } from 'vitest';

import { listPackageFiles, readPackageFile } from './helpers/package-files.mjs';

const ROOT = 'nodes/StepFunImage';
const NODE_FILE = `${ROOT}/StepFunImage.node.ts`;
const FILES = listPackageFiles(ROOT).filter((file) => file.endsWith('.ts'));

const inNode = (file: string) => file.slice(ROOT.length + 1);
const folderOf = (file: string) => file.slice(0, file.lastIndexOf('/'));

/** A relative import specifier of `file` as a path from the repository root. */
function resolveImport(file: string, specifier: string): string {
	const parts = folderOf(file).split('/');
	for (const part of specifier.split('/')) {
		if (part === '..') parts.pop();
		else if (part !== '.') parts.push(part);
	}
	return `${parts.join('/')}.ts`;
}

/** The node's own files a file imports, type imports included. */
function importsOf(file: string): string[] {
	return [...readPackageFile(file).matchAll(/^import\s+(?:type\s+)?[^;]*?from\s+'(\.[^']+)'/gms)].map((match) => resolveImport(file, match[1]));
}

/**
 * The longest chain of imports from `file`. A module that imports nothing of the node (the pure
 * ones at the bottom: limits, image, parameters, types) ends a chain without adding a level.
 */
function longestChain(file: string, seen: string[] = []): string[] {
	if (seen.includes(file)) throw new Error(`import cycle: ${[...seen, file].map(inNode).join(' → ')}`);
	let longest: string[] = [];
	for (const imported of importsOf(file)) {
		if (importsOf(imported).length === 0) continue;
		const chain = longestChain(imported, [...seen, file]);
		if (chain.length > longest.length) longest = chain;
	}
	return [file, ...longest];
}

describe('the layout of the node folder', () => {
	it('has no import cycle, and at most four levels of imports below the node file', () => {
		const chain = longestChain(NODE_FILE).map(inNode);
		expect(chain.length - 1, chain.join(' → ')).toBeLessThanOrEqual(4);
	});

	it('keeps the node file alone at the top, operations in actions/, shared fields in descriptions/, helpers in helpers/', () => {
		const folders = new Set(FILES.filter((file) => file !== NODE_FILE).map((file) => inNode(folderOf(file))));
		expect([...folders].sort()).toEqual(['actions', 'actions/account', 'actions/image', 'descriptions', 'helpers', 'methods', 'transport']);
		expect(FILES.filter((file) => folderOf(file) === ROOT)).toEqual([NODE_FILE]);
	});

	it('makes every HTTP call in transport/', () => {
		const http = /helpers\.(httpRequest|httpRequestWithAuthentication|request|requestWithAuthentication)\b/;
		const calling = FILES.filter((file) => http.test(readPackageFile(file))).map(inNode);
		expect(calling.length).toBeGreaterThan(0);
		expect(calling.filter((file) => !file.startsWith('transport/'))).toEqual([]);
	});

	it('keeps the pure modules free of n8n and of the rest of the node', () => {
		for (const pure of ['helpers/image.ts', 'helpers/limits.ts']) {
			expect(readPackageFile(`${ROOT}/${pure}`), pure).not.toMatch(/from '(n8n-workflow|\.)/);
		}
	});
});
