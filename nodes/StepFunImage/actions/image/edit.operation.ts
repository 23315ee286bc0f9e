// Image → Edit: an input image and a prompt to a new image, POST /images/edits (multipart/form-data).
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ImageAcceptance, InputSource } from '../../helpers/binary';
import {
	binaryFieldSource,
	dataSource,
	imageDataProperty,
	imageSourceProperty,
	urlSource,
} from '../../helpers/binary';
import { modelProperty, promptProperty, readModel, readPrompt } from '../../descriptions/fields';
import { DEFAULT_MODEL, EDIT_MAX_SIDE, PROMPT_MAX_CHARACTERS } from '../../helpers/limits';
import { optionsCollection, readItemOptions } from '../../descriptions/options';
import { imageItems } from '../../helpers/output';
import { FieldCheck, readParameter } from '../../helpers/parameters';
import type { Operation, PreparedItem } from '../../helpers/runner';
import { operationProperties } from '../../helpers/runner';

/** The formats StepFun documents for edits; GIF and others are refused before sending. */
const EDIT_ACCEPTS: ImageAcceptance = {
	types: ['png', 'jpeg', 'webp'],
	animated: false,
	maxSide: EDIT_MAX_SIDE,
	maxImages: 1,
	formats: 'PNG, JPEG or WebP',
	refusal: 'StepFun edits PNG, JPEG and WebP images.',
};

const fromSource = (source: string) => ({ show: { imageSource: [source] } });

const properties: INodeProperties[] = [
	imageSourceProperty(
		[
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
		'Where the image to edit comes from',
	),
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
	imageDataProperty('The image as base64, or as a data URL (data:image/png;base64,...)'),
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

function imageSource(ctx: IExecuteFunctions, itemIndex: number): InputSource {
	const source = readParameter(ctx, 'imageSource', itemIndex, 'binary');
	const read = (name: string, label: string, fallback = '') =>
		[new FieldCheck(ctx, itemIndex, label), readParameter(ctx, name, itemIndex, fallback)] as const;
	if (source === 'url') return urlSource(...read('imageUrl', 'Image URL'));
	if (source === 'base64') return dataSource(...read('imageBase64', 'Image Data'));
	return binaryFieldSource(...read('binaryPropertyName', 'Input Binary Field', 'data'));
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
	resource: 'image',
	choice: {
		name: 'Edit',
		action: 'Edit an image',
		description: 'Change an image from an earlier node as a prompt describes',
	},
	description: operationProperties('image', 'edit', properties),
	prepare,
	// StepFun takes the image as the multipart file part "image".
	withInputs: ({ request }, [image]) => ({
		...request,
		body: { format: 'multipart', fields: request.body?.fields ?? {}, files: { image } },
	}),
	toItems: imageItems,
};
