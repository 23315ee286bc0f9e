// What an operation is: what it declares, what it receives for each item (typed from its
// declarations by defineOperation), and the plain data that passes between it, the runner and
// the output. The operation list (actions/operations.ts) says which operations there are.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ImageType } from '../shared/image';
import {
	CONCURRENCY,
	DEFAULT_FILE_NAME,
	MAX_RETRIES,
	REQUESTS_PER_MINUTE,
	SEED,
	TIMEOUT_SECONDS,
} from '../shared/limits';
import { isAgentToolRun } from '../transport/n8n-dependencies';
import type { ApiResponse, FilePart, PlainRequest } from '../transport/types';
import type { Parameter } from './parameters';
import { FieldCheck, readParameter } from './parameters';

export type ResourceName = 'image' | 'account';

/** Which models the Model field's "From List" puts first, how it labels them, and the one always offered. */
export interface ModelKind {
	label: string;
	matches: RegExp;
	always: string;
}

/**
 * The item options the engine reads, by parameter name, with the type their check gives: the
 * values of those an operation does not show. defineOperation refuses an operation that declares
 * one of these names with another type.
 */
const ITEM_SETTINGS = {
	/** Per request, in milliseconds. */
	timeout: TIMEOUT_SECONDS.default * 1000,
	maxRetries: MAX_RETRIES.default,
	/** Resend a request StepFun may already have billed ("Retry Possibly Billed Requests"). */
	retryAfterTimeout: false,
	includeInputFields: false,
	keepInputBinary: false,
	/** How many requests the item makes, one image each, from the seed on when there is one. */
	numberOfImages: 1,
	seed: undefined as number | undefined,
	fileName: DEFAULT_FILE_NAME,
	outputBinaryField: 'data',
	onContentFiltered: 'error' as 'error' | 'outputItem' | 'skip',
};
export type ItemSettings = typeof ITEM_SETTINGS;

/**
 * Options that hold for the whole run, read from the first item. An operation without them (Get
 * Balance) runs at the most they allow, so it never tightens the pace of other runs of the key.
 */
const RUN_SETTINGS = { concurrency: CONCURRENCY.max, requestsPerMinute: REQUESTS_PER_MINUTE.max };
export type RunSettings = typeof RUN_SETTINGS;

/** A field: declared (read and checked for the operation), or a plain property it reads itself. */
export type Field = Parameter | INodeProperties;

type Scope = 'item' | 'run';

/** Its check's type, and undefined too when it is only there when the user added it. */
type ValueOf<P> =
	P extends Parameter<string, infer V, infer W> ? (true extends W ? V | undefined : V) : never;

/** The values declarations `D` give for one item (or, `S` = 'run', for the run), by name. */
export type ValuesOf<D extends readonly Field[], S extends Scope = 'item'> = {
	[P in Extract<D[number], Parameter> as (
		P['name'] extends keyof RunSettings ? 'run' : 'item'
	) extends S
		? P['name']
		: never]: ValueOf<P>;
};

/** The options of the engine's that `O` declares with another type than the engine reads. */
type Mismatched<
	O extends readonly Field[],
	V = ValuesOf<O, Scope>,
	E = ItemSettings & RunSettings,
> = {
	[K in keyof V & keyof E]: V[K] extends E[K] ? never : K;
}[keyof V & keyof E];

/** What an operation receives for one item: its declared fields and options, checked. */
export interface ItemValues<F extends readonly Field[], O extends readonly Field[]> {
	fields: ValuesOf<F>;
	options: ValuesOf<O>;
	/** The API options the user added (and those always sent), under StepFun's names. */
	apiFields: IDataObject;
}

/** What an operation declares, and the engine reads from it. */
interface Declared<
	F extends readonly Field[] = readonly Field[],
	O extends readonly Parameter[] = readonly Parameter[],
> {
	/** Its Operation parameter value. */
	name: string;
	resource: ResourceName;
	/** Its entry in the Operation list: what it is called, the action n8n names it by, a line of help. */
	choice: { name: string; action: string; description: string };
	/** What the canvas shows under the node's name, e.g. "Generate Image". */
	subtitle: string;
	models?: ModelKind;
	/** StepFun bills none of its requests: one whose outcome is unknown can always be resent. */
	free?: boolean;
	/** Its fields in the order shown: declared ones (Model, Prompt, Size) and its own. */
	fields: F;
	/** The shared options its Options collection shows (descriptions/options.ts). */
	options: O;
}

/** Refuses an answer that is not what StepFun promises: the error names its status and trace ID. */
export type AnswerFail = (message: string, description: string) => Error;

/**
 * What an answer becomes: image files (output.ts), said with `verb` in an agent's summary, or one
 * output item whose JSON `read` makes of the answer.
 */
type Output<ReadArgs extends unknown[]> =
	| { kind: 'images'; verb: string }
	| { kind: 'json'; read: (...args: ReadArgs) => IDataObject };

/** Everything about one operation, in its own file: what defineOperation takes. */
interface OperationSpec<F extends readonly Field[], O extends readonly Parameter[]>
	extends Declared<F, O> {
	/** One item's request from its checked values; checks its own fields (no I/O) too. */
	prepare: (ctx: IExecuteFunctions, itemIndex: number, values: ItemValues<F, O>) => PreparedItem;
	output: Output<[answer: Answer, values: ItemValues<F, O>, fail: AnswerFail]>;
}

/** An operation as the node, the runner and the output use it. */
export interface Operation extends Declared {
	readRun: (ctx: IExecuteFunctions) => RunSettings;
	/** One item read, checked and prepared. */
	prepare: (ctx: IExecuteFunctions, itemIndex: number) => ItemPlan;
}

/** One item as the runner sends it: its request, its settings, what its answers become. */
export interface ItemPlan extends PreparedItem {
	settings: ItemSettings;
	output: Output<[answer: Answer, fail: AnswerFail]>;
}

/**
 * An operation from its declarations: `prepare` and `output.read` receive the item's fields
 * and options with the types their declarations give, so using an option the operation does not
 * show is a compile error, as is declaring one the engine reads with another type.
 */
export function defineOperation<
	const F extends readonly Field[],
	const O extends readonly Parameter[],
>(
	spec: OperationSpec<F, O> &
		([Mismatched<O>] extends [never] ? unknown : { options: `${Mismatched<O>} has another type` }),
): Operation {
	const { prepare, output, ...shown } = spec;
	return {
		...shown,
		readRun: (ctx) => ({ ...RUN_SETTINGS, ...readValues(ctx, 0, spec.options, 'run') }),
		prepare: (ctx, itemIndex) => {
			const apiFields: IDataObject = {};
			const fields = readValues<F, 'item'>(ctx, itemIndex, spec.fields, 'fields');
			const options = readValues(ctx, itemIndex, spec.options, 'item', apiFields);
			const settings: ItemSettings = { ...ITEM_SETTINGS, ...options };
			const { seed, numberOfImages: count } = settings;
			// Each further image of an item uses the next seed, so the last one must still be valid.
			if (seed !== undefined && seed + count - 1 > SEED.max) {
				throw new FieldCheck(ctx, itemIndex, 'Seed').invalid(
					`${seed} + ${count - 1} more images goes past ${SEED.max}`,
					`Use a seed of at most ${SEED.max - count + 1}: each further image uses the next seed.`,
				);
			}
			const values = { fields, options, apiFields };
			return {
				...prepare(ctx, itemIndex, values),
				settings,
				output:
					output.kind === 'images'
						? output
						: { kind: 'json', read: (answer, fail) => output.read(answer, values, fail) },
			};
		},
	};
}

/** The item's Options collection; an expression that fails there is named by its option. */
function readOptionsCollection(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	try {
		return ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	} catch {
		const added = (ctx.getNode().parameters.options ?? {}) as IDataObject;
		// Each option on its own: the one whose expression fails throws, naming itself.
		for (const key of Object.keys(added)) readParameter(ctx, `options.${key}`, itemIndex, null);
		return readParameter(ctx, 'options', itemIndex, {}) as IDataObject;
	}
}

/**
 * Reads and checks one item's declared fields, or its options of one scope, by name; API options
 * also go into `apiFields` under StepFun's names. An option left out takes its default (in an AI
 * Agent's tool run its `toolRunDefault`, if any), or is left out when it is only there when added.
 */
function readValues<D extends readonly Field[], S extends Scope = 'item'>(
	ctx: IExecuteFunctions,
	itemIndex: number,
	declarations: D,
	from: 'fields' | S,
	apiFields: IDataObject = {},
): ValuesOf<D, S> {
	const values: IDataObject = {};
	let given: IDataObject | undefined;
	for (const declaration of declarations) {
		// A plain property: the operation reads it itself.
		if (!('check' in declaration)) continue;
		const { name, property } = declaration;
		const field = new FieldCheck(ctx, itemIndex, property.displayName);
		if (from === 'fields') {
			// A resource locator (Model) is read as the ID it holds, whichever mode the user picked.
			const locator = property.type === 'resourceLocator';
			const fallback = locator ? (property.default as { value: string }).value : property.default;
			const value = readParameter(ctx, name, itemIndex, fallback, { extractValue: locator });
			values[name] = declaration.check(value, field);
			continue;
		}
		if ((name in RUN_SETTINGS ? 'run' : 'item') !== from) continue;
		given ??= readOptionsCollection(ctx, itemIndex);
		const value = given[name] ?? (isAgentToolRun(ctx) ? declaration.toolRunDefault : undefined);
		if (value === undefined && declaration.whenAdded) continue;
		values[name] = declaration.check(value ?? property.default, field);
		if (declaration.apiField !== undefined) apiFields[declaration.apiField] = values[name];
	}
	// The one place the values meet their types: each is its own declaration's check's result.
	return values as ValuesOf<D, S>;
}

/**
 * Where an input image comes from, read and checked before anything is sent. A binary field is
 * what the user gave: a field name, a path into the item (n8n 2.x combined binary mode, e.g.
 * `_files.photo`), or a file object from an expression (`{{ $binary.data }}`).
 */
export type InputSource = {
	/** The field as the operation's UI names it, e.g. "Image URLs" for Analyze. */
	fieldLabel: string;
	/** This file in errors, when the field alone does not say it: the name or path found. */
	label?: string;
} & (
	| { kind: 'binary'; field: string | IDataObject }
	| { kind: 'url'; url: string }
	| { kind: 'base64'; data: string }
);

/** What an operation takes as input image; StepFun reads one still image, never an animation. */
export interface ImageAcceptance {
	types: readonly ImageType[];
	/** Neither width nor height may exceed it. */
	maxSide: number;
	/** How many images one request takes, and how many bytes all of them together, as sent. */
	maxImages: number;
	maxTotalBytes?: number;
	/** The accepted formats in a sentence, e.g. "PNG, JPEG or WebP". */
	formats: string;
	/** Why another format is refused, e.g. "StepFun edits PNG, JPEG and WebP images." */
	refusal: string;
}

/** A checked input image, ready to upload: type and extension follow the bytes. */
export interface InputImage extends FilePart {
	/** The file name as the user's file had it, for the output. */
	originalFileName?: string;
}

/** What the output says about a request, from the operation (not read back from the request). */
export interface OutputFacts {
	model?: string;
	prompt?: string;
	/** The seed the request was sent with: the item's seed + the request's number. */
	seed?: number;
	/** How many images the request holds (Analyze). */
	imageCount?: number;
}

/** One item with its parameters checked, as plain data: what an operation's `prepare` returns. */
export interface PreparedItem {
	/** The request, without the input images. */
	request: PlainRequest;
	/** Input images to read just before sending, what the operation accepts, the request with them. */
	inputs?: {
		sources: InputSource[];
		accept: ImageAcceptance;
		into: (images: InputImage[]) => PlainRequest;
	};
	/** What the output says; the engine adds the seed. */
	facts: Omit<OutputFacts, 'seed'>;
}

/** StepFun's answer to one request, with what the output says of the request. */
export interface Answer {
	operation: string;
	response: ApiResponse;
	/** Which of the item's requests this was, from 0. */
	requestIndex: number;
	/** The file name of the item's first input image, as the user's file had it. */
	inputFileName?: string;
	/** The operation's facts for this request (its seed counted on from the item's). */
	facts: OutputFacts;
	/** The API root the request went to (which region answered). */
	baseUrl: string;
}
