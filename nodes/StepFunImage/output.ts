import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ItemSettings, Operation } from './fields';
import type { ImageInfo } from './image';

/** One image as StepFun described it. */
export interface ResultImage {
	bytes?: Buffer;
	info?: ImageInfo;
	seed?: number;
	finishReason: string;
	url?: string;
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

/** Turns one result image into an output item: the file in binary, what is known about it in JSON. */
export async function toOutputItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	result: {
		operation: Operation;
		settings: ItemSettings;
		created?: number;
		image: ResultImage;
		imageIndex: number;
	},
): Promise<INodeExecutionData> {
	const { image, settings } = result;
	const { output } = settings;
	const input = ctx.getInputData()[itemIndex];
	const json: IDataObject = {
		...(output.includeInputFields ? input.json : {}),
		seed: image.seed,
		finishReason: image.finishReason,
		created: result.created,
		createdAt:
			result.created === undefined ? undefined : new Date(result.created * 1000).toISOString(),
		model: settings.model,
		prompt: settings.prompt,
		operation: result.operation,
	};
	if (image.url !== undefined) json.url = image.url;
	const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
	if (output.keepInputBinary && input.binary) item.binary = { ...input.binary };
	if (image.bytes && image.info) {
		const fileName = fileNameFor(output.fileName, {
			seed: image.seed,
			extension: image.info.extension,
			itemIndex,
			imageIndex: result.imageIndex,
		});
		Object.assign(json, {
			width: image.info.width,
			height: image.info.height,
			mimeType: image.info.mimeType,
			fileSize: image.bytes.length,
			fileName,
		});
		if (ctx.getNode().type.endsWith('Tool')) {
			// Run by an AI Agent: n8n hands the agent only the JSON, so say in one sentence what was made.
			json.summary = `${result.operation === 'edit' ? 'Edited' : 'Generated'} a ${image.info.width}×${image.info.height} ${image.info.type.toUpperCase()} image (seed ${image.seed ?? 'unknown'}) as file ${fileName} in binary field "${output.binaryField}".`;
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
