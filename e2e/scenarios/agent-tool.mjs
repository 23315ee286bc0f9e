// 19. StepFun Image as a tool of n8n's own AI Agent (the version a new agent gets in that
// n8n), its model n8n's OpenAI Chat Model with the credential's Base URL on a scripted
// OpenAI-compatible stand-in (e2e/lib/openai-stand-in.mjs), run with `n8n execute`:
// 19a  the model calls the tool (Generate, Prompt `$fromAI('prompt')`) with its own argument,
//      StepFun's stand-in receives exactly that prompt, and the model's next request carries
//      the tool's result: seed, size, file name and summary, no image data.
// 19b  the same with Analyze as the tool, the image a link the model passes (`$fromAI`): the
//      node downloads it, and the model reads back StepFun's answer text.
// 19c  n8n's credential test of that OpenAI credential (REST) passes against the stand-in.
import assert from 'node:assert/strict';

import { onlyRequests, whyFailed } from '../lib/checks.mjs';
import { assertDataUrlImages, chatAnswer } from '../lib/analyze-checks.mjs';
import { photo } from '../lib/gallery.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import { chatRequests } from '../lib/openai-stand-in.mjs';
import { MODEL } from '../lib/workflows.mjs';
import * as wfa from '../lib/workflows-analyze.mjs';

const GENERATIONS = '/v1/images/generations';
const CHAT = '/v1/chat/completions';
const TOOL_NAME = 'StepFun_Image';
/** Any run of base64 long enough to be image data (ids and trace ids are far shorter). */
const BASE64_RUN = /[A-Za-z0-9+/]{120,}/;

export default function agentTool(ctx) {
	if (!ctx.full) return undefined;
	const { line, creds, hosts } = ctx;
	const versions = wfa.aiNodeVersions(line);
	const openAiCred = wfa.openAiCredential(hosts.openAi);
	const build = (id, name, prompt, toolParameters) =>
		wfa.agentWithStepFunTool({
			id,
			name,
			stepFunCred: creds.good,
			openAiCred,
			versions,
			prompt,
			toolParameters,
		});
	const generate = build(
		'e2eAgentGenerate',
		'E2E AI Agent with the StepFun Image tool: Generate',
		'Draw a lighthouse at dusk as a watercolor, then tell me its seed and file name.',
		{
			operation: 'generate',
			model: MODEL,
			prompt: "={{ $fromAI('prompt', 'What the image should show') }}",
			size: '768x1360',
			options: { seed: 99 },
		},
	);
	const analyze = build(
		'e2eAgentAnalyze1',
		'E2E AI Agent with the StepFun Image tool: Analyze',
		'What is on the photo at the link I sent you?',
		{
			operation: 'analyze',
			imageSource: 'url',
			imageUrls: "={{ $fromAI('imageUrl', 'A link to the image') }}",
			model: wfa.VISION_MODEL,
			prompt: "={{ $fromAI('question', 'What to ask about the image') }}",
			options: {},
		},
	);
	const agent = `AI Agent ${versions.agentVersion}, OpenAI Chat Model ${versions.chatModelVersion}`;
	return [
		{
			title: `19a ${agent} with the StepFun Image tool (Generate): the model's argument is the prompt, the tool's result reaches the model`,
			stage: 'cli',
			credentials: [creds.good, openAiCred],
			workflows: [generate],
			run: () => agentGenerates(ctx, generate),
		},
		{
			title: `19b ${agent} with the StepFun Image tool (Analyze, image link from the model): the answer text reaches the model`,
			stage: 'cli',
			credentials: [creds.good, openAiCred],
			workflows: [analyze],
			run: () => agentAnalyzes(ctx, analyze),
		},
		{
			title:
				"19c the OpenAI credential of the agent: n8n's credential test (REST) passes against the OpenAI stand-in",
			stage: 'server',
			credentials: [openAiCred],
			when: () => !!ctx.n8n.cookie,
			run: () => openAiCredentialTest(ctx, openAiCred),
		},
	];
}

/**
 * Run the agent workflow with the model's two answers scripted: a call of the StepFun tool
 * with `toolArguments`, then `finalText`. Returns what the scenario asserts on.
 */
async function runAgent(ctx, workflow, toolArguments, finalText) {
	const { n8n, standIn, hosts, keys } = ctx;
	const openAi = hosts.openAi;
	standIn.reset();
	openAi.reset();
	const callId = 'call_e2e_stepfun_1';
	openAi.script(
		{ toolCalls: [{ id: callId, name: TOOL_NAME, arguments: toolArguments }] },
		{ content: finalText },
	);
	const r = await n8n.execute(workflow.id);
	const chats = chatRequests(openAi);
	assert.ok(
		r.ok,
		`execution failed (exit ${r.code}): ${whyFailed(r)}; OpenAI stand-in: ${chats.map((c) => `${c.status} ${JSON.stringify(c.answer).slice(0, 200)}`).join(' | ')}`,
	);
	assert.equal(chats.length, 2, 'the agent asked its model twice: before and after the tool call');
	for (const c of chats) {
		assert.equal(c.status, 200, `the OpenAI stand-in refused: ${JSON.stringify(c.answer)}`);
		assert.equal(c.headers.authorization, `Bearer ${openAi.apiKey}`);
		assert.equal(c.json.model, 'gpt-4o-mini');
	}
	const [first, second] = chats;
	const tool = (first.json.tools ?? []).find((t) => t.function?.name === TOOL_NAME);
	assert.ok(tool, `the model was not offered ${TOOL_NAME}: ${JSON.stringify(first.json.tools)}`);
	const user = first.json.messages.find((m) => m.role === 'user');
	assert.equal(user?.content, workflow.nodes.find((n) => n.name === 'AI Agent').parameters.text);
	// The model's next request: its own tool call, then the tool's result for that call.
	const called = second.json.messages.find((m) => m.role === 'assistant' && m.tool_calls?.length);
	assert.equal(called?.tool_calls[0].id, callId);
	// n8n 2.41 replays the call with the call's id added to its arguments.
	const replayed = JSON.parse(called.tool_calls[0].function.arguments);
	assert.deepEqual(
		Object.fromEntries(Object.keys(toolArguments).map((k) => [k, replayed[k]])),
		toolArguments,
		'the model sees its own arguments in the replayed call',
	);
	const result = second.json.messages.find((m) => m.role === 'tool');
	assert.ok(
		result,
		`no tool message in the second request: ${JSON.stringify(second.json.messages).slice(0, 600)}`,
	);
	assert.equal(result.tool_call_id, callId);
	const observation =
		typeof result.content === 'string' ? result.content : JSON.stringify(result.content);
	assert.doesNotMatch(observation, BASE64_RUN, 'image data in what the model reads');
	assert.ok(!observation.includes('data:image'), 'a data URL in what the model reads');
	for (const key of [keys.good, keys.bad])
		assert.ok(!JSON.stringify(openAi.requests).includes(key), 'a StepFun key reached the model');
	const [out] = nodeOutput(r.run, 'AI Agent') ?? [];
	assert.equal(out?.json?.output, finalText, "the agent's output is the model's final text");
	const toolRuns = r.run.data.resultData.runData['StepFun Image'] ?? [];
	assert.equal(toolRuns.length, 1, 'the tool node ran once');
	assert.equal(toolRuns[0].executionStatus, 'success');
	return { r, tool, observation, items: JSON.parse(observation) };
}

async function agentGenerates(ctx, workflow) {
	const { standIn } = ctx;
	const args = { prompt: 'A lighthouse at dusk, watercolor' };
	const { tool, observation, items } = await runAgent(
		ctx,
		workflow,
		args,
		'Here is your lighthouse: seed 99, file stepfun-99.png.',
	);
	assert.equal(tool.function.description, 'Generate an image in StepFun Image');
	assert.deepEqual(Object.keys(tool.function.parameters?.properties ?? {}), ['prompt']);
	const reqs = onlyRequests(standIn, GENERATIONS);
	assert.equal(reqs.length, 1, 'one generation request');
	assert.equal(reqs[0].json.prompt, args.prompt, "the model's argument is the prompt");
	assert.equal(reqs[0].json.seed, 99);
	assert.equal(reqs[0].json.size, '768x1360');
	const summary =
		'Generated a 1360×768 PNG image (seed 99) as file stepfun-99.png in binary field "data".';
	assert.equal(items.length, 1);
	assert.deepEqual(
		{
			seed: items[0].seed,
			width: items[0].width,
			height: items[0].height,
			fileName: items[0].fileName,
			prompt: items[0].prompt,
			summary: items[0].summary,
		},
		{
			seed: 99,
			width: 1360,
			height: 768,
			fileName: 'stepfun-99.png',
			prompt: args.prompt,
			summary,
		},
	);
	const b64 = reqs[0].responseJson.data[0].b64_json;
	assert.ok(!observation.includes(b64.slice(0, 64)), "the stand-in's image data reached the model");
	return `offered ${TOOL_NAME} ("${tool.function.description}", argument prompt); StepFun got prompt "${reqs[0].json.prompt}"; the model read back (${observation.length} characters): ${observation}`;
}

async function agentAnalyzes(ctx, workflow) {
	const { standIn, hosts } = ctx;
	hosts.gallery.requests.length = 0;
	const image = photo('jpeg-baseline.jpg');
	const args = {
		imageUrl: hosts.gallery.url('jpeg-baseline.jpg'),
		question: 'What is on this photo?',
	};
	const { tool, observation, items } = await runAgent(
		ctx,
		workflow,
		args,
		'The photo shows what the stand-in described.',
	);
	assert.equal(tool.function.description, 'Analyze an image in StepFun Image');
	assert.deepEqual(Object.keys(tool.function.parameters?.properties ?? {}).sort(), [
		'imageUrl',
		'question',
	]);
	assert.equal(hosts.gallery.requests.length, 1, 'the node downloaded the link once');
	assert.equal(hosts.gallery.requests[0].headers.authorization, undefined);
	const reqs = onlyRequests(standIn, CHAT);
	assert.equal(reqs.length, 1, 'one chat request');
	assert.deepEqual(reqs[0].json.messages[0].content[0], { type: 'text', text: args.question });
	assertDataUrlImages(reqs[0], [image], 'chat request');
	const { message } = chatAnswer(reqs[0]);
	assert.equal(items.length, 1);
	assert.equal(items[0].text, message.content, "the model reads StepFun's answer");
	assert.equal(items[0].imageCount, 1);
	return `offered ${TOOL_NAME} ("${tool.function.description}", arguments imageUrl, question); the node downloaded the link, StepFun got the question and the JPEG as a data URL; the model read back: "${items[0].text}"`;
}

async function openAiCredentialTest(ctx, cred) {
	const { n8n, hosts } = ctx;
	hosts.openAi.reset();
	const ok = await n8n.rest('POST', '/rest/credentials/test', {
		credentials: { id: cred.id, name: cred.name, type: cred.type, data: cred.data },
	});
	assert.equal(ok.data?.status, 'OK', JSON.stringify(ok));
	const models = hosts.openAi.requests.filter((r) => r.path === '/v1/models');
	assert.equal(models.length, 1, 'the credential test asks GET /v1/models');
	assert.equal(models[0].headers.authorization, `Bearer ${hosts.openAi.apiKey}`);
	return `OK: "${ok.data.message}" (GET /v1/models with the key)`;
}
