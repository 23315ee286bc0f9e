// The image input fields several operations show: Image Source and Image Data. How an item's
// values become sources is engine/imageSources.ts.
import type { INodeProperties } from 'n8n-workflow';

/** The Image Source field: which of the ways to give images an operation offers. */
export function imageSourceProperty(
	choices: Array<{ name: string; value: string; description: string }>,
	description: string,
): INodeProperties {
	return {
		displayName: 'Image Source',
		name: 'imageSource',
		type: 'options',
		default: 'binary',
		options: choices,
		description,
	};
}

/** The Image Data field of an operation that takes base64 images. */
export function imageDataProperty(description: string): INodeProperties {
	return {
		displayName: 'Image Data',
		name: 'imageBase64',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'data:image/png;base64,iVBORw0KGgo...',
		description,
		displayOptions: { show: { imageSource: ['base64'] } },
	};
}
