/**
 * StepFun Image as an AI Agent tool, run the way n8n 2.41 runs tools (test/helpers/run-node.ts): an
 * agent calls the node's tool variant with the arguments a model sends, and the tests check
 * what reached StepFun and what text the agent gets back for its model.
 */
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readFixture } from './fixtures/index.mjs';
import type { ToolCallPath } from './helpers/run-node';
import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackServer } from './helpers/loopback-server.mjs';
import type { StepFunToolRun } from './helpers/stepfun';
import { API_KEY, analyze, edit, generate, useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();
const GENERATIONS = '/v1/images/generations';
const PROMPT_FROM_MODEL = "={{ $fromAI('prompt', 'What the image should show') }}";
const QUESTION_FROM_MODEL = "={{ $fromAI('question', 'What to ask about the image') }}";
/** Any run of base64 long enough to be image data (ids and trace ids are far shorter). */
const BASE64_RUN = /[A-Za-z0-9+/]{120,}/;
const jpeg = readFixture('jpeg-baseline.jpg');

const PATHS: Array<[string, ToolCallPath]> = [
	['the engine runs the tool node (AI Agent 3.x, the default)', 'engine'],
	['the agent invokes the tool (AI Agent up to 2.2, MCP Server Trigger)', 'invoke'],
];

/** The tool's result as the agent's model reads it: n8n's JSON text of the output items. */
function itemsOf(run: StepFunToolRun): Array<Record<string, unknown>> {
	expect(run.observation).toBeTypeOf('string');
	return JSON.parse(run.observation ?? '') as Array<Record<string, unknown>>;
}

/** StepFun's answer to the n-th request the stand-in received: its link and when it made the image. */
function resultOf(run: StepFunToolRun, index = 0): { url: string; created: number } {
	const answer = run.standIn.requests[index].responseJson;
	expect(answer.data[0].url).toBeTypeOf('string');
	return { url: answer.data[0].url, created: answer.created };
}

/** Two hours after StepFun made the image (the international docs; the stand-in is no China host). */
const linkExpiry = (created: number) => new Date((created + 2 * 60 * 60) * 1000);

/** What a tool run adds to the summary when StepFun gave a link: the Markdown image and its expiry. */
function linkSentence(made: 'Generated' | 'Edited', { url, created }: { url: string; created: number }): string {
	const until = `${linkExpiry(created).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
	return ` To show it in the chat, include this Markdown: ![${made} image](${url}) (the link works until ${until}; anyone with it can open the image until then).`;
}

/** Everything the agent got and n8n recorded for the tool, as text. */
function agentSide(run: StepFunToolRun): string {
	return JSON.stringify([run.observation, run.thrown, run.toolTaskData, run.logs]);
}

const moderation = {
	status: 451,
	body: { error: { message: 'The request failed content moderation', type: 'content_moderation' } },
};

describe.each(PATHS)('Generate as a tool, %s', (_name, path) => {
	it('is offered to the model as StepFun_Image, described by its action, with the $fromAI argument', async () => {
		const { offered } = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL), {
			path,
			toolArguments: { prompt: 'A robot reading' },
		});
		expect(offered).toEqual({
			name: 'StepFun_Image',
			description: 'Generate an image in StepFun Image',
			arguments: ['prompt'],
		});
	});

	it("sends the model's argument as the prompt; the agent reads seed, size, file name, link and summary, never base64", async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 99 }), {
			path,
			toolArguments: { prompt: 'A robot reading' },
			agentInput: { json: { chatInput: 'Draw a robot reading a book' } },
		});
		expect(run.error).toBeUndefined();
		expect(run.standIn.requests.map((request) => [request.path, request.json.prompt, request.json.seed])).toEqual([
			[GENERATIONS, 'A robot reading', 99],
		]);
		// Response Format left out: a tool run asks for a link, which the chat can show.
		expect(run.standIn.requests[0].json.response_format).toBe('url');

		const result = resultOf(run);
		const summary = `Generated a 1024×1024 PNG image (seed 99) as file stepfun-99.png in binary field "data".${linkSentence('Generated', result)}`;
		expect(itemsOf(run)).toEqual([
			expect.objectContaining({
				seed: 99,
				width: 1024,
				height: 1024,
				mimeType: 'image/png',
				fileName: 'stepfun-99.png',
				prompt: 'A robot reading',
				url: result.url,
				urlExpiresAt: linkExpiry(result.created).toISOString(),
				summary,
			}),
		]);
		// The node downloaded the link at once (without the key): the image is on the tool's item,
		// as a file; the agent's text holds none of its data.
		expect(run.standIn.imageRequests).toHaveLength(1);
		expect(run.standIn.authorizationSeen).toBe(false);
		const made = Buffer.from(await (await fetch(result.url)).arrayBuffer());
		expect(run.toolRuns[0].items[0].binary?.data.bytes.equals(made)).toBe(true);
		expect(run.observation?.length).toBeLessThan(900);
		expect(run.observation).not.toMatch(BASE64_RUN);
		expect(agentSide(run)).not.toContain(made.toString('base64').slice(0, 64));
	});

	it('Response Format set by the user wins: Base64 gives the file and a summary without a link', async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 99, responseFormat: 'b64_json' }), {
			path,
			toolArguments: { prompt: 'A robot reading' },
		});
		expect(run.standIn.requests[0].json.response_format).toBe('b64_json');
		const [item] = itemsOf(run);
		expect(item.summary).toBe('Generated a 1024×1024 PNG image (seed 99) as file stepfun-99.png in binary field "data".');
		expect(item).not.toHaveProperty('url');
		expect(item).not.toHaveProperty('urlExpiresAt');
		// What StepFun sent is on the tool's item, as a file; the agent's text holds none of it.
		const sent = Buffer.from(run.standIn.requests[0].responseJson.data[0].b64_json, 'base64');
		expect(run.toolRuns[0].items[0].binary?.data.bytes.equals(sent)).toBe(true);
		expect(run.observation?.length).toBeLessThan(600);
		expect(run.observation).not.toMatch(BASE64_RUN);
		expect(agentSide(run)).not.toContain(sent.toString('base64').slice(0, 64));
	});

	it('Response Format URL set by the user: the same link in the summary', async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 3, responseFormat: 'url' }), {
			path,
			toolArguments: { prompt: 'A robot reading' },
		});
		expect(run.standIn.requests[0].json.response_format).toBe('url');
		expect(itemsOf(run)[0].summary).toBe(
			`Generated a 1024×1024 PNG image (seed 3) as file stepfun-3.png in binary field "data".${linkSentence('Generated', resultOf(run))}`,
		);
	});

	it('answers as many items as images, each with its own summary', async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 5, numberOfImages: 3 }), {
			path,
			toolArguments: { prompt: 'Three owls' },
		});
		// Requests run side by side: each image's link is the one StepFun gave for its seed.
		const linkOf = (seed: number) =>
			resultOf(run, run.standIn.requests.findIndex((request) => request.json.seed === seed));
		expect(itemsOf(run).map((item) => item.summary)).toEqual([5, 6, 7].map(
			(seed) => `Generated a 1024×1024 PNG image (seed ${seed}) as file stepfun-${seed}.png in binary field "data".${linkSentence('Generated', linkOf(seed))}`,
		));
		expect(run.observation?.length).toBeLessThan(2700);
		expect(run.observation).not.toMatch(BASE64_RUN);
	});

	it("StepFun's refusal reaches the agent as the node's own message, without the API key", async () => {
		stepfun.standIn.fault(GENERATIONS, moderation);
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL), {
			path,
			toolArguments: { prompt: 'Something moderated' },
		});
		const nodeError = run.toolRuns[0].error;
		expect(nodeError).toBeInstanceOf(NodeApiError);
		expect(nodeError?.message).toBe('StepFun error 451: The request failed content moderation');
		if (path === 'engine') {
			// The tool node's failure becomes an item for the model; the agent carries on.
			expect(itemsOf(run)).toEqual([{ error: 'StepFun error 451: The request failed content moderation' }]);
			expect(run.toolTaskData[0].executionStatus).toBe('error');
			expect(run.error).toBeUndefined();
		} else {
			// n8n-core throws to the agent, the node's description appended.
			expect(run.observation).toBeUndefined();
			expect(run.thrown).toEqual({
				name: 'NodeOperationError',
				message: `${nodeError?.message}\n\nDetails: ${(nodeError as NodeApiError).description}`,
				description: (nodeError as NodeApiError).description,
			});
			expect(run.thrown?.message).toContain("failed StepFun's content moderation. Change the prompt or image.");
		}
		expect(run.standIn.requests).toHaveLength(1);
		expect(agentSide(run)).not.toContain(API_KEY);
	});

	it('a blank prompt from the model is refused before anything is sent, with the node\'s message', async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL), { path, toolArguments: { prompt: '   ' } });
		expect(run.standIn.requests).toEqual([]);
		expect(run.toolRuns[0].error).toBeInstanceOf(NodeOperationError);
		if (path === 'engine') {
			expect(itemsOf(run)).toEqual([{ error: 'Prompt: is empty (item 0)' }]);
		} else {
			expect(run.thrown?.message).toBe(
				'Prompt: is empty (item 0)\n\nDetails: Enter a prompt, or check that the expression finds a value for this item.',
			);
		}
		expect(agentSide(run)).not.toContain(API_KEY);
	});
});

describe.each(PATHS)('Edit as a tool, %s', (_name, path) => {
	let host: LoopbackServer;
	beforeAll(async () => {
		host = await startLoopbackServer(() => ({ headers: { 'content-type': 'image/jpeg' }, body: jpeg }));
	});
	afterAll(async () => await host.close());

	it('edits the image at the link the model passes; the chat gets the result as a Markdown image', async () => {
		const run = await stepfun.runAsTool(
			edit(PROMPT_FROM_MODEL, { seed: 12 }, { imageSource: 'url', imageUrl: "={{ $fromAI('imageUrl', 'A link to the image to edit') }}" }),
			{ path, toolArguments: { prompt: 'Make it night', imageUrl: `${host.url}/photo.jpg` } },
		);
		expect(run.error).toBeUndefined();
		expect(run.standIn.requests[0].fields).toMatchObject({ prompt: 'Make it night', seed: '12', response_format: 'url' });
		const result = resultOf(run);
		const [item] = itemsOf(run);
		expect(item).toMatchObject({
			operation: 'edit',
			url: result.url,
			urlExpiresAt: linkExpiry(result.created).toISOString(),
			summary: `Edited a 64×48 PNG image (seed 12) as file stepfun-12.png in binary field "data".${linkSentence('Edited', result)}`,
		});
		expect(run.toolRuns[0].items[0].binary?.data.mimeType).toBe('image/png');
		expect(run.observation).not.toMatch(BASE64_RUN);
	});
});

describe('The link in the summary', () => {
	it('characters that would end a Markdown link are percent-encoded; the url field keeps the link as given', async () => {
		stepfun.standIn.fault(GENERATIONS, {
			transform: (json: { data: Array<{ url: string }> }) => ({
				...json,
				data: [{ ...json.data[0], url: `${json.data[0].url}?name=lake(1)<2>` }],
			}),
		});
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 1 }), { toolArguments: { prompt: 'A lake' } });
		expect(run.error).toBeUndefined();
		const [item] = itemsOf(run);
		expect(String(item.url)).toMatch(/\?name=lake\(1\)<2>$/);
		expect(item.summary).toContain(`![Generated image](${String(item.url).replace('?name=lake(1)<2>', '?name=lake%281%29%3C2%3E')})`);
	});
});

describe('What makes it a tool run', () => {
	const run = (path: ToolCallPath, toolTypeName?: string) =>
		stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 7 }), {
			path,
			toolArguments: { prompt: 'A lighthouse' },
			...(toolTypeName ? { toolTypeName } : {}),
		});
	/**
	 * The summary with its link as a placeholder: each run gets its own link. The runs of a test
	 * share the stand-in, so its n-th request is the n-th run's.
	 */
	const withoutLink = (summary: unknown, result: StepFunToolRun, runIndex: number) =>
		String(summary).replace(resultOf(result, runIndex).url, '<link>');
	const summaryOf = (result: StepFunToolRun, runIndex: number) =>
		withoutLink(result.toolRuns[0].items[0].json.summary, result, runIndex);

	it('tool.invoke: isToolExecution() is true, and alone gives the summary (type not named …Tool)', async () => {
		const named = await run('invoke');
		expect(named.toolRuns[0]).toMatchObject({ isToolExecution: true, typeName: 'n8n-nodes-stepfun.stepFunImageTool' });
		const unnamed = await run('invoke', 'n8n-nodes-stepfun.stepFunImage');
		expect(unnamed.toolRuns[0]).toMatchObject({ isToolExecution: true, typeName: 'n8n-nodes-stepfun.stepFunImage' });
		expect(summaryOf(unnamed, 1)).toBe(summaryOf(named, 0));
		expect(summaryOf(named, 0)).toContain('![Generated image](<link>)');
		expect(withoutLink(itemsOf(unnamed)[0].summary, unnamed, 1)).toBe(summaryOf(named, 0));
	});

	it("the engine (n8n 2.41's default AI Agent): isToolExecution() is false; the type name …Tool gives the summary", async () => {
		const named = await run('engine');
		expect(named.toolRuns[0]).toMatchObject({ isToolExecution: false, typeName: 'n8n-nodes-stepfun.stepFunImageTool' });
		expect(itemsOf(named)[0].summary).toBe(
			`Generated a 1024×1024 PNG image (seed 7) as file stepfun-7.png in binary field "data".${linkSentence('Generated', resultOf(named))}`,
		);
		// n8n always names the tool variant …Tool; without that name nothing tells the node, and
		// it asks for what it asks outside a tool run (Base64).
		const unnamed = await run('engine', 'n8n-nodes-stepfun.stepFunImage');
		expect(unnamed.toolRuns[0].isToolExecution).toBe(false);
		expect(itemsOf(unnamed)[0]).not.toHaveProperty('summary');
		expect(unnamed.standIn.requests[1].json.response_format).toBe('b64_json');
	});

	it('the engine gives the tool node the agent\'s input item with the arguments and a toolCallId', async () => {
		const result = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL), {
			toolArguments: { prompt: 'A lighthouse' },
			agentInput: { json: { chatInput: 'Draw a lighthouse' } },
		});
		expect(result.toolRuns[0].input).toEqual({ chatInput: 'Draw a lighthouse', prompt: 'A lighthouse', toolCallId: 'call_1' });
		// Include Input Fields is off by default, so none of that comes back to the model.
		expect(itemsOf(result)[0]).not.toHaveProperty('chatInput');
		expect(itemsOf(result)[0]).not.toHaveProperty('toolCallId');
	});

	it('tool.invoke: n8n leaves the file out of the answer and logs that it did', async () => {
		const result = await run('invoke');
		expect(result.toolRuns[0].items[0].binary?.data.mimeType).toBe('image/png');
		expect(result.logs).toContain(
			"warn: Response from Tool 'StepFun Image' included binary data, which is not supported in Agents. The binary data was omitted from the response.",
		);
	});
});

describe.each(PATHS)('Analyze as a tool, %s', (_name, path) => {
	let host: LoopbackServer;
	beforeAll(async () => {
		host = await startLoopbackServer(() => ({ headers: { 'content-type': 'image/jpeg' }, body: jpeg }));
	});
	afterAll(async () => await host.close());

	/** The agent gets StepFun's answer text and nothing of the image. */
	function expectAnswerOnly(run: StepFunToolRun) {
		expect(run.error).toBeUndefined();
		expect(run.standIn.requests[0].chatImages?.map((image) => [image.source, image.type])).toEqual([['data', 'jpeg']]);
		const [item] = itemsOf(run);
		expect(item.text).toBe(run.standIn.requests[0].responseJson.choices[0].message.content);
		expect(item.text).toContain('with 1 image: jpeg 64x48');
		expect(run.observation).not.toMatch(BASE64_RUN);
		expect(run.observation).not.toContain('data:image');
		expect(run.observation?.length).toBeLessThan(600);
	}

	it('a link from the model: the node downloads it; the agent reads the answer text', async () => {
		const run = await stepfun.runAsTool(
			analyze(QUESTION_FROM_MODEL, {}, { imageSource: 'url', imageUrls: "={{ $fromAI('imageUrl', 'A link to the image') }}" }),
			{ path, toolArguments: { question: 'What is on it?', imageUrl: `${host.url}/photo.jpg` } },
		);
		expect(run.offered).toEqual({
			name: 'StepFun_Image',
			description: 'Analyze an image in StepFun Image',
			arguments: ['imageUrl', 'question'],
		});
		expect(run.standIn.requests[0].json.messages[0].content[0]).toEqual({ type: 'text', text: 'What is on it?' });
		expectAnswerOnly(run);
	});

	it('a data URL from the model: the answer text comes back, the image data does not', async () => {
		const run = await stepfun.runAsTool(
			analyze(QUESTION_FROM_MODEL, {}, { imageSource: 'base64', imageBase64: "={{ $fromAI('image', 'The image as a data URL') }}" }),
			{ path, toolArguments: { question: 'What is on it?', image: `data:image/jpeg;base64,${jpeg.toString('base64')}` } },
		);
		expectAnswerOnly(run);
	});

	it("the photo the chat received: Input Binary Fields as an expression for the earlier node's file", async () => {
		// A tool's input item holds only the model's arguments, never files: the default field
		// "data" finds nothing there, an expression for the node before the agent does.
		const run = await stepfun.runAsTool(
			analyze(QUESTION_FROM_MODEL, {}, { binaryPropertyName: "={{ $('Upstream').item.binary.photo }}" }),
			{
				path,
				toolArguments: { question: 'What is on it?' },
				agentInput: { json: { chatInput: 'What is this?' }, binary: { photo: { bytes: jpeg, fileName: 'photo.jpg', mimeType: 'image/jpeg' } } },
			},
		);
		expectAnswerOnly(run);
	});

	it('with the default Image Source the agent is told the item has no file, and nothing is sent', async () => {
		const run = await stepfun.runAsTool(analyze(QUESTION_FROM_MODEL), {
			path,
			toolArguments: { question: 'What is on it?' },
			agentInput: { binary: { data: { bytes: jpeg, fileName: 'photo.jpg', mimeType: 'image/jpeg' } } },
		});
		expect(run.standIn.requests).toEqual([]);
		const message = 'Input Binary Fields: the item has no binary field "data" (item 0)';
		if (path === 'engine') expect(itemsOf(run)).toEqual([{ error: message }]);
		else expect(run.thrown?.message).toMatch(new RegExp(`^${message.replace(/[()]/g, '\\$&')}\\n\\nDetails: `));
	});
});

describe('Engine path: On Error', () => {
	it('Stop Workflow, set explicitly, stops the run with the node\'s error instead of telling the agent', async () => {
		stepfun.standIn.fault(GENERATIONS, moderation);
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL), {
			toolArguments: { prompt: 'Something moderated' },
			onError: 'stopWorkflow',
		});
		expect(run.observation).toBeUndefined();
		expect(run.error?.message).toBe('StepFun error 451: The request failed content moderation');
		expect(JSON.stringify(run.error)).not.toContain(API_KEY);
	});
});

describe('tool.invoke path: arguments', () => {
	it('a call without the $fromAI argument is refused by the tool schema before the node runs', async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL), { path: 'invoke', toolArguments: {} });
		expect(run.toolRuns).toEqual([]);
		expect(run.standIn.requests).toEqual([]);
		expect(run.thrown?.message).toMatch(/^Received tool input did not match expected schema/);
	});
});
