import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { ExpressionError, NodeApiError, NodeOperationError, UserError } from 'n8n-workflow';

import type { ItemSettings, Operation } from './fields';
import { readConcurrency } from './fields';
import type { ImageInfo } from './image';
import { inspectImage } from './image';
import type { ResultImage } from './output';
import { toOutputItem } from './output';
import type { ApiResponse } from './transport';
import {
	downloadImage,
	RateGate,
	resolveApiBaseUrl,
	stepFunApiError,
	stepFunRequest,
} from './transport';

export interface InputImage {
	bytes: Buffer;
	mimeType: string;
	fileName: string;
	info: ImageInfo;
}

/** One item with its parameters checked: what an operation's `prepare` returns. */
export interface PreparedItem {
	operation: Operation;
	path: string;
	settings: ItemSettings;
	/**
	 * Reads and checks the input image (Edit). Called just before the item's requests,
	 * so only the images of items in flight are held in memory.
	 */
	loadInput?: () => Promise<InputImage>;
	/** A fresh request body; `seed` overrides the option (used for the n-th image). */
	body: (seed: number | undefined, input: InputImage | undefined) => IDataObject | FormData;
}

/** Checks one item's parameters; no I/O, so every item can be checked before anything is sent. */
export type Prepare = (ctx: IExecuteFunctions, itemIndex: number) => PreparedItem;

type NodeError = NodeApiError | NodeOperationError;

/** What one request produced: output items (possibly none, e.g. a skipped filtered image) or an error. */
type Outcome = { items: INodeExecutionData[] } | { error: NodeError };

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

/**
 * Decodes base64 in slices. Node copies a whole string before decoding it (for a 4096×4096 result
 * that copy is as large as the base64 text); slices keep the copy small.
 */
function decodeBase64(text: string): Buffer {
	if (/[\r\n]/.test(text)) return Buffer.from(text, 'base64');
	const out = Buffer.allocUnsafe(Buffer.byteLength(text, 'base64'));
	const slice = 1 << 16; // a multiple of 4, so every slice decodes on its own
	let written = 0;
	for (let at = 0; at < text.length; at += slice) {
		written += out.write(text.slice(at, at + slice), written, 'base64');
	}
	return written === out.length ? out : out.subarray(0, written);
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads StepFun's answer into images, downloading URLs; refuses answers that hold no usable image. */
async function readImages(
	ctx: IExecuteFunctions,
	itemIndex: number,
	prepared: PreparedItem,
	response: ApiResponse,
): Promise<{ created?: number; images: ResultImage[] }> {
	const { traceId, status } = response;
	const fail = (message: string, description: string) =>
		stepFunApiError(ctx, { message, description, status, traceId }, itemIndex);
	const body = response.body;
	if (!isObject(body) || !Array.isArray(body.data) || body.data.length === 0) {
		throw fail(
			'StepFun returned no image',
			'The answer had no images in "data". Run again; if it keeps happening, quote the trace ID to StepFun support.',
		);
	}
	const created = typeof body.created === 'number' ? body.created : undefined;
	const images: ResultImage[] = [];
	for (const entry of body.data) {
		if (!isObject(entry))
			throw fail(
				'StepFun returned an unreadable image entry',
				'An entry in "data" was not an object.',
			);
		const seed = typeof entry.seed === 'number' ? entry.seed : undefined;
		const finishReason = typeof entry.finish_reason === 'string' ? entry.finish_reason : 'unknown';
		const url = typeof entry.url === 'string' && entry.url !== '' ? entry.url : undefined;
		const filtered = finishReason === 'content_filtered';
		// A filtered image is only kept with "Output Item Without Image"; otherwise its link is not fetched.
		const wanted = !filtered || prepared.settings.onContentFiltered === 'outputItem';
		let bytes: Buffer | undefined;
		if (typeof entry.b64_json === 'string' && entry.b64_json !== '') {
			if (!BASE64.test(entry.b64_json)) {
				throw fail(
					'StepFun returned image data that is not valid base64',
					'The image could not be decoded. Run again.',
				);
			}
			bytes = decodeBase64(entry.b64_json);
		} else if (url !== undefined && wanted) {
			bytes = (
				await downloadImage(ctx, url, prepared.settings.request, itemIndex, 'result', traceId)
			).bytes;
		}
		if (bytes === undefined) {
			// A filtered result may legitimately come without an image.
			if (filtered) {
				images.push({ seed, finishReason, url });
				continue;
			}
			throw fail(
				'StepFun returned an image entry with neither b64_json nor url',
				'The answer held no image data. Run again; if it keeps happening, quote the trace ID to StepFun support.',
			);
		}
		const inspection = inspectImage(bytes);
		if (!inspection.ok) {
			throw fail(
				url !== undefined && entry.b64_json === undefined
					? 'The file at the image URL is not an image'
					: 'StepFun returned image data that is not an image',
				'The data could not be read as PNG, JPEG or WebP. Run again.',
			);
		}
		images.push({ bytes, info: inspection.info, seed, finishReason, url });
	}
	return { created, images };
}

/** Applies "On Content Filtered" to one image: keep it, strip it, drop it, or fail. */
function applyContentFilter(
	ctx: IExecuteFunctions,
	itemIndex: number,
	prepared: PreparedItem,
	image: ResultImage,
	response: ApiResponse,
): ResultImage | undefined {
	if (image.finishReason !== 'content_filtered') return image;
	switch (prepared.settings.onContentFiltered) {
		case 'skip':
			return undefined;
		case 'outputItem':
			return image;
		default:
			throw stepFunApiError(
				ctx,
				{
					message:
						'StepFun stopped the image at content moderation (finish reason content_filtered)',
					description:
						'Change the prompt or input image. To continue without an error, set the option "On Content Filtered" to "Output Item Without Image" or "Skip".',
					status: response.status,
					traceId: response.traceId,
				},
				itemIndex,
			);
	}
}

async function requestOneImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	prepared: PreparedItem,
	input: InputImage | undefined,
	imageIndex: number,
	baseUrl: string,
	gate: RateGate,
): Promise<INodeExecutionData[]> {
	// With a seed, the n-th image of an item uses seed + n; without, StepFun picks each seed.
	const seed =
		prepared.settings.api.seed === undefined ? undefined : prepared.settings.api.seed + imageIndex;
	const response = await stepFunRequest(ctx, {
		baseUrl,
		method: 'POST',
		path: prepared.path,
		body: () => prepared.body(seed, input),
		itemIndex,
		settings: prepared.settings.request,
		gate,
	});
	const { created, images } = await readImages(ctx, itemIndex, prepared, response);
	const items: INodeExecutionData[] = [];
	for (const image of images) {
		const kept = applyContentFilter(ctx, itemIndex, prepared, image, response);
		if (kept === undefined) continue;
		items.push(
			await toOutputItem(ctx, itemIndex, {
				operation: prepared.operation,
				settings: prepared.settings,
				created,
				image: kept,
				imageIndex,
			}),
		);
	}
	return items;
}

function asNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	// Anything else is a bug or an n8n helper failure; never pass its cause on (it may hold request headers).
	const message = error instanceof Error ? error.message : String(error);
	// An expression n8n could not evaluate (n8n's legacy engine reports a syntax error as a plain UserError).
	if (
		error instanceof ExpressionError ||
		(error instanceof UserError && message === 'invalid syntax')
	) {
		const named = error instanceof ExpressionError ? error.context.parameter : undefined;
		const where =
			typeof named === 'string'
				? `Parameter "${named}": its expression failed`
				: 'An expression failed';
		return new NodeOperationError(ctx.getNode(), `${where}: ${message} (item ${itemIndex})`, {
			itemIndex,
			description:
				typeof named === 'string'
					? `Fix the expression of "${named}"; open it to see what it gives for item ${itemIndex}.`
					: `Check the expressions ({{ … }}) in this node's parameters; open each to see what it gives for item ${itemIndex}.`,
		});
	}
	return new NodeOperationError(ctx.getNode(), message, { itemIndex });
}

/** The error item Continue On Fail outputs in place of the failed image. */
function errorItem(error: NodeError, itemIndex: number): INodeExecutionData {
	const json: IDataObject = { error: error.message };
	if (error.description) json.description = error.description;
	if (error instanceof NodeApiError && error.httpCode) json.httpCode = error.httpCode;
	if (typeof error.context.traceId === 'string') json.traceId = error.context.traceId;
	json.itemIndex = itemIndex;
	return { json, pairedItem: { item: itemIndex } };
}

/** A counting semaphore built on promises (timers are not allowed in nodes). */
class Slots {
	private free: number;

	private waiting: Array<() => void> = [];

	constructor(size: number) {
		this.free = size;
	}

	async acquire(): Promise<void> {
		if (this.free > 0) {
			this.free--;
			return;
		}
		await new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.free++;
	}
}

/**
 * Runs an operation over all input items: checks each item, sends its requests
 * (several at once, up to the concurrency limit), and outputs the images in input
 * order with their pairedItem, as if it had all run one after another.
 */
export async function runOperation(
	ctx: IExecuteFunctions,
	prepare: Prepare,
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const continueOnFail = ctx.continueOnFail();
	const outcomes: Outcome[][] = items.map(() => []);

	// Run-wide settings: when one is wrong, every item fails with its error.
	let baseUrl: string;
	let slots: Slots;
	try {
		baseUrl = await resolveApiBaseUrl(ctx);
		slots = new Slots(readConcurrency(ctx));
	} catch (error) {
		if (!continueOnFail) throw asNodeError(ctx, error, 0);
		return [items.map((_, index) => errorItem(asNodeError(ctx, error, index), index))];
	}
	const gate = new RateGate();
	const running: Array<Promise<void>> = [];
	let stopped = false;

	const fail = (itemIndex: number, error: unknown, slot = outcomes[itemIndex].length) => {
		outcomes[itemIndex][slot] = { error: asNodeError(ctx, error, itemIndex) };
		// Without Continue On Fail no further request starts; those in flight finish.
		if (!continueOnFail) stopped = true;
	};

	// Parameters of all items first: without Continue On Fail, a bad item stops the run before
	// any item is sent (and billed).
	const preparedItems = items.map((_, itemIndex) => {
		try {
			return prepare(ctx, itemIndex);
		} catch (error) {
			fail(itemIndex, error);
			return undefined;
		}
	});

	for (let itemIndex = 0; itemIndex < items.length && !stopped; itemIndex++) {
		const prepared = preparedItems[itemIndex];
		if (!prepared) continue;
		let input: InputImage | undefined;
		try {
			input = await prepared.loadInput?.();
		} catch (error) {
			fail(itemIndex, error);
			continue;
		}
		for (let imageIndex = 0; imageIndex < prepared.settings.numberOfImages; imageIndex++) {
			await slots.acquire();
			if (stopped) {
				slots.release();
				break;
			}
			// Each request fills its own place, so output order does not depend on finishing order.
			const slot = outcomes[itemIndex].push({ items: [] }) - 1;
			running.push(
				requestOneImage(ctx, itemIndex, prepared, input, imageIndex, baseUrl, gate)
					.then(
						(produced) => {
							outcomes[itemIndex][slot] = { items: produced };
						},
						(error) => fail(itemIndex, error, slot),
					)
					.finally(() => slots.release()),
			);
		}
	}
	await Promise.all(running);

	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		for (const outcome of outcomes[itemIndex]) {
			if ('error' in outcome) {
				// Without Continue On Fail, the first failure in input order stops the node.
				if (!continueOnFail) throw outcome.error;
				output.push(errorItem(outcome.error, itemIndex));
			} else {
				output.push(...outcome.items);
			}
		}
	}
	return [output];
}
