// A scripted OpenAI-compatible model on loopback, for n8n's OpenAI Chat Model node driving
// an AI Agent: `GET /v1/models` (the credential test and the model list) and
// `POST /v1/chat/completions`, answered from a queue the scenario fills (a tool call, then a
// final text). Every request is recorded with its JSON, so a scenario can read what the
// agent offered the model (the tools) and what it sent back (the tool's result).
// Node built-ins only.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export const OPENAI_MODELS = ['gpt-4o-mini', 'gpt-4.1-mini'];

const error = (status, message, type = 'invalid_request_error') => ({
	status,
	body: { error: { message, type, param: null, code: null } },
});

/**
 * One answer of the script, as the OpenAI API gives it: `{ toolCalls: [{ name, arguments,
 * id? }] }` (the model calls tools) or `{ content }` (the model's final text). `content` may
 * be a function of the request's JSON, for a final text built from what the tools answered
 * (as a model repeats a link a tool gave it).
 */
function completion(request, answer, counter) {
	const id = `chatcmpl-e2e-${counter}`;
	const usage = { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 };
	const base = {
		id,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model: request.model,
		usage,
	};
	if (answer.toolCalls) {
		const offered = (request.tools ?? []).map((t) => t.function?.name);
		for (const call of answer.toolCalls)
			if (!offered.includes(call.name))
				return error(
					400,
					`the script calls the tool "${call.name}", the request offers ${JSON.stringify(offered)}`,
				);
		const message = {
			role: 'assistant',
			content: null,
			tool_calls: answer.toolCalls.map((call, i) => ({
				id: call.id ?? `call_e2e_${counter}_${i}`,
				type: 'function',
				function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
			})),
		};
		return {
			status: 200,
			body: { ...base, choices: [{ index: 0, message, finish_reason: 'tool_calls' }] },
		};
	}
	return {
		status: 200,
		body: {
			...base,
			choices: [
				{
					index: 0,
					message: {
						role: 'assistant',
						content:
							typeof answer.content === 'function' ? answer.content(request) : answer.content,
					},
					finish_reason: 'stop',
				},
			],
		},
	};
}

/**
 * @param {{ apiKey?: string }} [options]
 * @returns {Promise<{ url: string, baseUrl: string, apiKey: string, requests: object[],
 *   script: (...answers: object[]) => void, pending: () => number, reset: () => void,
 *   close: () => Promise<void> }>}
 */
export async function startOpenAiStandIn({
	apiKey = `sk-openai-e2e-${randomBytes(8).toString('hex')}`,
} = {}) {
	const requests = [];
	const queue = [];
	let counter = 0;
	const server = createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
			const raw = Buffer.concat(chunks).toString('utf8');
			let json;
			try {
				json = raw ? JSON.parse(raw) : undefined;
			} catch {
				json = undefined;
			}
			const record = { method: req.method, path, headers: { ...req.headers }, json };
			requests.push(record);
			const answer = respond(record, raw);
			record.status = answer.status;
			record.answer = answer.body;
			res.writeHead(answer.status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(answer.body));
		});
	});

	function respond(record, raw) {
		if (record.headers.authorization !== `Bearer ${apiKey}`)
			return error(401, 'Incorrect API key provided', 'invalid_api_key');
		if (record.method === 'GET' && record.path === '/v1/models')
			return {
				status: 200,
				body: {
					object: 'list',
					data: OPENAI_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'e2e' })),
				},
			};
		if (record.path !== '/v1/chat/completions')
			return error(404, `the OpenAI stand-in has no ${record.method} ${record.path}`);
		if (record.method !== 'POST') return error(405, 'use POST');
		const body = record.json;
		if (!body || typeof body !== 'object')
			return error(400, `not a JSON body: ${raw.slice(0, 80)}`);
		if (!OPENAI_MODELS.includes(body.model))
			return error(404, `The model \`${body.model}\` does not exist`, 'model_not_found');
		if (!Array.isArray(body.messages) || body.messages.length === 0)
			return error(400, 'messages must be a non-empty array');
		if (body.stream) return error(400, 'the OpenAI stand-in answers without streaming only');
		const next = queue.shift();
		if (!next) return error(400, 'the OpenAI stand-in has no scripted answer left');
		return completion(body, next, ++counter);
	}

	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const url = `http://127.0.0.1:${server.address().port}`;
	return {
		url,
		/** What the OpenAI credential's Base URL must be. */
		baseUrl: `${url}/v1`,
		apiKey,
		requests,
		/** Queue the next answers of POST /v1/chat/completions, in order. */
		script: (...answers) => queue.push(...answers),
		pending: () => queue.length,
		reset() {
			requests.length = 0;
			queue.length = 0;
		},
		async close() {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

/** The chat requests the stand-in received, in order. */
export const chatRequests = (openAi) =>
	openAi.requests.filter((r) => r.path === '/v1/chat/completions');
