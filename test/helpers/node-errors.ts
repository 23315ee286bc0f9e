/**
 * The error a node threw, as the instance itself (NodeOperationError, NodeApiError, ...).
 *
 * n8n hands out no public way to it: the engine stores a plain-object copy,
 * `{ ...error, message, stack }`, in the node's run data (`ITaskData.error`), in
 * `resultData.error` and in what the `nodeExecuteAfter` hook receives; n8n's own
 * NodeTestHarness compares only the message, and n8n's node unit tests call `execute` on a
 * mocked context instead of running the engine. So the harness records what a node type's
 * `execute` throws, on the node types it registers itself, and relies on one thing of n8n's:
 * the engine records the very error `execute` threw. `errorOf` checks that for every run (same
 * name and message, else it gives n8n's copy), and the test "the error instance is the very
 * error the node threw" in test/engine.test.ts fails when n8n records anything else.
 */
import type { ExecutionError, INodeType } from 'n8n-workflow';

export class ThrownErrors {
	private readonly byNode = new Map<string, Error>();

	/** `nodeType` for the node `nodeName`, recording the error of its latest `execute` call. */
	recording(nodeType: INodeType, nodeName: string): INodeType {
		const execute = nodeType.execute as ((...args: unknown[]) => Promise<unknown>) | undefined;
		if (!execute) return nodeType;
		const byNode = this.byNode;
		// A plain function, so `this` stays what the engine passes: the execution context for a
		// node like ours, the node object for n8n's class-style nodes. The error is recorded by a
		// handler of its own; the engine still gets the original promise and its rejection.
		const recordingExecute = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
			byNode.delete(nodeName);
			const run = new Promise((resolve) => resolve(execute.apply(this, args)));
			run.catch((error: unknown) => {
				if (error instanceof Error) byNode.set(nodeName, error);
			});
			return await run;
		};
		// Everything else of the node type comes through the prototype.
		return Object.assign(Object.create(nodeType) as INodeType, {
			execute: recordingExecute as INodeType['execute'],
		});
	}

	/**
	 * The error of `nodeName`: the instance it threw when n8n recorded that one (`recorded`, from
	 * the node's run data), else n8n's copy; e.g. for a raw HTTP client error, which the engine
	 * itself turns into a NodeApiError.
	 */
	errorOf(nodeName: string, recorded: ExecutionError | undefined): Error | undefined {
		if (!recorded) return undefined;
		const thrown = this.byNode.get(nodeName);
		if (thrown && thrown.name === recorded.name && thrown.message === recorded.message)
			return thrown;
		return recorded;
	}
}
