// How an item's Image Source and the field it names become sources to read (checked before
// anything is sent), and where an item's files are. Reading the images is inputImages.ts.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { ImageAcceptance, InputSource } from './operation';
import { FieldCheck, readParameter } from './parameters';

/** An operation's image fields, by Image Source choice: each one's parameter and UI name. */
export interface ImageFields
	extends Record<InputSource['kind'], { parameter: string; label: string }> {
	/** Each field takes several images (Analyze); "All Image Files of the Item" is offered. */
	several?: true;
}

/** Where the text of a field that takes several images splits, and what to enter when empty. */
const SEVERAL: Record<InputSource['kind'], { separator?: RegExp; fix: string }> = {
	url: {
		// Links hold no white space, but may hold commas (…/w_400,h_300/photo.jpg): a comma only
		// separates where the next link starts.
		separator: /\s*,\s*(?=https?:\/\/)|\s+/i,
		fix: 'Enter one or more links starting with https://.',
	},
	base64: { fix: 'Map a field that holds base64 image data or a data URL.' },
	binary: { separator: /,/, fix: 'Enter the name of the binary field, e.g. data.' },
};

/**
 * The item's images as sources, from the field of its Image Source choice (Binary for a choice
 * the operation does not offer), each checked before anything is sent.
 */
export function sourcesIn(ctx: IExecuteFunctions, itemIndex: number, fields: ImageFields) {
	const choice = readParameter(ctx, 'imageSource', itemIndex, 'binary');
	if (choice === 'allFiles' && fields.several) return imageFilesOf(ctx, itemIndex);
	const kind = choice === 'url' || choice === 'base64' ? choice : 'binary';
	const field = new FieldCheck(ctx, itemIndex, fields[kind].label);
	const fallback = kind === 'binary' ? 'data' : '';
	const value = readParameter(ctx, fields[kind].parameter, itemIndex, fallback);
	const toSource = { url: urlSource, base64: dataSource, binary: binaryFieldSource }[kind];
	if (!fields.several) return [toSource(field, value)];
	const { separator, fix } = SEVERAL[kind];
	const values = listOf(value, separator);
	if (values.length === 0) throw field.invalid('is empty', fix);
	return values.map((one) => toSource(field, one));
}

/** A value that may hold several: a list from an expression, or text split at `separator`. */
function listOf(value: unknown, separator?: RegExp): unknown[] {
	if (Array.isArray(value)) return value;
	if (typeof value === 'string') {
		return (separator ? value.split(separator) : [value]).filter((part) => part.trim() !== '');
	}
	return value === undefined || value === null ? [] : [value];
}

function urlSource(field: FieldCheck, url: unknown): InputSource {
	const text = typeof url === 'string' ? url.trim() : '';
	const parsed = URL.canParse(text) ? new URL(text) : undefined;
	if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
		const shown = typeof url === 'string' && url.length > 60 ? `${url.slice(0, 60)}…` : url;
		const problem =
			typeof url === 'string' && text === ''
				? 'is empty'
				: `${JSON.stringify(shown)} is not an http(s) URL`;
		const hint =
			parsed?.protocol === 'data:'
				? 'This is a data URL: set Image Source to "Base64 or Data URL" and put it in Image Data.'
				: 'Enter a link starting with https:// that points straight at the image file.';
		throw field.invalid(problem, hint);
	}
	return { kind: 'url', url: parsed.href, fieldLabel: field.label };
}

/** Image Data: base64 text or a data URL, its syntax checked. */
function dataSource(field: FieldCheck, given: unknown): InputSource {
	const value = field.name(given, 'text', SEVERAL.base64.fix);
	// A data URL's header is left out: the bytes say what the image is.
	const data = value.replace(/^data:[^,]*,/, '');
	if (!/^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/.test(data)) {
		throw field.invalid(
			'is not base64 or a data URL',
			'Provide the image as base64 text or as data:image/png;base64,....',
		);
	}
	return { kind: 'base64', data, fieldLabel: field.label };
}

/** Input Binary Field: a field name or path, or the file object an expression gave. */
function binaryFieldSource(field: FieldCheck, value: unknown): InputSource {
	// n8n's helpers take a file object as it is.
	const file =
		typeof value === 'object' && value !== null && !Array.isArray(value)
			? (value as IDataObject)
			: field.name(
					value,
					'a field name',
					'Enter the name of the binary field that holds the image, e.g. data.',
				);
	const label = typeof file === 'string' ? `${field.label} "${file}"` : undefined;
	return { kind: 'binary', field: file, fieldLabel: field.label, label };
}

/** A file and where it is in its item: a binary field, or a path into its JSON. */
type FoundFile = { path: string; file: IDataObject };

/** A file object as n8n keeps it. */
function isFile(value: unknown): value is IDataObject {
	const file = value as IDataObject | null;
	return typeof file?.mimeType === 'string' && ('data' in file || 'id' in file);
}

/** Files in an item's JSON by path (n8n 2.x combined binary mode keeps them there). */
function filesIn(json: unknown, prefix = '', depth = 0, found: FoundFile[] = []): FoundFile[] {
	if (depth > 4 || found.length >= 100 || typeof json !== 'object' || json === null) return found;
	for (const [key, value] of Object.entries(json)) {
		const path = Array.isArray(json) ? `${prefix}[${key}]` : prefix ? `${prefix}.${key}` : key;
		if (isFile(value)) found.push({ path, file: value });
		else filesIn(value, path, depth + 1, found);
	}
	return found;
}

/** Every file of an item and where it is: its binary fields, then files in its JSON. */
export function filesOfItem(ctx: IExecuteFunctions, itemIndex: number): FoundFile[] {
	const { binary = {}, json } = ctx.getInputData()[itemIndex];
	const files = Object.entries(binary).map(([path, file]): FoundFile => ({ path, file }));
	return [...files, ...filesIn(json)];
}

/**
 * The image files of an item, for "All Image Files": those n8n labels with an image type (a PDF
 * next to the photos of a form is left out); their bytes are checked when read.
 */
function imageFilesOf(ctx: IExecuteFunctions, itemIndex: number) {
	const fieldLabel = 'All Image Files of the Item';
	const sources = filesOfItem(ctx, itemIndex)
		.filter(({ file }) => String(file.mimeType).startsWith('image/'))
		.map(({ path, file }): InputSource => {
			return { kind: 'binary', field: file, fieldLabel, label: `${fieldLabel} "${path}"` };
		});
	if (sources.length > 0) return sources;
	throw new FieldCheck(ctx, itemIndex, fieldLabel).invalid(
		'the item has no image files',
		'Put a node that outputs images (Form Trigger, HTTP Request, Google Drive download) before this one, or change Image Source.',
	);
}

/** Refuses more images than one request takes. */
export function checkImageCount(field: FieldCheck, count: number, accept: ImageAcceptance): void {
	if (count <= accept.maxImages) return;
	throw field.invalid(
		`${count} images in one request; StepFun reads at most ${accept.maxImages}`,
		`Send at most ${accept.maxImages} images per item, e.g. split them over several items.`,
	);
}
