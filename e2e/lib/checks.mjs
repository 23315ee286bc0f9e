// What the e2e scenarios read back from a run: why an `n8n execute` failed, the
// requests the stand-in recorded, the answer it sent, where a binary was stored.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { nodeOutput } from './n8n.mjs';

/** Why an `n8n execute` failed, in one line: the run's error, else n8n's error lines. */
export function whyFailed(r) {
	const err = r.run?.data?.resultData?.error;
	if (err) return JSON.stringify(err).slice(0, 1500);
	// A run that printed its result and then died: say how, not the result's bytes.
	if (r.signal)
		return `n8n was killed by ${r.signal}${r.run ? ' after printing the run, which has no error' : ''}; stderr: ${`${r.stderr}`.slice(-1500)}`;
	const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error/i.test(l));
	return lines.slice(-6).join(' | ') || `${r.stdout}${r.stderr}`.slice(-1500);
}

export function onlyRequests(standIn, path) {
	return standIn.requests.filter((r) => r.path === path);
}

/** The one edit request the stand-in got, asserting it carries `upload` (bytes, file name) and `prompt`. */
export function theEditOf(standIn, upload, prompt) {
	const reqs = onlyRequests(standIn, '/v1/images/edits');
	assert.equal(reqs.length, 1, 'exactly one edit request');
	const [q] = reqs;
	assert.ok(q.image, 'the edit request has no image part');
	assert.ok(
		q.image.bytes.equals(upload.bytes),
		'the stand-in did not receive exactly the uploaded bytes',
	);
	assert.equal(q.image.fileName, upload.fileName);
	assert.equal(q.fields.prompt, prompt);
	return q;
}

/** Capture the JSON the stand-in answers for the next request to `path`. */
export function captureAnswer(standIn, path) {
	const box = {};
	standIn.fault(path, {
		transform: (json) => {
			box.json = json;
			return undefined;
		},
	});
	return box;
}

/** The image bytes in a captured answer (response format b64_json). */
export const answerBytes = (box) => Buffer.from(box.json.data[0].b64_json, 'base64');

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
export function assertBinaryStorage(n8n, binary, expectedBytes) {
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

/** Why a stored execution failed, for an assertion message. */
export function executionFailure(exec) {
	const error = exec?.run?.data?.resultData?.error;
	if (!error) return `execution ${exec?.id ?? 'not stored'}: ${exec?.status ?? 'unknown'}`;
	return `execution ${exec.id} failed in ${error.node?.name ?? '?'}: ${error.message}${error.description ? ` (${error.description})` : ''}`;
}

/**
 * The StepFun node's output item in a successful stored execution in n8n's combined binary
 * mode: the PNG under json._files.data, no separate binary left on the item.
 */
export function combinedImageItem(exec) {
	assert.equal(exec?.status, 'success', executionFailure(exec));
	const [item] = nodeOutput(exec.run, 'StepFun Image') ?? [];
	assert.ok(item, 'the StepFun node has no output item in the stored execution');
	const file = item.json?._files?.data;
	assert.ok(
		file?.id,
		`the image is not under json._files.data: ${JSON.stringify(item).slice(0, 400)}`,
	);
	assert.equal(item.binary, undefined, 'combined mode: no separate binary left on the item');
	assert.equal(file.mimeType, 'image/png');
	return { item, file };
}
