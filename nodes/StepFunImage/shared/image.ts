// Pure image inspection: which format the bytes are and, for the formats the node sends (PNG,
// JPEG, WebP, GIF), what its checks need: size, animation, whether the image is whole, why a PNG
// is damaged, a JPEG's bit depth. A format the node refuses (HEIC, HEIF, AVIF, TIFF, BMP, SVG) is
// only named, with what the refusal's advice needs. No pixel decoding, no n8n imports.

/** Formats the node reads to the end of the image (it has a reader): an operation takes each. */
export type MeasuredType = keyof typeof READERS;
/** Formats no operation takes: a file in one is refused by name, with how to convert it. */
export type NamedType = 'heic' | 'heif' | 'avif' | 'tiff' | 'bmp' | 'svg';
export type ImageType = MeasuredType | NamedType;

interface FormatFacts {
	mimeType: string;
	extension: string;
	/** An animation: APNG, animated WebP or GIF (more than one frame), AVIF image sequence. */
	animated?: true;
	/** Number of frames of an animation, when the file says (APNG, WebP, GIF). */
	frames?: number;
}

/** A PNG, JPEG, WebP or GIF whose image is whole (data after its end is allowed). */
export interface ImageInfo extends FormatFacts {
	type: MeasuredType;
	/** Pixel size as stored, before any EXIF rotation. */
	width: number;
	height: number;
	/** Bits per sample of a JPEG, set when not 8 (12-bit JPEG, which most decoders cannot read). */
	precision?: number;
}

/** A file in a format the node refuses: what the refusal says of it, and no more. */
export interface NamedImage extends FormatFacts {
	type: NamedType;
	/** The camera maker from a HEIC/HEIF file's EXIF (`Apple` for an iPhone), when it has one. */
	cameraMake?: string;
}

export type ImageInspection =
	| { ok: true; info: ImageInfo | NamedImage }
	/** `detected`: what the file is instead, in words ("a PDF document"), when it is recognised. */
	| { ok: false; problem: 'empty' | 'not-an-image'; detected?: string }
	/** `damage`: what is wrong, in plain words, when it is more than a missing end. */
	| { ok: false; problem: 'corrupt'; type: MeasuredType; damage?: string };

/** Each format's MIME type, extensions (the usual one first) and name in messages. */
const FORMATS: Record<
	ImageType,
	{ mimeType: string; extensions: string[]; name: string; article?: 'an' }
> = {
	png: { mimeType: 'image/png', extensions: ['png'], name: 'PNG' },
	jpeg: { mimeType: 'image/jpeg', extensions: ['jpg', 'jpeg', 'jpe', 'jfif'], name: 'JPEG' },
	webp: { mimeType: 'image/webp', extensions: ['webp'], name: 'WebP' },
	gif: { mimeType: 'image/gif', extensions: ['gif'], name: 'GIF' },
	heic: { mimeType: 'image/heic', extensions: ['heic'], name: 'HEIC' },
	heif: { mimeType: 'image/heif', extensions: ['heif'], name: 'HEIF' },
	avif: { mimeType: 'image/avif', extensions: ['avif'], name: 'AVIF', article: 'an' },
	tiff: { mimeType: 'image/tiff', extensions: ['tif', 'tiff'], name: 'TIFF' },
	bmp: { mimeType: 'image/bmp', extensions: ['bmp'], name: 'BMP' },
	svg: { mimeType: 'image/svg+xml', extensions: ['svg'], name: 'SVG', article: 'an' },
};

/** The format's usual name for messages, e.g. `HEIC`, `WebP`. */
export function formatName(type: ImageType): string {
	return FORMATS[type].name;
}

/** The name with the article English reads it with: "a HEIC", "an AVIF", "an SVG". */
export function formatNameWithArticle(type: ImageType): string {
	return `${FORMATS[type].article ?? 'a'} ${FORMATS[type].name}`;
}

/**
 * The file name with the format's extension: kept when it fits (`photo.jpeg` for JPEG), replaced
 * when it names another type (`photo.png` of JPEG bytes becomes `photo.jpg`), else added.
 */
export function fileNameForType(fileName: string, type: ImageType): string {
	const { extensions } = FORMATS[type];
	const dot = fileName.lastIndexOf('.');
	const extension = dot > 0 ? fileName.slice(dot + 1) : '';
	if (extensions.includes(extension.toLowerCase())) return fileName;
	const looksLikeExtension = /^[A-Za-z0-9]{1,5}$/.test(extension);
	return `${looksLikeExtension ? fileName.slice(0, dot) : fileName}.${extensions[0]}`;
}

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
	if (offset < 0 || bytes.length < offset + signature.length) return false;
	return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
	return String.fromCharCode(...bytes.subarray(start, start + length));
}

// Unsigned integers, big- and little-endian; a byte past the end reads as 0.
const u16be = (bytes: Uint8Array, at: number) => (bytes[at] << 8) | bytes[at + 1];
const u32be = (bytes: Uint8Array, at: number) => u16be(bytes, at) * 65536 + u16be(bytes, at + 2);
const u16le = (bytes: Uint8Array, at: number) => bytes[at] | (bytes[at + 1] << 8);
const u24le = (bytes: Uint8Array, at: number) => u16le(bytes, at) + (bytes[at + 2] << 16);
const u32le = (bytes: Uint8Array, at: number) => u16le(bytes, at) + u16le(bytes, at + 2) * 65536;

/** BITMAPCOREHEADER, BITMAPINFOHEADER and its V2 to V5 successors. */
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const HEIF_BRANDS = new Set(['mif1', 'msf1']);

/** The brands an ISO media file (`ftyp` box) declares: the major brand first. */
function isoBrands(bytes: Uint8Array): string[] {
	if (bytes.length < 16 || ascii(bytes, 4, 4) !== 'ftyp') return [];
	const end = Math.min(bytes.length, u32be(bytes, 0));
	const brands = [ascii(bytes, 8, 4)];
	for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, 4));
	return brands;
}

// One XML prolog item (declaration or processing instruction, comment, DOCTYPE with its internal
// subset), matched one at a time (sticky) so that nothing backtracks across items.
const PROLOG_ITEM = /\s*(?:<\?[^]*?\?>|<!--[^]*?-->|<!DOCTYPE[^>[]*(?:\[[^]*?\])?\s*>)/y;
const SVG_ROOT = /\s*<svg[\s>/]/y;

/** Whether the bytes are markup whose root element, after any prolog, is `<svg`. */
function isSvg(bytes: Uint8Array): boolean {
	// Only what starts with `<` (after an optional UTF-8 BOM and white space) is read as text.
	let at = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
	while ([0x20, 0x09, 0x0a, 0x0d].includes(bytes[at])) at++;
	if (bytes[at] !== 0x3c) return false;
	// Latin-1 text of the first 64 KB, in pieces (one spread of a large range overflows the stack).
	let text = '';
	for (let from = at; from < Math.min(bytes.length, 65536); from += 4096)
		text += ascii(bytes, from, 4096);
	let root = 0;
	for (PROLOG_ITEM.lastIndex = 0; PROLOG_ITEM.test(text); ) root = PROLOG_ITEM.lastIndex;
	SVG_ROOT.lastIndex = root;
	return SVG_ROOT.test(text);
}

/** Which image format the bytes are, by magic number (and for SVG by its root element). */
function sniffImageType(bytes: Uint8Array): ImageType | undefined {
	if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
	if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
	if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
	if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
	const brands = isoBrands(bytes);
	if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
	if (brands.some((brand) => HEIC_BRANDS.has(brand))) return 'heic';
	if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'heif';
	if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
		return 'tiff';
	if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM' && BMP_HEADER_SIZES.has(u32le(bytes, 14)))
		return 'bmp';
	if (isSvg(bytes)) return 'svg';
	return undefined;
}

/** A name for common non-image content, so an error can say what the user actually sent. */
function describeNonImage(bytes: Uint8Array): string | undefined {
	if (ascii(bytes, 0, 5) === '%PDF-') return 'a PDF document';
	if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive or Office document';
	if (isoBrands(bytes).length > 0) return 'an MP4 or MOV video';
	const start = ascii(bytes, 0, 64).trimStart().toLowerCase();
	if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'an HTML page';
	if (ascii(bytes, 0, 5).toLowerCase() === '<?xml') return 'an XML document';
	const sample = bytes.subarray(0, 512);
	const printable = sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127));
	return printable ? 'text' : undefined;
}

/** What a reader found in a whole image. */
type Reading = Pick<ImageInfo, 'width' | 'height' | 'animated' | 'frames' | 'precision'>;
/** Undefined: the image does not end (cut short, or its structure breaks off). */
type Reader = (bytes: Uint8Array) => Reading | { damage: string } | undefined;

/** CRC-32 as PNG uses it (ISO 3309, polynomial 0xEDB88320), one table lookup per byte. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, index) => {
	let crc = index;
	for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
	return crc >>> 0;
});

function crc32(bytes: Uint8Array, start: number, end: number): number {
	let crc = 0xffffffff;
	for (let at = start; at < end; at++) crc = CRC_TABLE[(crc ^ bytes[at]) & 0xff] ^ (crc >>> 8);
	return (crc ^ 0xffffffff) >>> 0;
}

/** The bit depths each PNG colour type allows (gray, RGB, palette, gray+alpha, RGBA). */
const PNG_BIT_DEPTHS: Record<number, number[] | undefined> = {
	0: [1, 2, 4, 8, 16],
	2: [8, 16],
	3: [1, 2, 4, 8],
	4: [8, 16],
	6: [8, 16],
};

/** Chunks whose checksum libpng, Pillow and ImageMagick insist on (they pass over the others'). */
const PNG_CHECKED_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT']);

const PNG_DAMAGED_HEADER = { damage: 'its header holds values no PNG can have' };
const PNG_DAMAGED_CHECKSUM = {
	damage: 'a checksum inside it does not match, so its data was changed on the way',
};
const PNG_DAMAGED_SIGNATURE = 'its first bytes were changed, as a transfer in text mode does';

const readPng: Reader = (bytes) => {
	// IHDR must be the first chunk: length 13 at offset 8, type at 12, data at 16.
	if (bytes.length < 33 || ascii(bytes, 12, 4) !== 'IHDR') return undefined;
	const size = { width: u32be(bytes, 16), height: u32be(bytes, 20) };
	const [bitDepth, colourType, compression, filter, interlace] = bytes.subarray(24, 29);
	if (
		u32be(bytes, 8) !== 13 ||
		Math.max(size.width, size.height) > 0x7fffffff ||
		!PNG_BIT_DEPTHS[colourType]?.includes(bitDepth) ||
		compression !== 0 ||
		filter !== 0 ||
		interlace > 1
	)
		return PNG_DAMAGED_HEADER;
	let sawImageData = false;
	let sawPalette = false;
	let animationFrames = 0;
	let frameControls = 0;
	// Walk the chunks (length, type, data, CRC) to IEND: a PNG is complete when IEND is whole.
	for (let at = 8; at + 12 <= bytes.length; ) {
		const length = u32be(bytes, at);
		const chunkEnd = at + 12 + length;
		if (chunkEnd > bytes.length) return undefined;
		const type = ascii(bytes, at + 4, 4);
		if (
			PNG_CHECKED_CHUNKS.has(type) &&
			crc32(bytes, at + 4, chunkEnd - 4) !== u32be(bytes, chunkEnd - 4)
		)
			return PNG_DAMAGED_CHECKSUM;
		if (type === 'IDAT') {
			// An indexed-colour image cannot be drawn without its palette.
			if (colourType === 3 && !sawPalette) return PNG_DAMAGED_HEADER;
			sawImageData = true;
		} else if (type === 'PLTE') {
			if (length === 0 || length % 3 !== 0 || length > 768) return PNG_DAMAGED_HEADER;
			sawPalette = true;
		} else if (type === 'acTL' && !sawImageData) {
			animationFrames = u32be(bytes, at + 8);
		} else if (type === 'fcTL') {
			frameControls++;
		} else if (type === 'IEND') {
			if (!sawImageData) return undefined;
			// The frames are the fcTL chunks really there: acTL's count is only a claim, and
			// decoders show the still image when it does not hold.
			return animationFrames > 1 && frameControls > 1
				? { ...size, animated: true, frames: frameControls }
				: size;
		}
		at = chunkEnd;
	}
	return undefined;
};

/**
 * Whether the bytes are a PNG whose 8-byte signature was changed on the way: a text-mode transfer
 * turns its line ends (bytes 4–7) into CRLF or LF, a 7-bit one clears the top bit of its first
 * byte. "PNG" and the IHDR chunk right after still show what it was.
 */
function isDamagedPngSignature(bytes: Uint8Array): boolean {
	return (
		(bytes[0] & 0x7f) === 0x09 &&
		ascii(bytes, 1, 3) === 'PNG' &&
		ascii(bytes, 0, Math.min(bytes.length, 24)).includes('IHDR')
	);
}

/**
 * From the start of a JPEG scan's coded data to the marker that ends it (-1: none before the
 * end): 0xFF00 is a stuffed data byte, 0xFFD0–0xFFD7 restart markers, repeated 0xFF fill.
 */
function endOfScan(bytes: Uint8Array, from: number): number {
	for (let at = bytes.indexOf(0xff, from); at !== -1; at = bytes.indexOf(0xff, at + 1)) {
		if (at + 1 === bytes.length) return -1;
		const next = bytes[at + 1];
		if (next !== 0x00 && next !== 0xff && (next < 0xd0 || next > 0xd7)) return at;
	}
	return -1;
}

const readJpeg: Reader = (bytes) => {
	let size: Reading | undefined;
	let sawScan = false;
	// Walk the segments and scans to the EOI that ends this image: a progressive JPEG has several
	// scans with tables between them; an EXIF thumbnail's own markers sit inside its APP1 segment.
	let at = 2;
	while (at + 2 <= bytes.length) {
		const marker = bytes[at + 1];
		if (bytes[at] !== 0xff || marker === 0xff) {
			// Stray bytes between segments, or fill bytes: decoders skip to the marker, as this walk does.
			at = bytes.indexOf(0xff, at + 1);
			if (at === -1) return undefined;
			continue;
		}
		if (marker === 0xd9) return sawScan ? size : undefined;
		if (marker === 0xd8) return undefined;
		if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
			at += 2; // markers without a length
			continue;
		}
		if (at + 4 > bytes.length) return undefined;
		const length = u16be(bytes, at + 2);
		const segmentEnd = at + 2 + length;
		if (length < 2 || segmentEnd > bytes.length) return undefined;
		const isStartOfFrame =
			marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
		if (isStartOfFrame && !size) {
			if (length < 8) return undefined;
			size = { width: u16be(bytes, at + 7), height: u16be(bytes, at + 5) };
			if (bytes[at + 4] !== 8) size.precision = bytes[at + 4];
		} else if (marker === 0xda) {
			if (!size) return undefined;
			sawScan = true;
			at = endOfScan(bytes, segmentEnd);
			if (at === -1) return undefined;
			continue;
		}
		at = segmentEnd;
	}
	return undefined;
};

const readWebp: Reader = (bytes) => {
	// The shortest WebP is a lossless one: RIFF and VP8L headers (20 bytes), the 5-byte image
	// header, then its data; a one-colour picture's whole file can be 26 to 30 bytes.
	if (bytes.length < 25) return undefined;
	// The RIFF size field counts everything after the first 8 bytes.
	const riffEnd = 8 + u32le(bytes, 4);
	if (riffEnd > bytes.length) return undefined;
	let size: Reading;
	const chunk = ascii(bytes, 12, 4);
	if (chunk === 'VP8X' && bytes.length >= 30) {
		size = { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1 };
	} else if (chunk === 'VP8L' && bytes[20] === 0x2f) {
		const bits = u32le(bytes, 21);
		size = { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
	} else if (chunk === 'VP8 ' && startsWith(bytes, [0x9d, 0x01, 0x2a], 23) && bytes.length >= 30) {
		size = { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
	} else {
		return undefined;
	}
	// Walk the chunks (each padded to an even length) inside the RIFF size.
	let frames = 0;
	for (let at = 12; at < riffEnd; ) {
		if (at + 8 > riffEnd) return undefined;
		const length = u32le(bytes, at + 4);
		if (at + 8 + length > riffEnd) return undefined;
		if (ascii(bytes, at, 4) === 'ANMF') frames++;
		at += 8 + length + (length & 1);
	}
	return frames > 1 ? { ...size, animated: true, frames } : size;
};

/** Skips GIF data sub-blocks (a length byte, then that many bytes; 0 ends); -1 if they run past the end. */
function skipGifSubBlocks(bytes: Uint8Array, from: number): number {
	let at = from;
	while (at < bytes.length && bytes[at] !== 0) at += 1 + bytes[at];
	return at < bytes.length ? at + 1 : -1;
}

const readGif: Reader = (bytes) => {
	if (bytes.length < 13) return undefined;
	const size = { width: u16le(bytes, 6), height: u16le(bytes, 8) };
	const colourTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
	let at = 13 + colourTable(bytes[10]);
	let frames = 0;
	// Walk the blocks (extensions and images) to the trailer byte 0x3B.
	while (at < bytes.length) {
		const block = bytes[at];
		if (block === 0x3b) {
			// A trailer before any picture: nothing to show.
			if (frames === 0) return undefined;
			return frames > 1 ? { ...size, animated: true, frames } : size;
		}
		if (block === 0x21) {
			at = skipGifSubBlocks(bytes, at + 2);
		} else if (block === 0x2c) {
			if (at + 11 > bytes.length) return undefined;
			frames++;
			// Image descriptor (10 bytes), local colour table, LZW code size, then the data.
			at = skipGifSubBlocks(bytes, at + 10 + colourTable(bytes[at + 9]) + 1);
		} else {
			return undefined;
		}
		if (at === -1) return undefined;
	}
	return undefined;
};

const READERS = { png: readPng, jpeg: readJpeg, webp: readWebp, gif: readGif };

function isMeasured(type: ImageType): type is MeasuredType {
	return type in READERS;
}

/** A TIFF header (EXIF is one) as cameras write it: byte order, 42, its first directory at 8. */
const TIFF_LITTLE_ENDIAN = [0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0];
const TIFF_BIG_ENDIAN = [0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8];

/**
 * The camera maker (EXIF Make) of a HEIC/HEIF file. Its EXIF is an item anywhere in the file, found
 * by its TIFF header rather than through the item boxes: the Make is all the advice needs.
 */
function exifMake(bytes: Uint8Array): string | undefined {
	for (let at = bytes.indexOf(0x2a); at !== -1; at = bytes.indexOf(0x2a, at + 1)) {
		// 42 is the third byte of a little-endian header, the fourth of a big-endian one.
		const little = bytes[at - 1] === 0x49 && startsWith(bytes, TIFF_LITTLE_ENDIAN, at - 2);
		if (!little && (bytes[at - 1] !== 0 || !startsWith(bytes, TIFF_BIG_ENDIAN, at - 3))) continue;
		const tiff = at - (little ? 2 : 3);
		const u16 = (from: number) => (little ? u16le(bytes, from) : u16be(bytes, from));
		const u32 = (from: number) => (little ? u32le(bytes, from) : u32be(bytes, from));
		const ifd = tiff + 8;
		const entries = ifd + 2 <= bytes.length ? u16(ifd) : 0;
		for (let entry = ifd + 2; entry < ifd + 2 + entries * 12; entry += 12) {
			if (entry + 12 > bytes.length) return undefined;
			// The Make tag (0x010F) holds ASCII (type 2), inside the entry when it fits in 4 bytes.
			if (u16(entry) !== 0x010f || u16(entry + 2) !== 2) continue;
			const length = u32(entry + 4);
			const value = length <= 4 ? entry + 8 : tiff + u32(entry + 8);
			if (value + length > bytes.length) return undefined;
			return ascii(bytes, value, Math.min(length, 64)).replace(/[\0\s]+$/, '') || undefined;
		}
		return undefined;
	}
	return undefined;
}

function namedImage(type: NamedType, bytes: Uint8Array): NamedImage {
	const { mimeType, extensions } = FORMATS[type];
	const image: NamedImage = { type, mimeType, extension: extensions[0] };
	if (type === 'avif' && isoBrands(bytes).includes('avis')) image.animated = true;
	const make = type === 'heic' || type === 'heif' ? exifMake(bytes) : undefined;
	if (make !== undefined) image.cameraMake = make;
	return image;
}

/** What the bytes are: a whole image the node reads, a format it only names, or what is wrong. */
export function inspectImage(bytes: Uint8Array): ImageInspection {
	if (bytes.length === 0) return { ok: false, problem: 'empty' };
	const type = sniffImageType(bytes);
	if (type === undefined) {
		return isDamagedPngSignature(bytes)
			? { ok: false, problem: 'corrupt', type: 'png', damage: PNG_DAMAGED_SIGNATURE }
			: { ok: false, problem: 'not-an-image', detected: describeNonImage(bytes) };
	}
	if (!isMeasured(type)) return { ok: true, info: namedImage(type, bytes) };
	const reading = READERS[type](bytes);
	if (reading && 'damage' in reading)
		return { ok: false, problem: 'corrupt', type, damage: reading.damage };
	if (!reading || reading.width === 0 || reading.height === 0)
		return { ok: false, problem: 'corrupt', type };
	const { mimeType, extensions } = FORMATS[type];
	return { ok: true, info: { type, mimeType, extension: extensions[0], ...reading } };
}
