// The fields several operations show, declared like options (UI, bounds, check, destination
// once): Model, Prompt and Size. Their values reach an operation's `prepare` as `fields`.
import type { ModelKind } from '../engine/operation';
import {
	DEFAULT_MODEL,
	DEFAULT_SIZE,
	DEFAULT_VISION_MODEL,
	GENERATION_SIZES,
	PROMPT_MAX_CHARACTERS,
	sizeLabel,
} from '../shared/limits';
import { declare, limitedText } from '../engine/parameters';

export const IMAGE_MODELS: ModelKind = {
	label: 'image',
	matches: /image|edit|step-\d*x/i,
	always: DEFAULT_MODEL,
};

/** The models that read images (vision chat). */
export const VISION_MODELS: ModelKind = {
	label: 'vision',
	matches: /vision|step-1o|step-1v|step-3/i,
	always: DEFAULT_VISION_MODEL,
};

/** Model: picked from the list or given by ID; `kind.always` is the default. */
export function modelField(
	kind: ModelKind,
	description = `The StepFun ${kind.label} model. Any model ID is accepted, so new models work without an update.`,
) {
	const fix = `Pick a model from the list or enter an ID such as ${kind.always}.`;
	return declare(
		{ name: 'model', displayName: 'Model', description },
		{
			type: 'resourceLocator',
			default: { mode: 'id', value: kind.always },
			required: true,
			modes: [
				{
					displayName: 'From List',
					name: 'list',
					type: 'list',
					typeOptions: { searchListMethod: 'listModels', searchable: true },
				},
				{ displayName: 'By ID', name: 'id', type: 'string', placeholder: kind.always },
			],
		},
		(value, field) => field.name(value, 'a model ID', fix),
	);
}

/** Prompt: exactly as given (not trimmed), never blank. */
export function promptField(placeholder: string, description: string, maxCharacters?: number) {
	const text = { name: 'prompt', displayName: 'Prompt', description, maxCharacters } as const;
	return limitedText({ ...text, rows: 3, required: true }, { placeholder });
}

/** The prompt of an image model: StepFun takes at most 512 characters. */
export const imagePromptField = (placeholder: string, description: string) =>
	promptField(placeholder, description, PROMPT_MAX_CHARACTERS);

/** Size of a generated image, one of the five StepFun offers (written height x width). */
export const SIZE_FIELD = declare(
	{
		name: 'size',
		displayName: 'Size',
		description:
			'Width and height of the image in pixels. StepFun writes sizes as height x width; the value sent is shown in each choice.',
	},
	{
		type: 'options',
		default: DEFAULT_SIZE,
		options: GENERATION_SIZES.map((size) => ({
			name: sizeLabel(size),
			value: size,
			description: `Sent as size=${size} (height x width)`,
		})),
	},
	(value, field) => {
		if (typeof value === 'string' && GENERATION_SIZES.includes(value)) return value;
		throw field.invalid(
			`${JSON.stringify(value)} is not a size StepFun offers`,
			`Use one of ${GENERATION_SIZES.join(', ')} (height x width).`,
		);
	},
);
