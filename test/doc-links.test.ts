/**
 * Links that lead somewhere: every link to a heading of one of the repository's Markdown files
 * (the README above all) resolves, from the code (the credential's and the node's documentation
 * links), docs/, examples/, package.json and the Markdown files themselves. Headings become
 * anchors as GitHub makes them: the heading's text, lower-cased, without punctuation, spaces as
 * hyphens, a repeated one numbered -1, -2, …
 */
import { describe, expect, it } from 'vitest';

import { listPackageFiles, packageFileExists, readPackageFile } from './helpers/package-files.mjs';

const REPOSITORY = 'https://github.com/n8n-nodes-stepfun/n8n-nodes-stepfun';

/** The text GitHub shows for a heading: code spans, links, emphasis and HTML reduced to their text. */
function headingText(markdown: string): string {
	return markdown
		.replace(/`([^`]*)`/g, '$1')
		.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/<[^>]+>/g, '')
		.replace(/\*\*|\*|__/g, '')
		.trim();
}

/** GitHub's anchor for a heading text (github-slugger's rule). */
function slug(text: string): string {
	return text
		.toLowerCase()
		.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
		.replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings, in order, repeated ones numbered. */
function anchorsOf(markdown: string): Set<string> {
	const anchors = new Set<string>();
	const seen = new Map<string, number>();
	let fenced = false;
	for (const line of markdown.split('\n')) {
		if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
		const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
		if (!heading) continue;
		const base = slug(headingText(heading[1]));
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		anchors.add(count === 0 ? base : `${base}-${count}`);
	}
	return anchors;
}

/** A path inside the repository from `from`'s folder and a relative link. */
function resolvePath(from: string, target: string): string {
	const parts = from.split('/').slice(0, -1);
	for (const part of target.split('/')) {
		if (part === '..') parts.pop();
		else if (part !== '.' && part !== '') parts.push(part);
	}
	return parts.join('/');
}

interface AnchorLink {
	/** Where the link is written. */
	source: string;
	/** The Markdown file it points into, and the heading anchor. */
	file: string;
	anchor: string;
}

/** Links into the repository's Markdown by its GitHub address: the repository page is its README. */
function repositoryLinks(source: string, text: string): AnchorLink[] {
	const pattern = new RegExp(`${REPOSITORY.replace(/[.]/g, '\\.')}(?:/(?:blob|tree)/[^/#\\s"')]+/([^#\\s"')]*))?#([^\\s"')\\]]+)`, 'g');
	return [...text.matchAll(pattern)].map((match) => ({ source, file: match[1] ?? 'README.md', anchor: match[2] }));
}

/** Relative links with an anchor in a Markdown file: `(#anchor)`, `(docs/x.md#anchor)`. */
function markdownLinks(source: string, text: string): AnchorLink[] {
	return [...text.matchAll(/\]\(([^)\s#]*\.md)?#([^)\s]+)\)/g)].map((match) => ({
		source,
		file: match[1] ? resolvePath(source, match[1]) : source,
		anchor: match[2],
	}));
}

const MARKDOWN = [
	'README.md',
	'CHANGELOG.md',
	...['docs', 'bench', 'test', 'e2e'].flatMap((folder) => listPackageFiles(folder)).filter((file) => file.endsWith('.md')),
];
const CODE = [
	...listPackageFiles('nodes'),
	...listPackageFiles('credentials'),
	...listPackageFiles('examples'),
	'package.json',
].filter((file) => /\.(ts|json)$/.test(file));

const LINKS: AnchorLink[] = [
	...MARKDOWN.flatMap((file) => [...markdownLinks(file, readPackageFile(file)), ...repositoryLinks(file, readPackageFile(file))]),
	...CODE.flatMap((file) => repositoryLinks(file, readPackageFile(file))),
];

describe('anchors as GitHub makes them', () => {
	it.each([
		['Credential', 'credential'],
		['Use as an AI Agent tool', 'use-as-an-ai-agent-tool'],
		["n8n's combined binary mode: what the e2e suite documents", 'n8ns-combined-binary-mode-what-the-e2e-suite-documents'],
		['End-to-end tests in real n8n: `npm run test:e2e`', 'end-to-end-tests-in-real-n8n-npm-run-teste2e'],
		['Where the memory goes (B3)', 'where-the-memory-goes-b3'],
		['On Error, Always Output Data, Execute Once', 'on-error-always-output-data-execute-once'],
		['Form → **Edit** → the photo back', 'form--edit--the-photo-back'],
	])('%s → #%s', (heading, anchor) => {
		expect(slug(headingText(heading))).toBe(anchor);
	});

	it('a repeated heading gets -1, -2; headings in code blocks are none', () => {
		expect([...anchorsOf('# A\n## A\n```\n# B\n```\n### A\n')]).toEqual(['a', 'a-1', 'a-2']);
	});
});

describe('every link to a heading leads to one', () => {
	it('finds the links of the code, the examples, docs/ and the README', () => {
		const sources = new Set(LINKS.map((link) => link.source));
		for (const source of ['README.md', 'credentials/StepFunApi.credentials.ts', 'nodes/StepFunImage/StepFunImage.node.json', 'docs/development.md']) {
			expect(sources.has(source), source).toBe(true);
		}
	});

	it('the credential and the node link to the README heading Credential', () => {
		const credential = LINKS.filter((link) => link.source.startsWith('credentials/') || link.source.endsWith('.node.json'));
		expect(credential.filter((link) => link.anchor !== 'readme').map((link) => `${link.file}#${link.anchor}`)).toEqual([
			'README.md#credential',
			'README.md#credential',
		]);
	});

	it.each(LINKS.map((link) => [`${link.source} → ${link.file}#${link.anchor}`, link] as const))('%s', (_, link) => {
		expect(packageFileExists(link.file), `${link.file} does not exist`).toBe(true);
		// GitHub shows a repository's README under the anchor `readme` on the repository page.
		if (link.file === 'README.md' && link.anchor === 'readme' && link.source !== 'README.md') return;
		const anchors = anchorsOf(readPackageFile(link.file));
		expect([...anchors], `no heading of ${link.file} has the anchor #${link.anchor}`).toContain(decodeURIComponent(link.anchor));
	});
});
