import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { invalidField, modelField, optionsField, promptField, readItemSettings } from '../fields';
import { inspectImage } from '../image';
import { EDIT_MAX_SIDE } from '../limits';
import type { InputImage, PreparedItem } from '../runner';

const show = { show: { resource: ['image'], operation: ['edit'] } };

/** Formats StepFun documents for edits; GIF and others are refused before sending. */
const ACCEPTED_TYPES = new Set(['png', 'jpeg', 'webp']);

export const description: INodeProperties[] = [
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the binary field holding the image (PNG, JPEG or WebP, at most 4096×4096)',
		description:
			'The binary field of the incoming item that holds the image, e.g. "data" from an HTTP Request or Google Drive download, or the file field name of a form',
		displayOptions: show,
	},
	modelField('edit'),
	promptField('edit'),
	{
		displayName:
			'The edited image has the same width and height as the input image, so there is no Size field',
		name: 'editSizeNotice',
		type: 'notice',
		default: '',
		displayOptions: show,
	},
	optionsField('edit'),
];

async function readInputImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
): Promise<InputImage> {
	const field = ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data');
	if (typeof field !== 'string' || field.trim() === '') {
		throw invalidField(ctx, itemIndex, 'Input Binary Field', 'is empty', 'Enter the name of the binary field that holds the image, e.g. data.');
	}
	const name = field.trim();
	const binary = ctx.getInputData()[itemIndex]?.binary?.[name];
	if (!binary) {
		const present = Object.keys(ctx.getInputData()[itemIndex]?.binary ?? {});
		throw invalidField(
			ctx,
			itemIndex,
			'Input Binary Field',
			`the item has no binary field "${name}"`,
			present.length > 0
				? `This item's binary fields are: ${present.join(', ')}. Enter one of them.`
				: 'This item has no binary data at all. Put a node that outputs a file (Form Trigger, HTTP Request, Google Drive download, Read Files) before this one.',
		);
	}
	const metadata = ctx.helpers.assertBinaryData(itemIndex, name);
	const bytes = await ctx.helpers.getBinaryDataBuffer(itemIndex, name);
	const inspection = inspectImage(bytes);
	const label = `Input Binary Field "${name}"`;
	const fileText = metadata.fileName ? `"${metadata.fileName}"` : 'the file';
	if (!inspection.ok) {
		const problem =
			inspection.problem === 'empty'
				? `${fileText} is empty (0 bytes)`
				: inspection.problem === 'corrupt'
					? `${fileText} is a truncated or corrupt ${inspection.detected ?? 'image'}`
					: `${fileText} is ${inspection.detected ?? `not an image (${metadata.mimeType})`}, not an image`;
		throw invalidField(ctx, itemIndex, label, problem, 'Send a complete PNG, JPEG or WebP image. Check the node before this one really outputs the image file.');
	}
	const { info } = inspection;
	if (!ACCEPTED_TYPES.has(info.type)) {
		throw invalidField(ctx, itemIndex, label, `${fileText} is a ${info.type.toUpperCase()} image`, 'StepFun edits PNG, JPEG and WebP images. Convert it first, e.g. with the Edit Image node.');
	}
	if (info.width > EDIT_MAX_SIDE || info.height > EDIT_MAX_SIDE) {
		throw invalidField(
			ctx,
			itemIndex,
			label,
			`the image is ${info.width}×${info.height} pixels; StepFun accepts at most ${EDIT_MAX_SIDE}×${EDIT_MAX_SIDE}`,
			'Scale it down first, e.g. with the Edit Image node (Resize).',
		);
	}
	// Keep the upstream MIME type when it names an image; a generic one is replaced by what the bytes are.
	const mimeType = metadata.mimeType?.startsWith('image/') ? metadata.mimeType : info.mimeType;
	return { bytes, mimeType, fileName: metadata.fileName ?? `image.${info.extension}`, info };
}

/** Checks one item and describes its request to /images/edits (multipart/form-data). */
export async function prepare(ctx: IExecuteFunctions, itemIndex: number): Promise<PreparedItem> {
	const settings = readItemSettings(ctx, itemIndex);
	const input = await readInputImage(ctx, itemIndex);
	return {
		operation: 'edit',
		path: '/images/edits',
		settings,
		input,
		body: (seed) => {
			const form = new FormData();
			form.append('model', settings.model);
			form.append('prompt', settings.prompt);
			form.append('image', new Blob([input.bytes], { type: input.mimeType }), input.fileName);
			const fields = { ...settings.api, ...(seed === undefined ? {} : { seed }) };
			for (const [key, value] of Object.entries(fields)) {
				if (value !== undefined) form.append(key, String(value));
			}
			return form;
		},
	};
}
