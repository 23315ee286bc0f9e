// StepFun's image answers as output items: the file in binary, what is known about it in JSON.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { Answer, ItemSettings } from './operation';
import { download, downloadError } from '../transport/download';
import { stepFunApiError } from '../transport/errors';
import type { ImageInfo } from '../shared/image';
import { formatName, inspectImage } from '../shared/image';
import { resultLinkLifetimeMs } from '../shared/limits';
import { FILES_IN_JSON, isAgentToolRun } from '../transport/n8n-dependencies';

/** One entry of StepFun's answer, read but its URL not yet downloaded. */
interface ResultEntry {
	seed?: number;
	finishReason: string;
	url?: string;
	/**
	 * `b64_json`: the bytes, decoded by the transport while the answer arrived
	 * (transport/answer.ts); text only when it was not base64.
	 */
	data?: Buffer | string;
}

type ImageFile = { bytes: Buffer; info: ImageInfo };

/** One image as it goes out: the entry, and its file when there is one. */
interface ResultImage extends ResultEntry {
	file?: ImageFile;
}

/** One image answer being turned into output items: for which item, with its settings. */
interface ImageAnswer {
	ctx: IExecuteFunctions;
	itemIndex: number;
	settings: ItemSettings;
	answer: Answer;
}

/** StepFun's answer is not what it promises: the error names its status and trace ID. */
function answerError(
	{ ctx, itemIndex, answer }: ImageAnswer,
	message: string,
	description: string,
) {
	const { status, traceId } = answer.response;
	return stepFunApiError(ctx, { message, description, status, traceId }, itemIndex);
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

/** A link as a Markdown image; characters that would end the link are percent-encoded. */
function markdownImage(altText: string, url: string): string {
	const safe = url.replace(
		/[\s()<>]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
	);
	return `![${altText}](${safe})`;
}

/** A time as a person reads it in a chat, e.g. 2026-12-02 07:30 UTC. */
function utcText(date: Date): string {
	return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** StepFun's answer as entries; refuses an answer that holds no image entries. */
function readEntries(out: ImageAnswer): { created?: number; entries: ResultEntry[] } {
	const { body } = out.answer.response;
	const fail = (message: string, description: string) => answerError(out, message, description);
	if (!isObject(body) || !Array.isArray(body.data) || body.data.length === 0) {
		throw fail(
			'StepFun returned no image',
			'The answer had no images in "data". Run again; if it keeps happening, quote the trace ID to StepFun support.',
		);
	}
	const entries = body.data.map((entry): ResultEntry => {
		if (!isObject(entry)) {
			throw fail(
				'StepFun returned an unreadable image entry',
				'An entry in "data" was not an object.',
			);
		}
		return {
			seed: typeof entry.seed === 'number' ? entry.seed : undefined,
			finishReason: typeof entry.finish_reason === 'string' ? entry.finish_reason : 'unknown',
			url: typeof entry.url === 'string' && entry.url !== '' ? entry.url : undefined,
			data: Buffer.isBuffer(entry.b64_json)
				? entry.b64_json
				: typeof entry.b64_json === 'string' && entry.b64_json !== ''
					? entry.b64_json
					: undefined,
		};
	});
	return { created: typeof body.created === 'number' ? body.created : undefined, entries };
}

/** The image file of an entry: its decoded bytes, or its URL downloaded (without the key). */
async function fileOf(out: ImageAnswer, entry: ResultEntry): Promise<ImageFile> {
	const fail = (message: string, description: string) => answerError(out, message, description);
	let bytes: Buffer;
	if (Buffer.isBuffer(entry.data)) {
		bytes = entry.data;
	} else if (entry.data !== undefined) {
		throw fail(
			'StepFun returned image data that is not valid base64',
			'The image could not be decoded. Run again.',
		);
	} else if (entry.url !== undefined) {
		const { ctx, itemIndex, settings, answer } = out;
		const [timeoutMs, traceId] = [settings.timeout, answer.response.traceId];
		const result = await download(ctx, entry.url, timeoutMs);
		if (!result.ok) {
			throw downloadError(ctx, result.problem, RESULT_DOWNLOAD, { itemIndex, timeoutMs, traceId });
		}
		bytes = result.bytes;
	} else {
		throw fail(
			'StepFun returned an image entry with neither b64_json nor url',
			'The answer held no image data. Run again; if it keeps happening, quote the trace ID to StepFun support.',
		);
	}
	const inspection = inspectImage(bytes);
	if (!inspection.ok || !('width' in inspection.info)) {
		throw fail(
			entry.data === undefined
				? 'The file at the image URL is not an image'
				: 'StepFun returned image data that is not an image',
			'The data could not be read as PNG, JPEG or WebP. Run again.',
		);
	}
	return { bytes, info: inspection.info };
}

/**
 * An entry as it goes out, by "On Content Filtered" for a filtered one, decided before its data
 * is decoded or downloaded: Skip drops it, Error fails, Output Item Without Image keeps the
 * metadata and the image only when StepFun sent a usable one. Undefined: nothing goes out.
 */
async function resultImage(out: ImageAnswer, entry: ResultEntry): Promise<ResultImage | undefined> {
	if (entry.finishReason !== 'content_filtered') {
		return { ...entry, file: await fileOf(out, entry) };
	}
	switch (out.settings.onContentFiltered) {
		case 'skip':
			return undefined;
		case 'outputItem':
			if (entry.data === undefined && entry.url === undefined) return entry;
			try {
				return { ...entry, file: await fileOf(out, entry) };
			} catch {
				// What moderation left behind is not needed: the item goes out without it.
				return entry;
			}
		default:
			throw answerError(
				out,
				'StepFun stopped the image at content moderation (finish reason content_filtered)',
				'Change the prompt or input image. To continue without an error, set the option "On Content Filtered" to "Output Item Without Image" or "Skip".',
			);
	}
}

/** The input's files: in its binary, or in its JSON under `_files` (n8n 2.x combined mode). */
function inputFiles(input: INodeExecutionData): IDataObject {
	const inJson = input.json[FILES_IN_JSON];
	return { ...(isObject(inJson) ? (inJson as IDataObject) : {}), ...input.binary };
}

/** The input's JSON fields without the files n8n's combined mode keeps in them. */
function inputFields(input: INodeExecutionData): IDataObject {
	const fields = { ...input.json };
	delete fields[FILES_IN_JSON];
	return fields;
}

/**
 * An output item paired to its input: the node's fields over the input's fields (Include Input
 * Fields), and the input's files (Keep Input Binary).
 */
export function outputItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	{ includeInputFields, keepInputBinary }: ItemSettings,
	json: IDataObject,
): INodeExecutionData {
	const input = ctx.getInputData()[itemIndex];
	const item: INodeExecutionData = {
		json: includeInputFields ? { ...inputFields(input), ...json } : json,
		pairedItem: { item: itemIndex },
	};
	const kept = keepInputBinary ? inputFiles(input) : {};
	if (Object.keys(kept).length > 0) item.binary = kept as INodeExecutionData['binary'];
	return item;
}

/** One result image as an output item: the file in binary, what is known about it in JSON. */
async function toOutputItem(
	{ ctx, itemIndex, settings, answer }: ImageAnswer,
	{ created, image, verb }: { created?: number; image: ResultImage; verb: string },
): Promise<INodeExecutionData> {
	const { facts } = answer;
	// StepFun may leave the seed out of its answer; the seed sent is the one used.
	const seed = image.seed ?? facts.seed;
	const json: IDataObject = {
		seed,
		finishReason: image.finishReason,
		created,
		createdAt: created === undefined ? undefined : new Date(created * 1000).toISOString(),
		model: facts.model,
		prompt: facts.prompt,
		operation: answer.operation,
	};
	// The link works for a limited time from when StepFun made the image; the output says until when.
	let linkExpiresAt: Date | undefined;
	if (image.url !== undefined) {
		const madeAtMs = created === undefined ? Date.now() : created * 1000;
		linkExpiresAt = new Date(madeAtMs + resultLinkLifetimeMs(answer.baseUrl));
		json.url = image.url;
		json.urlExpiresAt = linkExpiresAt.toISOString();
	}
	const inputFileName = answer.inputs[0]?.originalFileName;
	if (inputFileName !== undefined) json.inputFileName = inputFileName;
	if (!image.file) return outputItem(ctx, itemIndex, settings, json);
	const { bytes, info } = image.file;
	const fileName = fileNameFor(settings.fileName, {
		seed,
		extension: info.extension,
		itemIndex,
		imageIndex: answer.requestIndex,
	});
	Object.assign(json, {
		width: info.width,
		height: info.height,
		mimeType: info.mimeType,
		fileSize: bytes.length,
		fileName,
	});
	if (isAgentToolRun(ctx)) {
		// n8n hands an agent only the JSON, never the file: say what was made, and give the chat
		// the link to show.
		json.summary = `${verb} a ${info.width}×${info.height} ${formatName(info.type)} image (seed ${seed ?? 'unknown'}) as file ${fileName} in binary field "${settings.outputBinaryField}".`;
		if (image.url !== undefined && linkExpiresAt !== undefined) {
			json.summary += ` To show it in the chat, include this Markdown: ${markdownImage(`${verb} image`, image.url)} (the link works until ${utcText(linkExpiresAt)}; anyone with it can open the image until then).`;
		}
	}
	const item = outputItem(ctx, itemIndex, settings, json);
	item.binary = {
		...item.binary,
		[settings.outputBinaryField]: await ctx.helpers.prepareBinaryData(
			bytes,
			fileName,
			info.mimeType,
		),
	};
	return item;
}

/**
 * StepFun's answer to one image request as output items: one per image kept. `verb` says what
 * the operation did in an agent's summary ("Generated").
 */
export async function imageItems(
	ctx: IExecuteFunctions,
	itemIndex: number,
	settings: ItemSettings,
	answer: Answer,
	verb: string,
): Promise<INodeExecutionData[]> {
	const out: ImageAnswer = { ctx, itemIndex, settings, answer };
	const { created, entries } = readEntries(out);
	const items: INodeExecutionData[] = [];
	for (const entry of entries) {
		const image = await resultImage(out, entry);
		if (image !== undefined) items.push(await toOutputItem(out, { created, image, verb }));
	}
	return items;
}
