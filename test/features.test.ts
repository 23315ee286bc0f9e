import type { ILoadOptionsFunctions, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { OPERATION_LIST } from '../nodes/StepFunImage/actions/operations';
import { IMAGE_MODELS } from '../nodes/StepFunImage/descriptions/fields';
import { listModels } from '../nodes/StepFunImage/methods/listSearch';
import { StepFunImage } from '../nodes/StepFunImage/StepFunImage.node';
import { makePng } from './stand-in/server.mjs';
import { API_KEY, edit, generate, useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();
const photo = makePng(64, 40, 'input');

describe('Number of Images', () => {
	it('sends one request per image with seed, seed+1, … and pairs every image to its item', async () => {
		const { items, error, standIn } = await stepfun.run(generate('Owls', { seed: 10, numberOfImages: 3 }), {
			items: [{ json: { n: 1 } }, { json: { n: 2 } }],
		});
		expect(error).toBeUndefined();
		expect(standIn.requests.map((r) => [r.json.seed, r.json.n])).toEqual([
			[10, undefined],
			[11, undefined],
			[12, undefined],
			[10, undefined],
			[11, undefined],
			[12, undefined],
		]);
		expect(items.map((i) => [i.json.seed, i.pairedItem, i.binary?.data.fileName])).toEqual([
			[10, { item: 0 }, 'stepfun-10.png'],
			[11, { item: 0 }, 'stepfun-11.png'],
			[12, { item: 0 }, 'stepfun-12.png'],
			[10, { item: 1 }, 'stepfun-10.png'],
			[11, { item: 1 }, 'stepfun-11.png'],
			[12, { item: 1 }, 'stepfun-12.png'],
		]);
	});

	it('without a seed lets StepFun pick each one and reports each image its own seed', async () => {
		const { items, standIn } = await stepfun.run(generate('Owls', { numberOfImages: 2 }));
		expect(standIn.requests.map((r) => 'seed' in r.json)).toEqual([false, false]);
		expect(items.map((i) => i.json.seed)).toEqual(standIn.requests.map((r) => r.responseJson.data[0].seed));
	});
});

describe('output options', () => {
	it('names the file from the File Name template and writes it to Put Output in Field', async () => {
		const { items } = await stepfun.run(
			generate('A cat', { seed: 5, numberOfImages: 2, outputBinaryField: 'picture', fileName: '={{ $json.slug }}-{item}-{image}-{seed}.{ext}' }),
			{ items: [{ json: { slug: 'cat' } }] },
		);
		expect(items.map((i) => [Object.keys(i.binary ?? {}), i.binary?.picture.fileName, i.json.fileName])).toEqual([
			[['picture'], 'cat-0-0-5.png', 'cat-0-0-5.png'],
			[['picture'], 'cat-0-1-6.png', 'cat-0-1-6.png'],
		]);
	});

	it('copies the input fields with Include Input Fields, the node’s own fields winning', async () => {
		const { items } = await stepfun.run(edit('Add a hat', { includeInputFields: true }), {
			items: [{ json: { email: 'ann@example.com', prompt: 'from the form' }, binary: { data: { bytes: photo, fileName: 'ann.png', mimeType: 'image/png' } } }],
		});
		expect(items[0].json).toMatchObject({ email: 'ann@example.com', prompt: 'Add a hat', operation: 'edit' });
	});

	it('leaves input fields out by default', async () => {
		const { items } = await stepfun.run(generate('A cat'), { items: [{ json: { email: 'ann@example.com' } }] });
		expect(items[0].json.email).toBeUndefined();
	});

	it('carries the input image along with Keep Input Binary (before/after)', async () => {
		const { items } = await stepfun.run(edit('Add a hat', { keepInputBinary: true, outputBinaryField: 'edited' }), {
			items: [{ binary: { data: { bytes: photo, fileName: 'before.png', mimeType: 'image/png' } } }],
		});
		expect(Object.keys(items[0].binary ?? {}).sort()).toEqual(['data', 'edited']);
		expect(items[0].binary?.data.bytes.equals(photo)).toBe(true);
		expect(items[0].binary?.data.fileName).toBe('before.png');
		expect(items[0].binary?.edited.bytes.equals(photo)).toBe(false);
	});
});

describe('AI Agent tool', () => {
	/**
	 * The node under the type name n8n gives its tool variant, run in a plain ExecuteContext
	 * (`isToolExecution()` false): how n8n 2.41's AI Agent 3.x has the engine run a tool node.
	 * test/agent-tool.test.ts runs the whole tool variant through a real agent, both ways.
	 */
	class StepFunImageTool extends StepFunImage {
		description: INodeTypeDescription = { ...new StepFunImage().description, name: 'stepFunImageTool' };
	}

	it('is described to the agent by its action', () => {
		const nodeType = new StepFunImage();
		const describe = (operation: string) =>
			NodeHelpers.getToolDescriptionForNode(
				{ id: 'x', name: 'StepFun Image', type: 'n8n-nodes-stepfun.stepFunImageTool', typeVersion: 1, position: [0, 0], parameters: { resource: 'image', operation } },
				nodeType,
			);
		expect(nodeType.description.usableAsTool).toBe(true);
		expect(describe('generate')).toBe('Generate an image in StepFun Image');
		expect(describe('edit')).toBe('Edit an image in StepFun Image');
	});

	/** The summary of the seed-99 image, with the link StepFun gave and its expiry (2 hours here). */
	function summaryWithLink(answer: { created: number; data: Array<{ url: string }> }): string {
		const until = new Date((answer.created + 2 * 60 * 60) * 1000).toISOString().slice(0, 16).replace('T', ' ');
		return `Generated a 1360×768 PNG image (seed 99) as file stepfun-99.png in binary field "data". To show it in the chat, include this Markdown: ![Generated image](${answer.data[0].url}) (the link works until ${until} UTC; anyone with it can open the image until then).`;
	}

	it('gives the agent a summary with the link to show and no image data, while the binary stays on the item', async () => {
		const { items, error, standIn } = await stepfun.run(generate('A robot', { seed: 99 }, { size: '768x1360' }), {
			nodeType: new StepFunImageTool(),
		});
		expect(error).toBeUndefined();
		expect(items[0].json.summary).toBe(summaryWithLink(standIn.requests[0].responseJson));
		const forAgent = JSON.stringify(items.map((i) => i.json));
		expect(forAgent.length).toBeLessThan(1000);
		expect(items[0].binary?.data.mimeType).toBe('image/png');
	});

	it.each(['engine', 'invoke'] as const)('through an agent (%s): the text the agent gets holds the same summary', async (path) => {
		const { observation, standIn } = await stepfun.runAsTool(
			generate("={{ $fromAI('prompt', 'What the image should show') }}", { seed: 99 }, { size: '768x1360' }),
			{ path, toolArguments: { prompt: 'A robot' } },
		);
		expect(JSON.parse(observation ?? '[]')[0].summary).toBe(summaryWithLink(standIn.requests[0].responseJson));
		expect(observation?.length).toBeLessThan(1000);
	});
});

describe('Model list', () => {
	/** The two things listModels uses of n8n's load-options context, backed by real HTTP. */
	const context = (baseUrl: string): ILoadOptionsFunctions =>
		({
			getCredentials: async () => ({ apiKey: API_KEY, region: 'custom', baseUrl }),
			helpers: {
				httpRequestWithAuthentication: async (_type: string, request: { url: string }) => {
					const response = await fetch(request.url, { headers: { Authorization: `Bearer ${API_KEY}` } });
					if (!response.ok) throw new Error(`HTTP ${response.status}`);
					return await response.json();
				},
			},
		}) as unknown as ILoadOptionsFunctions;

	it('lists image models first, then every other model', async () => {
		const { results } = await listModels(context(stepfun.standIn.baseUrl), IMAGE_MODELS);
		expect(results.map((r) => r.value)).toEqual(['step-image-edit-2', 'step-1-8k', 'step-2-16k']);
		expect(results[0].name).toBe('step-image-edit-2 (image)');
		expect(stepfun.standIn.requests.map((r) => r.path)).toEqual(['/v1/models']);
	});

	it('still offers the default image model when the account lists none, and filters by search', async () => {
		stepfun.standIn.models = [{ id: 'step-1-8k', object: 'model', created: 1, owned_by: 'stepai' }];
		expect((await listModels(context(stepfun.standIn.baseUrl), IMAGE_MODELS)).results.map((r) => r.value)).toEqual(['step-image-edit-2', 'step-1-8k']);
		expect((await listModels(context(stepfun.standIn.baseUrl), IMAGE_MODELS, '8k')).results.map((r) => r.value)).toEqual(['step-1-8k']);
	});

	it('never fails: on an API error the list holds the default model', async () => {
		stepfun.standIn.fault('/v1/models', { status: 500, body: 'boom' });
		expect((await listModels(context(stepfun.standIn.baseUrl), IMAGE_MODELS)).results.map((r) => r.value)).toEqual(['step-image-edit-2']);
	});

	it.each([
		['analyze', 'step-3.7-flash (vision)'],
		['generate', 'step-image-edit-2 (image)'],
		['edit', 'step-image-edit-2 (image)'],
	])('the picker of %s puts the models of its kind first', async (operation, first) => {
		const node = new StepFunImage();
		const open = { ...context(stepfun.standIn.baseUrl), getCurrentNodeParameter: (name: string) => (name === 'operation' ? operation : undefined) };
		const { results } = await node.methods.listSearch.listModels.call(open as unknown as ILoadOptionsFunctions);
		expect(results[0].name).toBe(first);
		expect(results.map((r) => r.value)).toContain('step-1-8k');
	});

	it('a model picked from the list is sent as its ID', async () => {
		const { standIn } = await stepfun.run(generate('x', {}, { model: { __rl: true, mode: 'list', value: 'step-image-edit-2', cachedResultName: 'step-image-edit-2 (image)' } }));
		expect(standIn.requests[0].json.model).toBe('step-image-edit-2');
	});
});

describe('the node in the editor', () => {
	it('lists every operation under its resource, and its canvas subtitle names each', () => {
		const { properties, subtitle } = new StepFunImage().description;
		const lists = properties.filter((property) => property.name === 'operation');
		expect(lists.map((list) => [list.displayOptions?.show?.resource, (list.options as Array<{ value: string }>).map((option) => option.value)])).toEqual([
			[['image'], ['generate', 'edit', 'analyze']],
			[['account'], ['getBalance']],
		]);
		for (const list of lists) {
			for (const option of list.options as Array<{ value: string; name: string }>) expect(subtitle).toContain(`${option.value}: "`);
		}
		// The subtitle is a literal (n8n's lint wants one): it must say what each operation declares.
		const declared = OPERATION_LIST.map((operation) => `${operation.name}: "${operation.subtitle}"`).join(', ');
		expect(subtitle).toBe(`={{ { ${declared} }[$parameter["operation"]] }}`);
	});
});

