// Every option of the node, declared once: its UI, which operations show it, its default and
// bounds (numbers from limits.ts), how an item's value is checked, and where the value goes.
// The Options collection of each operation and the reading of an item's options both derive
// from these declarations.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { Range } from './limits';
import {
	CFG_SCALE,
	CONCURRENCY,
	MAX_TOKENS,
	TEMPERATURE,
	TOP_P,
	DEFAULT_FILE_NAME,
	IMAGES_PER_ITEM,
	MAX_RETRIES,
	PROMPT_MAX_CHARACTERS,
	REQUESTS_PER_MINUTE,
	SEED,
	STEPS,
	TIMEOUT_SECONDS,
} from './limits';
import { isAgentToolRun } from './n8n-dependencies';
import { FieldCheck, readParameter } from './parameters';
import type { RequestSettings } from './transport/request';

export type OperationName = 'generate' | 'edit' | 'analyze' | 'getBalance';

/** What "On Content Filtered" may say. */
export type ContentFilterAction = 'error' | 'outputItem' | 'skip';

/** How a result becomes an output item. */
export interface OutputSettings {
	binaryField: string;
	fileName: string;
	includeInputFields: boolean;
	keepInputBinary: boolean;
	onContentFiltered: ContentFilterAction;
	includeReasoning: boolean;
}

/** What Analyze builds its messages from; `detail` only when the user added it. */
export interface AnalysisSettings {
	systemMessage: string;
	detail?: 'low' | 'high';
	jsonOutput: boolean;
}

/** How many images one item asks for. */
export interface ImageSettings {
	numberOfImages: number;
}

/** One value for the whole run, read from the first item; absent where the operation has none. */
export interface RunSettings {
	concurrency?: number;
	requestsPerMinute?: number;
}

/**
 * An item's checked options, by destination. `body` holds API fields under StepFun's names,
 * only for options the user added (plus those always sent). Each group holds the options its
 * operation shows; an operation reads only its own.
 */
export interface ItemOptions {
	body: IDataObject;
	request: RequestSettings;
	images: ImageSettings;
	analysis: AnalysisSettings;
	output: OutputSettings;
}

interface Groups extends Omit<ItemOptions, 'body'> {
	run: RunSettings;
}

type Destination =
	| `body.${string}`
	| { [G in keyof Groups]: `${G}.${keyof Groups[G] & string}` }[keyof Groups];

interface OptionDeclaration {
	/** The UI of the option, without displayOptions (the operations say where it shows). */
	property: INodeProperties;
	operations: readonly OperationName[];
	to: Destination;
	/** A body field sent with its default even when the user did not add the option. */
	alwaysSent?: boolean;
	/** A setting (not a body field) left undefined when the user did not add the option. */
	onlyWhenAdded?: boolean;
	/** The value used when the user did not add the option and an AI Agent runs the node. */
	toolRunDefault?: string;
	/** Checks one item's value (the default when the option was not added). */
	check: (value: unknown, field: FieldCheck) => unknown;
}

/** The operations that make images. */
const IMAGE_OPERATIONS: readonly OperationName[] = ['generate', 'edit'];
/** The operations that send images or prompts: what is billed. */
const IMAGE_RESOURCE: readonly OperationName[] = ['generate', 'edit', 'analyze'];
const ANALYZE: readonly OperationName[] = ['analyze'];
const EVERY_OPERATION: readonly OperationName[] = ['generate', 'edit', 'analyze', 'getBalance'];

// ---------------------------------------------------------------------------------------------
// Builders: one per kind of value, so bounds are written once for the UI and the check
// ---------------------------------------------------------------------------------------------

interface Common {
	name: string;
	displayName: string;
	description: string;
	operations: readonly OperationName[];
	to: Destination;
	onlyWhenAdded?: boolean;
}

function declare(
	spec: Common,
	ui: Pick<INodeProperties, 'type' | 'default' | 'typeOptions' | 'options' | 'hint'>,
	check: OptionDeclaration['check'],
	alwaysSent?: boolean,
): OptionDeclaration {
	const { name: key, displayName, description, operations, to, onlyWhenAdded } = spec;
	return {
		property: { displayName, name: key, description, ...ui },
		operations,
		to,
		alwaysSent,
		onlyWhenAdded,
		check,
	};
}

/** A whole number; `scale` converts it for its destination (seconds to milliseconds). */
function integer(spec: Common & { range: Range; fix: string; scale?: number }): OptionDeclaration {
	const { min, max } = spec.range;
	return declare(
		spec,
		{
			type: 'number',
			default: spec.range.default,
			typeOptions: { minValue: min, maxValue: max, numberPrecision: 0 },
		},
		(value, field) => field.integer(value, min, max, spec.fix) * (spec.scale ?? 1),
	);
}

function decimal(
	spec: Common & { range: Range; decimals: number; fix: string },
): OptionDeclaration {
	const { min, max } = spec.range;
	return declare(
		spec,
		{
			type: 'number',
			default: spec.range.default,
			typeOptions: { minValue: min, maxValue: max, numberPrecision: spec.decimals },
		},
		(value, field) => field.decimal(value, min, max, spec.decimals, spec.fix),
	);
}

/** A switch; off unless the user turns it on. */
function flag(spec: Common): OptionDeclaration {
	return declare(spec, { type: 'boolean', default: false }, (value, field) => field.boolean(value));
}

function limitedText(
	spec: Common & { rows: number; maxCharacters?: number; uiHint?: string },
): OptionDeclaration {
	return declare(
		spec,
		{ type: 'string', default: '', typeOptions: { rows: spec.rows }, hint: spec.uiHint },
		(value, field) =>
			field.limitedText(value, { required: false, maxCharacters: spec.maxCharacters }),
	);
}

function name(
	spec: Common & { default: string; expected: string; fix: string },
): OptionDeclaration {
	return declare(spec, { type: 'string', default: spec.default }, (value, field) =>
		field.name(value, spec.expected, spec.fix),
	);
}

function choice(
	spec: Common & {
		default: string;
		choices: Array<{ name: string; value: string; description: string }>;
		fix: string;
		/** Name the values in the error: for options whose values an expression must give. */
		listedInError?: boolean;
		alwaysSent?: boolean;
		toolRunDefault?: string;
	},
): OptionDeclaration {
	const values = spec.choices.map((option) => option.value);
	const declaration = declare(
		spec,
		{ type: 'options', default: spec.default, options: spec.choices },
		(value, field) =>
			field.choice(value, values, spec.fix, { listed: spec.listedInError === true }),
		spec.alwaysSent,
	);
	return { ...declaration, toolRunDefault: spec.toolRunDefault };
}

// ---------------------------------------------------------------------------------------------
// The options, in the order the UI lists them
// ---------------------------------------------------------------------------------------------

export const OPTIONS: readonly OptionDeclaration[] = [
	decimal({
		name: 'cfgScale',
		displayName: 'CFG Scale',
		operations: IMAGE_OPERATIONS,
		to: 'body.cfg_scale',
		range: CFG_SCALE,
		decimals: 1,
		description: `How closely the image follows the prompt, ${CFG_SCALE.min}.0 to ${CFG_SCALE.max}.0. StepFun's default is ${CFG_SCALE.default}.0.`,
		fix: `Use a value from ${CFG_SCALE.min}.0 to ${CFG_SCALE.max}.0; ${CFG_SCALE.default}.0 is StepFun's default.`,
	}),
	integer({
		name: 'concurrency',
		displayName: 'Concurrency',
		operations: IMAGE_RESOURCE,
		to: 'run.concurrency',
		range: CONCURRENCY,
		description: `How many requests to StepFun run at the same time, across all items and images, and across every StepFun Image node and execution of this n8n process using the same credential (the lowest setting among those running applies). StepFun's lowest tier allows about ${CONCURRENCY.max} per account; the default leaves room for other uses of the key.`,
		fix: `Use a whole number from ${CONCURRENCY.min} to ${CONCURRENCY.max}.`,
	}),
	choice({
		name: 'detail',
		displayName: 'Detail',
		operations: ANALYZE,
		to: 'analysis.detail',
		onlyWhenAdded: true,
		default: 'low',
		description: 'How closely StepFun looks at each image. Left out, StepFun uses Low.',
		choices: [
			{
				name: 'Low',
				value: 'low',
				description: 'The image scaled to a fixed size, about 400 tokens: fast and cheap',
			},
			{
				name: 'High',
				value: 'high',
				description: 'More detail: large images, small text (OCR), extreme aspect ratios',
			},
		],
		fix: 'Pick Low or High; an expression must give low or high.',
		listedInError: true,
	}),
	name({
		name: 'fileName',
		displayName: 'File Name',
		operations: IMAGE_OPERATIONS,
		to: 'output.fileName',
		default: DEFAULT_FILE_NAME,
		expected: 'text',
		description:
			'Name of the output file. {seed}, {ext}, {item} (input item number) and {image} (image number within the item) are replaced; n8n expressions work too.',
		fix: `Enter a file name such as ${DEFAULT_FILE_NAME}.`,
	}),
	flag({
		name: 'includeInputFields',
		displayName: 'Include Input Fields',
		operations: EVERY_OPERATION,
		to: 'output.includeInputFields',
		description:
			"Whether to copy the input item's JSON fields into each output item (e.g. a form's email field for a later Slack or Gmail node). The node's own fields win on a name clash.",
	}),
	flag({
		name: 'includeReasoning',
		displayName: 'Include Reasoning',
		operations: ANALYZE,
		to: 'output.includeReasoning',
		description:
			"Whether to output the model's reasoning (reasoning models such as step-3.7-flash) in a field reasoning",
	}),
	flag({
		name: 'jsonOutput',
		displayName: 'JSON Output',
		operations: ANALYZE,
		to: 'analysis.jsonOutput',
		description:
			'Whether to ask for a JSON object (response_format json_object) and output it parsed, in a field parsed. Say in the prompt which fields you want.',
	}),
	flag({
		name: 'keepInputBinary',
		displayName: 'Keep Input Binary',
		operations: IMAGE_RESOURCE,
		to: 'output.keepInputBinary',
		description:
			"Whether to carry the input item's binary files along (e.g. the original photo for a before/after message). The output image wins on a name clash.",
	}),
	integer({
		name: 'maxRetries',
		displayName: 'Max Retries',
		operations: EVERY_OPERATION,
		to: 'request.maxRetries',
		range: MAX_RETRIES,
		description:
			'How often to resend a request StepFun refused without making anything: 429 (rate limit), 503 (unavailable), or a connection that failed before the request was sent. Waits grow between tries.',
		fix: `Use a whole number from ${MAX_RETRIES.min} to ${MAX_RETRIES.max}.`,
	}),
	integer({
		name: 'maxTokens',
		displayName: 'Max Tokens',
		operations: ANALYZE,
		to: 'body.max_tokens',
		range: MAX_TOKENS,
		description:
			"The most tokens StepFun may write, reasoning included. Left out, there is no limit within the model's context.",
		fix: `Use a whole number from ${MAX_TOKENS.min} to ${MAX_TOKENS.max}.`,
	}),
	limitedText({
		name: 'negativePrompt',
		displayName: 'Negative Prompt',
		operations: IMAGE_OPERATIONS,
		to: 'body.negative_prompt',
		rows: 2,
		maxCharacters: PROMPT_MAX_CHARACTERS,
		description: `What the image should not show, at most ${PROMPT_MAX_CHARACTERS} characters`,
		uiHint:
			"Needs CFG Scale above 1.0: at StepFun's default of 1.0 the negative prompt is ignored.",
	}),
	integer({
		name: 'numberOfImages',
		displayName: 'Number of Images',
		operations: IMAGE_OPERATIONS,
		to: 'images.numberOfImages',
		range: IMAGES_PER_ITEM,
		description: `How many images to make per input item, 1 to ${IMAGES_PER_ITEM.max}. StepFun makes one per request, so each is a separate (billed) request. With a Seed, the images use seed, seed+1, …`,
		fix: `Use a whole number from ${IMAGES_PER_ITEM.min} to ${IMAGES_PER_ITEM.max}.`,
	}),
	choice({
		name: 'onContentFiltered',
		displayName: 'On Content Filtered',
		operations: IMAGE_OPERATIONS,
		to: 'output.onContentFiltered',
		default: 'error',
		description:
			'What to do when StepFun stops a generation at content moderation (finish reason content_filtered)',
		choices: [
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
		fix: 'Pick Error, Output Item Without Image or Skip.',
	}),
	name({
		name: 'outputBinaryField',
		displayName: 'Put Output in Field',
		operations: IMAGE_OPERATIONS,
		to: 'output.binaryField',
		default: 'data',
		expected: 'a field name',
		description: 'The binary field the image is written to',
		fix: 'Enter the name of a binary field, e.g. data.',
	}),
	choice({
		name: 'reasoningEffort',
		displayName: 'Reasoning Effort',
		operations: ANALYZE,
		to: 'body.reasoning_effort',
		default: 'medium',
		description: 'How much a reasoning model (step-3.7-flash) thinks before it answers',
		choices: [
			{ name: 'Low', value: 'low', description: 'Quicker, fewer tokens' },
			{ name: 'Medium', value: 'medium', description: 'Balanced' },
			{ name: 'High', value: 'high', description: 'More thorough, more tokens' },
		],
		fix: 'Pick Low, Medium or High; an expression must give low, medium or high.',
		listedInError: true,
	}),
	integer({
		name: 'requestsPerMinute',
		displayName: 'Requests per Minute',
		operations: IMAGE_RESOURCE,
		to: 'run.requestsPerMinute',
		range: REQUESTS_PER_MINUTE,
		description: `At most this many requests to StepFun start in any minute, counted over every StepFun Image node and execution of this n8n process using the same credential (the lowest setting among those running applies). Requests within it start at once, up to Concurrency; after a 429 the node spaces them out until StepFun accepts them again. StepFun's lowest tier allows about ${REQUESTS_PER_MINUTE.default} per account, the default.`,
		fix: `Use a whole number from ${REQUESTS_PER_MINUTE.min} to ${REQUESTS_PER_MINUTE.max}; your StepFun tier's limit at most.`,
	}),
	choice({
		name: 'responseFormat',
		displayName: 'Response Format',
		operations: IMAGE_OPERATIONS,
		to: 'body.response_format',
		// The node's default differs from StepFun's (url), so it is always sent.
		alwaysSent: true,
		default: 'b64_json',
		// An AI Agent's chat cannot show a tool's file, only a link: so a tool run asks for one.
		toolRunDefault: 'url',
		description:
			'How StepFun hands over the image. Either way the node outputs the image file. Left out, an AI Agent tool run uses URL, so the chat can show the image by its link.',
		choices: [
			{
				name: 'Base64 (in the Response)',
				value: 'b64_json',
				description: 'The image comes inside the API answer',
			},
			{
				name: 'URL (Downloaded by the Node)',
				value: 'url',
				description:
					'StepFun returns a link which the node downloads at once; the link and until when it works are also output',
			},
		],
		fix: 'Pick "Base64 (in the Response)" or "URL (Downloaded by the Node)"; an expression must give b64_json or url.',
		listedInError: true,
	}),
	flag({
		name: 'retryAfterTimeout',
		displayName: 'Retry Possibly Billed Requests',
		operations: IMAGE_RESOURCE,
		to: 'request.retryAfterTimeout',
		description:
			'Whether to resend (up to Max Retries) a request StepFun may already have made and billed: it timed out, its connection broke after it was sent, or StepFun or a gateway answered 500, 502 or 504. A resend can charge twice.',
	}),
	integer({
		name: 'seed',
		displayName: 'Seed',
		operations: IMAGE_OPERATIONS,
		to: 'body.seed',
		range: SEED,
		description: `Same seed, same prompt: a similar image. ${SEED.min} to ${SEED.max}. Leave this option out for a random seed.`,
		fix: `Use a whole number from ${SEED.min} to ${SEED.max}, or remove the Seed option for a random seed.`,
	}),
	integer({
		name: 'steps',
		displayName: 'Steps',
		operations: IMAGE_OPERATIONS,
		to: 'body.steps',
		range: STEPS,
		description: `Generation steps, ${STEPS.min} to ${STEPS.max}. More can add detail and takes longer. StepFun's default is ${STEPS.default}.`,
		fix: `Use a whole number from ${STEPS.min} to ${STEPS.max}; ${STEPS.default} is StepFun's default.`,
	}),
	limitedText({
		name: 'systemMessage',
		displayName: 'System Message',
		operations: ANALYZE,
		to: 'analysis.systemMessage',
		rows: 2,
		description:
			'Instructions that frame every answer, e.g. "You describe product photos for an online shop in one sentence."',
	}),
	decimal({
		name: 'temperature',
		displayName: 'Temperature',
		operations: ANALYZE,
		to: 'body.temperature',
		range: TEMPERATURE,
		decimals: 1,
		description: `Randomness of the answer, ${TEMPERATURE.min.toFixed(1)} (focused) to ${TEMPERATURE.max.toFixed(1)} (varied). StepFun's default is ${TEMPERATURE.default}.`,
		fix: `Use a value from ${TEMPERATURE.min.toFixed(1)} to ${TEMPERATURE.max.toFixed(1)}.`,
	}),
	flag({
		name: 'textMode',
		displayName: 'Text Mode',
		operations: IMAGE_OPERATIONS,
		to: 'body.text_mode',
		description: 'Whether to optimise for rendering text in the image (signs, posters, labels)',
	}),
	integer({
		name: 'timeout',
		displayName: 'Timeout (Seconds)',
		operations: EVERY_OPERATION,
		to: 'request.timeoutMs',
		range: TIMEOUT_SECONDS,
		scale: 1000,
		description: 'How long to wait for StepFun to answer one request',
		fix: `Use a whole number of seconds from ${TIMEOUT_SECONDS.min} to ${TIMEOUT_SECONDS.max}; ${TIMEOUT_SECONDS.default} suits image generation and analysis.`,
	}),
	decimal({
		name: 'topP',
		displayName: 'Top P',
		operations: ANALYZE,
		to: 'body.top_p',
		range: TOP_P,
		decimals: 2,
		description: `Nucleus sampling: the share of likely tokens the model picks from, ${TOP_P.min} to ${TOP_P.max}. StepFun's default is ${TOP_P.default}.`,
		fix: `Use a value above 0, up to ${TOP_P.max.toFixed(2)}.`,
	}),
];

const isRunWide = (option: OptionDeclaration) => option.to.startsWith('run.');
const shownBy = (operation: OperationName) => (option: OptionDeclaration) =>
	option.operations.includes(operation);

/** The Options collection an operation shows. */
export function optionsCollection(operation: OperationName): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: OPTIONS.filter(shownBy(operation)).map((option) => option.property),
	};
}

function place(target: Record<string, Record<string, unknown>>, to: Destination, value: unknown) {
	const [group, key] = to.split('.', 2);
	target[group] ??= {};
	target[group][key] = value;
}

/** The item's Options collection; an expression that fails there is named by its option. */
function readOptions(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	try {
		return ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	} catch {
		const added = (ctx.getNode().parameters.options ?? {}) as IDataObject;
		// Each option on its own: the one whose expression fails throws, naming itself.
		for (const key of Object.keys(added)) readParameter(ctx, `options.${key}`, itemIndex, null);
		return readParameter(ctx, 'options', itemIndex, {}) as IDataObject;
	}
}

function readDeclared(
	ctx: IExecuteFunctions,
	itemIndex: number,
	declarations: readonly OptionDeclaration[],
): Record<string, Record<string, unknown>> {
	const read: Record<string, Record<string, unknown>> = {
		body: {},
		request: {},
		images: {},
		analysis: {},
		output: {},
		run: {},
	};
	const given = readOptions(ctx, itemIndex);
	const toolRun = isAgentToolRun(ctx);
	for (const option of declarations) {
		const { name: key, displayName, default: fallback } = option.property;
		const value = given[key] ?? (toolRun ? option.toolRunDefault : undefined);
		const omitted = option.to.startsWith('body.') ? !option.alwaysSent : option.onlyWhenAdded;
		if (value === undefined && omitted) continue;
		const field = new FieldCheck(ctx, itemIndex, displayName);
		place(read, option.to, option.check(value ?? fallback, field));
	}
	return read;
}

/** Reads and checks the options of one item, before anything is sent. */
export function readItemOptions(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: OperationName,
): ItemOptions {
	const declarations = OPTIONS.filter(shownBy(operation)).filter((option) => !isRunWide(option));
	const options = readDeclared(ctx, itemIndex, declarations) as unknown as ItemOptions;
	const seed = options.body.seed;
	const count = options.images.numberOfImages;
	// Each further image of an item uses the next seed, so the last one must still be valid.
	if (typeof seed === 'number' && count !== undefined && seed + count - 1 > SEED.max) {
		throw new FieldCheck(ctx, itemIndex, 'Seed').invalid(
			`${seed} + ${count - 1} more images goes past ${SEED.max}`,
			`Use a seed of at most ${SEED.max - count + 1}: each further image uses the next seed.`,
		);
	}
	return options;
}

/** Options that hold for the whole run, read from the first item. */
export function readRunOptions(ctx: IExecuteFunctions, operation: OperationName): RunSettings {
	const declarations = OPTIONS.filter(shownBy(operation)).filter(isRunWide);
	return readDeclared(ctx, 0, declarations).run as unknown as RunSettings;
}
