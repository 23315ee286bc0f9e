import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	CFG_SCALE_DEFAULT,
	CFG_SCALE_MAX,
	CFG_SCALE_MIN,
	characterCount,
	DEFAULT_CONCURRENCY,
	DEFAULT_FILE_NAME,
	DEFAULT_MODEL,
	MAX_CONCURRENCY,
	MAX_IMAGES_PER_ITEM,
	PROMPT_MAX_CHARACTERS,
	SEED_MAX,
	SEED_MIN,
	STEPS_DEFAULT,
	STEPS_MAX,
	STEPS_MIN,
} from './limits';
import type { RequestSettings } from './transport';

export type Operation = 'generate' | 'edit';

/** Bad input: names the item and the field, says how to fix it. Nothing is sent. */
export function invalidField(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	problem: string,
	hint: string,
): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), `${field}: ${problem} (item ${itemIndex})`, {
		itemIndex,
		description: hint,
	});
}

// ---------------------------------------------------------------------------
// Fields both operations show
// ---------------------------------------------------------------------------

export function modelField(operation: Operation): INodeProperties {
	return {
		displayName: 'Model',
		name: 'model',
		type: 'resourceLocator',
		default: { mode: 'id', value: DEFAULT_MODEL },
		required: true,
		description:
			'The StepFun image model. Any model ID is accepted, so new models work without an update.',
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
				placeholder: DEFAULT_MODEL,
			},
		],
		displayOptions: { show: { resource: ['image'], operation: [operation] } },
	};
}

export function promptField(operation: Operation): INodeProperties {
	return {
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder:
			operation === 'generate'
				? 'A serene alpine lake at sunset, mirror reflection, photorealistic'
				: 'Make the sky stormy and add a red umbrella',
		description: `What to ${operation === 'generate' ? 'draw' : 'change'}. At most ${PROMPT_MAX_CHARACTERS} characters.`,
		displayOptions: { show: { resource: ['image'], operation: [operation] } },
	};
}

export function optionsField(operation: Operation): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { resource: ['image'], operation: [operation] } },
		options: [
			{
				displayName: 'CFG Scale',
				name: 'cfgScale',
				type: 'number',
				default: CFG_SCALE_DEFAULT,
				typeOptions: { minValue: CFG_SCALE_MIN, maxValue: CFG_SCALE_MAX, numberPrecision: 1 },
				description: `How closely the image follows the prompt, ${CFG_SCALE_MIN}.0 to ${CFG_SCALE_MAX}.0. StepFun's default is ${CFG_SCALE_DEFAULT}.0.`,
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				default: DEFAULT_CONCURRENCY,
				typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
				description: `How many requests to StepFun run at the same time, across all items and images of this node. StepFun's lowest tier allows about ${MAX_CONCURRENCY} per account; the default leaves room for other workflows using the same key.`,
			},
			{
				displayName: 'File Name',
				name: 'fileName',
				type: 'string',
				default: DEFAULT_FILE_NAME,
				description:
					'Name of the output file. {seed}, {ext}, {item} (input item number) and {image} (image number within the item) are replaced; n8n expressions work too.',
			},
			{
				displayName: 'Include Input Fields',
				name: 'includeInputFields',
				type: 'boolean',
				default: false,
				description:
					"Whether to copy the input item's JSON fields into each output item (e.g. a form's email field for a later Slack or Gmail node). The node's own fields win on a name clash.",
			},
			{
				displayName: 'Keep Input Binary',
				name: 'keepInputBinary',
				type: 'boolean',
				default: false,
				description:
					"Whether to carry the input item's binary files along (e.g. the original photo for a before/after message). The output image wins on a name clash.",
			},
			{
				displayName: 'Max Retries',
				name: 'maxRetries',
				type: 'number',
				default: 2,
				typeOptions: { minValue: 0, maxValue: 10 },
				description:
					'How often to retry when StepFun answers 429 (rate limit) or a 5xx server error, with growing waits',
			},
			{
				displayName: 'Negative Prompt',
				name: 'negativePrompt',
				type: 'string',
				typeOptions: { rows: 2 },
				default: '',
				description: `What the image should not show, at most ${PROMPT_MAX_CHARACTERS} characters. Only takes effect when CFG Scale is above 1.0.`,
			},
			{
				displayName: 'Number of Images',
				name: 'numberOfImages',
				type: 'number',
				default: 1,
				typeOptions: { minValue: 1, maxValue: MAX_IMAGES_PER_ITEM },
				description: `How many images to make per input item, 1 to ${MAX_IMAGES_PER_ITEM}. StepFun makes one per request, so each is a separate (billed) request. With a Seed, the images use seed, seed+1, …`,
			},
			{
				displayName: 'On Content Filtered',
				name: 'onContentFiltered',
				type: 'options',
				default: 'error',
				description:
					'What to do when StepFun stops a generation at content moderation (finish reason content_filtered)',
				options: [
					{
						name: 'Error',
						value: 'error',
						description: 'Fail the item (or output an error item with Continue On Fail)',
					},
					{
						name: 'Output Item Without Image',
						value: 'outputItem',
						description:
							'Output the metadata with finishReason content_filtered (and the image only if StepFun sent one)',
					},
					{
						name: 'Skip',
						value: 'skip',
						description: 'Output nothing for that image',
					},
				],
			},
			{
				displayName: 'Put Output in Field',
				name: 'outputBinaryField',
				type: 'string',
				default: 'data',
				description: 'The binary field the image is written to',
			},
			{
				displayName: 'Response Format',
				name: 'responseFormat',
				type: 'options',
				default: 'b64_json',
				description:
					'How StepFun hands over the image. Either way the node outputs the image file.',
				options: [
					{
						name: 'Base64 (in the Response)',
						value: 'b64_json',
						description: 'The image comes inside the API answer',
					},
					{
						name: 'URL (Downloaded by the Node)',
						value: 'url',
						description:
							'StepFun returns a link (valid about 2 hours) which the node downloads at once; the link is also output',
					},
				],
			},
			{
				displayName: 'Retry After Timeout',
				name: 'retryAfterTimeout',
				type: 'boolean',
				default: false,
				description:
					'Whether to resend a request that timed out or lost its connection after it was sent. StepFun may have made and billed that image already, so this can charge twice.',
			},
			{
				displayName: 'Seed',
				name: 'seed',
				type: 'number',
				default: 0,
				typeOptions: { minValue: SEED_MIN, maxValue: SEED_MAX, numberPrecision: 0 },
				description: `Same seed, same prompt: a similar image. ${SEED_MIN} to ${SEED_MAX}. Leave this option out for a random seed.`,
			},
			{
				displayName: 'Steps',
				name: 'steps',
				type: 'number',
				default: STEPS_DEFAULT,
				typeOptions: { minValue: STEPS_MIN, maxValue: STEPS_MAX, numberPrecision: 0 },
				description: `Generation steps, ${STEPS_MIN} to ${STEPS_MAX}. More can add detail and takes longer. StepFun's default is ${STEPS_DEFAULT}.`,
			},
			{
				displayName: 'Text Mode',
				name: 'textMode',
				type: 'boolean',
				default: false,
				description: 'Whether to optimise for rendering text in the image (signs, posters, labels)',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				default: 120,
				typeOptions: { minValue: 1, maxValue: 3600 },
				description: 'How long to wait for StepFun to answer one request',
			},
		],
	};
}

// ---------------------------------------------------------------------------
// Reading and checking what the user set
// ---------------------------------------------------------------------------

/** The API fields shared by both endpoints, only those the user set (besides response_format). */
export interface ApiOptions {
	seed?: number;
	steps?: number;
	cfg_scale?: number;
	negative_prompt?: string;
	text_mode?: boolean;
	response_format: 'b64_json' | 'url';
}

export interface ItemSettings {
	model: string;
	prompt: string;
	api: ApiOptions;
	request: RequestSettings;
	numberOfImages: number;
	output: OutputSettings;
	onContentFiltered: 'error' | 'outputItem' | 'skip';
}

export interface OutputSettings {
	binaryField: string;
	fileName: string;
	includeInputFields: boolean;
	keepInputBinary: boolean;
}

function describeValue(value: unknown): string {
	if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
	if (value === null || value === undefined) return 'empty';
	if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
	return String(value);
}

function readText(
	ctx: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	{ required }: { required: boolean },
): string {
	if (value === undefined || value === null) {
		if (!required) return '';
		// An expression that found nothing (e.g. a misspelt field) gives undefined.
		value = '';
	}
	if (typeof value !== 'string') {
		throw invalidField(
			ctx,
			itemIndex,
			label,
			`expected text, got ${describeValue(value)}`,
			`If ${label} is an expression, make it produce text, e.g. {{ String($json.field) }}.`,
		);
	}
	if (required && value.trim() === '') {
		throw invalidField(
			ctx,
			itemIndex,
			label,
			'is empty',
			`Enter a ${label.toLowerCase()}, or check that the expression finds a value for this item.`,
		);
	}
	const length = characterCount(value);
	if (length > PROMPT_MAX_CHARACTERS) {
		throw invalidField(
			ctx,
			itemIndex,
			label,
			`is ${length} characters long; StepFun accepts at most ${PROMPT_MAX_CHARACTERS}`,
			`Shorten it by ${length - PROMPT_MAX_CHARACTERS === 1 ? '1 character' : `${length - PROMPT_MAX_CHARACTERS} characters`}. StepFun counts characters, so one Chinese character or emoji counts as one.`,
		);
	}
	return value;
}

function readInteger(
	ctx: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	min: number,
	max: number,
	hint: string,
): number {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
		throw invalidField(
			ctx,
			itemIndex,
			label,
			`must be a whole number from ${min} to ${max}, got ${describeValue(value)}`,
			hint,
		);
	}
	return number;
}

/**
 * A required name, ID or text that is not length-limited: trimmed, or an error saying it is
 * empty or what other type an expression gave instead.
 */
export function readRequiredText(
	ctx: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	expected: string,
	hint: string,
): string {
	if (typeof value === 'string' && value.trim() !== '') return value.trim();
	const problem =
		typeof value === 'string' || value === undefined || value === null
			? 'is empty'
			: `expected ${expected}, got ${describeValue(value)}`;
	throw invalidField(ctx, itemIndex, label, problem, hint);
}

/** Reads and checks the model, prompt and options of one item, before anything is sent. */
export function readItemSettings(ctx: IExecuteFunctions, itemIndex: number): ItemSettings {
	const model = readRequiredText(
		ctx,
		itemIndex,
		'Model',
		ctx.getNodeParameter('model', itemIndex, DEFAULT_MODEL, { extractValue: true }),
		'a model ID',
		`Pick a model from the list or enter an ID such as ${DEFAULT_MODEL}.`,
	);
	const prompt = readText(ctx, itemIndex, 'Prompt', ctx.getNodeParameter('prompt', itemIndex, ''), {
		required: true,
	});
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;

	const api: ApiOptions = { response_format: 'b64_json' };
	if (options.seed !== undefined) {
		api.seed = readInteger(
			ctx,
			itemIndex,
			'Seed',
			options.seed,
			SEED_MIN,
			SEED_MAX,
			`Use a whole number from ${SEED_MIN} to ${SEED_MAX}, or remove the Seed option for a random seed.`,
		);
	}
	if (options.steps !== undefined) {
		api.steps = readInteger(
			ctx,
			itemIndex,
			'Steps',
			options.steps,
			STEPS_MIN,
			STEPS_MAX,
			`Use a whole number from ${STEPS_MIN} to ${STEPS_MAX}; ${STEPS_DEFAULT} is StepFun's default.`,
		);
	}
	if (options.cfgScale !== undefined) {
		const cfg =
			typeof options.cfgScale === 'string' && options.cfgScale.trim() !== ''
				? Number(options.cfgScale)
				: options.cfgScale;
		if (
			typeof cfg !== 'number' ||
			!Number.isFinite(cfg) ||
			cfg < CFG_SCALE_MIN ||
			cfg > CFG_SCALE_MAX
		) {
			throw invalidField(
				ctx,
				itemIndex,
				'CFG Scale',
				`must be a number from ${CFG_SCALE_MIN}.0 to ${CFG_SCALE_MAX}.0, got ${describeValue(options.cfgScale)}`,
				`Use a value from ${CFG_SCALE_MIN}.0 to ${CFG_SCALE_MAX}.0; ${CFG_SCALE_DEFAULT}.0 is StepFun's default.`,
			);
		}
		api.cfg_scale = cfg;
	}
	if (options.negativePrompt !== undefined) {
		api.negative_prompt = readText(ctx, itemIndex, 'Negative Prompt', options.negativePrompt, {
			required: false,
		});
	}
	if (options.textMode !== undefined) {
		if (typeof options.textMode !== 'boolean') {
			throw invalidField(
				ctx,
				itemIndex,
				'Text Mode',
				`expected true or false, got ${describeValue(options.textMode)}`,
				'Switch Text Mode on or off, or make its expression produce a boolean.',
			);
		}
		api.text_mode = options.textMode;
	}
	if (options.responseFormat !== undefined) {
		if (options.responseFormat !== 'b64_json' && options.responseFormat !== 'url') {
			throw invalidField(
				ctx,
				itemIndex,
				'Response Format',
				`must be b64_json or url, got ${describeValue(options.responseFormat)}`,
				'Pick "Base64 (in the Response)" or "URL (Downloaded by the Node)"; an expression must give b64_json or url.',
			);
		}
		api.response_format = options.responseFormat;
	}

	const timeoutSeconds = readInteger(
		ctx,
		itemIndex,
		'Timeout (Seconds)',
		options.timeout ?? 120,
		1,
		3600,
		'Use a whole number of seconds from 1 to 3600; 120 suits image generation.',
	);
	const maxRetries = readInteger(
		ctx,
		itemIndex,
		'Max Retries',
		options.maxRetries ?? 2,
		0,
		10,
		'Use a whole number from 0 to 10.',
	);
	const numberOfImages = readInteger(
		ctx,
		itemIndex,
		'Number of Images',
		options.numberOfImages ?? 1,
		1,
		MAX_IMAGES_PER_ITEM,
		`Use a whole number from 1 to ${MAX_IMAGES_PER_ITEM}.`,
	);
	if (api.seed !== undefined && api.seed + numberOfImages - 1 > SEED_MAX) {
		throw invalidField(
			ctx,
			itemIndex,
			'Seed',
			`${api.seed} + ${numberOfImages - 1} more images goes past ${SEED_MAX}`,
			`Use a seed of at most ${SEED_MAX - numberOfImages + 1}: each further image uses the next seed.`,
		);
	}
	const fileName = readRequiredText(
		ctx,
		itemIndex,
		'File Name',
		options.fileName ?? DEFAULT_FILE_NAME,
		'text',
		`Enter a file name such as ${DEFAULT_FILE_NAME}.`,
	);
	const outputBinaryField = readRequiredText(
		ctx,
		itemIndex,
		'Put Output in Field',
		options.outputBinaryField ?? 'data',
		'a field name',
		'Enter the name of a binary field, e.g. data.',
	);
	const onContentFiltered = options.onContentFiltered ?? 'error';
	if (
		onContentFiltered !== 'error' &&
		onContentFiltered !== 'outputItem' &&
		onContentFiltered !== 'skip'
	) {
		throw invalidField(
			ctx,
			itemIndex,
			'On Content Filtered',
			`unknown choice ${describeValue(onContentFiltered)}`,
			'Pick Error, Output Item Without Image or Skip.',
		);
	}

	return {
		model,
		prompt,
		api,
		request: {
			timeoutMs: timeoutSeconds * 1000,
			maxRetries,
			retryAfterTimeout: options.retryAfterTimeout === true,
		},
		numberOfImages,
		output: {
			binaryField: outputBinaryField,
			fileName,
			includeInputFields: options.includeInputFields === true,
			keepInputBinary: options.keepInputBinary === true,
		},
		onContentFiltered,
	};
}

/** How many requests may run at once; one value for the whole run, read from the first item. */
export function readConcurrency(ctx: IExecuteFunctions): number {
	const value = ctx.getNodeParameter('options.concurrency', 0, DEFAULT_CONCURRENCY);
	return readInteger(
		ctx,
		0,
		'Concurrency',
		value,
		1,
		MAX_CONCURRENCY,
		`Use a whole number from 1 to ${MAX_CONCURRENCY}.`,
	);
}
