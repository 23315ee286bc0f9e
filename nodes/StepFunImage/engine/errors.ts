import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** The two errors the node raises: bad input (nothing sent) and StepFun or network failures. */
export type NodeError = NodeApiError | NodeOperationError;

/**
 * Any failure as one of the node's errors. Anything not already one is a bug or an n8n helper
 * failure: only its message is kept, never its cause (it may hold request headers).
 */
export function asNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(ctx.getNode(), message, { itemIndex });
}
