// Pure image inspection: file type from magic bytes, dimensions from the header,
// and a cheap completeness check. No n8n imports, so it is tested directly.

export type ImageType = 'png' | 'jpeg' | 'webp' | 'gif';

export interface ImageInfo {
	type: ImageType;
	mimeType: string;
	extension: string;
	width: number;
	height: number;
}

export type ImageInspection =
	| { ok: true; info: ImageInfo }
	| { ok: false; problem: 'empty' | 'not-an-image' | 'corrupt'; detected?: string };

const MIME: Record<ImageType, { mimeType: string; extension: string }> = {
	png: { mimeType: 'image/png', extension: 'png' },
	jpeg: { mimeType: 'image/jpeg', extension: 'jpg' },
	webp: { mimeType: 'image/webp', extension: 'webp' },
	gif: { mimeType: 'image/gif', extension: 'gif' },
};

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
	if (bytes.length < offset + signature.length) return false;
	return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
	return String.fromCharCode(...bytes.subarray(start, start + length));
}

function u16be(bytes: Uint8Array, at: number): number {
	return (bytes[at] << 8) | bytes[at + 1];
}

function u32be(bytes: Uint8Array, at: number): number {
	return ((bytes[at] << 24) >>> 0) + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

function u24le(bytes: Uint8Array, at: number): number {
	return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
}

function u32le(bytes: Uint8Array, at: number): number {
	return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + ((bytes[at + 3] << 24) >>> 0);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Which image format the bytes are, by magic number only. */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
	if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
	if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
	if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP')
		return 'webp';
	if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a'))
		return 'gif';
	return undefined;
}

/** A name for common non-image content, so an error can say what the user actually sent. */
function describeNonImage(bytes: Uint8Array): string | undefined {
	if (ascii(bytes, 0, 5) === '%PDF-') return 'a PDF document';
	if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive or Office document';
	if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') return 'an MP4/HEIC/AVIF file';
	const start = ascii(bytes, 0, 64).trimStart().toLowerCase();
	if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'an HTML page';
	if (ascii(bytes, 0, 5).toLowerCase() === '<?xml' || ascii(bytes, 0, 4).toLowerCase() === '<svg')
		return 'an SVG/XML document';
	const sample = bytes.subarray(0, 512);
	const printable = sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127));
	if (printable) return 'text';
	return undefined;
}

function pngInfo(
	bytes: Uint8Array,
): { width: number; height: number; complete: boolean } | undefined {
	// IHDR must be the first chunk: length 13 at offset 8, type at 12, data at 16.
	if (bytes.length < 33 || ascii(bytes, 12, 4) !== 'IHDR') return undefined;
	const width = u32be(bytes, 16);
	const height = u32be(bytes, 20);
	// A complete PNG ends with the 12-byte IEND chunk.
	const complete = ascii(bytes, bytes.length - 8, 4) === 'IEND';
	return { width, height, complete };
}

function jpegInfo(
	bytes: Uint8Array,
): { width: number; height: number; complete: boolean } | undefined {
	let at = 2;
	while (at + 4 <= bytes.length) {
		if (bytes[at] !== 0xff) return undefined;
		const marker = bytes[at + 1];
		if (marker === 0xff) {
			at += 1; // fill byte
			continue;
		}
		if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
			at += 2; // markers without a length
			continue;
		}
		const length = u16be(bytes, at + 2);
		const isStartOfFrame =
			marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
		if (isStartOfFrame) {
			if (at + 9 > bytes.length) return undefined;
			const height = u16be(bytes, at + 5);
			const width = u16be(bytes, at + 7);
			// The last two bytes of a complete JPEG are the EOI marker FFD9.
			const complete = bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9;
			return { width, height, complete };
		}
		at += 2 + length;
	}
	return undefined;
}

function webpInfo(
	bytes: Uint8Array,
): { width: number; height: number; complete: boolean } | undefined {
	if (bytes.length < 30) return undefined;
	// The RIFF size field counts everything after the first 8 bytes.
	const complete = u32le(bytes, 4) + 8 <= bytes.length;
	const chunk = ascii(bytes, 12, 4);
	if (chunk === 'VP8X') {
		return { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1, complete };
	}
	if (chunk === 'VP8L') {
		if (bytes[20] !== 0x2f) return undefined;
		const bits = u32le(bytes, 21);
		return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1, complete };
	}
	if (chunk === 'VP8 ') {
		if (!startsWith(bytes, [0x9d, 0x01, 0x2a], 23)) return undefined;
		return {
			width: (bytes[26] | (bytes[27] << 8)) & 0x3fff,
			height: (bytes[28] | (bytes[29] << 8)) & 0x3fff,
			complete,
		};
	}
	return undefined;
}

function gifInfo(
	bytes: Uint8Array,
): { width: number; height: number; complete: boolean } | undefined {
	if (bytes.length < 10) return undefined;
	const width = bytes[6] | (bytes[7] << 8);
	const height = bytes[8] | (bytes[9] << 8);
	return { width, height, complete: bytes[bytes.length - 1] === 0x3b };
}

const READERS: Record<ImageType, (bytes: Uint8Array) => ReturnType<typeof pngInfo>> = {
	png: pngInfo,
	jpeg: jpegInfo,
	webp: webpInfo,
	gif: gifInfo,
};

/** Type, dimensions and completeness of an image, or what is wrong with it. */
export function inspectImage(bytes: Uint8Array): ImageInspection {
	if (bytes.length === 0) return { ok: false, problem: 'empty' };
	const type = sniffImageType(bytes);
	if (type === undefined)
		return { ok: false, problem: 'not-an-image', detected: describeNonImage(bytes) };
	const header = READERS[type](bytes);
	if (!header || !header.complete || header.width === 0 || header.height === 0) {
		return { ok: false, problem: 'corrupt', detected: MIME[type].mimeType };
	}
	return { ok: true, info: { type, ...MIME[type], width: header.width, height: header.height } };
}
