// Image → Edit: an input image and a prompt to a new image, POST /images/edits (multipart/form-data).
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ImageAcceptance, InputSource } from '../../binary';
import { modelProperty, promptProperty, readModel, readPrompt } from '../../fields';
import { DEFAULT_MODEL, EDIT_MAX_SIDE, PROMPT_MAX_CHARACTERS } from '../../limits';
import { optionsCollection, readItemOptions } from '../../options';
import { imageItems } from '../../output';
import { FieldCheck, readParameter } from '../../parameters';
import type { Operation, PreparedItem } from '../../runner';
import { operationProperties } from '../../runner';

/** The formats StepFun documents for edits; GIF and others are refused before sending. */
const EDIT_ACCEPTS: ImageAcceptance = {
	types: ['png', 'jpeg', 'webp'],
	animated: false,
	maxSide: EDIT_MAX_SIDE,
	formats: 'PNG, JPEG or WebP',
	refusal: 'StepFun edits PNG, JPEG and WebP images.',
};

const fromSource = (source: string) => ({ show: { imageSource: [source] } });

const properties: INodeProperties[] = [
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
	modelProperty(
		DEFAULT_MODEL,
		'The StepFun image model. Any model ID is accepted, so new models work without an update.',
	),
	promptProperty(
		'Make the sky stormy and add a red umbrella',
		`What to change. At most ${PROMPT_MAX_CHARACTERS} characters.`,
	),
	{
		displayName:
			'The edited image has the same width and height as the input image, so there is no Size field',
		name: 'editSizeNotice',
		type: 'notice',
		default: '',
	},
	optionsCollection('edit'),
];

function imageUrlSource(ctx: IExecuteFunctions, itemIndex: number): InputSource {
	const url = readParameter(ctx, 'imageUrl', itemIndex, '');
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
		throw new FieldCheck(ctx, itemIndex, 'Image URL').invalid(problem, hint);
	}
	return { kind: 'url', url: parsed.href };
}

function imageDataSource(ctx: IExecuteFunctions, itemIndex: number): InputSource {
	const field = new FieldCheck(ctx, itemIndex, 'Image Data');
	const value = field.name(
		readParameter(ctx, 'imageBase64', itemIndex, ''),
		'text',
		'Map a field that holds base64 image data or a data URL.',
	);
	const match = /^data:([^;,]+)?(?:;[^,]*)?,/.exec(value);
	const data = match ? value.slice(match[0].length) : value;
	if (!/^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/.test(data)) {
		throw field.invalid(
			'is not base64 or a data URL',
			'Provide the image as base64 text or as data:image/png;base64,....',
		);
	}
	return { kind: 'base64', data, mimeType: match?.[1] };
}

function binaryFieldSource(ctx: IExecuteFunctions, itemIndex: number): InputSource {
	const value = readParameter(ctx, 'binaryPropertyName', itemIndex, 'data');
	// An expression may give the file object itself; n8n's helpers take it as it is.
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		return { kind: 'binary', field: value as IDataObject };
	}
	const field = new FieldCheck(ctx, itemIndex, 'Input Binary Field').name(
		value,
		'a field name',
		'Enter the name of the binary field that holds the image, e.g. data.',
	);
	return { kind: 'binary', field };
}

function imageSource(ctx: IExecuteFunctions, itemIndex: number): InputSource {
	const source = readParameter(ctx, 'imageSource', itemIndex, 'binary');
	if (source === 'url') return imageUrlSource(ctx, itemIndex);
	if (source === 'base64') return imageDataSource(ctx, itemIndex);
	return binaryFieldSource(ctx, itemIndex);
}

function prepare(ctx: IExecuteFunctions, itemIndex: number): PreparedItem {
	const model = readModel(ctx, itemIndex, DEFAULT_MODEL);
	const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX_CHARACTERS);
	const options = readItemOptions(ctx, itemIndex, 'edit');
	return {
		options,
		request: {
			method: 'POST',
			path: '/images/edits',
			body: { format: 'multipart', fields: { model, prompt, ...options.body } },
		},
		requestCount: options.images.numberOfImages,
		inputs: { sources: [imageSource(ctx, itemIndex)], accept: EDIT_ACCEPTS },
	};
}

export const edit: Operation = {
	name: 'edit',
	description: operationProperties('image', 'edit', properties),
	prepare,
	// StepFun takes the image as the multipart file part "image".
	withInputs: ({ request }, [image]) => ({
		...request,
		body: { format: 'multipart', fields: request.body?.fields ?? {}, files: { image } },
	}),
	toItems: imageItems,
};
