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
import { API_KEY, analyze, generate, useStandIn } from './helpers/stepfun';

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

	it("sends the model's argument as the prompt; the agent reads seed, size, file name and summary, never base64", async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 99 }), {
			path,
			toolArguments: { prompt: 'A robot reading' },
			agentInput: { json: { chatInput: 'Draw a robot reading a book' } },
		});
		expect(run.error).toBeUndefined();
		expect(run.standIn.requests.map((request) => [request.path, request.json.prompt, request.json.seed])).toEqual([
			[GENERATIONS, 'A robot reading', 99],
		]);

		const summary = 'Generated a 1024×1024 PNG image (seed 99) as file stepfun-99.png in binary field "data".';
		expect(itemsOf(run)).toEqual([
			expect.objectContaining({
				seed: 99,
				width: 1024,
				height: 1024,
				mimeType: 'image/png',
				fileName: 'stepfun-99.png',
				prompt: 'A robot reading',
				summary,
			}),
		]);
		// What StepFun sent is on the tool's item, as a file; the agent's text holds none of it.
		const sent = Buffer.from(run.standIn.requests[0].responseJson.data[0].b64_json, 'base64');
		expect(run.toolRuns[0].items[0].binary?.data.bytes.equals(sent)).toBe(true);
		expect(run.observation?.length).toBeLessThan(600);
		expect(run.observation).not.toMatch(BASE64_RUN);
		expect(agentSide(run)).not.toContain(sent.toString('base64').slice(0, 64));
	});

	it('answers as many items as images, each with its own summary', async () => {
		const run = await stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 5, numberOfImages: 3 }), {
			path,
			toolArguments: { prompt: 'Three owls' },
		});
		expect(itemsOf(run).map((item) => item.summary)).toEqual([5, 6, 7].map(
			(seed) => `Generated a 1024×1024 PNG image (seed ${seed}) as file stepfun-${seed}.png in binary field "data".`,
		));
		expect(run.observation?.length).toBeLessThan(1800);
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

describe('What makes it a tool run', () => {
	const run = (path: ToolCallPath, toolTypeName?: string) =>
		stepfun.runAsTool(generate(PROMPT_FROM_MODEL, { seed: 7 }), {
			path,
			toolArguments: { prompt: 'A lighthouse' },
			...(toolTypeName ? { toolTypeName } : {}),
		});
	const summaryOf = (result: StepFunToolRun) => result.toolRuns[0].items[0].json.summary;

	it('tool.invoke: isToolExecution() is true, and alone gives the summary (type not named …Tool)', async () => {
		const named = await run('invoke');
		expect(named.toolRuns[0]).toMatchObject({ isToolExecution: true, typeName: 'n8n-nodes-stepfun.stepFunImageTool' });
		const unnamed = await run('invoke', 'n8n-nodes-stepfun.stepFunImage');
		expect(unnamed.toolRuns[0]).toMatchObject({ isToolExecution: true, typeName: 'n8n-nodes-stepfun.stepFunImage' });
		expect(summaryOf(unnamed)).toBe(summaryOf(named));
		expect(itemsOf(unnamed)[0].summary).toBe(summaryOf(named));
	});

	it("the engine (n8n 2.41's default AI Agent): isToolExecution() is false; the type name …Tool gives the summary", async () => {
		const named = await run('engine');
		expect(named.toolRuns[0]).toMatchObject({ isToolExecution: false, typeName: 'n8n-nodes-stepfun.stepFunImageTool' });
		expect(itemsOf(named)[0].summary).toBe(
			'Generated a 1024×1024 PNG image (seed 7) as file stepfun-7.png in binary field "data".',
		);
		// n8n always names the tool variant …Tool; without that name nothing tells the node.
		const unnamed = await run('engine', 'n8n-nodes-stepfun.stepFunImage');
		expect(unnamed.toolRuns[0].isToolExecution).toBe(false);
		expect(itemsOf(unnamed)[0]).not.toHaveProperty('summary');
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
		const message = 'Input Binary Field: the item has no binary field "data" (item 0)';
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
