import type { IExecuteFunctions, NodeParameterValueType } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { characterCount } from './limits';
import { describeValue, invalidField } from './errors';

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
