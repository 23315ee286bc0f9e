import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { invalidField, modelField, optionsField, promptField, readItemSettings } from '../fields';
import { DEFAULT_SIZE, GENERATION_SIZES, sizeLabel } from '../limits';
import type { PreparedItem } from '../runner';

const SIZE_VALUES: readonly string[] = GENERATION_SIZES.map((size) => size.value);

export const description: INodeProperties[] = [
	modelField('generate'),
	promptField('generate'),
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
		displayOptions: { show: { resource: ['image'], operation: ['generate'] } },
	},
	optionsField('generate'),
];

/** Checks one item and describes its request to /images/generations (JSON). */
export function prepare(ctx: IExecuteFunctions, itemIndex: number): PreparedItem {
	const settings = readItemSettings(ctx, itemIndex);
	const size = ctx.getNodeParameter('size', itemIndex, DEFAULT_SIZE);
	if (typeof size !== 'string' || !SIZE_VALUES.includes(size)) {
		throw invalidField(
			ctx,
			itemIndex,
			'Size',
			`${JSON.stringify(size)} is not a size StepFun offers`,
			`Use one of ${SIZE_VALUES.join(', ')} (height x width).`,
		);
	}
	return {
		operation: 'generate',
		path: '/images/generations',
		settings,
		body: (seed) => ({
			model: settings.model,
			prompt: settings.prompt,
			size,
			...settings.api,
			...(seed === undefined ? {} : { seed }),
		}),
	};
}
