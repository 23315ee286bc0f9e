/**
 * An operation is one file and one entry of the operation list: a throw-away operation
 * (test/operations/square.operation.ts) added to the list is shown by the node, checked and run,
 * with no other edit.
 */
import type { INodeProperties } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OPERATION_LIST } from '../nodes/StepFunImage/actions/operations';
import { StepFunImage } from '../nodes/StepFunImage/StepFunImage.node';
import { useStandIn } from './helpers/stepfun';
import { square } from './operations/square.operation';

const stepfun = useStandIn();

beforeAll(() => {
	OPERATION_LIST.push(square);
});
afterAll(() => {
	OPERATION_LIST.splice(OPERATION_LIST.indexOf(square), 1);
});

describe('a new operation: one file and one entry of the list', () => {
	it('the node shows it in its resource\'s Operation list, with its fields and options', () => {
		const { properties } = new StepFunImage().description;
		const list = properties.find((property) => property.name === 'operation' && property.displayOptions?.show?.resource?.includes('image'));
		expect(list?.options).toContainEqual({ value: 'square', name: 'Square', action: 'Make a square image', description: 'A square image from a short prompt' });
		const shown = properties.filter((property) => property.displayOptions?.show?.operation?.includes('square'));
		expect(shown.map((property) => property.name)).toEqual(['model', 'prompt', 'options']);
		expect(shown[1].description).toBe('What to draw, in a few words. At most 20 characters.');
		expect((shown[2].options as INodeProperties[]).map((option) => option.name)).toContain('seed');
	});

	it('checks its fields before anything is sent', async () => {
		const { error, standIn } = await stepfun.run({ operation: 'square', prompt: 'A kite over a windy green hill', options: {} });
		expect(error?.message).toBe('Prompt: is 30 characters long; StepFun accepts at most 20 (item 0)');
		expect(standIn.requests).toHaveLength(0);
	});

	it('runs it: its request goes out, and its output says what it declared', async () => {
		const { items, error, standIn } = await stepfun.run({ operation: 'square', prompt: 'A red kite', options: { seed: 7, numberOfImages: 2 } });
		expect(error).toBeUndefined();
		expect(standIn.requests.map((request) => [request.path, request.json.size, request.json.seed])).toEqual([
			['/v1/images/generations', '1024x1024', 7],
			['/v1/images/generations', '1024x1024', 8],
		]);
		expect(items.map((item) => [item.json.operation, item.json.prompt, item.json.model, item.json.seed, item.json.width])).toEqual([
			['square', 'A red kite', 'step-image-edit-2', 7, 1024],
			['square', 'A red kite', 'step-image-edit-2', 8, 1024],
		]);
		expect(items[0].binary?.data.mimeType).toBe('image/png');
	});

	it('as an agent\'s tool, its summary uses its own verb', async () => {
		const { observation } = await stepfun.runAsTool({ operation: 'square', prompt: "={{ $fromAI('prompt', 'What to draw') }}", options: { seed: 3 } }, {
			path: 'engine',
			toolArguments: { prompt: 'A kite' },
		});
		expect(JSON.parse(observation ?? '[]')[0].summary).toMatch(/^Squared a 1024×1024 PNG image \(seed 3\)/);
	});
});
