// StepFun's image answers as output items: the file in binary, what is known about it in JSON.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { Answer, AnswerFail, ItemPlan, ItemSettings } from './operation';
import type { DownloadProblem } from '../transport/download';
import { download, downloadFailure, errorCodeText } from '../transport/download';
import { stepFunApiError } from '../transport/errors';
import type { ImageInfo } from '../shared/image';
import { formatName, inspectImage } from '../shared/image';
import { resultLinkLifetimeMs } from '../shared/limits';
import { FILES_IN_JSON, isAgentToolRun } from '../transport/n8n-dependencies';

interface ResultImage {
	seed?: number;
	finishReason: string;
	url?: string;
	/** `b64_json`, decoded while the answer arrived (transport/answer.ts); text if not base64. */
	data?: Buffer | string;
	/** When StepFun made it: the answer's `created`, in seconds. */
	created?: number;
}

type ImageFile = { bytes: Buffer; info: ImageInfo };

/** One answer being turned into output items: for which item, with its settings. */
interface ItemAnswer {
	ctx: IExecuteFunctions;
	itemIndex: number;
	settings: ItemSettings;
	answer: Answer;
	fail: AnswerFail;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** StepFun's answer as images; refuses an answer that holds no image entries. */
function readEntries({ answer, fail }: ItemAnswer): ResultImage[] {
	const { body } = answer.response;
	if (!isObject(body) || !Array.isArray(body.data) || body.data.length === 0) {
		throw fail(
			'StepFun returned no image',
			'The answer had no images in "data". Run again; if it keeps happening, quote the trace ID to StepFun support.',
		);
	}
	const created = typeof body.created === 'number' ? body.created : undefined;
	return body.data.map((entry): ResultImage => {
		if (!isObject(entry)) {
			throw fail(
				'StepFun returned an unreadable image entry',
				'An entry in "data" was not an object.',
			);
		}
		const data = entry.b64_json;
		return {
			seed: typeof entry.seed === 'number' ? entry.seed : undefined,
			finishReason: typeof entry.finish_reason === 'string' ? entry.finish_reason : 'unknown',
			url: typeof entry.url === 'string' && entry.url !== '' ? entry.url : undefined,
			data: Buffer.isBuffer(data) || (typeof data === 'string' && data !== '') ? data : undefined,
			created,
		};
	});
}

/** A failed download of StepFun's own result link: StepFun's failure, with its trace ID. */
function resultLinkError(out: ItemAnswer, problem: DownloadProblem): Error {
	const { ctx, itemIndex, settings, answer } = out;
	const status = problem.kind === 'status' ? problem.status : undefined;
	const description =
		problem.kind === 'too-large'
			? `The download was ${problem.started ? 'stopped' : 'not started'}. Images for StepFun are far smaller; check the URL.`
			: [401, 403, 404, 410].includes(status ?? 0)
				? 'The image link has expired or is not valid (StepFun links last about 2 hours). Run again, or choose Response Format "Base64 (in the Response)".'
				: 'Run again, or choose Response Format "Base64 (in the Response)" to receive the image in the API answer.';
	const message = `Could not download the image StepFun made: ${downloadFailure(problem, settings.timeout)}`;
	const { traceId } = answer.response;
	const details = { message, description: description + errorCodeText(problem), status, traceId };
	return stepFunApiError(ctx, details, itemIndex);
}

/** The image file of an entry: its decoded bytes, or its URL downloaded (without the key). */
async function fileOf(out: ItemAnswer, { data, url }: ResultImage): Promise<ImageFile> {
	const { ctx, settings, fail } = out;
	if (typeof data === 'string') {
		throw fail(
			'StepFun returned image data that is not valid base64',
			'The image could not be decoded. Run again.',
		);
	}
	const bytes =
		data ?? (url === undefined ? undefined : await download(ctx, url, settings.timeout));
	if (bytes === undefined) {
		throw fail(
			'StepFun returned an image entry with neither b64_json nor url',
			'The answer held no image data. Run again; if it keeps happening, quote the trace ID to StepFun support.',
		);
	}
	if (!Buffer.isBuffer(bytes)) throw resultLinkError(out, bytes);
	const inspection = inspectImage(bytes);
	if (!inspection.ok || !('width' in inspection.info)) {
		throw fail(
			data === undefined
				? 'The file at the image URL is not an image'
				: 'StepFun returned image data that is not an image',
			'The data could not be read as PNG, JPEG or WebP. Run again.',
		);
	}
	return { bytes, info: inspection.info };
}

/**
 * An output item paired to its input: the node's fields over the input's fields (Include Input
 * Fields), and the input's files (Keep Input Binary).
 */
function outputItem({ ctx, itemIndex, settings }: ItemAnswer, json: IDataObject) {
	const input = ctx.getInputData()[itemIndex];
	// n8n 2.x combined binary mode keeps the input's files in its JSON, under `_files`.
	const { [FILES_IN_JSON]: filesInJson, ...inputFields } = input.json;
	const item: INodeExecutionData = {
		json: settings.includeInputFields ? { ...inputFields, ...json } : json,
		pairedItem: { item: itemIndex },
	};
	const kept = settings.keepInputBinary
		? { ...(isObject(filesInJson) ? filesInJson : {}), ...input.binary }
		: {};
	if (Object.keys(kept).length > 0) item.binary = kept as INodeExecutionData['binary'];
	return item;
}

/**
 * One result image as an output item: the file in binary, what is known about it in JSON; `verb`
 * says what was done in an agent's summary ("Generated").
 */
async function toOutputItem(out: ItemAnswer, verb: string, image: ResultImage, file?: ImageFile) {
	const { ctx, itemIndex, settings, answer } = out;
	const { facts } = answer;
	const { created } = image;
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
	const madeAtMs = created === undefined ? Date.now() : created * 1000;
	const linkExpiresAt = new Date(madeAtMs + resultLinkLifetimeMs(answer.baseUrl));
	if (image.url !== undefined) {
		json.url = image.url;
		json.urlExpiresAt = linkExpiresAt.toISOString();
	}
	if (answer.inputFileName !== undefined) json.inputFileName = answer.inputFileName;
	if (!file) return outputItem(out, json);
	const { bytes, info } = file;
	const { width, height, mimeType } = info;
	const fileName = settings.fileName
		.replace(/\{seed\}/g, String(seed ?? 'unknown'))
		.replace(/\{ext\}/g, info.extension)
		.replace(/\{item\}/g, String(itemIndex))
		.replace(/\{image\}/g, String(answer.requestIndex));
	Object.assign(json, { width, height, mimeType, fileSize: bytes.length, fileName });
	if (isAgentToolRun(ctx)) {
		// n8n hands an agent only the JSON, never the file: say what was made, and give the chat
		// the link to show.
		json.summary = `${verb} a ${width}×${height} ${formatName(info.type)} image (seed ${seed ?? 'unknown'}) as file ${fileName} in binary field "${settings.outputBinaryField}".`;
		if (image.url !== undefined) {
			// As a Markdown image, with the characters that would end its link percent-encoded.
			const hex = (c: string) => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
			const link = image.url.replace(/[\s()<>]/g, (c) => `%${hex(c)}`);
			const until = `${linkExpiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
			json.summary += ` To show it in the chat, include this Markdown: ![${verb} image](${link}) (the link works until ${until}; anyone with it can open the image until then).`;
		}
	}
	const binary = await ctx.helpers.prepareBinaryData(bytes, fileName, mimeType);
	const item = outputItem(out, json);
	item.binary = { ...item.binary, [settings.outputBinaryField]: binary };
	return item;
}

/** StepFun's answer to one request as output items, as the operation says: one per image kept. */
export async function outputOf(
	ctx: IExecuteFunctions,
	itemIndex: number,
	{ output, settings }: ItemPlan,
	answer: Answer,
): Promise<INodeExecutionData[]> {
	const { status, traceId } = answer.response;
	const fail = (message: string, description: string) =>
		stepFunApiError(ctx, { message, description, status, traceId }, itemIndex);
	const out: ItemAnswer = { ctx, itemIndex, settings, answer, fail };
	if (output.kind === 'json') return [outputItem(out, output.read(answer, fail))];
	const items: INodeExecutionData[] = [];
	for (const image of readEntries(out)) {
		// "On Content Filtered", decided before the image is decoded or downloaded: Skip drops it,
		// Error fails, Output Item Without Image keeps its metadata, and its file if StepFun sent one.
		const filtered = image.finishReason === 'content_filtered';
		if (filtered && settings.onContentFiltered === 'skip') continue;
		if (filtered && settings.onContentFiltered === 'error') {
			throw fail(
				'StepFun stopped the image at content moderation (finish reason content_filtered)',
				'Change the prompt or input image. To continue without an error, set the option "On Content Filtered" to "Output Item Without Image" or "Skip".',
			);
		}
		// What moderation left behind is not needed: a filtered image goes out without it.
		const file = filtered
			? await fileOf(out, image).catch(() => undefined)
			: await fileOf(out, image);
		items.push(await toOutputItem(out, output.verb, image, file));
	}
	return items;
}
