// What the Analyze, Get Balance and agent scenarios share: the images a chat request carried,
// the answer StepFun's stand-in gave, waiting for an execution a trigger started, and copies
// of the examples whose Slack node posts to a loopback host instead.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

const SLACK_TYPE = 'n8n-nodes-base.slack';

/** The images of a chat request as the stand-in read them: [{ source, type, mimeType, bytes, detail, url }]. */
export function chatImagesOf(request) {
	assert.ok(request?.chatImages, 'the chat request has no images recorded');
	return request.chatImages.map(
		({ source, type, mimeType, bytes, detail, url, width, height }) => ({
			source,
			type,
			mimeType,
			bytes,
			detail,
			url,
			width,
			height,
		}),
	);
}

/** Assert that `request` carried exactly `expected` ({ bytes, mimeType }) as data URLs, in order. */
export function assertDataUrlImages(request, expected, label) {
	const images = chatImagesOf(request);
	assert.equal(
		images.length,
		expected.length,
		`${label}: ${images.length} images arrived, expected ${expected.length}`,
	);
	images.forEach((image, i) => {
		assert.equal(image.source, 'data', `${label}: image ${i} is not a data URL`);
		assert.equal(image.mimeType, expected[i].mimeType, `${label}: image ${i} data URL type`);
		assert.ok(
			image.bytes.equals(expected[i].bytes),
			`${label}: image ${i} is not the file expected there`,
		);
	});
	return images;
}

/**
 * The files of a trigger's output item in the item's order: [{ field, fileName, mimeType }].
 * n8n names multipart uploads in the order formidable lists them, which is the order their
 * temporary copies finished writing, not always the order they were sent.
 */
export function filesOfTrigger(run, triggerName) {
	const item = run?.data?.resultData?.runData?.[triggerName]?.at(-1)?.data?.main?.[0]?.[0];
	assert.ok(item, `${triggerName} has no output item in the stored execution`);
	return Object.entries(item.binary ?? {}).map(([field, file]) => ({
		field,
		fileName: file.fileName,
		mimeType: file.mimeType,
	}));
}

/**
 * The uploads in the order the item holds them, the images only (what "All Image Files of
 * the Item" must send), and whether that is the order they were sent in.
 */
export function imagesInItemOrder(files, uploads) {
	const images = files
		.filter((f) => String(f.mimeType).startsWith('image/'))
		.map((f) => {
			const upload = uploads.find((u) => u.fileName === f.fileName);
			assert.ok(upload, `the item holds a file "${f.fileName}" that was not uploaded`);
			return upload;
		});
	const sent = uploads.filter((u) => u.mimeType.startsWith('image/'));
	const named = files.map((f) => `${f.field}=${f.fileName}`).join(', ');
	const inOrder = images.every((u, i) => u === sent[i]);
	return {
		images,
		note: `n8n named the files ${named}${inOrder ? '' : ' (not the upload order: formidable lists files as their temporary copies finish writing)'}`,
	};
}

/** The assistant message and usage StepFun's stand-in answered a chat request with. */
export function chatAnswer(request) {
	const body = request.responseJson;
	assert.ok(
		body?.choices?.[0]?.message,
		`the stand-in answered ${request.status} without a message`,
	);
	return { body, message: body.choices[0].message, choice: body.choices[0] };
}

/**
 * Assert that an Analyze output item is the stand-in's answer: `text`, `finishReason`,
 * `model`, `usage` (and `parsed` when the request asked for JSON), the response id.
 */
export function assertAnalyzeItem(json, request, { imageCount }) {
	const { body, message, choice } = chatAnswer(request);
	assert.equal(json.operation, 'analyze');
	assert.equal(json.text, message.content, 'text is the answer of the stand-in');
	assert.equal(json.finishReason, choice.finish_reason);
	assert.equal(json.model, body.model);
	assert.equal(json.id, body.id);
	assert.equal(json.imageCount, imageCount);
	assert.deepEqual(json.usage, {
		promptTokens: body.usage.prompt_tokens,
		completionTokens: body.usage.completion_tokens,
		totalTokens: body.usage.total_tokens,
		cachedTokens: body.usage.cached_tokens,
	});
	if (request.json.response_format?.type === 'json_object')
		assert.deepEqual(json.parsed, JSON.parse(message.content), 'parsed is the JSON answer');
	else assert.equal(json.parsed, undefined, 'parsed without JSON Output');
	assert.equal(json.reasoning, undefined, 'reasoning without Include Reasoning');
}

/**
 * The first execution of `workflowId` newer than `afterId` (undefined: any) once finished,
 * polling the REST API: a trigger that answers at once (a form "on received", a schedule)
 * leaves its execution running after the HTTP answer.
 */
export async function finishedExecution(n8n, workflowId, { afterId, timeoutMs = 45_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const rows = (await n8n.executionRows(workflowId)).filter(
			(row) => afterId === undefined || Number(row.id) > Number(afterId),
		);
		const done = rows
			.filter((row) => ['success', 'error', 'crashed', 'canceled'].includes(row.status))
			.sort((a, b) => Number(a.id) - Number(b.id))[0];
		if (done) return await n8n.execution(done.id);
		if (Date.now() > deadline)
			throw new Error(
				`no finished execution of workflow ${workflowId}${afterId ? ` after ${afterId}` : ''} within ${timeoutMs / 1000} s (${rows.map((r) => `${r.id} ${r.status}`).join(', ') || 'none'})`,
			);
		await new Promise((resolve) => setTimeout(resolve, 300));
	}
}

/**
 * An example as shipped with each Slack node replaced by n8n's HTTP Request node posting
 * `{ channel, text }` (the Slack node's own text expression) as JSON to `${url}/slack`, so
 * that the example runs without a Slack account and its message can be read.
 */
export function withSlackPostingTo(raw, url) {
	const copy = structuredClone(raw);
	copy.nodes = copy.nodes.map((n) => {
		if (n.type !== SLACK_TYPE) return n;
		return {
			id: randomUUID(),
			name: n.name,
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: n.position,
			parameters: {
				method: 'POST',
				url: `${url}/slack`,
				sendBody: true,
				bodyParameters: {
					parameters: [
						{ name: 'channel', value: n.parameters.channelId?.value ?? '' },
						{ name: 'text', value: n.parameters.text },
					],
				},
				options: {},
			},
		};
	});
	return copy;
}

/** The messages the "Slack" of `withSlackPostingTo` posted to `host`: [{ channel, text }]. */
export const slackMessages = (host) =>
	host.requests
		.filter((r) => r.method === 'POST' && r.url === '/slack')
		.map((r) => JSON.parse(r.body.toString('utf8')));
