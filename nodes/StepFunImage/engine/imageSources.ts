// How an item's image input values become sources to read (checked before anything is sent),
// and where an item's files are. Reading and checking the images themselves is inputImages.ts.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { ImageAcceptance, InputSource } from './operation';
import type { FieldCheck } from './parameters';
import { invalidField } from './parameters';

/** An Image URL as a source: an http(s) link, checked before anything is sent. */
export function urlSource(
	field: FieldCheck,
	url: unknown,
): { kind: 'url'; url: string; fieldLabel: string } {
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
		throw field.invalid(problem, hint);
	}
	return { kind: 'url', url: parsed.href, fieldLabel: field.label };
}

/** Image Data as a source: base64 text or a data URL, its syntax checked before sending. */
export function dataSource(field: FieldCheck, given: unknown): InputSource {
	const value = field.name(
		given,
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

/** Input Binary Field as a source: a field name or path, or the file object an expression gave. */
export function binaryFieldSource(field: FieldCheck, value: unknown): InputSource {
	// n8n's helpers take a file object as it is.
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		return { kind: 'binary', field: value as IDataObject, fieldLabel: field.label };
	}
	const name = field.name(
		value,
		'a field name',
		'Enter the name of the binary field that holds the image, e.g. data.',
	);
	return { kind: 'binary', field: name, fieldLabel: field.label };
}

/** A file object as n8n keeps it; used only to say where an item's files are. */
function looksLikeFile(value: unknown): boolean {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as IDataObject).mimeType === 'string' &&
		('data' in value || 'id' in value)
	);
}

/** Files in an item's JSON by path (n8n 2.x combined binary mode keeps them there). */
function filesIn(
	json: unknown,
	prefix = '',
	depth = 0,
	found: Array<{ path: string; file: IDataObject }> = [],
): Array<{ path: string; file: IDataObject }> {
	if (depth > 4 || found.length >= 100 || typeof json !== 'object' || json === null) return found;
	for (const [key, value] of Object.entries(json)) {
		const path = Array.isArray(json) ? `${prefix}[${key}]` : prefix ? `${prefix}.${key}` : key;
		if (looksLikeFile(value)) found.push({ path, file: value as IDataObject });
		else filesIn(value, path, depth + 1, found);
	}
	return found;
}

/** Every file of an item and where it is: its binary fields, then files in its JSON. */
export function filesOfItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
): Array<{ path: string; file: IDataObject }> {
	const item = ctx.getInputData()[itemIndex];
	const binary = Object.entries(item?.binary ?? {}).map(([path, file]) => ({
		path,
		file: file as unknown as IDataObject,
	}));
	return [...binary, ...filesIn(item?.json)];
}

/**
 * The image files of an item, for "All Image Files": those n8n labels with an image type (a PDF
 * next to the photos of a form is left out). Their bytes are checked when read; errors name
 * `fieldLabel` (the choice the user made) and the file's place in the item.
 */
export function imageFilesOf(
	ctx: IExecuteFunctions,
	itemIndex: number,
	fieldLabel: string,
): InputSource[] {
	return filesOfItem(ctx, itemIndex)
		.filter(({ file }) => String(file.mimeType).startsWith('image/'))
		.map(({ path, file }) => ({
			kind: 'binary' as const,
			field: file,
			fieldLabel,
			label: `${fieldLabel} "${path}"`,
		}));
}

/** Refuses more images than one request takes. */
export function checkImageCount(
	ctx: IExecuteFunctions,
	itemIndex: number,
	label: string,
	count: number,
	accept: ImageAcceptance,
): void {
	if (count <= accept.maxImages) return;
	throw invalidField(
		ctx,
		itemIndex,
		label,
		`${count} images in one request; StepFun reads at most ${accept.maxImages}`,
		`Send at most ${accept.maxImages} images per item, e.g. split them over several items.`,
	);
}
