// StepFun's image answers as output items: the file in binary, what is known about it in JSON.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ImageInfo } from './image';
import { inspectImage } from './image';
import { isAgentToolRun } from './n8n-dependencies';
import type { ItemOptions } from './options';
import type { Answer, PreparedItem } from './runner';
import { download, downloadError } from './transport/download';
import { stepFunApiError } from './transport/errors';

/** One image as StepFun described it. */
interface ResultImage {
	bytes?: Buffer;
	info?: ImageInfo;
	seed?: number;
	finishReason: string;
	url?: string;
}

const RESULT_DOWNLOAD = {
	what: 'the image StepFun made',
	fix: 'Run again, or choose Response Format "Base64 (in the Response)" to receive the image in the API answer.',
	expired:
		'The image link has expired or is not valid (StepFun links last about 2 hours). Run again, or choose Response Format "Base64 (in the Response)".',
};

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The File Name option with its placeholders filled in. */
export function fileNameFor(
	template: string,
	values: { seed?: number; extension: string; itemIndex: number; imageIndex: number },
): string {
	return template
		.replace(/\{seed\}/g, values.seed === undefined ? 'unknown' : String(values.seed))
		.replace(/\{ext\}/g, values.extension)
		.replace(/\{item\}/g, String(values.itemIndex))
		.replace(/\{image\}/g, String(values.imageIndex));
}

/** Reads StepFun's answer into images, downloading URLs; refuses answers that hold no usable image. */
async function readImages(
	ctx: IExecuteFunctions,
	itemIndex: number,
	options: ItemOptions,
	answer: Answer,
): Promise<{ created?: number; images: ResultImage[] }> {
	const { traceId, status, body } = answer.response;
	const fail = (message: string, description: string) =>
		stepFunApiError(ctx, { message, description, status, traceId }, itemIndex);
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
		const wanted = !filtered || options.output.onContentFiltered === 'outputItem';
		let bytes: Buffer | undefined;
		if (Buffer.isBuffer(entry.b64_json)) {
			// Decoded by the transport while the answer arrived (transport/answer.ts).
			bytes = entry.b64_json;
		} else if (typeof entry.b64_json === 'string' && entry.b64_json !== '') {
			// Left as text only when it was not base64.
			throw fail(
				'StepFun returned image data that is not valid base64',
				'The image could not be decoded. Run again.',
			);
		} else if (url !== undefined && wanted) {
			const timeoutMs = options.request.timeoutMs;
			const result = await download(ctx, url, timeoutMs);
			if (!result.ok) {
				throw downloadError(ctx, result.problem, RESULT_DOWNLOAD, {
					itemIndex,
					timeoutMs,
					traceId,
				});
			}
			bytes = result.bytes;
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

/** Applies "On Content Filtered" to one image: keep it, drop it, or fail. */
function applyContentFilter(
	ctx: IExecuteFunctions,
	itemIndex: number,
	options: ItemOptions,
	image: ResultImage,
	answer: Answer,
): ResultImage | undefined {
	if (image.finishReason !== 'content_filtered') return image;
	switch (options.output.onContentFiltered) {
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
					status: answer.response.status,
					traceId: answer.response.traceId,
				},
				itemIndex,
			);
	}
}

/** One result image as an output item: the file in binary, what is known about it in JSON. */
async function toOutputItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	options: ItemOptions,
	answer: Answer,
	created: number | undefined,
	image: ResultImage,
): Promise<INodeExecutionData> {
	const { output } = options;
	const input = ctx.getInputData()[itemIndex];
	const fields = answer.request.body?.fields ?? {};
	const json: IDataObject = {
		...(output.includeInputFields ? input.json : {}),
		seed: image.seed,
		finishReason: image.finishReason,
		created,
		createdAt: created === undefined ? undefined : new Date(created * 1000).toISOString(),
		model: fields.model,
		prompt: fields.prompt,
		operation: answer.operation,
	};
	if (image.url !== undefined) json.url = image.url;
	const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
	if (output.keepInputBinary && input.binary) item.binary = { ...input.binary };
	if (image.bytes && image.info) {
		const fileName = fileNameFor(output.fileName, {
			seed: image.seed,
			extension: image.info.extension,
			itemIndex,
			imageIndex: answer.requestIndex,
		});
		Object.assign(json, {
			width: image.info.width,
			height: image.info.height,
			mimeType: image.info.mimeType,
			fileSize: image.bytes.length,
			fileName,
		});
		if (isAgentToolRun(ctx)) {
			// n8n hands an agent only the JSON, so say in one sentence what was made.
			json.summary = `${answer.operation === 'edit' ? 'Edited' : 'Generated'} a ${image.info.width}×${image.info.height} ${image.info.type.toUpperCase()} image (seed ${image.seed ?? 'unknown'}) as file ${fileName} in binary field "${output.binaryField}".`;
		}
		item.binary = {
			...item.binary,
			[output.binaryField]: await ctx.helpers.prepareBinaryData(
				image.bytes,
				fileName,
				image.info.mimeType,
			),
		};
	}
	return item;
}

/** StepFun's answer to one image request as output items: one per image kept. */
export async function imageItems(
	ctx: IExecuteFunctions,
	itemIndex: number,
	{ options }: PreparedItem,
	answer: Answer,
): Promise<INodeExecutionData[]> {
	const { created, images } = await readImages(ctx, itemIndex, options, answer);
	const items: INodeExecutionData[] = [];
	for (const image of images) {
		const kept = applyContentFilter(ctx, itemIndex, options, image, answer);
		if (kept === undefined) continue;
		items.push(await toOutputItem(ctx, itemIndex, options, answer, created, kept));
	}
	return items;
}
