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

/** Turns one result image into an output item: the file in binary, what is known about it in JSON. */
export async function toOutputItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	result: { operation: Operation; settings: ItemSettings; created?: number; image: ResultImage },
): Promise<INodeExecutionData> {
	const { image, settings } = result;
	const json: IDataObject = {
		seed: image.seed,
		finishReason: image.finishReason,
		created: result.created,
		createdAt: result.created === undefined ? undefined : new Date(result.created * 1000).toISOString(),
		model: settings.model,
		prompt: settings.prompt,
		operation: result.operation,
	};
	if (image.url !== undefined) json.url = image.url;
	const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
	if (image.bytes && image.info) {
		const fileName = `stepfun-${image.seed ?? 'image'}.${image.info.extension}`;
		Object.assign(json, {
			width: image.info.width,
			height: image.info.height,
			mimeType: image.info.mimeType,
			fileSize: image.bytes.length,
			fileName,
		});
		item.binary = {
			[settings.outputBinaryField]: await ctx.helpers.prepareBinaryData(
				image.bytes,
				fileName,
				image.info.mimeType,
			),
		};
	}
	return item;
}
