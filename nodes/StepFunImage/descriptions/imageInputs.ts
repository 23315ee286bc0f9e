// The image input fields several operations show: Image Source and Image Data. How an item's
// values become sources is engine/imageSources.ts.
import type { INodeProperties } from 'n8n-workflow';

/** Shown when Image Source is `source`: the field it reads. */
export const fromSource = (source: string) => ({ show: { imageSource: [source] } });

/** The Image Source field: which of the ways to give images an operation offers; base64 last. */
export function imageSourceProperty(
	choices: Array<{ name: string; value: string; description: string }>,
	description: string,
): INodeProperties {
	const base64 = {
		name: 'Base64 or Data URL',
		value: 'base64',
		description: 'Image data as text, e.g. from a Code node or another API',
	};
	return {
		displayName: 'Image Source',
		name: 'imageSource',
		type: 'options',
		default: 'binary',
		options: [...choices, base64],
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
		displayOptions: fromSource('base64'),
	};
}
