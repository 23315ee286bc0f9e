import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** The two errors the node raises: bad input (nothing sent) and StepFun or network failures. */
export type NodeError = NodeApiError | NodeOperationError;

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

/**
 * Any failure as one of the node's errors. Anything not already one is a bug or an n8n helper
 * failure: only its message is kept, never its cause (it may hold request headers).
 */
export function asNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(ctx.getNode(), message, { itemIndex });
}
