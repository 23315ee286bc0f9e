// Image → Edit: an input image and a prompt to a new image, POST /images/edits (multipart/form-data).
import { fromSource, imageDataProperty, imageSourceProperty } from '../../descriptions/imageInputs';
import type { ImageFields } from '../../engine/imageSources';
import { sourcesIn } from '../../engine/imageSources';
import {
	BILLED_REQUEST_OPTIONS,
	COMMON_OPTIONS,
	IMAGE_MAKING_OPTIONS,
} from '../../descriptions/options';
import { IMAGE_MODELS, imagePromptField, modelField } from '../../descriptions/fields';
import { EDIT_MAX_SIDE } from '../../shared/limits';
import type { Field, ImageAcceptance } from '../../engine/operation';
import { defineOperation } from '../../engine/operation';

/** The formats StepFun documents for edits; GIF and others are refused before sending. */
const EDIT_ACCEPTS: ImageAcceptance = {
	types: ['png', 'jpeg', 'webp'],
	maxSide: EDIT_MAX_SIDE,
	maxImages: 1,
	formats: 'PNG, JPEG or WebP',
	refusal: 'StepFun edits PNG, JPEG and WebP images.',
};

const fields = [
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
	modelField(IMAGE_MODELS),
	imagePromptField('Make the sky stormy and add a red umbrella', 'What to change.'),
	{
		displayName:
			'The edited image has the same width and height as the input image, so there is no Size field',
		name: 'editSizeNotice',
		type: 'notice',
		default: '',
	},
] satisfies Field[];

const IMAGE_FIELDS: ImageFields = {
	url: { parameter: 'imageUrl', label: 'Image URL' },
	base64: { parameter: 'imageBase64', label: 'Image Data' },
	binary: { parameter: 'binaryPropertyName', label: 'Input Binary Field' },
};

export const edit = defineOperation({
	name: 'edit',
	resource: 'image',
	choice: {
		name: 'Edit',
		action: 'Edit an image',
		description: 'Change an image from an earlier node as a prompt describes',
	},
	subtitle: 'Edit Image',
	fields,
	options: [...COMMON_OPTIONS, ...BILLED_REQUEST_OPTIONS, ...IMAGE_MAKING_OPTIONS],
	models: IMAGE_MODELS,

	prepare: (ctx, itemIndex, { fields: { model, prompt }, apiFields }) => {
		const request = { method: 'POST', path: '/images/edits' } as const;
		const body = { format: 'multipart', fields: { model, prompt, ...apiFields } } as const;
		return {
			request: { ...request, body },
			inputs: {
				sources: sourcesIn(ctx, itemIndex, IMAGE_FIELDS),
				accept: EDIT_ACCEPTS,
				// StepFun takes the image as the multipart file part "image".
				into: ([image]) => ({ ...request, body: { ...body, files: { image } } }),
			},
			facts: { model, prompt },
		};
	},
	output: { kind: 'images', verb: 'Edited' },
});
