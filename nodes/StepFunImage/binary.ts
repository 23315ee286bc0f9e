// Input images of an item: from a binary field (through n8n's binary helpers), a URL or base64,
// checked with the pure image module against what the operation accepts.
import type { IExecuteFunctions } from 'n8n-workflow';

import { invalidField } from './errors';
import type { ImageInfo, ImageType } from './image';
import { inspectImage } from './image';
import type { FilePart } from './transport/request';
import { download, downloadError } from './transport/download';

/** Where an input image comes from: plain data, read and checked before anything is sent. */
export type InputSource =
	| { kind: 'binary'; field: string }
	| { kind: 'url'; url: string }
	| { kind: 'base64'; data: string; mimeType?: string };

/** What an operation takes as input image. */
export interface ImageAcceptance {
	types: readonly ImageType[];
	/** Neither width nor height may exceed it. */
	maxSide: number;
	/** The accepted formats in a sentence, e.g. "PNG, JPEG or WebP". */
	formats: string;
	/** Why another format is refused, e.g. "StepFun edits PNG, JPEG and WebP images." */
	refusal: string;
}

/** A checked input image, ready to upload. */
export interface InputImage extends FilePart {
	info: ImageInfo;
}

interface RawImage {
	bytes: Buffer;
	/** Where it came from, for error messages. */
	label: string;
	mimeType?: string;
	fileName?: string;
}

const INPUT_DOWNLOAD = {
	what: 'the input image',
	fix: 'Check that the Image URL is reachable from the n8n server and points straight at the image file.',
	expired: 'The Image URL was refused or not found. Check it in a browser; signed links expire.',
};

async function fromBinaryField(
	ctx: IExecuteFunctions,
	itemIndex: number,
	name: string,
): Promise<RawImage> {
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
	url: string,
	timeoutMs: number,
): Promise<RawImage> {
	const result = await download(ctx, url, timeoutMs);
	if (!result.ok)
		throw downloadError(ctx, result.problem, INPUT_DOWNLOAD, { itemIndex, timeoutMs });
	const baseName = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
	return {
		bytes: result.bytes,
		label: 'Image URL',
		mimeType: result.contentType?.split(';')[0].trim(),
		fileName: baseName || undefined,
	};
}

function checkImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	source: InputSource,
	raw: RawImage,
	accept: ImageAcceptance,
): InputImage {
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
			source.kind === 'url'
				? 'Check that the Image URL points straight at the image file, not at a web page showing it (such as a share link).'
				: source.kind === 'base64'
					? 'Check that Image Data holds the whole image, base64-encoded.'
					: 'Check that the node before this one really outputs the image file.';
		throw invalidField(
			ctx,
			itemIndex,
			raw.label,
			problem,
			`Send a complete ${accept.formats} image. ${check}`,
		);
	}
	const { info } = inspection;
	if (!accept.types.includes(info.type)) {
		throw invalidField(
			ctx,
			itemIndex,
			raw.label,
			`${fileText} is a ${info.type.toUpperCase()} image`,
			`${accept.refusal} Convert it first, e.g. with the Edit Image node.`,
		);
	}
	if (info.width > accept.maxSide || info.height > accept.maxSide) {
		throw invalidField(
			ctx,
			itemIndex,
			raw.label,
			`the image is ${info.width}×${info.height} pixels; StepFun accepts at most ${accept.maxSide}×${accept.maxSide}`,
			'Scale it down first, e.g. with the Edit Image node (Resize).',
		);
	}
	// Keep the upstream MIME type when it names an image; a generic one is replaced by what the bytes are.
	const mimeType = raw.mimeType?.startsWith('image/') ? raw.mimeType : info.mimeType;
	return { bytes: raw.bytes, mimeType, fileName: raw.fileName ?? `image.${info.extension}`, info };
}

/** Reads one input image and checks it; called just before its item's requests. */
export async function readInputImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	source: InputSource,
	accept: ImageAcceptance,
	timeoutMs: number,
): Promise<InputImage> {
	const raw =
		source.kind === 'url'
			? await fromUrl(ctx, itemIndex, source.url, timeoutMs)
			: source.kind === 'base64'
				? {
						bytes: Buffer.from(source.data, 'base64'),
						label: 'Image Data',
						mimeType: source.mimeType,
					}
				: await fromBinaryField(ctx, itemIndex, source.field);
	return checkImage(ctx, itemIndex, source, raw, accept);
}
