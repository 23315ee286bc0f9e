// A parameter of the node: declared once (UI, default and bounds, check, where the value goes),
// read for one item (a failing expression named) and checked, with an error naming the field and
// the item. The check's return type is the type an operation declaring it receives (operation.ts).
import type {
	GenericValue,
	IExecuteFunctions,
	INodeProperties,
	NodeParameterValueType,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Range } from '../shared/limits';

/** A value as a user recognises it in an error: short text quoted, objects by kind. */
export function describeValue(value: unknown): string {
	if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
	if (value === null || value === undefined) return 'empty';
	if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
	return String(value);
}

/**
 * Characters as StepFun counts them: Unicode code points (an emoji is one), which is what a
 * string's iterator gives, not UTF-16 units or bytes.
 */
export function characterCount(text: string): number {
	return [...text].length;
}

/**
 * A node parameter of one item, as n8n resolves it; `name` may be a path (`options.seed`). When its
 * expression fails, the error names the parameter and the item, not only n8n's bare message
 * ("invalid syntax", "Referenced node doesn't exist").
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
		throw new FieldCheck(ctx, itemIndex, `Parameter "${name}"`).invalid(
			`its expression failed: ${message}`,
			`Fix the expression of "${name}"; open it to see what it gives for item ${itemIndex}.`,
		);
	}
}

/**
 * One field's value of one item, being checked. Bad input: the error names the field (`label`, as
 * the UI shows it) and the item, and says how to fix it; nothing is sent.
 */
export class FieldCheck {
	constructor(
		private readonly ctx: IExecuteFunctions,
		readonly itemIndex: number,
		readonly label: string,
	) {}

	/** The error for this field; the caller throws it. */
	invalid(problem: string, hint: string): NodeOperationError {
		const { itemIndex } = this;
		const message = `${this.label}: ${problem} (item ${itemIndex})`;
		return new NodeOperationError(this.ctx.getNode(), message, { itemIndex, description: hint });
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
}

/**
 * A field or option declared once, so its UI and its check share their bounds. `V` is the type
 * its check gives; `W` says whether it is only there when the user added it (then an operation
 * gets `V | undefined`, never the default).
 */
export interface Parameter<
	N extends string = string,
	V extends GenericValue = GenericValue,
	W extends boolean = boolean,
> {
	name: N;
	/** The UI, without displayOptions (the operation that shows it says where). */
	property: INodeProperties;
	/** Checks one item's value (an option's default when it was not added). */
	check: (value: unknown, field: FieldCheck) => V;
	whenAdded?: W;
	/** An API field, by StepFun's name: the value goes into the request body as it is. */
	apiField?: string;
	/** The value used when the user did not add the option and an AI Agent runs the node. */
	toolRunDefault?: string;
}

type Spec<N extends string, W extends boolean> = Pick<
	Parameter<N, GenericValue, W>,
	'name' | 'whenAdded' | 'apiField' | 'toolRunDefault'
> & { displayName: string; description: string };

type Ui = Omit<INodeProperties, 'name' | 'displayName' | 'description'>;

/** A parameter from its UI and its check. */
export function declare<N extends string, V extends GenericValue, W extends boolean = false>(
	{ name, displayName, description, whenAdded, apiField, toolRunDefault }: Spec<N, W>,
	ui: Ui,
	check: (value: unknown, field: FieldCheck) => V,
): Parameter<N, V, W> {
	const property = { displayName, name, description, ...ui };
	return { name, property, check, whenAdded, apiField, toolRunDefault };
}

/**
 * A number in its range (from limits.ts), with `decimals` places in the UI and in the error (none:
 * a whole number); numeric text from an expression is taken as the number it says. `scale`
 * converts it for where it goes (seconds to milliseconds).
 */
export function numeric<const N extends string, const W extends boolean = false>(
	spec: Spec<N, W> & { range: Range; decimals?: number; scale?: number; fix?: string },
): Parameter<N, number, W> {
	const { range, decimals = 0, scale = 1 } = spec;
	const { min, max } = range;
	const kind = decimals === 0 ? 'a whole number' : 'a number';
	const bounds = `${kind} from ${min.toFixed(decimals)} to ${max.toFixed(decimals)}`;
	const typeOptions = { minValue: min, maxValue: max, numberPrecision: decimals };
	return declare(spec, { type: 'number', default: range.default, typeOptions }, (value, field) => {
		const given = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
		const fits = decimals === 0 ? Number.isInteger(given) : Number.isFinite(given);
		if (typeof given !== 'number' || !fits || given < min || given > max) {
			throw field.invalid(
				`must be ${bounds}, got ${describeValue(value)}`,
				spec.fix ?? `Use ${bounds}.`,
			);
		}
		return given * scale;
	});
}

/** A switch; off unless the user turns it on. */
export function flag<const N extends string, const W extends boolean = false>(spec: Spec<N, W>) {
	return declare(spec, { type: 'boolean', default: false }, (value, field) => {
		if (typeof value === 'boolean') return value;
		throw field.invalid(
			`expected true or false, got ${describeValue(value)}`,
			`Switch ${field.label} on or off, or make its expression produce a boolean.`,
		);
	});
}

/**
 * Text StepFun limits by characters (a prompt): kept as given (not trimmed), at most
 * `maxCharacters` code points. `required`: never blank, and the description states the limit.
 */
export function limitedText<const N extends string, const W extends boolean = false>(
	spec: Spec<N, W> & { rows: number; maxCharacters?: number; required?: boolean },
	ui: Pick<INodeProperties, 'placeholder' | 'hint'> = {},
): Parameter<N, string, W> {
	const { maxCharacters, required = false } = spec;
	const description =
		maxCharacters === undefined || !required
			? spec.description
			: `${spec.description} At most ${maxCharacters} characters.`;
	const textUi: Ui = { type: 'string', default: '', typeOptions: { rows: spec.rows } };
	if (required) textUi.required = true;
	return declare({ ...spec, description }, { ...textUi, ...ui }, (given, field) => {
		// An expression that found nothing (e.g. a misspelt field) gives undefined.
		const value = given ?? '';
		if (typeof value !== 'string') {
			throw field.invalid(
				`expected text, got ${describeValue(value)}`,
				`If ${field.label} is an expression, make it produce text, e.g. {{ String($json.field) }}.`,
			);
		}
		if (required && value.trim() === '') {
			throw field.invalid(
				'is empty',
				`Enter a ${field.label.toLowerCase()}, or check that the expression finds a value for this item.`,
			);
		}
		const length = characterCount(value);
		if (maxCharacters !== undefined && length > maxCharacters) {
			const over = length - maxCharacters;
			throw field.invalid(
				`is ${length} characters long; StepFun accepts at most ${maxCharacters}`,
				`Shorten it by ${over === 1 ? '1 character' : `${over} characters`}. StepFun counts characters, so one Chinese character or emoji counts as one.`,
			);
		}
		return value;
	});
}

/** A required name (a file name, a field name): trimmed, never empty. */
export function name<const N extends string>(
	spec: Spec<N, false> & { default: string; expected: string; fix: string },
): Parameter<N, string, false> {
	return declare(spec, { type: 'string', default: spec.default }, (value, field) =>
		field.name(value, spec.expected, spec.fix),
	);
}

/** One of a fixed set of values; its type is the union of the values. */
export function choice<
	const N extends string,
	const V extends string,
	const W extends boolean = false,
>(
	spec: Spec<N, W> & {
		default: NoInfer<V>;
		choices: ReadonlyArray<{ name: string; value: V; description: string }>;
		fix: string;
		/** Name the values in the error: for options whose values an expression must give. */
		listedInError?: boolean;
	},
): Parameter<N, V, W> {
	const values = spec.choices.map((option) => option.value);
	const ui: Ui = { type: 'options', default: spec.default, options: [...spec.choices] };
	const listed = `must be ${values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values[0]}`;
	return declare(spec, ui, (value, field) => {
		const known = values.find((candidate) => candidate === value);
		if (known !== undefined) return known;
		const given = describeValue(value);
		const problem = spec.listedInError ? `${listed}, got ${given}` : `unknown choice ${given}`;
		throw field.invalid(problem, spec.fix);
	});
}
