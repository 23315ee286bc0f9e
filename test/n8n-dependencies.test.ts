/**
 * What nodes/StepFunImage/transport/n8n-dependencies.ts relies on in n8n. Each test fails when n8n changes
 * that behaviour, so the workaround can be dropped or adapted.
 */
import { ExecuteContext, SupplyDataContext } from 'n8n-core';
import type { INode } from 'n8n-workflow';
import { BINARY_IN_JSON_PROPERTY, NodeApiError } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { FILES_IN_JSON, nodeApiErrorWithMessage } from '../nodes/StepFunImage/transport/n8n-dependencies';


const node: INode = {
	id: 'n',
	name: 'StepFun Image',
	type: 'n8n-nodes-stepfun.stepFunImage',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const message = 'Could not connect to StepFun at http://127.0.0.1:1/v1 (ECONNREFUSED)';

describe('n8n behaviour the node works around', () => {
	it('NodeApiError replaces a message naming a system error code with generic wording', () => {
		const plain = new NodeApiError(node, { message }, { message });
		expect(plain.message).not.toBe(message);
	});

	it('nodeApiErrorWithMessage keeps the message, and everything else NodeApiError sets', () => {
		const error = nodeApiErrorWithMessage(node, { message }, { message, description: 'd', itemIndex: 3 });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(message);
		expect(error.description).toBe('d');
		expect(error.context.itemIndex).toBe(3);
	});

	it("n8n's node contexts answer isToolExecution(); an ordinary execution says no", () => {
		// tool.invoke runs a tool in a SupplyDataContext; n8n 2.41's default AI Agent runs the tool
		// variant as an ordinary node, in an ExecuteContext, where only its type name tells
		// (test/agent-tool.test.ts runs both paths).
		expect(typeof SupplyDataContext.prototype.isToolExecution).toBe('function');
		expect(ExecuteContext.prototype.isToolExecution.call({})).toBe(false);
	});

	it('n8n 2.x keeps files in the JSON under the name the node looks for', () => {
		expect(FILES_IN_JSON).toBe(BINARY_IN_JSON_PROPERTY);
	});
});

