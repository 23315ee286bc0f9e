// The fields several operations show, Model and Prompt: their UI and how an item's value is read.
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { FieldCheck, readParameter } from '../helpers/parameters';

export function modelProperty(defaultModel: string, description: string): INodeProperties {
	return {
		displayName: 'Model',
		name: 'model',
		type: 'resourceLocator',
		default: { mode: 'id', value: defaultModel },
		required: true,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				typeOptions: { searchListMethod: 'listModels', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: defaultModel,
			},
		],
	};
}

export function readModel(ctx: IExecuteFunctions, itemIndex: number, defaultModel: string): string {
	const value = readParameter(ctx, 'model', itemIndex, defaultModel, { extractValue: true });
	return new FieldCheck(ctx, itemIndex, 'Model').name(
		value,
		'a model ID',
		`Pick a model from the list or enter an ID such as ${defaultModel}.`,
	);
}

export function promptProperty(placeholder: string, description: string): INodeProperties {
	return {
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder,
		description,
	};
}

/** The prompt exactly as given (not trimmed); never blank, at most `maxCharacters`. */
export function readPrompt(
	ctx: IExecuteFunctions,
	itemIndex: number,
	maxCharacters?: number,
): string {
	return new FieldCheck(ctx, itemIndex, 'Prompt').limitedText(
		readParameter(ctx, 'prompt', itemIndex, ''),
		{ required: true, maxCharacters },
	);
}
