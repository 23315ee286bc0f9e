// Pure image inspection: file type from magic bytes, dimensions and a few facts from the
// headers, and a completeness check that walks the file's structure to the end of the image.
// No pixel decoding and no n8n imports, so it is fast and tested directly.

export type ImageType =
	| 'png'
	| 'jpeg'
	| 'webp'
	| 'gif'
	| 'heic'
	| 'heif'
	| 'avif'
	| 'tiff'
	| 'bmp'
	| 'svg';

/** What the bytes after the end of an image look like. */
export type TrailingContent =
	/** An MP4/MOV file: the video of a phone's motion photo. */
	| 'video'
	/** Another JPEG: the further pictures of an MPO (stereo or camera preview). */
	| 'jpeg'
	/** Only zero bytes, or only 0xFF bytes. */
	| 'padding'
	| 'other';

export interface ImageInfo {
	type: ImageType;
	mimeType: string;
	extension: string;
	/**
	 * Pixel size as stored, before any EXIF rotation. HEIC/HEIF/AVIF: the primary image's `ispe`.
	 * SVG: the root element's width/height in px (or unitless), else its viewBox; 0 when it
	 * declares neither.
	 */
	width: number;
	height: number;
	/** Set for an animation: APNG or animated WebP or GIF with more than one frame, AVIF image sequence. */
	animated?: true;
	/** Number of frames of an animation, when the header says (APNG, WebP, GIF). */
	frames?: number;
	/**
	 * EXIF orientation 1–8, when the file carries one (JPEG, PNG `eXIf`, WebP `EXIF`, TIFF).
	 * 5–8 are shown turned a quarter, so on screen width and height swap.
	 */
	orientation?: number;
	/** Bytes after the end of the image (a motion photo's video, an MPO's second picture, padding). */
	trailingBytes?: number;
	/** What those trailing bytes are; set whenever `trailingBytes` is. */
	trailingContent?: TrailingContent;
	/** A progressive JPEG (several scans, coarse to fine). */
	progressive?: true;
	/** An interlaced (Adam7) PNG. */
	interlaced?: true;
	/** A JPEG with four colour components (CMYK or YCCK, as print workflows write them). */
	cmyk?: true;
	/** Bits per sample of a JPEG, set when not 8 (12-bit JPEG, which most decoders cannot read). */
	precision?: number;
	/** The camera maker from a HEIC/HEIF/AVIF file's EXIF (`Apple` for an iPhone), when it has one. */
	cameraMake?: string;
}

export type ImageInspection =
	| { ok: true; info: ImageInfo }
	| { ok: false; problem: 'empty' | 'not-an-image'; detected?: string }
	| {
			ok: false;
			problem: 'corrupt';
			/** The MIME type of the format the bytes claim to be. */
			detected: string;
			type: ImageType;
			/** What is wrong, in plain words, when it is more than a missing end. */
			damage?: string;
	  };

const FORMATS: Record<
	ImageType,
	{ mimeType: string; extension: string; name: string; article: 'a' | 'an'; aliases?: string[] }
> = {
	png: { mimeType: 'image/png', extension: 'png', name: 'PNG', article: 'a' },
	jpeg: {
		mimeType: 'image/jpeg',
		extension: 'jpg',
		name: 'JPEG',
		article: 'a',
		aliases: ['jpeg', 'jpe', 'jfif'],
	},
	webp: { mimeType: 'image/webp', extension: 'webp', name: 'WebP', article: 'a' },
	gif: { mimeType: 'image/gif', extension: 'gif', name: 'GIF', article: 'a' },
	heic: { mimeType: 'image/heic', extension: 'heic', name: 'HEIC', article: 'a' },
	heif: { mimeType: 'image/heif', extension: 'heif', name: 'HEIF', article: 'a' },
	avif: { mimeType: 'image/avif', extension: 'avif', name: 'AVIF', article: 'an' },
	tiff: { mimeType: 'image/tiff', extension: 'tif', name: 'TIFF', article: 'a', aliases: ['tiff'] },
	bmp: { mimeType: 'image/bmp', extension: 'bmp', name: 'BMP', article: 'a' },
	svg: { mimeType: 'image/svg+xml', extension: 'svg', name: 'SVG', article: 'an' },
};

/** The format's usual name for messages, e.g. `HEIC`, `WebP`. */
export function formatName(type: ImageType): string {
	return FORMATS[type].name;
}

/** The name with the article English reads it with: "a HEIC", "an AVIF", "an SVG". */
export function formatNameWithArticle(type: ImageType): string {
	return `${FORMATS[type].article} ${FORMATS[type].name}`;
}

/** Whether a file name's extension fits the format (`photo.jpeg` for JPEG does, `photo.png` does not). */
export function hasExtensionOf(fileName: string, type: ImageType): boolean {
	const dot = fileName.lastIndexOf('.');
	if (dot <= 0) return false;
	const extension = fileName.slice(dot + 1).toLowerCase();
	const format = FORMATS[type];
	return extension === format.extension || (format.aliases ?? []).includes(extension);
}

/**
 * The file name with the format's extension: kept when it fits, replaced when it names another
 * type (`photo.png` holding JPEG bytes becomes `photo.jpg`), added when there is none.
 */
export function fileNameForType(fileName: string, type: ImageType): string {
	if (hasExtensionOf(fileName, type)) return fileName;
	const dot = fileName.lastIndexOf('.');
	const looksLikeExtension = dot > 0 && /^[A-Za-z0-9]{1,5}$/.test(fileName.slice(dot + 1));
	return `${looksLikeExtension ? fileName.slice(0, dot) : fileName}.${FORMATS[type].extension}`;
}

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
	if (bytes.length < offset + signature.length) return false;
	return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
	return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** Latin-1 text of a long range, in pieces (spreading a large range into one call overflows the stack). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
	let text = '';
	for (let at = start; at < end; at += 4096) text += ascii(bytes, at, Math.min(4096, end - at));
	return text;
}

function u16be(bytes: Uint8Array, at: number): number {
	return (bytes[at] << 8) | bytes[at + 1];
}

function u32be(bytes: Uint8Array, at: number): number {
	return ((bytes[at] << 24) >>> 0) + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

function u16le(bytes: Uint8Array, at: number): number {
	return bytes[at] | (bytes[at + 1] << 8);
}

function u24le(bytes: Uint8Array, at: number): number {
	return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
}

function u32le(bytes: Uint8Array, at: number): number {
	return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + ((bytes[at + 3] << 24) >>> 0);
}

function i32le(bytes: Uint8Array, at: number): number {
	return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

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

function isoImageType(bytes: Uint8Array): 'avif' | 'heic' | 'heif' | undefined {
	const brands = isoBrands(bytes);
	if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
	if (brands.some((brand) => HEIC_BRANDS.has(brand))) return 'heic';
	if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'heif';
	return undefined;
}

/** Whether the first character after an optional UTF-8 BOM and white space is `<`. */
function looksLikeMarkup(bytes: Uint8Array): boolean {
	let at = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
	while (at < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[at])) at++;
	return bytes[at] === 0x3c;
}

/** Where the root `<svg` tag starts, after an optional BOM, XML declaration, comments and DOCTYPE. */
function svgRootStart(text: string): number {
	// The text is read as Latin-1, so a UTF-8 byte order mark shows as three characters.
	let at = text.startsWith('\u00ef\u00bb\u00bf') ? 3 : 0;
	for (;;) {
		while (at < text.length && ' \t\r\n'.includes(text[at])) at++;
		const close = text.startsWith('<?', at)
			? '?>'
			: text.startsWith('<!--', at)
				? '-->'
				: text.startsWith('<!DOCTYPE', at)
					? text.indexOf('[', at) !== -1 && text.indexOf('[', at) < text.indexOf('>', at)
						? ']>'
						: '>'
					: undefined;
		if (close === undefined) break;
		const end = text.indexOf(close, at);
		if (end === -1) return -1;
		at = end + close.length;
	}
	return /^<svg[\s>/]/.test(text.slice(at, at + 5)) ? at : -1;
}

/** Which image format the bytes are, by magic number (and for SVG by its root element). */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
	if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
	if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
	if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP')
		return 'webp';
	if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a'))
		return 'gif';
	const iso = isoImageType(bytes);
	if (iso) return iso;
	if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
		return 'tiff';
	if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM' && BMP_HEADER_SIZES.has(u32le(bytes, 14)))
		return 'bmp';
	if (
		looksLikeMarkup(bytes) &&
		svgRootStart(latin1(bytes, 0, Math.min(bytes.length, 65536))) !== -1
	)
		return 'svg';
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
	if (printable) return 'text';
	return undefined;
}

/**
 * What a header walk found. `end`: where the image ends, when the format says (the rest is
 * trailing). `damage`: why the file is damaged although its parts are all there.
 */
type Header = Omit<
	ImageInfo,
	'type' | 'mimeType' | 'extension' | 'trailingBytes' | 'trailingContent'
> & {
	end?: number;
	damage?: string;
};

/** The Orientation tag (0x0112) of IFD0 in a TIFF structure (EXIF is one), if valid. */
function tiffOrientation(bytes: Uint8Array, start: number, end: number): number | undefined {
	const value = tiffIfd0(bytes, start, end)?.entries.get(0x0112)?.[0];
	return value !== undefined && value >= 1 && value <= 8 ? value : undefined;
}

/** Bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, ... DOUBLE, IFD). */
const TIFF_TYPE_SIZES = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4];

/**
 * IFD0 of a TIFF structure between start and end (offsets inside it count from start): the
 * integer (SHORT, LONG, SSHORT, SLONG) values of its entries, and whether every entry's values lie before end.
 * Undefined when it is not one or IFD0 itself runs past end.
 */
function tiffIfd0(
	bytes: Uint8Array,
	start: number,
	end: number,
): { entries: Map<number, number[]>; valuesInside: boolean } | undefined {
	if (start + 8 > end) return undefined;
	const order = ascii(bytes, start, 2);
	if (order !== 'II' && order !== 'MM') return undefined;
	const little = order === 'II';
	const u16 = (at: number) => (little ? u16le(bytes, at) : u16be(bytes, at));
	const u32 = (at: number) => (little ? u32le(bytes, at) : u32be(bytes, at));
	if (u16(start + 2) !== 42) return undefined;
	const ifd = start + u32(start + 4);
	if (ifd + 2 > end) return undefined;
	const count = u16(ifd);
	if (ifd + 2 + count * 12 > end) return undefined;
	const entries = new Map<number, number[]>();
	let valuesInside = true;
	for (let index = 0; index < count; index++) {
		const entry = ifd + 2 + index * 12;
		const type = u16(entry + 2);
		const size = TIFF_TYPE_SIZES[type] ?? 0;
		const values = u32(entry + 4);
		const at = values * size <= 4 ? entry + 8 : start + u32(entry + 8);
		if (at + values * size > end) {
			valuesInside = false;
			continue;
		}
		// SHORT and LONG, and their signed twins some cameras write (a Panasonic's Orientation is SLONG).
		if (type !== 3 && type !== 4 && type !== 8 && type !== 9) continue;
		const list: number[] = [];
		for (let v = 0; v < values; v++) list.push(size === 2 ? u16(at + v * 2) : u32(at + v * 4));
		entries.set(u16(entry), list);
	}
	return { entries, valuesInside };
}

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
const PNG_BIT_DEPTHS = new Map([
	[0, [1, 2, 4, 8, 16]],
	[2, [8, 16]],
	[3, [1, 2, 4, 8]],
	[4, [8, 16]],
	[6, [8, 16]],
]);

/**
 * The chunks whose checksum decoders insist on: a mismatch there makes libpng, Pillow and
 * ImageMagick refuse the file, while they pass over one in an ancillary chunk.
 */
const PNG_CHECKED_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT']);

const PNG_DAMAGED_HEADER = 'its header holds values no PNG can have';
const PNG_DAMAGED_CHECKSUM =
	'a checksum inside it does not match, so its data was changed on the way';

function pngInfo(bytes: Uint8Array): Header | undefined {
	// IHDR must be the first chunk: length 13 at offset 8, type at 12, data at 16.
	if (bytes.length < 33 || ascii(bytes, 12, 4) !== 'IHDR') return undefined;
	const header: Header = { width: u32be(bytes, 16), height: u32be(bytes, 20) };
	const [bitDepth, colourType, compression, filter, interlace] = bytes.subarray(24, 29);
	if (
		u32be(bytes, 8) !== 13 ||
		header.width > 0x7fffffff ||
		header.height > 0x7fffffff ||
		!PNG_BIT_DEPTHS.get(colourType)?.includes(bitDepth) ||
		compression !== 0 ||
		filter !== 0 ||
		interlace > 1
	)
		return { ...header, damage: PNG_DAMAGED_HEADER };
	if (interlace === 1) header.interlaced = true;
	let sawImageData = false;
	let sawPalette = false;
	let animationFrames = 0;
	let frameControls = 0;
	// Walk the chunks (length, type, data, CRC) to IEND: a PNG is complete when IEND is whole.
	for (let at = 8; at + 12 <= bytes.length; ) {
		const dataStart = at + 8;
		const length = u32be(bytes, at);
		const chunkEnd = dataStart + length + 4;
		if (chunkEnd > bytes.length) return undefined;
		const type = ascii(bytes, at + 4, 4);
		if (
			PNG_CHECKED_CHUNKS.has(type) &&
			crc32(bytes, at + 4, chunkEnd - 4) !== u32be(bytes, chunkEnd - 4)
		)
			return { ...header, damage: PNG_DAMAGED_CHECKSUM };
		if (type === 'IDAT') {
			// An indexed-colour image cannot be drawn without its palette.
			if (colourType === 3 && !sawPalette) return { ...header, damage: PNG_DAMAGED_HEADER };
			sawImageData = true;
		} else if (type === 'PLTE') {
			if (length === 0 || length % 3 !== 0 || length > 768)
				return { ...header, damage: PNG_DAMAGED_HEADER };
			sawPalette = true;
		} else if (type === 'acTL' && !sawImageData) {
			animationFrames = u32be(bytes, dataStart);
		} else if (type === 'fcTL') {
			frameControls++;
		} else if (type === 'eXIf') {
			const orientation = tiffOrientation(bytes, dataStart, chunkEnd - 4);
			if (orientation) header.orientation = orientation;
		} else if (type === 'IEND') {
			if (!sawImageData) return undefined;
			// The frames are the fcTL chunks really there: acTL's count is only a claim, and
			// decoders show the still image when it does not hold.
			if (animationFrames > 1 && frameControls > 1) {
				header.animated = true;
				header.frames = frameControls;
			}
			return { ...header, end: chunkEnd };
		}
		at = chunkEnd;
	}
	return undefined;
}

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
 * From the start of a JPEG scan's entropy-coded data to the marker that ends it: 0xFF00 is a
 * stuffed data byte, 0xFFD0–0xFFD7 are restart markers inside the scan, repeated 0xFF is fill.
 * -1 when the data runs to the end of the file.
 */
function endOfScan(bytes: Uint8Array, from: number): number {
	let at = from;
	for (;;) {
		at = bytes.indexOf(0xff, at);
		if (at === -1 || at + 1 >= bytes.length) return -1;
		const next = bytes[at + 1];
		if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2;
		else if (next === 0xff) at += 1;
		else return at;
	}
}

function jpegInfo(bytes: Uint8Array): Header | undefined {
	let header: Header | undefined;
	let sawScan = false;
	let orientation: number | undefined;
	// Walk the segments and scans to the EOI that ends this image: a progressive JPEG has several
	// scans with tables between them; an EXIF thumbnail's own markers sit inside its APP1 segment.
	let at = 2;
	while (at + 2 <= bytes.length) {
		if (bytes[at] !== 0xff) {
			// Stray bytes between segments: decoders skip to the next marker, and so does this walk.
			at = bytes.indexOf(0xff, at);
			if (at === -1) return undefined;
			continue;
		}
		const marker = bytes[at + 1];
		if (marker === 0xff) {
			at += 1; // fill byte
			continue;
		}
		if (marker === 0xd9) {
			if (!header || !sawScan) return undefined;
			return { ...header, ...(orientation ? { orientation } : {}), end: at + 2 };
		}
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
		if (isStartOfFrame && !header) {
			if (length < 8) return undefined;
			header = { width: u16be(bytes, at + 7), height: u16be(bytes, at + 5) };
			if (marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce)
				header.progressive = true;
			if (bytes[at + 9] === 4) header.cmyk = true;
			if (bytes[at + 4] !== 8) header.precision = bytes[at + 4];
		} else if (
			marker === 0xe1 &&
			orientation === undefined &&
			ascii(bytes, at + 4, 6) === 'Exif\0\0'
		) {
			orientation = tiffOrientation(bytes, at + 10, segmentEnd);
		} else if (marker === 0xda) {
			if (!header) return undefined;
			sawScan = true;
			const next = endOfScan(bytes, segmentEnd);
			if (next === -1) return undefined;
			at = next;
			continue;
		}
		at = segmentEnd;
	}
	return undefined;
}

function webpInfo(bytes: Uint8Array): Header | undefined {
	// The shortest WebP is a lossless one: RIFF and VP8L headers (20 bytes), the 5-byte image
	// header, then its data; a one-colour picture's whole file can be 26 to 30 bytes.
	if (bytes.length < 25) return undefined;
	// The RIFF size field counts everything after the first 8 bytes.
	const riffEnd = 8 + u32le(bytes, 4);
	if (riffEnd > bytes.length) return undefined;
	let header: Header | undefined;
	const chunk = ascii(bytes, 12, 4);
	if (chunk === 'VP8X') {
		if (bytes.length < 30) return undefined;
		header = { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1 };
	} else if (chunk === 'VP8L') {
		if (bytes[20] !== 0x2f) return undefined;
		const bits = u32le(bytes, 21);
		header = { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
	} else if (chunk === 'VP8 ') {
		if (bytes.length < 30 || !startsWith(bytes, [0x9d, 0x01, 0x2a], 23)) return undefined;
		header = { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
	} else {
		return undefined;
	}
	// Walk the chunks (each padded to an even length) inside the RIFF size.
	let frames = 0;
	for (let at = 12; at < riffEnd; ) {
		if (at + 8 > riffEnd) return undefined;
		const dataStart = at + 8;
		const size = u32le(bytes, at + 4);
		if (dataStart + size > riffEnd) return undefined;
		const type = ascii(bytes, at, 4);
		if (type === 'ANMF') frames++;
		else if (type === 'EXIF') {
			// Some writers put the JPEG APP1 prefix in front of the TIFF structure.
			const tiff = ascii(bytes, dataStart, 6) === 'Exif\0\0' ? dataStart + 6 : dataStart;
			const orientation = tiffOrientation(bytes, tiff, dataStart + size);
			if (orientation) header.orientation = orientation;
		}
		at = dataStart + size + (size & 1);
	}
	if (frames > 1) {
		header.animated = true;
		header.frames = frames;
	}
	// A pad byte after an odd RIFF size belongs to the file.
	const end = riffEnd + (riffEnd & 1 && bytes[riffEnd] === 0 ? 1 : 0);
	return { ...header, end: Math.min(end, bytes.length) };
}

/** Skips GIF data sub-blocks (a length byte, then that many bytes; 0 ends); -1 if they run past the end. */
function skipGifSubBlocks(bytes: Uint8Array, from: number): number {
	let at = from;
	while (at < bytes.length) {
		const size = bytes[at];
		at += 1;
		if (size === 0) return at;
		at += size;
	}
	return -1;
}

function gifInfo(bytes: Uint8Array): Header | undefined {
	if (bytes.length < 13) return undefined;
	const header: Header = { width: u16le(bytes, 6), height: u16le(bytes, 8) };
	const colourTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
	let at = 13 + colourTable(bytes[10]);
	let frames = 0;
	// Walk the blocks (extensions and images) to the trailer byte 0x3B.
	while (at < bytes.length) {
		const block = bytes[at];
		if (block === 0x3b) {
			// A trailer before any picture: nothing to show.
			if (frames === 0) return undefined;
			if (frames > 1) {
				header.animated = true;
				header.frames = frames;
			}
			return { ...header, end: at + 1 };
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
}

interface IsoBox {
	type: string;
	/** Where the box's content starts (after size, type and any 64-bit size). */
	start: number;
	end: number;
}

/** The boxes between start and end of an ISO media file; undefined if one runs past end. */
function isoBoxes(bytes: Uint8Array, start: number, end: number): IsoBox[] | undefined {
	const boxes: IsoBox[] = [];
	for (let at = start; at < end; ) {
		if (at + 8 > end) return undefined;
		let size = u32be(bytes, at);
		let headerSize = 8;
		if (size === 1) {
			if (at + 16 > end) return undefined;
			size = u32be(bytes, at + 8) * 2 ** 32 + u32be(bytes, at + 12);
			headerSize = 16;
		} else if (size === 0) {
			size = end - at; // the last box runs to the end of the file
		}
		if (size < headerSize || at + size > end) return undefined;
		boxes.push({ type: ascii(bytes, at + 4, 4), start: at + headerSize, end: at + size });
		at += size;
	}
	return boxes;
}

/** An unsigned integer of 0, 4 or 8 bytes, as iloc stores offsets and lengths. */
function uSized(bytes: Uint8Array, at: number, size: number): number {
	if (size === 4) return u32be(bytes, at);
	if (size === 8) return u32be(bytes, at) * 2 ** 32 + u32be(bytes, at + 4);
	return 0;
}

/** Where an item's bytes lie in the file (construction method 0), by item ID, from the iloc box. */
type ItemExtents = Map<number, Array<{ offset: number; length: number }>>;

/**
 * Whether every item extent that the iloc box places in the file (construction method 0) ends
 * inside it: the coded pictures of HEIF/AVIF are found only this way, so a cut file fails here.
 * Collects those extents in `found`.
 */
function itemsInside(bytes: Uint8Array, iloc: IsoBox, found: ItemExtents): boolean {
	const version = bytes[iloc.start];
	if (version > 2) return false;
	const offsetSize = bytes[iloc.start + 4] >> 4;
	const lengthSize = bytes[iloc.start + 4] & 15;
	const baseOffsetSize = bytes[iloc.start + 5] >> 4;
	const indexSize = version === 0 ? 0 : bytes[iloc.start + 5] & 15;
	let at = iloc.start + 6;
	const items = version < 2 ? u16be(bytes, at) : u32be(bytes, at);
	at += version < 2 ? 2 : 4;
	for (let item = 0; item < items; item++) {
		if (at > iloc.end) return false;
		const itemId = version < 2 ? u16be(bytes, at) : u32be(bytes, at);
		at += version < 2 ? 2 : 4;
		const method = version === 0 ? 0 : u16be(bytes, at) & 15;
		if (version > 0) at += 2;
		at += 2; // data reference index
		const base = uSized(bytes, at, baseOffsetSize);
		at += baseOffsetSize;
		const extents = u16be(bytes, at);
		at += 2;
		for (let extent = 0; extent < extents; extent++) {
			at += indexSize;
			const offset = uSized(bytes, at, offsetSize);
			const length = uSized(bytes, at + offsetSize, lengthSize);
			at += offsetSize + lengthSize;
			if (at > iloc.end) return false;
			if (method === 0 && base + offset + length > bytes.length) return false;
			if (method === 0) {
				const list = found.get(itemId) ?? [];
				list.push({ offset: base + offset, length });
				found.set(itemId, list);
			}
		}
	}
	return at <= iloc.end;
}

/** The ID of the item of a type (e.g. `Exif`) listed in the iinf box, if there is one. */
function itemOfType(bytes: Uint8Array, iinf: IsoBox, itemType: string): number | undefined {
	const entriesAt = iinf.start + (bytes[iinf.start] === 0 ? 6 : 8);
	for (const infe of isoBoxes(bytes, entriesAt, iinf.end) ?? []) {
		// infe versions 2 and 3 (the ones HEIF uses): ID, protection index, then the type.
		const version = bytes[infe.start];
		if (infe.type !== 'infe' || version < 2) continue;
		const idSize = version === 2 ? 2 : 4;
		if (infe.start + 4 + idSize + 6 > infe.end) continue;
		if (ascii(bytes, infe.start + 4 + idSize + 2, 4) !== itemType) continue;
		return idSize === 2 ? u16be(bytes, infe.start + 4) : u32be(bytes, infe.start + 4);
	}
	return undefined;
}

/** The Make tag (0x010F) of IFD0 in a TIFF structure (EXIF is one), e.g. `Apple`. */
function tiffMake(bytes: Uint8Array, start: number, end: number): string | undefined {
	if (start + 8 > end) return undefined;
	const little = ascii(bytes, start, 2) === 'II';
	const u16 = (at: number) => (little ? u16le(bytes, at) : u16be(bytes, at));
	const u32 = (at: number) => (little ? u32le(bytes, at) : u32be(bytes, at));
	if (u16(start + 2) !== 42) return undefined;
	const ifd = start + u32(start + 4);
	if (ifd + 2 > end) return undefined;
	for (let index = 0; index < u16(ifd) && ifd + 14 + index * 12 <= end; index++) {
		const entry = ifd + 2 + index * 12;
		if (u16(entry) !== 0x010f || u16(entry + 2) !== 2) continue;
		const length = u32(entry + 4);
		const at = length <= 4 ? entry + 8 : start + u32(entry + 8);
		if (at + length > end) return undefined;
		const make = ascii(bytes, at, Math.min(length, 64)).replace(/[\0\s]+$/, '');
		return make === '' ? undefined : make;
	}
	return undefined;
}

/** HEIC, HEIF and AVIF: the primary item's `ispe` (image spatial extents) from the `meta` box. */
function isoImageInfo(bytes: Uint8Array): Header | undefined {
	const top = isoBoxes(bytes, 0, bytes.length);
	const meta = top?.find((box) => box.type === 'meta');
	if (!top || !meta) return undefined;
	// meta, pitm, ipma and ispe are "full boxes": one byte version and three bytes flags first.
	const children = isoBoxes(bytes, meta.start + 4, meta.end) ?? [];
	const iloc = children.find((box) => box.type === 'iloc');
	const extentsOfItems: ItemExtents = new Map();
	if (!iloc || !itemsInside(bytes, iloc, extentsOfItems)) return undefined;
	const pitm = children.find((box) => box.type === 'pitm');
	const primary =
		pitm === undefined
			? undefined
			: bytes[pitm.start] === 0
				? u16be(bytes, pitm.start + 4)
				: u32be(bytes, pitm.start + 4);
	const iprp = children.find((box) => box.type === 'iprp');
	const iprpChildren = iprp ? (isoBoxes(bytes, iprp.start, iprp.end) ?? []) : [];
	const ipco = iprpChildren.find((box) => box.type === 'ipco');
	const properties = ipco ? (isoBoxes(bytes, ipco.start, ipco.end) ?? []) : [];
	const extents = (box: IsoBox | undefined) =>
		box?.type === 'ispe' && box.start + 12 <= box.end
			? { width: u32be(bytes, box.start + 4), height: u32be(bytes, box.start + 8) }
			: undefined;
	let size: { width: number; height: number } | undefined;
	// ipma: for each item, the 1-based indexes of its properties in ipco.
	const ipma = iprpChildren.find((box) => box.type === 'ipma');
	if (ipma && primary !== undefined) {
		const version = bytes[ipma.start];
		const wideIndexes = (bytes[ipma.start + 3] & 1) === 1;
		let at = ipma.start + 8;
		const entries = u32be(bytes, ipma.start + 4);
		for (let entry = 0; entry < entries && at < ipma.end && !size; entry++) {
			const item = version < 1 ? u16be(bytes, at) : u32be(bytes, at);
			at += version < 1 ? 2 : 4;
			const count = bytes[at];
			at += 1;
			for (let index = 0; index < count; index++, at += wideIndexes ? 2 : 1) {
				const property = wideIndexes ? u16be(bytes, at) & 0x7fff : bytes[at] & 0x7f;
				if (item === primary) size ??= extents(properties[property - 1]);
			}
		}
	}
	// Without a usable association, the largest extents are the main image's (others are thumbnails or tiles).
	if (!size) {
		for (const property of properties) {
			const candidate = extents(property);
			if (candidate && (!size || candidate.width * candidate.height > size.width * size.height))
				size = candidate;
		}
	}
	if (!size) return undefined;
	const header: Header = { ...size };
	if (isoBrands(bytes).includes('avis')) header.animated = true;
	// The camera maker from the EXIF item: its data starts with the offset of the TIFF header.
	const iinf = children.find((box) => box.type === 'iinf');
	const exifItem = iinf && itemOfType(bytes, iinf, 'Exif');
	const exif = exifItem === undefined ? undefined : extentsOfItems.get(exifItem)?.[0];
	if (exif && exif.length >= 4) {
		const tiff = exif.offset + 4 + u32be(bytes, exif.offset);
		const make = tiffMake(bytes, tiff, exif.offset + exif.length);
		if (make) header.cameraMake = make;
	}
	return header;
}

function tiffInfo(bytes: Uint8Array): Header | undefined {
	const ifd = tiffIfd0(bytes, 0, bytes.length);
	if (!ifd?.valuesInside) return undefined;
	const width = ifd.entries.get(256)?.[0];
	const height = ifd.entries.get(257)?.[0];
	if (width === undefined || height === undefined) return undefined;
	// Complete when the first image's fields and every strip (or tile) lie inside the file.
	const offsets = ifd.entries.get(273) ?? ifd.entries.get(324) ?? [];
	const counts = ifd.entries.get(279) ?? ifd.entries.get(325) ?? [];
	if (offsets.length === 0 || offsets.length !== counts.length) return undefined;
	if (offsets.some((offset, index) => offset + counts[index] > bytes.length)) return undefined;
	const orientation = ifd.entries.get(0x0112)?.[0];
	return { width, height, ...(orientation && orientation <= 8 ? { orientation } : {}) };
}

function bmpInfo(bytes: Uint8Array): Header | undefined {
	const fileSize = u32le(bytes, 2);
	const pixelsAt = u32le(bytes, 10);
	if (fileSize > bytes.length || pixelsAt >= bytes.length) return undefined;
	const core = u32le(bytes, 14) === 12;
	const width = core ? u16le(bytes, 18) : Math.abs(i32le(bytes, 18));
	// A negative height means rows are stored top-down.
	const height = core ? u16le(bytes, 20) : Math.abs(i32le(bytes, 22));
	return { width, height, ...(fileSize > 0 ? { end: fileSize } : {}) };
}

/** An SVG length in px (or unitless), or undefined for %, em, pt and other units. */
function svgPixels(value: string | undefined): number | undefined {
	const match = value?.trim().match(/^(\d+(?:\.\d+)?)(?:px)?$/);
	return match ? Math.round(Number(match[1])) : undefined;
}

function svgInfo(bytes: Uint8Array): Header | undefined {
	const text = latin1(bytes, 0, bytes.length);
	const root = svgRootStart(text);
	const tagEnd = text.indexOf('>', root);
	if (root === -1 || tagEnd === -1) return undefined;
	// Complete when the root element is closed.
	const selfClosing = text[tagEnd - 1] === '/';
	const closing = text.lastIndexOf('</svg');
	if (!selfClosing && (closing < tagEnd || text.indexOf('>', closing) === -1)) return undefined;
	const tag = text.slice(root, tagEnd);
	const attribute = (name: string) =>
		tag
			.match(new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`))
			?.slice(1)
			.find((v) => v !== undefined);
	let width = svgPixels(attribute('width'));
	let height = svgPixels(attribute('height'));
	const viewBox = attribute('viewBox')
		?.trim()
		.split(/[\s,]+/)
		.map(Number);
	if (
		(width === undefined || height === undefined) &&
		viewBox?.length === 4 &&
		viewBox.every(Number.isFinite)
	) {
		width = Math.round(viewBox[2]);
		height = Math.round(viewBox[3]);
	}
	return { width: width ?? 0, height: height ?? 0 };
}

const READERS: Record<ImageType, (bytes: Uint8Array) => Header | undefined> = {
	png: pngInfo,
	jpeg: jpegInfo,
	webp: webpInfo,
	gif: gifInfo,
	heic: isoImageInfo,
	heif: isoImageInfo,
	avif: isoImageInfo,
	tiff: tiffInfo,
	bmp: bmpInfo,
	svg: svgInfo,
};

function trailingContent(trailing: Uint8Array): TrailingContent {
	if (isoBrands(trailing).length > 0) return 'video';
	if (startsWith(trailing, [0xff, 0xd8, 0xff])) return 'jpeg';
	if (trailing.every((b) => b === 0) || trailing.every((b) => b === 0xff)) return 'padding';
	return 'other';
}

/**
 * Type, dimensions, completeness and notable facts of an image, or what is wrong with it.
 * Complete means the image itself is whole; data after its end is allowed and reported.
 */
export function inspectImage(bytes: Uint8Array): ImageInspection {
	if (bytes.length === 0) return { ok: false, problem: 'empty' };
	const type = sniffImageType(bytes);
	if (type === undefined && isDamagedPngSignature(bytes))
		return {
			ok: false,
			problem: 'corrupt',
			detected: FORMATS.png.mimeType,
			type: 'png',
			damage: 'its first bytes were changed, as a transfer in text mode does',
		};
	if (type === undefined)
		return { ok: false, problem: 'not-an-image', detected: describeNonImage(bytes) };
	const format = { mimeType: FORMATS[type].mimeType, extension: FORMATS[type].extension };
	const header = READERS[type](bytes);
	if (header?.damage !== undefined)
		return {
			ok: false,
			problem: 'corrupt',
			detected: format.mimeType,
			type,
			damage: header.damage,
		};
	// An SVG may leave its size to the page that shows it; every other format must have one.
	if (!header || (type !== 'svg' && (header.width === 0 || header.height === 0))) {
		return { ok: false, problem: 'corrupt', detected: format.mimeType, type };
	}
	const { end, ...facts } = header;
	const info: ImageInfo = { type, ...format, ...facts };
	if (end !== undefined && end < bytes.length) {
		info.trailingBytes = bytes.length - end;
		info.trailingContent = trailingContent(bytes.subarray(end));
	}
	return { ok: true, info };
}
