// Image → Generate: a text prompt to an image, POST /images/generations (JSON).
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { modelProperty, promptProperty, readModel, readPrompt } from '../../descriptions/fields';
import {
	DEFAULT_MODEL,
	DEFAULT_SIZE,
	GENERATION_SIZES,
	PROMPT_MAX_CHARACTERS,
	sizeLabel,
} from '../../helpers/limits';
import { optionsCollection, readItemOptions } from '../../descriptions/options';
import { imageItems } from '../../helpers/output';
import { FieldCheck, readParameter } from '../../helpers/parameters';
import type { Operation, PreparedItem } from '../../helpers/runner';
import { operationProperties } from '../../helpers/runner';

const SIZE_VALUES = GENERATION_SIZES.map((size) => size.value);

const properties: INodeProperties[] = [
	modelProperty(
		DEFAULT_MODEL,
		'The StepFun image model. Any model ID is accepted, so new models work without an update.',
	),
	promptProperty(
		'A serene alpine lake at sunset, mirror reflection, photorealistic',
		`What to draw. At most ${PROMPT_MAX_CHARACTERS} characters.`,
	),
	{
		displayName: 'Size',
		name: 'size',
		type: 'options',
		default: DEFAULT_SIZE,
		description:
			'Width and height of the image in pixels. StepFun writes sizes as height x width; the value sent is shown in each choice.',
		options: GENERATION_SIZES.map((size) => ({
			name: sizeLabel(size),
			value: size.value,
			description: `Sent as size=${size.value} (height x width)`,
		})),
	},
	optionsCollection('generate'),
];

function prepare(ctx: IExecuteFunctions, itemIndex: number): PreparedItem {
	const model = readModel(ctx, itemIndex, DEFAULT_MODEL);
	const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX_CHARACTERS);
	const options = readItemOptions(ctx, itemIndex, 'generate');
	const size = new FieldCheck(ctx, itemIndex, 'Size');
	const value = readParameter(ctx, 'size', itemIndex, DEFAULT_SIZE);
	if (typeof value !== 'string' || !(SIZE_VALUES as readonly string[]).includes(value)) {
		throw size.invalid(
			`${JSON.stringify(value)} is not a size StepFun offers`,
			`Use one of ${SIZE_VALUES.join(', ')} (height x width).`,
		);
	}
	return {
		options,
		request: {
			method: 'POST',
			path: '/images/generations',
			body: { format: 'json', fields: { model, prompt, size: value, ...options.body } },
		},
		requestCount: options.images.numberOfImages,
	};
}

export const generate: Operation = {
	name: 'generate',
	resource: 'image',
	choice: {
		name: 'Generate',
		action: 'Generate an image',
		description: 'Create an image from a text prompt',
	},
	description: operationProperties('image', 'generate', properties),
	prepare,
	toItems: imageItems,
};
