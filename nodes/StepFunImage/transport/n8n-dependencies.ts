// What the node relies on in n8n beyond its documented API, in one place. Each has a test in
// test/n8n-dependencies.test.ts that fails when n8n's behaviour changes.
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/**
 * Where n8n 2.x keeps an item's files in its JSON when the workflow's binary mode is
 * "combined" (n8n-workflow's BINARY_IN_JSON_PROPERTY, which n8n 1.x does not export).
 */
export const FILES_IN_JSON = '_files';

/**
 * Whether an AI Agent runs the node as a tool. n8n runs a tool in one of two ways: through
 * `tool.invoke` in a context whose `isToolExecution()` says so (older AI Agent versions, the MCP
 * Server Trigger), or, as n8n 2.41's default AI Agent does, as an ordinary node execution of
 * the tool variant n8n derives for the node, whose type is the node's with `Tool` appended.
 */
export function isAgentToolRun(ctx: IExecuteFunctions): boolean {
	const context = ctx as Partial<Pick<IExecuteFunctions, 'isToolExecution'>>;
	if (typeof context.isToolExecution === 'function' && context.isToolExecution()) return true;
	return ctx.getNode().type.endsWith('Tool');
}

/**
 * A NodeApiError that keeps the message given. NodeApiError replaces a message that names a
 * system error code (ECONNRESET, ECONNREFUSED, …) with n8n's generic wording, which would
 * hide what the node knows (what failed, and whether anything was sent).
 */
export function nodeApiErrorWithMessage(
	...[node, response, options]: ConstructorParameters<typeof NodeApiError>
): NodeApiError {
	const error = new NodeApiError(node, response, options);
	if (options?.message !== undefined) error.message = options.message;
	return error;
}
