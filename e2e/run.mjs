#!/usr/bin/env node
// End-to-end tests in real n8n (`npm run test:e2e`). For each n8n line prepared by
// e2e/prepare.mjs and each binary data mode: a temporary user folder, a free port,
// the `npm pack` tarball installed as a community package, the StepFun stand-in on
// loopback, and the scenarios of issue 4. Every process is stopped by PID at the end.
//
// Options:  --line current|older|<version>   (repeatable; default: all lines)
//           --mode filesystem|default|database (repeatable; default: per line)
//           --no-build        use dist/ as it is (default: `npm run build` first)
//           --no-prepare      fail instead of installing n8n if it is not prepared
//           --no-screenshots  skip the browser test
//           --update-screenshots  write the screenshots to docs/ (default: e2e/.artifacts/)
// Env:      E2E_CACHE, E2E_PACKAGE_TGZ (test this tarball), E2E_VERBOSE=1 (n8n logs),
//           E2E_KEEP=1 (keep temp user folders), E2E_REQUIRE_SCREENSHOTS=1 (CI).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { startLoopbackServer } from '../test/helpers/loopback-server.mjs';
import { imageSize, makeJpeg, makePng, startStandIn } from '../test/stand-in/server.mjs';
import { isLineReady, LINES, prepare, selectLines } from './prepare.mjs';
import { loadExamples, exampleForExecution } from './lib/examples.mjs';
import { N8n, nodeError, nodeOutput } from './lib/n8n.mjs';
import { build, pack, REPO } from './lib/pack.mjs';
import { stopAll } from './lib/proc.mjs';
import { createReport, secs } from './lib/report.mjs';
import * as wf from './lib/workflows.mjs';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const multi = (flag) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
const opt = {
	lines: multi('--line'),
	modes: multi('--mode'),
	build: !argv.includes('--no-build'),
	prepare: !argv.includes('--no-prepare'),
	screenshots: !argv.includes('--no-screenshots'),
	screenshotDir: argv.includes('--update-screenshots')
		? join(REPO, 'docs')
		: process.env.E2E_SCREENSHOTS_DIR || join(REPO, 'e2e', '.artifacts', 'screenshots'),
};

// The multipart client: undici (the project's dev dependency), as a browser form posts.
let http;
try {
	const u = await import('undici');
	http = { fetch: u.fetch, FormData: u.FormData, File: u.File ?? globalThis.File, name: 'undici' };
} catch {
	http = {
		fetch: globalThis.fetch,
		FormData: globalThis.FormData,
		File: globalThis.File,
		name: 'global fetch (undici inside Node)',
	};
}

// ---------------------------------------------------------------- reporting
const { scenario, skip, run } = createReport();

// ---------------------------------------------------------------- photo host
// A plain web server on loopback holding one photo, for Edit's Image Source "URL".
const PHOTO = makePng(120, 80, 'e2e photo from a URL');
let photoHost;

// ---------------------------------------------------------------- helpers
const GOOD_KEY = `sk-e2e-good-${randomBytes(12).toString('hex')}`;
const BAD_KEY = `sk-e2e-wrong-${randomBytes(12).toString('hex')}`;

/** Why an `n8n execute` failed, in one line: the run's error, else n8n's error lines. */
function whyFailed(r) {
	const err = r.run?.data?.resultData?.error;
	if (err) return JSON.stringify(err).slice(0, 1500);
	const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error/i.test(l));
	return lines.slice(-6).join(' | ') || `${r.stdout}${r.stderr}`.slice(-1500);
}

function onlyRequests(standIn, path) {
	return standIn.requests.filter((r) => r.path === path);
}

/** Capture the JSON the stand-in answers for the next request to `path`. */
function captureAnswer(standIn, path) {
	const box = {};
	standIn.fault(path, {
		transform: (json) => {
			box.json = json;
			return undefined;
		},
	});
	return box;
}

const answerBytes = (box) => Buffer.from(box.json.data[0].b64_json, 'base64');

function findFileByName(dir, name) {
	const stack = [dir];
	while (stack.length) {
		const d = stack.pop();
		for (const e of readdirSync(d, { withFileTypes: true })) {
			const p = join(d, e.name);
			if (e.isDirectory()) stack.push(p);
			else if (e.name === name) return p;
		}
	}
	return undefined;
}

/** Assert where the binary of an output item lives, for the instance's binary data mode. */
function assertBinaryStorage(n8n, binary, expectedBytes) {
	assert.ok(binary, 'output item has no binary');
	const mode = n8n.binaryDataMode ?? 'filesystem';
	if (mode === 'default') {
		assert.equal(binary.id, undefined, 'in-memory mode must not store the binary under an id');
		assert.ok(
			Buffer.from(binary.data, 'base64').equals(expectedBytes),
			'in-memory binary (base64 in the item) differs from the stand-in bytes',
		);
		return 'binary kept in memory: base64 in the item equals the stand-in bytes';
	}
	assert.ok(
		binary.id,
		`binary has no id in ${mode} mode: ${JSON.stringify({ ...binary, data: String(binary.data).slice(0, 40) })}`,
	);
	assert.ok(
		binary.id.startsWith(`${binary.data}:`),
		`binary id ${binary.id} does not match its mode marker ${binary.data}`,
	);
	if (mode === 'filesystem') {
		const stored = findFileByName(n8n.userFolder, basename(binary.id.split(':')[1]));
		assert.ok(stored, `binary ${binary.id} not found on disk under ${n8n.userFolder}`);
		assert.ok(
			readFileSync(stored).equals(expectedBytes),
			'binary stored on disk differs from the stand-in bytes',
		);
		return `binary stored on disk (${binary.id.split(':')[0]}), file equals the stand-in bytes`;
	}
	return `binary stored as ${binary.id.split(':')[0]}`;
}

async function postMultipart(url, parts) {
	const form = new http.FormData();
	for (const [name, value] of parts) {
		if (value && typeof value === 'object' && 'bytes' in value)
			form.append(name, new http.File([value.bytes], value.fileName, { type: value.mimeType }));
		else form.append(name, value);
	}
	const res = await http.fetch(url, {
		method: 'POST',
		body: form,
		headers: { accept: 'image/*,*/*' },
	});
	const body = Buffer.from(await res.arrayBuffer());
	return { status: res.status, contentType: res.headers.get('content-type'), body };
}

// ---------------------------------------------------------------- one n8n instance
const modesFor = () => (opt.modes.length ? opt.modes : ['filesystem', 'default']);

async function runInstance(line, mode, full, tgz, standIn) {
	const tag = `n8n ${line.version} · ${mode}`;
	const n8n = new N8n(line, { label: tag, binaryDataMode: mode });
	await n8n.init();
	const good = wf.credential({
		id: 'stepfunE2eGood01',
		name: 'StepFun (stand-in)',
		apiKey: GOOD_KEY,
		baseUrl: standIn.baseUrl,
	});
	const bad = wf.credential({
		id: 'stepfunE2eBad001',
		name: 'StepFun (wrong key)',
		apiKey: BAD_KEY,
		baseUrl: `${standIn.baseUrl}/v1/`,
	});
	const exampleCred = wf.credential({
		id: 'stepfunExampleCred',
		name: 'StepFun account',
		apiKey: GOOD_KEY,
		baseUrl: standIn.baseUrl,
	});
	const outFile = join(n8n.filesDir, 'generated.png');
	const workflows = {
		generate: wf.generateToDisk({ cred: good, outFile }),
		webhook: wf.webhookEdit({ cred: good, path: 'e2e-scenario-edit' }),
		form: wf.formEdit({ cred: good, path: 'e2e-scenario-form' }),
		fail: wf.generateOnly({ cred: bad }),
		urlEdit: wf.urlEditWithInputFields({
			cred: good,
			photoUrl: `${photoHost.url}/photos/harbour.png`,
		}),
		showcase: wf.panelShowcase({ cred: good }),
	};
	const examples = full ? loadExamples() : [];
	const exampleCopies = examples.map((ex) => exampleForExecution(ex, { filesDir: n8n.filesDir }));
	let ready = false;
	const activated = [];
	try {
		await scenario(
			`${tag} · setup: install the npm pack tarball, import credentials and workflows`,
			async () => {
				await n8n.installTarball(tgz);
				await n8n.importCredentials(full ? [good, bad, exampleCred] : [good]);
				const list = full
					? [
							...Object.values(workflows),
							...examples.map((e) => e.raw),
							...exampleCopies.map((e) => e.workflow),
						]
					: [workflows.generate, workflows.webhook, workflows.urlEdit];
				await n8n.importWorkflows(list);
				activated.push(workflows.webhook.id);
				if (full)
					activated.push(
						workflows.form.id,
						...exampleCopies.filter((e) => e.activate).map((e) => e.workflow.id),
					);
				for (const id of activated) await n8n.activate(id);
				ready = true;
				return `user folder ${n8n.userFolder}, port ${n8n.port}, package in .n8n/nodes/node_modules/n8n-nodes-stepfun`;
			},
		);
		if (!ready) return;

		// ---- 1. Manual -> Set -> Generate -> Write file (CLI execute)
		let generated;
		await scenario(
			`${tag} · 1 Manual → Set (expression) → StepFun Generate → Write file`,
			async () => {
				standIn.reset();
				const answer = captureAnswer(standIn, '/v1/images/generations');
				const r = await n8n.execute(workflows.generate.id);
				assert.ok(r.ok, `execution failed (exit ${r.code}): ${whyFailed(r)}`);
				const out = nodeOutput(r.run, 'StepFun Image');
				assert.equal(out.length, 1, 'one output item per image');
				const { json, binary } = out[0];
				assert.equal(json.seed, 4242);
				assert.equal(json.finishReason, 'success');
				assert.equal(json.width, 1360, 'size 768x1360 is 768 high, 1360 wide');
				assert.equal(json.height, 768);
				assert.equal(json.mimeType, 'image/png');
				assert.equal(json.model, 'step-image-edit-2');
				assert.equal(json.operation, 'generate');
				assert.equal(json.prompt, 'A watercolor of a lighthouse at dusk');
				const reqs = onlyRequests(standIn, '/v1/images/generations');
				assert.equal(reqs.length, 1, 'exactly one generation request');
				const q = reqs[0];
				assert.equal(q.headers.authorization, `Bearer ${GOOD_KEY}`);
				assert.equal(
					q.json.prompt,
					'A watercolor of a lighthouse at dusk',
					'the expression was resolved before sending',
				);
				assert.equal(q.json.model, 'step-image-edit-2');
				assert.equal(q.json.size, '768x1360');
				assert.equal(q.json.seed, 4242, 'seed from an expression arrives as a number');
				assert.equal(q.json.steps, 12);
				assert.equal(q.json.cfg_scale, 1.5);
				assert.equal(q.json.negative_prompt, 'blurry');
				assert.equal(q.json.n, undefined, 'n is never sent');
				assert.deepEqual(q.unknownFields, [], 'no field the spec does not name');
				const bytes = answerBytes(answer);
				assert.ok(existsSync(outFile), `Write File did not write ${outFile}`);
				const written = readFileSync(outFile);
				assert.ok(
					written.equals(bytes),
					'the written file differs from the bytes the stand-in sent',
				);
				const dims = imageSize(written);
				assert.equal(dims?.width, 1360, 'written file width');
				assert.equal(dims?.height, 768, 'written file height');
				generated = { binary: binary?.data, bytes };
				return `file ${basename(outFile)} = stand-in bytes (${bytes.length} B, 1360×768); seed/finishReason/width/height in the item`;
			},
		);

		// ---- 6. Edit from an image URL, with Include Input Fields (issue 6)
		await scenario(
			`${tag} · 6 Set (URL, email) → StepFun Edit from URL with Include Input Fields`,
			async () => {
				standIn.reset();
				photoHost.requests.length = 0;
				const r = await n8n.execute(workflows.urlEdit.id);
				assert.ok(r.ok, `execution failed (exit ${r.code}): ${whyFailed(r)}`);
				assert.equal(photoHost.requests.length, 1, 'the node downloaded the photo once');
				assert.equal(
					photoHost.requests[0].headers.authorization,
					undefined,
					'no API key sent to the photo host',
				);
				const reqs = onlyRequests(standIn, '/v1/images/edits');
				assert.equal(reqs.length, 1, 'exactly one edit request');
				assert.ok(
					reqs[0].image?.bytes.equals(PHOTO),
					'the downloaded photo was uploaded unchanged',
				);
				assert.equal(reqs[0].image?.fileName, 'harbour.png');
				assert.equal(reqs[0].image?.mimeType, 'image/png');
				const [item] = nodeOutput(r.run, 'StepFun Image');
				assert.equal(
					item.json.email,
					'ann@example.com',
					'Include Input Fields carried the email on',
				);
				assert.equal(item.json.operation, 'edit');
				assert.equal(item.json.width, 120);
				assert.equal(item.json.height, 80);
				return 'photo downloaded without the key, uploaded as is; email carried into the output';
			},
		);

		// ---- 3. binary data mode (where the generated binary lives)
		await scenario(`${tag} · 3 binary data mode "${mode}"`, async () => {
			assert.ok(generated, 'scenario 1 produced no output to inspect');
			return assertBinaryStorage(n8n, generated.binary, generated.bytes);
		});

		// ---- 4. 401 in real n8n (CLI part)
		let failed;
		if (full) {
			await scenario(
				`${tag} · 4a stand-in answers 401: execution fails with the node's message, no key in the output`,
				async () => {
					standIn.reset();
					const r = await n8n.execute(workflows.fail.id);
					assert.ok(!r.ok, 'the execution should fail');
					const err = nodeError(r.run, 'StepFun Image') ?? r.run?.data?.resultData?.error;
					assert.ok(err, `no error recorded in the execution data: ${r.stdout.slice(-1500)}`);
					const text = `${err.message} ${err.description ?? ''}`;
					assert.match(text, /region/i, `the message should suggest checking the region: ${text}`);
					const reqs = onlyRequests(standIn, '/v1/images/generations');
					assert.equal(reqs.length, 1, `a 401 must not be retried (got ${reqs.length} requests)`);
					assert.equal(reqs[0].status, 401);
					assert.equal(reqs[0].headers.authorization, `Bearer ${BAD_KEY}`);
					for (const key of [BAD_KEY, GOOD_KEY]) {
						assert.ok(
							!r.stdout.includes(key) && !r.stderr.includes(key),
							'an API key appears in the CLI output / execution data',
						);
					}
					failed = { message: err.message };
					return `message: "${err.message}"${err.description ? ` — ${String(err.description).slice(0, 160)}` : ''}`;
				},
			);
		}

		// ---- start n8n
		const started = await scenario(
			`${tag} · start n8n, owner set up (REST), webhook/form/schedule workflows live`,
			async () => {
				const s = Date.now();
				await n8n.start({ owner: true, waitForActive: activated });
				return `${n8n.baseUrl} up and ${activated.length} workflow(s) live in ${secs(Date.now() - s)}`;
			},
		);
		if (!started) return;

		// ---- 2. Webhook multipart upload -> Edit -> Respond with the binary
		await scenario(
			`${tag} · 2 Webhook (multipart form upload via ${http.name}) → StepFun Edit → Respond to Webhook`,
			async () => {
				standIn.reset();
				const answer = captureAnswer(standIn, '/v1/images/edits');
				const upload = {
					bytes: makePng(640, 480, 'e2e upload'),
					fileName: 'beach photo.png',
					mimeType: 'image/png',
				};
				const res = await postMultipart(`${n8n.baseUrl}/webhook/e2e-scenario-edit`, [
					['prompt', 'Make it a snowy winter evening'],
					['image', upload],
				]);
				assert.equal(
					res.status,
					200,
					`webhook answered ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`,
				);
				assert.match(res.contentType ?? '', /^image\/png/);
				const reqs = onlyRequests(standIn, '/v1/images/edits');
				assert.equal(reqs.length, 1, 'exactly one edit request');
				const q = reqs[0];
				assert.match(q.contentType, /^multipart\/form-data; boundary=/);
				assert.ok(q.image, 'the edit request has no image part');
				assert.ok(
					q.image.bytes.equals(upload.bytes),
					'the stand-in did not receive exactly the uploaded bytes',
				);
				assert.equal(q.image.fileName, upload.fileName);
				assert.equal(q.image.mimeType, upload.mimeType);
				assert.equal(q.fields.prompt, 'Make it a snowy winter evening');
				assert.equal(q.fields.model, 'step-image-edit-2');
				assert.equal(q.fields.seed, '7');
				assert.deepEqual(q.unknownFields, []);
				assert.ok(
					res.body.equals(answerBytes(answer)),
					'the webhook response is not the edited image the stand-in sent',
				);
				assert.equal(imageSize(res.body)?.width, 640);
				assert.equal(imageSize(res.body)?.height, 480);
				for (const key of [GOOD_KEY, BAD_KEY])
					assert.ok(!res.body.includes(key), 'an API key in the webhook response');
				return `uploaded ${upload.bytes.length} B "${upload.fileName}" → stand-in got identical bytes, name, MIME; response = edited PNG 640×480`;
			},
		);

		if (full) {
			// ---- 2b. Form Trigger driven by a POST like the browser's
			await scenario(
				`${tag} · 2b Form Trigger (POST like the browser) → StepFun Edit`,
				async () => {
					standIn.reset();
					const upload = {
						bytes: makeJpeg(320, 240),
						fileName: 'snapshot.jpg',
						mimeType: 'image/jpeg',
					};
					const res = await postMultipart(`${n8n.baseUrl}/form/e2e-scenario-form`, [
						['field-0', upload],
						['field-1', 'Paint it like a watercolor'],
					]);
					assert.equal(
						res.status,
						200,
						`form answered ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`,
					);
					const reqs = onlyRequests(standIn, '/v1/images/edits');
					assert.equal(reqs.length, 1, 'exactly one edit request');
					const q = reqs[0];
					assert.ok(
						q.image.bytes.equals(upload.bytes),
						'the stand-in did not receive exactly the uploaded bytes',
					);
					assert.equal(q.image.fileName, upload.fileName);
					assert.equal(q.image.mimeType, upload.mimeType);
					assert.equal(q.fields.prompt, 'Paint it like a watercolor');
					const [exec] = await n8n.executions(workflows.form.id);
					assert.equal(exec?.status, 'success', `form execution: ${exec?.status}`);
					const out = nodeOutput(exec.run, 'StepFun Image');
					assert.equal(out?.[0]?.json?.width, 320);
					assert.equal(out[0].json.height, 240);
					assert.equal(out[0].json.operation, 'edit');
					return `JPEG "${upload.fileName}" through /form → stand-in got identical bytes, name, MIME; execution ${exec.id} success, 320×240 output`;
				},
			);

			const owner = !!n8n.cookie;

			// ---- 4b. execution data through the REST API, and every file on disk
			if (owner && failed) {
				await scenario(
					`${tag} · 4b the API key appears nowhere: execution data (REST) and files in the user folder`,
					async () => {
						const [one] = await n8n.executions(workflows.fail.id);
						assert.ok(one, 'no execution stored for the failed workflow');
						assert.equal(one.status, 'error');
						const err = nodeError(one.run, 'StepFun Image');
						assert.equal(err?.message, failed.message, 'the stored execution lacks the node error');
						for (const key of [BAD_KEY, GOOD_KEY])
							assert.ok(!one.text.includes(key), 'an API key appears in the stored execution data');
						const leaks = [...n8n.filesContaining(BAD_KEY), ...n8n.filesContaining(GOOD_KEY)];
						assert.deepEqual(leaks, [], `API key found in ${leaks.join(', ')}`);
						return `execution ${one.id} status ${one.status}; ${n8n.allFiles().length} files in the user folder checked (database included)`;
					},
				);
			}

			// ---- 5. credential test through the REST API
			if (owner) {
				await scenario(
					`${tag} · 5 credential test (REST /rest/credentials/test): OK with the key, clear error with a wrong key`,
					async () => {
						standIn.reset();
						const ok = await n8n.rest('POST', '/rest/credentials/test', {
							credentials: { id: good.id, name: good.name, type: good.type, data: good.data },
						});
						assert.equal(ok.data?.status, 'OK', `good key: ${JSON.stringify(ok)}`);
						const models = onlyRequests(standIn, '/v1/models');
						assert.ok(models.length >= 1, 'the test did not call GET /v1/models');
						assert.equal(models[0].method, 'GET');
						assert.equal(models[0].headers.authorization, `Bearer ${GOOD_KEY}`);
						const no = await n8n.rest('POST', '/rest/credentials/test', {
							credentials: { id: bad.id, name: bad.name, type: bad.type, data: bad.data },
						});
						assert.equal(no.data?.status, 'Error', `wrong key: ${JSON.stringify(no)}`);
						assert.ok(no.data.message && no.data.message.length > 5, 'no message');
						assert.ok(!JSON.stringify(no).includes(BAD_KEY), 'the wrong key is echoed back');
						return `OK: "${ok.data.message}"; wrong key: "${no.data.message}"`;
					},
				);
			}

			// ---- examples: every node type resolves; the webhook one runs
			if (owner) {
				await scenario(
					`${tag} · examples: all ${examples.length} import and every node type resolves`,
					async () => {
						const seen = [];
						for (const ex of examples) {
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
						for (const ex of examples)
							assert.ok(names.includes(ex.raw.name), `example "${ex.raw.name}" was not imported`);
						return [...new Set(seen)].join(', ');
					},
				);
			}
			for (const ex of exampleCopies.filter((e) => e.execute === 'schedule')) {
				await scenario(
					`${tag} · example ${ex.file}: its Schedule Trigger fires (every 5 s in the copy), the image is written`,
					async () => {
						const dir = n8n.filesDir;
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
					},
				);
			}
			for (const ex of exampleCopies.filter((e) => e.execute === 'webhook')) {
				await scenario(`${tag} · example ${ex.file}: runs through its webhook`, async () => {
					standIn.reset();
					const upload = {
						bytes: makePng(300, 200, 'example'),
						fileName: 'photo.png',
						mimeType: 'image/png',
					};
					const res = await postMultipart(`${n8n.baseUrl}/webhook/${ex.webhookPath}`, [
						['image', upload],
						['prompt', 'Make it winter'],
					]);
					assert.equal(
						res.status,
						200,
						`${res.status}: ${res.body.toString('utf8').slice(0, 300)}`,
					);
					assert.deepEqual(imageSize(res.body)?.width, 300);
					const q = onlyRequests(standIn, '/v1/images/edits')[0];
					assert.ok(q?.image?.bytes.equals(upload.bytes));
					return 'edited image returned by the webhook';
				});
			}
			for (const ex of exampleCopies.filter((e) => !e.execute))
				skip(`${tag} · example ${ex.file}: execution`, ex.why);

			// ---- 6. screenshots of the node panel
			if (owner && line.id === 'current' && opt.screenshots) {
				const chromium = '/usr/bin/chromium';
				if (!existsSync(chromium) && !process.env.E2E_REQUIRE_SCREENSHOTS) {
					skip(
						`${tag} · 6 editor screenshots`,
						`${chromium} not installed (apt-get install -y chromium); CI sets E2E_REQUIRE_SCREENSHOTS=1`,
					);
				} else {
					await scenario(
						`${tag} · 6 editor (Chromium): workflow run from the editor, Generate and Edit panels show their fields; screenshots`,
						async () => {
							const { takeScreenshots } = await import('./screenshot.mjs');
							const shots = await takeScreenshots(n8n, {
								workflowId: workflows.showcase.id,
								outDir: opt.screenshotDir,
							});
							shots.push(`saved in ${opt.screenshotDir}`);
							return shots.join(', ');
						},
					);
				}
			}
		}
	} finally {
		const s = Date.now();
		await n8n.dispose();
		if (process.env.E2E_VERBOSE) console.log(`      stopped ${tag} in ${secs(Date.now() - s)}`);
	}
}

// ---------------------------------------------------------------- main
async function main() {
	const lines = selectLines(opt.lines);
	if (!lines.length)
		throw new Error(
			`no n8n line matches ${opt.lines.join(', ')} (have: ${LINES.map((l) => `${l.id}=${l.version}`).join(', ')})`,
		);
	console.log(
		`e2e: n8n ${lines.map((l) => l.version).join(', ')}; package from npm pack; client ${http.name}`,
	);
	if (opt.prepare) await prepare({ lines, tools: opt.screenshots });
	else
		for (const l of lines)
			if (!isLineReady(l))
				throw new Error(`n8n ${l.version} is not prepared: run node e2e/prepare.mjs`);
	if (opt.build && !process.env.E2E_PACKAGE_TGZ) {
		const s = Date.now();
		await build();
		console.log(`built dist/ in ${secs(Date.now() - s)}`);
	}
	const tgz = await pack();
	console.log(`package: ${tgz}`);
	if (!process.env.E2E_PACKAGE_TGZ)
		process.on('exit', () => rmSync(dirname(tgz), { recursive: true, force: true }));
	const standIn = await startStandIn({ apiKey: GOOD_KEY });
	photoHost = await startLoopbackServer(() => ({
		headers: { 'content-type': 'image/png' },
		body: PHOTO,
	}));
	try {
		for (const line of lines) {
			const modes = modesFor();
			for (const [i, mode] of modes.entries()) await runInstance(line, mode, i === 0, tgz, standIn);
		}
	} finally {
		await standIn.close();
		await photoHost?.close();
		await stopAll();
	}
}

await run('e2e', main);
