// A parameter of the node: declared once (its UI, default and bounds, how a value is checked, and
// where the value goes), read for one item (a failing expression named), and checked, with an
// error that names the field and the item. Imports nothing of the node.
import type {
	IDataObject,
	IExecuteFunctions,
	INodeProperties,
	NodeParameterValueType,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/** Bad input: names the field and the item, says how to fix it. Nothing is sent. */
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

/** A value as a user recognises it in an error: short text quoted, objects by kind. */
export function describeValue(value: unknown): string {
	if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
	if (value === null || value === undefined) return 'empty';
	if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
	return String(value);
}

/** Characters as StepFun counts them (Unicode code points), not UTF-16 units or bytes. */
export function characterCount(text: string): number {
	let count = 0;
	for (let index = 0; index < text.length; index++) {
		const unit = text.charCodeAt(index);
		// A high surrogate followed by a low one is a single character (e.g. an emoji).
		if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
			const next = text.charCodeAt(index + 1);
			if (next >= 0xdc00 && next <= 0xdfff) index++;
		}
		count++;
	}
	return count;
}

/**
 * A node parameter of one item, as n8n resolves it (expressions evaluated); `name` may be a
 * path such as `options.seed`. When n8n cannot evaluate its expression, the error names the
 * parameter and the item instead of surfacing n8n's bare message ("invalid syntax",
 * "Referenced node doesn't exist").
 */
export function readParameter(
	ctx: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback: NodeParameterValueType | object,
	options?: { extractValue?: boolean },
): unknown {
	try {
		return ctx.getNodeParameter(name, itemIndex, fallback, options);
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		return failExpression(ctx, itemIndex, name, message);
	}
}

function failExpression(
	ctx: IExecuteFunctions,
	itemIndex: number,
	parameter: string,
	message: string,
): never {
	throw new NodeOperationError(
		ctx.getNode(),
		`Parameter "${parameter}": its expression failed: ${message} (item ${itemIndex})`,
		{
			itemIndex,
			description: `Fix the expression of "${parameter}"; open it to see what it gives for item ${itemIndex}.`,
		},
	);
}

/**
 * Checks one field's value of one item and says, on failure, which field, which item, what
 * was wrong and how to fix it. `label` is the field's name as the UI shows it.
 */
export class FieldCheck {
	constructor(
		private readonly ctx: IExecuteFunctions,
		readonly itemIndex: number,
		readonly label: string,
	) {}

	/** The error for this field; the caller throws it. */
	invalid(problem: string, hint: string): NodeOperationError {
		return invalidField(this.ctx, this.itemIndex, this.label, problem, hint);
	}

	/**
	 * Text StepFun limits by characters (a prompt): kept exactly as given, at most
	 * `maxCharacters` code points; `required` refuses empty or blank text.
	 */
	limitedText(
		value: unknown,
		{ required, maxCharacters }: { required: boolean; maxCharacters?: number },
	): string {
		// An expression that found nothing (e.g. a misspelt field) gives undefined.
		if (value === undefined || value === null) value = '';
		if (typeof value !== 'string') {
			throw this.invalid(
				`expected text, got ${describeValue(value)}`,
				`If ${this.label} is an expression, make it produce text, e.g. {{ String($json.field) }}.`,
			);
		}
		if (required && value.trim() === '') {
			throw this.invalid(
				'is empty',
				`Enter a ${this.label.toLowerCase()}, or check that the expression finds a value for this item.`,
			);
		}
		const length = characterCount(value);
		if (maxCharacters !== undefined && length > maxCharacters) {
			const over = length - maxCharacters;
			throw this.invalid(
				`is ${length} characters long; StepFun accepts at most ${maxCharacters}`,
				`Shorten it by ${over === 1 ? '1 character' : `${over} characters`}. StepFun counts characters, so one Chinese character or emoji counts as one.`,
			);
		}
		return value;
	}

	/** A required name or ID (model, field name, file name): trimmed, never empty. */
	name(value: unknown, expected: string, hint: string): string {
		if (typeof value === 'string' && value.trim() !== '') return value.trim();
		const problem =
			typeof value === 'string' || value === undefined || value === null
				? 'is empty'
				: `expected ${expected}, got ${describeValue(value)}`;
		throw this.invalid(problem, hint);
	}

	/** A whole number in a range; numeric text from an expression is accepted. */
	integer(value: unknown, min: number, max: number, hint: string): number {
		const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
		if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
			throw this.invalid(
				`must be a whole number from ${min} to ${max}, got ${describeValue(value)}`,
				hint,
			);
		}
		return number;
	}

	/** A number in a range, shown with `decimals` places in the message. */
	decimal(value: unknown, min: number, max: number, decimals: number, hint: string): number {
		const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
		if (typeof number !== 'number' || !Number.isFinite(number) || number < min || number > max) {
			throw this.invalid(
				`must be a number from ${min.toFixed(decimals)} to ${max.toFixed(decimals)}, got ${describeValue(value)}`,
				hint,
			);
		}
		return number;
	}

	boolean(value: unknown): boolean {
		if (typeof value !== 'boolean') {
			throw this.invalid(
				`expected true or false, got ${describeValue(value)}`,
				`Switch ${this.label} on or off, or make its expression produce a boolean.`,
			);
		}
		return value;
	}

	/**
	 * One of a fixed set of values. `listed` says the values in the message, for options whose
	 * values are what an expression must give.
	 */
	choice<T extends string>(
		value: unknown,
		values: readonly T[],
		hint: string,
		{ listed }: { listed: boolean },
	): T {
		if (typeof value === 'string' && (values as readonly string[]).includes(value))
			return value as T;
		throw this.invalid(
			listed
				? `must be ${values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values[0]}, got ${describeValue(value)}`
				: `unknown choice ${describeValue(value)}`,
			hint,
		);
	}
}

// ---------------------------------------------------------------------------------------------
// Declarations: one per field or option, so its UI and its check share their bounds
// ---------------------------------------------------------------------------------------------

/**
 * A field or option declared once. `to` says where an item's checked value goes: a group and a
 * key, e.g. `body.cfg_scale` (an API field under StepFun's name) or `request.timeoutMs`.
 */
export interface Declaration<To extends string = string> {
	/** The UI, without displayOptions (the operation that shows it says where). */
	property: INodeProperties;
	to: To;
	/** A body field sent with its default even when the user did not add the option. */
	alwaysSent?: boolean;
	/** A setting (not a body field) left undefined when the user did not add the option. */
	onlyWhenAdded?: boolean;
	/** The value used when the user did not add the option and an AI Agent runs the node. */
	toolRunDefault?: string;
	/** Checks one item's value (the default when the option was not added). */
	check: (value: unknown, field: FieldCheck) => unknown;
}

/** A number a user sets: its bounds, and the value the UI starts from. */
interface Bounds {
	min: number;
	max: number;
	default: number;
}

interface Common<To extends string> {
	name: string;
	displayName: string;
	description: string;
	to: To;
	onlyWhenAdded?: boolean;
}

/** A declaration from its UI and its check. */
export function declare<To extends string>(
	spec: Common<To>,
	ui: Pick<INodeProperties, 'type' | 'default' | 'typeOptions' | 'options' | 'hint'>,
	check: Declaration['check'],
	alwaysSent?: boolean,
): Declaration<To> {
	const { name: key, displayName, description, to, onlyWhenAdded } = spec;
	return {
		property: { displayName, name: key, description, ...ui },
		to,
		alwaysSent,
		onlyWhenAdded,
		check,
	};
}

/** The UI of a number within `range`, shown with `decimals` places. */
function numberUi(range: Bounds, decimals: number): Parameters<typeof declare>[1] {
	const { min, max } = range;
	return {
		type: 'number',
		default: range.default,
		typeOptions: { minValue: min, maxValue: max, numberPrecision: decimals },
	};
}

/** A whole number; `scale` converts it for its destination (seconds to milliseconds). */
export function integer<To extends string>(
	spec: Common<To> & { range: Bounds; fix: string; scale?: number },
): Declaration<To> {
	const { min, max } = spec.range;
	return declare(
		spec,
		numberUi(spec.range, 0),
		(value, field) => field.integer(value, min, max, spec.fix) * (spec.scale ?? 1),
	);
}

export function decimal<To extends string>(
	spec: Common<To> & { range: Bounds; decimals: number; fix: string },
): Declaration<To> {
	const { min, max } = spec.range;
	return declare(spec, numberUi(spec.range, spec.decimals), (value, field) =>
		field.decimal(value, min, max, spec.decimals, spec.fix),
	);
}

/** A switch; off unless the user turns it on. */
export function flag<To extends string>(spec: Common<To>): Declaration<To> {
	return declare(spec, { type: 'boolean', default: false }, (value, field) => field.boolean(value));
}

/**
 * Text StepFun limits by characters. `required`: never blank (a prompt); the description says
 * the limit, so it is written once.
 */
export function limitedText<To extends string>(
	spec: Common<To> & {
		rows: number;
		maxCharacters?: number;
		required?: boolean;
		placeholder?: string;
		uiHint?: string;
	},
): Declaration<To> {
	const { maxCharacters, required = false } = spec;
	const declaration = declare(
		{
			...spec,
			description:
				maxCharacters === undefined || !required
					? spec.description
					: `${spec.description} At most ${maxCharacters} characters.`,
		},
		{ type: 'string', default: '', typeOptions: { rows: spec.rows }, hint: spec.uiHint },
		(value, field) => field.limitedText(value, { required, maxCharacters }),
	);
	if (required) declaration.property.required = true;
	if (spec.placeholder !== undefined) declaration.property.placeholder = spec.placeholder;
	return declaration;
}

export function name<To extends string>(
	spec: Common<To> & { default: string; expected: string; fix: string },
): Declaration<To> {
	return declare(spec, { type: 'string', default: spec.default }, (value, field) =>
		field.name(value, spec.expected, spec.fix),
	);
}

export function choice<To extends string>(
	spec: Common<To> & {
		default: string;
		choices: Array<{ name: string; value: string; description: string }>;
		fix: string;
		/** Name the values in the error: for options whose values an expression must give. */
		listedInError?: boolean;
		alwaysSent?: boolean;
		toolRunDefault?: string;
	},
): Declaration<To> {
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
// Reading declared fields and options of one item
// ---------------------------------------------------------------------------------------------

/** The Options collection that shows these options, in alphabetical order as n8n lists them. */
export function optionsCollection(options: readonly Declaration[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: options
			.map((option) => option.property)
			.sort((a, b) => a.displayName.localeCompare(b.displayName)),
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
 * Reads and checks one item's declared fields (top-level parameters) and options (in the
 * Options collection), each placed by its `to`: `{ group: { key: value } }`. In an AI Agent's
 * tool run (`toolRun`) an option left out takes its `toolRunDefault`, if it has one.
 */
export function readDeclared(
	ctx: IExecuteFunctions,
	itemIndex: number,
	declarations: { fields: readonly Declaration[]; options: readonly Declaration[] },
	{ toolRun }: { toolRun: boolean },
): Record<string, Record<string, unknown>> {
	const read: Record<string, Record<string, unknown>> = {};
	const place = (to: string, value: unknown) => {
		const [group, key] = to.split('.', 2);
		read[group] ??= {};
		read[group][key] = value;
	};
	for (const field of declarations.fields) {
		const { name: key, displayName, default: fallback, type } = field.property;
		// A resource locator (Model) is read as the ID it holds, whichever mode the user picked.
		const locator = type === 'resourceLocator';
		const value = readParameter(
			ctx,
			key,
			itemIndex,
			locator ? (fallback as { value: string }).value : fallback,
			{ extractValue: locator },
		);
		place(field.to, field.check(value, new FieldCheck(ctx, itemIndex, displayName)));
	}
	if (declarations.options.length === 0) return read;
	const given = readOptionsCollection(ctx, itemIndex);
	for (const option of declarations.options) {
		const { name: key, displayName, default: fallback } = option.property;
		const value = given[key] ?? (toolRun ? option.toolRunDefault : undefined);
		const omitted = option.to.startsWith('body.') ? !option.alwaysSent : option.onlyWhenAdded;
		if (value === undefined && omitted) continue;
		place(option.to, option.check(value ?? fallback, new FieldCheck(ctx, itemIndex, displayName)));
	}
	return read;
}
