// Runs an operation over all input items: checks every item first, then sends their requests
// within the run's slots (several at once, up to Concurrency) and the credential's pace, and
// outputs in input order, paired, as if run one after another.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Answer, ItemPlan, Operation, RunSettings } from './operation';
import { accountLimiter, RunSlots } from '../transport/limiter';
import type { Connection } from '../transport/request';
import { isRunStopped, readConnection, sendRequest } from '../transport/request';
import type { PlainRequest, RequestSettings } from '../transport/types';
import { readInputImages } from './inputImages';
import { outputOf } from './output';

/** The two errors the node raises: bad input (nothing sent) and StepFun or network failures. */
type NodeError = NodeApiError | NodeOperationError;

/**
 * Any failure as one of the node's errors. Anything not already one is a bug or an n8n helper
 * failure: only its message is kept, never its cause (it may hold request headers).
 */
function asNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(ctx.getNode(), message, { itemIndex });
}

/** What one request produced: its output items, or its error. */
type Outcome = INodeExecutionData[] | NodeError;

/**
 * The n-th request of an item, and what its output says. With a seed, each request sends it counted
 * on by n: each image differs, and each can be made again from the seed in its output.
 */
function nthRequest({ facts, settings }: ItemPlan, request: PlainRequest, n: number) {
	if (settings.seed === undefined || request.body === undefined) return { request, facts };
	const seed = settings.seed + n;
	return {
		request: { ...request, body: { ...request.body, fields: { ...request.body.fields, seed } } },
		facts: { ...facts, seed },
	};
}

/**
 * The item On Error "Continue" outputs for a failed request, paired: `error` is the message as
 * text, as in n8n's own nodes. n8n (1.x and 2.x) replaces the JSON of an item whose `error` is set
 * by the message alone, and routes an item to the error output only when its JSON holds nothing
 * but `error` and `message` (2.x also `details`): so there the details go under `message`, and
 * n8n adds the input item's fields. `kind` tells bad input (answer the uploader 4xx) from a
 * failure of StepFun or the network (5xx).
 */
function errorItem(ctx: IExecuteFunctions, error: NodeError, itemIndex: number) {
	// `input`: the item's own data was refused and nothing was sent; `api`: StepFun, or the way to it.
	const details: IDataObject = { kind: error instanceof NodeApiError ? 'api' : 'input' };
	if (error.description) details.description = error.description;
	if (error instanceof NodeApiError && error.httpCode) details.httpCode = error.httpCode;
	if (typeof error.context.traceId === 'string') details.traceId = error.context.traceId;
	details.itemIndex = itemIndex;
	const json: IDataObject =
		ctx.getNode().onError === 'continueErrorOutput'
			? { error: error.message, message: details }
			: { error: error.message, ...details };
	return { json, pairedItem: { item: itemIndex } };
}

export async function runOperation(ctx: IExecuteFunctions, operation: Operation) {
	const items = ctx.getInputData();
	const continueOnFail = ctx.continueOnFail();

	// Run-wide settings: when one is wrong, every item fails with its error.
	let connection: Connection;
	let run: RunSettings;
	try {
		connection = await readConnection(ctx);
		run = operation.readRun(ctx);
	} catch (error) {
		if (!continueOnFail) throw asNodeError(ctx, error, 0);
		return [items.map((_, index) => errorItem(ctx, asNodeError(ctx, error, index), index))];
	}
	// This run's own slots, and its share of the pace of its credential in this n8n process.
	const slots = new RunSlots(run.concurrency);
	const pace = accountLimiter(connection.baseUrl, connection.secret).join(run);
	const outcomes: Outcome[][] = items.map(() => []);
	const running: Array<Promise<void>> = [];
	// Without Continue On Fail the first failure stops the run: no further request starts, and
	// those still waiting for their turn in the pace are not sent; those sent finish.
	const stop = new AbortController();
	const fail = (itemIndex: number, error: unknown, slot = outcomes[itemIndex].length) => {
		outcomes[itemIndex][slot] = asNodeError(ctx, error, itemIndex);
		if (!continueOnFail) stop.abort();
	};

	try {
		// Parameters of all items first: without Continue On Fail, a bad item stops the run before
		// any item is sent (and billed).
		const plans = items.map((_, itemIndex) => {
			try {
				return operation.prepare(ctx, itemIndex);
			} catch (error) {
				fail(itemIndex, error);
				return undefined;
			}
		});

		for (let itemIndex = 0; itemIndex < items.length && !stop.signal.aborted; itemIndex++) {
			const plan = plans[itemIndex];
			if (!plan) continue;
			let request = plan.request;
			let inputFileName: string | undefined;
			if (plan.inputs) {
				try {
					// Read just before the item is sent, so only the images of items in flight are held.
					const images = await readInputImages(ctx, itemIndex, plan.inputs, plan.settings.timeout);
					request = plan.inputs.into(images);
					inputFileName = images[0]?.originalFileName;
				} catch (error) {
					fail(itemIndex, error);
					continue;
				}
			}
			const { timeout: timeoutMs, maxRetries, retryAfterTimeout, numberOfImages } = plan.settings;
			const retryPossiblyBilled = retryAfterTimeout || operation.free === true;
			const settings: RequestSettings = { timeoutMs, maxRetries, retryPossiblyBilled };
			for (let requestIndex = 0; requestIndex < numberOfImages; requestIndex++) {
				await slots.acquire();
				if (stop.signal.aborted) {
					slots.release();
					break;
				}
				// Each request fills its own place, so output order does not depend on finishing order.
				const slot = outcomes[itemIndex].push([]) - 1;
				const sent = nthRequest(plan, request, requestIndex);
				const context = { itemIndex, settings, pace, stop: stop.signal };
				running.push(
					(async () => {
						try {
							const answer: Answer = {
								operation: operation.name,
								response: await sendRequest(ctx, connection, sent.request, context),
								requestIndex,
								inputFileName,
								facts: sent.facts,
								baseUrl: connection.baseUrl,
							};
							outcomes[itemIndex][slot] = await outputOf(ctx, itemIndex, plan, answer);
						} catch (error) {
							// Not sent because an earlier failure stopped the run: nothing to report.
							if (!isRunStopped(error)) fail(itemIndex, error, slot);
						} finally {
							slots.release();
						}
					})(),
				);
			}
		}
		await Promise.all(running);
	} finally {
		pace.leave();
	}

	// Without Continue On Fail, the first failure in input order stops the node.
	const output = outcomes.flatMap((produced, itemIndex) =>
		produced.flatMap((outcome) => {
			if (Array.isArray(outcome)) return outcome;
			if (!continueOnFail) throw outcome;
			return [errorItem(ctx, outcome, itemIndex)];
		}),
	);
	return [output];
}
