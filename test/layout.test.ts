/**
 * The node's files read like n8n's vendor nodes: imports go one way and at most four levels
 * below the node file, every HTTP call is in transport/, and the pure modules import nothing of
 * n8n. See docs/architecture.md.
 */
import { readdirSync, readFileSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../nodes/StepFunImage');
const NODE_FILE = join(ROOT, 'StepFunImage.node.ts');

function sourceFiles(dir = ROOT): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
		entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
	);
}

const source = (file: string) => readFileSync(file, 'utf8');

/** The node's own files a file imports, type imports included. */
function importsOf(file: string): string[] {
	return [...source(file).matchAll(/^import\s+(?:type\s+)?[^;]*?from\s+'(\.[^']+)'/gms)].map((match) => `${resolve(dirname(file), match[1])}.ts`);
}

/**
 * The longest chain of imports from `file`. A module that imports nothing of the node (the pure
 * ones at the bottom: limits, image, parameters, types) ends a chain without adding a level.
 */
function longestChain(file: string, seen: string[] = []): string[] {
	if (seen.includes(file)) throw new Error(`import cycle: ${[...seen, file].map((f) => relative(ROOT, f)).join(' → ')}`);
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
		const chain = longestChain(NODE_FILE).map((file) => relative(ROOT, file));
		expect(chain.length - 1, chain.join(' → ')).toBeLessThanOrEqual(4);
	});

	it('keeps the node file thin, operations in actions/, shared fields in descriptions/, helpers in helpers/', () => {
		const folders = new Set(sourceFiles().map((file) => relative(ROOT, dirname(file))));
		expect([...folders].sort()).toEqual(['', 'actions', 'actions/account', 'actions/image', 'descriptions', 'helpers', 'methods', 'transport']);
		expect(sourceFiles().filter((file) => dirname(file) === ROOT).map((file) => relative(ROOT, file))).toEqual(['StepFunImage.node.ts']);
	});

	it('makes every HTTP call in transport/', () => {
		const http = /helpers\.(httpRequest|httpRequestWithAuthentication|request|requestWithAuthentication)\b/;
		const outside = sourceFiles().filter((file) => !relative(ROOT, file).startsWith('transport/') && http.test(source(file)));
		expect(outside.map((file) => relative(ROOT, file))).toEqual([]);
		expect(sourceFiles().filter((file) => http.test(source(file))).length).toBeGreaterThan(0);
	});

	it('keeps the pure modules free of n8n and of the rest of the node', () => {
		for (const pure of ['helpers/image.ts', 'helpers/limits.ts']) {
			expect(source(join(ROOT, pure)), pure).not.toMatch(/from '(n8n-workflow|\.)/);
		}
	});
});
