// 19. StepFun Image as a tool of n8n's own AI Agent (the version a new agent gets in that
// n8n), its model n8n's OpenAI Chat Model with the credential's Base URL on a scripted
// OpenAI-compatible stand-in (e2e/lib/openai-stand-in.mjs), run with `n8n execute`:
// 19a  the model calls the tool (Generate, Prompt `$fromAI('prompt')`) with its own argument,
//      StepFun's stand-in receives exactly that prompt, and the model's next request carries
//      the tool's result: seed, size, file name and summary, no image data.
// 19b  the same with Analyze as the tool, the image a link the model passes (`$fromAI`): the
//      node downloads it, and the model reads back StepFun's answer text.
// 19c  n8n's credential test of that OpenAI credential (REST) passes against the stand-in.
// 19d  what a user builds to chat for pictures: Chat Trigger (public, posted to as the chat
//      widget posts) → AI Agent → StepFun Image tool (Generate, Response Format left out). The
//      tool asks StepFun for a link, the model repeats the Markdown image of the tool's
//      summary, and the chat's answer holds the link, which opens the image (without a key).
import assert from 'node:assert/strict';

import { imageSize } from '../../test/stand-in/server.mjs';
import { onlyRequests, whyFailed } from '../lib/checks.mjs';
import { assertDataUrlImages, chatAnswer } from '../lib/analyze-checks.mjs';
import { photo } from '../lib/gallery.mjs';
import { nodeOutput } from '../lib/n8n.mjs';
import { chatRequests } from '../lib/openai-stand-in.mjs';
import { importSetup, liveSetup, MODEL } from '../lib/workflows.mjs';
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
	const chat = wfa.chatAgentWithStepFunTool({
		id: 'e2eAgentChatLink',
		name: 'E2E Chat Trigger → AI Agent with the StepFun Image tool: the chat shows the image link',
		stepFunCred: creds.good,
		openAiCred,
		versions,
		toolParameters: {
			operation: 'generate',
			model: MODEL,
			prompt: "={{ $fromAI('prompt', 'What the image should show') }}",
			size: '768x1360',
			options: { seed: 7 },
		},
	});
	const agent = `AI Agent ${versions.agentVersion}, OpenAI Chat Model ${versions.chatModelVersion}`;
	return [
		{
			title: `19a ${agent} with the StepFun Image tool (Generate): the model's argument is the prompt, the tool's result reaches the model`,
			...importSetup('cli', generate, creds.good, openAiCred),
			run: () => agentGenerates(ctx, generate),
		},
		{
			title: `19b ${agent} with the StepFun Image tool (Analyze, image link from the model): the answer text reaches the model`,
			...importSetup('cli', analyze, creds.good, openAiCred),
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
		{
			title: `19d Chat Trigger → ${agent} → StepFun Image tool (Generate): the chat's answer holds the image link, which opens the image`,
			...liveSetup(chat, creds.good, openAiCred),
			run: () => chatShowsTheImage(ctx, chat),
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
	// Response Format left out: a tool run asks StepFun for a link and gives it to the model.
	assert.equal(reqs[0].json.response_format, 'url');
	const { created } = reqs[0].responseJson;
	const link = reqs[0].responseJson.data[0].url;
	const until = new Date((created + 2 * 60 * 60) * 1000);
	const summary = `Generated a 1360×768 PNG image (seed 99) as file stepfun-99.png in binary field "data". To show it in the chat, include this Markdown: ![Generated image](${link}) (the link works until ${until.toISOString().slice(0, 16).replace('T', ' ')} UTC; anyone with it can open the image until then).`;
	assert.equal(items.length, 1);
	assert.deepEqual(
		{
			seed: items[0].seed,
			width: items[0].width,
			height: items[0].height,
			fileName: items[0].fileName,
			prompt: items[0].prompt,
			url: items[0].url,
			urlExpiresAt: items[0].urlExpiresAt,
			summary: items[0].summary,
		},
		{
			seed: 99,
			width: 1360,
			height: 768,
			fileName: 'stepfun-99.png',
			prompt: args.prompt,
			url: link,
			urlExpiresAt: until.toISOString(),
			summary,
		},
	);
	// The node downloaded the link (without the key) for the file it outputs.
	const downloads = standIn.imageRequests.filter((r) => link.endsWith(r.path));
	assert.equal(downloads.length, 1, 'the node downloaded the result link once');
	assert.equal(downloads[0].headers.authorization, undefined);
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

/**
 * A chat message posted to the Chat Trigger as n8n's chat widget posts it; the model calls the
 * StepFun tool, then answers with the Markdown image it finds in the tool's result (a model
 * following the summary). The chat's answer must hold StepFun's link, and the link the image.
 */
async function chatShowsTheImage(ctx, workflow) {
	const { n8n, standIn, hosts, keys } = ctx;
	const openAi = hosts.openAi;
	standIn.reset();
	openAi.reset();
	const callId = 'call_e2e_stepfun_chat';
	const args = { prompt: 'A lighthouse at dusk, watercolor' };
	const markdownImage = /!\[[^\]\n]*\]\([^)\s]+\)/;
	openAi.script(
		{ toolCalls: [{ id: callId, name: TOOL_NAME, arguments: args }] },
		{
			content: (request) => {
				const result = request.messages.find((m) => m.role === 'tool');
				const text = typeof result?.content === 'string' ? result.content : JSON.stringify(result);
				const image = markdownImage.exec(text)?.[0];
				return image
					? `Here is your lighthouse:\n\n${image}`
					: 'The tool gave me no image to show.';
			},
		},
	);
	const chatInput = 'Draw a lighthouse at dusk as a watercolor';
	const res = await fetch(`${n8n.baseUrl}/webhook/${workflow.webhookId}/chat`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ action: 'sendMessage', sessionId: 'e2e-chat-session-1', chatInput }),
	});
	const text = await res.text();
	const chats = chatRequests(openAi);
	assert.equal(
		res.status,
		200,
		`the chat answered ${res.status}: ${text.slice(0, 500)}; OpenAI stand-in: ${chats.map((c) => `${c.status} ${JSON.stringify(c.answer).slice(0, 200)}`).join(' | ')}`,
	);
	const answer = JSON.parse(text).output;

	// The chat message reached the model; the model's tool call reached StepFun as the prompt.
	assert.equal(chats.length, 2, 'the agent asked its model twice: before and after the tool call');
	assert.equal(chats[0].json.messages.find((m) => m.role === 'user')?.content, chatInput);
	const reqs = onlyRequests(standIn, GENERATIONS);
	assert.equal(reqs.length, 1, 'one generation request');
	assert.equal(reqs[0].json.prompt, args.prompt);
	assert.equal(reqs[0].json.response_format, 'url', 'a tool run asks StepFun for a link');
	const link = reqs[0].responseJson.data[0].url;

	// What the model read: the link and until when it works, no image data.
	const result = chats[1].json.messages.find((m) => m.role === 'tool');
	const observation =
		typeof result?.content === 'string' ? result.content : JSON.stringify(result?.content);
	assert.doesNotMatch(observation, BASE64_RUN, 'image data in what the model reads');
	const [item] = JSON.parse(observation);
	assert.equal(item.url, link);
	assert.equal(
		item.urlExpiresAt,
		new Date((reqs[0].responseJson.created + 2 * 60 * 60) * 1000).toISOString(),
	);
	for (const key of [keys.good, keys.bad])
		assert.ok(!JSON.stringify(openAi.requests).includes(key), 'a StepFun key reached the model');

	// The chat's answer shows the image by StepFun's link, and the link opens it.
	assert.equal(answer, `Here is your lighthouse:\n\n![Generated image](${link})`);
	const before = standIn.imageRequests.length;
	const opened = await fetch(link);
	assert.equal(opened.status, 200);
	const bytes = Buffer.from(await opened.arrayBuffer());
	assert.deepEqual(
		imageSize(bytes),
		{ type: 'png', width: 1360, height: 768 },
		'the link opens the 1360×768 PNG',
	);
	assert.equal(standIn.imageRequests.length, before + 1);
	const [exec] = await n8n.executions(workflow.id);
	assert.equal(exec?.status, 'success', `chat execution: ${exec?.status}`);
	return `chat answer: ${JSON.stringify(answer)}; the link opens a 1360×768 PNG; the model read url, urlExpiresAt ${item.urlExpiresAt} and the summary`;
}
