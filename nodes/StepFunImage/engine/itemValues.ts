// The declared fields and options of one item (or of the whole run), read and checked before
// anything is sent.
import type { IExecuteFunctions } from 'n8n-workflow';

import type { FieldValues, ItemOptions, ItemValues, Operation, OptionDeclaration, RunSettings } from './operation';
import { SEED } from '../shared/limits';
import { isAgentToolRun } from '../transport/n8n-dependencies';
import { FieldCheck, readDeclared } from './parameters';

const isRunWide = (option: OptionDeclaration) => option.to.startsWith('run.');

/**
 * Reads and checks one item's declared fields and options (those of the whole run aside),
 * before anything is sent.
 */
export function readItemValues(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: Pick<Operation, 'fields' | 'options'>,
): ItemValues {
	const fields = operation.fields.filter((field): field is OptionDeclaration => 'to' in field);
	const read = readDeclared(
		ctx,
		itemIndex,
		{ fields, options: operation.options.filter((option) => !isRunWide(option)) },
		{ toolRun: isAgentToolRun(ctx) },
	);
	const options = {
		body: {},
		request: {},
		images: {},
		analysis: {},
		output: {},
		...read,
	} as unknown as ItemOptions;
	const { seed, numberOfImages: count } = options.images;
	// Each further image of an item uses the next seed, so the last one must still be valid.
	if (seed !== undefined && count !== undefined && seed + count - 1 > SEED.max) {
		throw new FieldCheck(ctx, itemIndex, 'Seed').invalid(
			`${seed} + ${count - 1} more images goes past ${SEED.max}`,
			`Use a seed of at most ${SEED.max - count + 1}: each further image uses the next seed.`,
		);
	}
	return { fields: (read.item ?? {}) as unknown as FieldValues, options };
}

/** Options that hold for the whole run, read from the first item. */
export function readRunOptions(
	ctx: IExecuteFunctions,
	operation: Pick<Operation, 'options'>,
): RunSettings {
	const options = operation.options.filter(isRunWide);
	const toolRun = isAgentToolRun(ctx);
	return (readDeclared(ctx, 0, { fields: [], options }, { toolRun }).run ?? {}) as RunSettings;
}
