// The workflows in examples/: every one imported as shipped and every node type in it
// resolves in this n8n; a copy of each that needs no third-party account runs for real
// (the webhook one through its webhook, the schedule one by its Schedule Trigger).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { imageSize, makePng } from '../../test/stand-in/server.mjs';
import { onlyRequests } from '../lib/checks.mjs';
import { exampleForExecution, loadExamples } from '../lib/examples.mjs';
import { postMultipart } from '../lib/upload.mjs';

export default function examples(ctx) {
	const { n8n, standIn, creds, full } = ctx;
	if (!full) return undefined;
	const shipped = loadExamples();
	const copies = shipped.map((ex) => exampleForExecution(ex, { filesDir: n8n.filesDir }));
	const credentials = [creds.example];
	const typeCheck = {
		title: `examples: all ${shipped.length} import and every node type resolves`,
		stage: 'server',
		credentials,
		workflows: shipped.map((e) => e.raw),
		when: () => !!n8n.cookie,
		run: () => nodeTypesResolve(n8n, shipped),
	};
	const copy = (ex) => ({
		stage: 'server',
		credentials,
		workflows: [ex.workflow],
		activate: ex.activate ? [ex.workflow] : [],
	});
	const byTrigger = (kind) => copies.filter((ex) => ex.execute === kind);
	return [
		typeCheck,
		...byTrigger('schedule').map((ex) => ({
			...copy(ex),
			// Published for this scenario only: live from the start, its schedule would send a
			// Generate every 5 s through every other scenario of the server stage.
			activate: [],
			when: () => !!n8n.cookie,
			title: `example ${ex.file}: its Schedule Trigger fires (every 5 s in the copy), the image is written; published for the scenario only`,
			run: async () => {
				await n8n.publishNow(ex.workflow.id);
				try {
					return await scheduleWritesImage(n8n.filesDir);
				} finally {
					await n8n.unpublish(ex.workflow.id);
				}
			},
		})),
		...byTrigger('webhook').map((ex) => ({
			...copy(ex),
			title: `example ${ex.file}: runs through its webhook`,
			run: () => webhookAnswersImage(n8n, standIn, ex.webhookPath),
		})),
		...copies
			.filter((ex) => !ex.execute)
			.map((ex) => ({ ...copy(ex), title: `example ${ex.file}: execution`, skip: ex.why })),
	];
}

async function nodeTypesResolve(n8n, shipped) {
	const seen = [];
	for (const ex of shipped) {
		for (const node of ex.raw.nodes) {
			const r = await n8n.rest(
				'POST',
				'/rest/node-types',
				{ nodeInfos: [{ name: node.type, version: node.typeVersion }] },
				{ raw: true },
			);
			const d = Array.isArray(r.json) ? r.json[0] : r.json?.data?.[0];
			assert.equal(
				r.status,
				200,
				`${ex.file}: ${node.type}@${node.typeVersion} -> ${r.status} ${r.text.slice(0, 200)}`,
			);
			assert.ok(
				d && (d.name === node.type || node.type.endsWith(`.${d.name}`)),
				`${ex.file}: node type ${node.type}@${node.typeVersion} does not resolve: ${r.text.slice(0, 200)}`,
			);
			const versions = [d.version].flat();
			assert.ok(
				versions.includes(node.typeVersion),
				`${ex.file}: ${node.type} has versions ${versions}, not ${node.typeVersion}`,
			);
			seen.push(`${node.type.replace('n8n-nodes-base.', '')}@${node.typeVersion}`);
		}
	}
	// The check must be able to fail: an unknown type of the package does not resolve.
	const bogus = await n8n.rest(
		'POST',
		'/rest/node-types',
		{ nodeInfos: [{ name: 'n8n-nodes-stepfun.noSuchNode', version: 1 }] },
		{ raw: true },
	);
	const bd = Array.isArray(bogus.json) ? bogus.json[0] : bogus.json?.data?.[0];
	assert.ok(
		bogus.status !== 200 || !bd,
		`negative control: an unknown node type resolved (${bogus.text.slice(0, 200)})`,
	);
	const wfs = await n8n.rest('GET', '/rest/workflows');
	const names = (wfs.data ?? []).map((w) => w.name);
	for (const ex of shipped)
		assert.ok(names.includes(ex.raw.name), `example "${ex.raw.name}" was not imported`);
	return [...new Set(seen)].join(', ');
}

async function scheduleWritesImage(dir) {
	const deadline = Date.now() + 45_000;
	let files = [];
	while (Date.now() < deadline) {
		files = readdirSync(dir).filter((f) => /^\d{4}-.*-seed-\d+\.png$/.test(f));
		if (files.length) break;
		await new Promise((r) => setTimeout(r, 500));
	}
	assert.ok(files.length >= 1, `no PNG appeared in ${dir} within 45 s`);
	await new Promise((r) => setTimeout(r, 300));
	const size = imageSize(readFileSync(join(dir, files[0])));
	assert.equal(size.width, 1360);
	assert.equal(size.height, 768);
	assert.match(files[0], /^\d{4}-\d{2}-\d{2}-seed-\d+\.png$/);
	return `wrote ${files[0]} (${size.width}×${size.height})`;
}

async function webhookAnswersImage(n8n, standIn, webhookPath) {
	standIn.reset();
	const upload = {
		bytes: makePng(300, 200, 'example'),
		fileName: 'photo.png',
		mimeType: 'image/png',
	};
	const res = await postMultipart(`${n8n.baseUrl}/webhook/${webhookPath}`, [
		['image', upload],
		['prompt', 'Make it winter'],
	]);
	assert.equal(res.status, 200, `${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
	assert.deepEqual(imageSize(res.body)?.width, 300);
	const q = onlyRequests(standIn, '/v1/images/edits')[0];
	assert.ok(q?.image?.bytes.equals(upload.bytes));
	return 'edited image returned by the webhook';
}
