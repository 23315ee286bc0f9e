import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	invalidField,
	modelField,
	optionsField,
	promptField,
	readItemSettings,
	readRequiredText,
} from '../fields';
import { inspectImage } from '../image';
import { EDIT_MAX_SIDE } from '../limits';
import { downloadImage } from '../transport';
import type { InputImage, PreparedItem } from '../runner';

const show = { show: { resource: ['image'], operation: ['edit'] } };

/** Formats StepFun documents for edits; GIF and others are refused before sending. */
const ACCEPTED_TYPES = new Set(['png', 'jpeg', 'webp']);

const fromSource = (source: string) => ({
	show: { resource: ['image'], operation: ['edit'], imageSource: [source] },
});

export const description: INodeProperties[] = [
	{
		displayName: 'Image Source',
		name: 'imageSource',
		type: 'options',
		default: 'binary',
		options: [
			{
				name: 'Binary File',
				value: 'binary',
				description:
					'A file from an earlier node (form upload, HTTP Request, Google Drive, Read Files)',
			},
			{
				name: 'URL',
				value: 'url',
				description: 'The node downloads the image (without your StepFun key)',
			},
			{
				name: 'Base64 or Data URL',
				value: 'base64',
				description: 'Image data as text, e.g. from a Code node or another API',
			},
		],
		description: 'Where the image to edit comes from',
		displayOptions: show,
	},
	{
		displayName: 'Image URL',
		name: 'imageUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/photo.jpg',
		description: 'A direct link to a PNG, JPEG or WebP image (at most 64 MiB)',
		displayOptions: fromSource('url'),
	},
	{
		displayName: 'Image Data',
		name: 'imageBase64',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'data:image/png;base64,iVBORw0KGgo...',
		description: 'The image as base64, or as a data URL (data:image/png;base64,...)',
		displayOptions: fromSource('base64'),
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the binary field holding the image (PNG, JPEG or WebP, at most 4096×4096)',
		description:
			'The binary field of the incoming item that holds the image, e.g. "data" from an HTTP Request or Google Drive download, or the file field name of a form',
		displayOptions: fromSource('binary'),
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

interface RawImage {
	bytes: Buffer;
	/** Where it came from, for error messages. */
	label: string;
	mimeType?: string;
	fileName?: string;
}

async function fromBinaryField(ctx: IExecuteFunctions, itemIndex: number): Promise<RawImage> {
	const name = readRequiredText(
		ctx,
		itemIndex,
		'Input Binary Field',
		ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data'),
		'a field name',
		'Enter the name of the binary field that holds the image, e.g. data.',
	);
	const binaries = ctx.getInputData()[itemIndex]?.binary ?? {};
	if (!binaries[name]) {
		const present = Object.keys(binaries);
		throw invalidField(
			ctx,
			itemIndex,
			'Input Binary Field',
			`the item has no binary field "${name}"`,
			present.length > 0
				? `This item's binary fields are: ${present.join(', ')}. Enter one of them.`
				: 'This item has no binary data at all. Put a node that outputs a file (Form Trigger, HTTP Request, Google Drive download, Read Files) before this one, or change Image Source.',
		);
	}
	const metadata = ctx.helpers.assertBinaryData(itemIndex, name);
	return {
		bytes: await ctx.helpers.getBinaryDataBuffer(itemIndex, name),
		label: `Input Binary Field "${name}"`,
		mimeType: metadata.mimeType,
		fileName: metadata.fileName,
	};
}

async function fromUrl(
	ctx: IExecuteFunctions,
	itemIndex: number,
	timeoutMs: number,
): Promise<RawImage> {
	const url = ctx.getNodeParameter('imageUrl', itemIndex, '');
	let parsed: URL | undefined;
	try {
		parsed = typeof url === 'string' ? new URL(url.trim()) : undefined;
	} catch {
		parsed = undefined;
	}
	if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
		const shown = typeof url === 'string' && url.length > 60 ? `${url.slice(0, 60)}…` : url;
		const problem =
			typeof url === 'string' && url.trim() === ''
				? 'is empty'
				: `${JSON.stringify(shown)} is not an http(s) URL`;
		const hint =
			parsed?.protocol === 'data:'
				? 'This is a data URL: set Image Source to "Base64 or Data URL" and put it in Image Data.'
				: 'Enter a link starting with https:// that points straight at the image file.';
		throw invalidField(ctx, itemIndex, 'Image URL', problem, hint);
	}
	const { bytes, contentType } = await downloadImage(
		ctx,
		parsed.href,
		{ timeoutMs },
		itemIndex,
		'input',
	);
	const baseName = decodeURIComponent(parsed.pathname.split('/').pop() ?? '');
	return {
		bytes,
		label: 'Image URL',
		mimeType: contentType?.split(';')[0].trim(),
		fileName: baseName || undefined,
	};
}

function fromBase64(ctx: IExecuteFunctions, itemIndex: number): RawImage {
	const value = readRequiredText(
		ctx,
		itemIndex,
		'Image Data',
		ctx.getNodeParameter('imageBase64', itemIndex, ''),
		'text',
		'Map a field that holds base64 image data or a data URL.',
	);
	const match = /^data:([^;,]+)?(?:;[^,]*)?,/.exec(value);
	const data = match ? value.slice(match[0].length) : value;
	if (!/^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/.test(data)) {
		throw invalidField(
			ctx,
			itemIndex,
			'Image Data',
			'is not base64 or a data URL',
			'Provide the image as base64 text or as data:image/png;base64,....',
		);
	}
	return { bytes: Buffer.from(data, 'base64'), label: 'Image Data', mimeType: match?.[1] };
}

/** Turns each Image Source into bytes, then checks them the same way. */
async function readInputImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	timeoutMs: number,
): Promise<InputImage> {
	const source = ctx.getNodeParameter('imageSource', itemIndex, 'binary');
	const raw =
		source === 'url'
			? await fromUrl(ctx, itemIndex, timeoutMs)
			: source === 'base64'
				? fromBase64(ctx, itemIndex)
				: await fromBinaryField(ctx, itemIndex);
	const inspection = inspectImage(raw.bytes);
	const fileText = raw.fileName ? `"${raw.fileName}"` : 'the file';
	if (!inspection.ok) {
		const problem =
			inspection.problem === 'empty'
				? `${fileText} is empty (0 bytes)`
				: inspection.problem === 'corrupt'
					? `${fileText} is a truncated or corrupt ${inspection.detected ?? 'image'}`
					: inspection.detected
						? `${fileText} is ${inspection.detected}, not an image`
						: `${fileText} is not an image (${raw.mimeType ?? 'unknown type'})`;
		const check =
			source === 'url'
				? 'Check that the Image URL points straight at the image file, not at a web page showing it (such as a share link).'
				: source === 'base64'
					? 'Check that Image Data holds the whole image, base64-encoded.'
					: 'Check that the node before this one really outputs the image file.';
		throw invalidField(
			ctx,
			itemIndex,
			raw.label,
			problem,
			`Send a complete PNG, JPEG or WebP image. ${check}`,
		);
	}
	const { info } = inspection;
	if (!ACCEPTED_TYPES.has(info.type)) {
		throw invalidField(
			ctx,
			itemIndex,
			raw.label,
			`${fileText} is a ${info.type.toUpperCase()} image`,
			'StepFun edits PNG, JPEG and WebP images. Convert it first, e.g. with the Edit Image node.',
		);
	}
	if (info.width > EDIT_MAX_SIDE || info.height > EDIT_MAX_SIDE) {
		throw invalidField(
			ctx,
			itemIndex,
			raw.label,
			`the image is ${info.width}×${info.height} pixels; StepFun accepts at most ${EDIT_MAX_SIDE}×${EDIT_MAX_SIDE}`,
			'Scale it down first, e.g. with the Edit Image node (Resize).',
		);
	}
	// Keep the upstream MIME type when it names an image; a generic one is replaced by what the bytes are.
	const mimeType = raw.mimeType?.startsWith('image/') ? raw.mimeType : info.mimeType;
	return { bytes: raw.bytes, mimeType, fileName: raw.fileName ?? `image.${info.extension}`, info };
}

/** Checks one item's parameters and describes its request to /images/edits (multipart/form-data). */
export function prepare(ctx: IExecuteFunctions, itemIndex: number): PreparedItem {
	const settings = readItemSettings(ctx, itemIndex);
	return {
		operation: 'edit',
		path: '/images/edits',
		settings,
		loadInput: async () => await readInputImage(ctx, itemIndex, settings.request.timeoutMs),
		body: (seed, input) => {
			if (!input)
				throw new NodeOperationError(ctx.getNode(), 'The input image was not loaded', {
					itemIndex,
				});
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
