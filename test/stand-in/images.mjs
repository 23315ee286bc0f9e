// Image helpers for the StepFun stand-in: a small PNG encoder/decoder, a strict
// sniffer for PNG/JPEG/WebP and fixture builders. Node built-ins only.
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** @type {Uint32Array} */
const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		table[n] = c >>> 0;
	}
	return table;
})();

/**
 * CRC-32 (as used by PNG) of a byte range.
 * @param {Uint8Array} buf
 * @param {number} [start]
 * @param {number} [end]
 * @returns {number}
 */
export function crc32(buf, start = 0, end = buf.length) {
	let c = 0xffffffff;
	for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

/**
 * @param {string} type four-letter chunk type
 * @param {Buffer} data
 * @returns {Buffer}
 */
function pngChunk(type, data) {
	const out = Buffer.alloc(12 + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, 'latin1');
	data.copy(out, 8);
	out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
	return out;
}

/**
 * Deterministic 32 bytes from any seed value.
 * @param {unknown} seed
 * @returns {Buffer}
 */
function digest(seed) {
	const h = createHash('sha256');
	if (Buffer.isBuffer(seed) || seed instanceof Uint8Array) h.update(seed);
	else h.update(typeof seed === 'string' ? seed : JSON.stringify(seed ?? null));
	return h.digest();
}

/**
 * Encodes a real, decodable 8-bit RGB PNG (filter 0, zlib level 1) whose
 * content is derived from `seedForColour`: a colour gradient in eight vertical
 * bands (one of a few palettes), plus a `tEXt` chunk holding the SHA-256 of the seed so that two
 * different seeds always give different bytes. 4096x4096 encodes in well under a second.
 * @param {number} width 1..65535
 * @param {number} height 1..65535
 * @param {string | number | Buffer | Uint8Array | object} [seedForColour]
 * @returns {Buffer}
 */
export function makePng(width, height, seedForColour = '') {
	if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
		throw new RangeError(`makePng: bad size ${width}x${height}`);
	}
	const d = digest(seedForColour);
	// The pixels use one of a few palettes, so the costly deflate of a size is done once and
	// reused (a 1024x1024 encode would otherwise add ~15 ms to every answer and skew timings);
	// the tEXt chunk keeps every input's bytes distinct.
	const palette = d[0] % PALETTES;
	const key = `${width}x${height}:${palette}`;
	let idat = idatCache.get(key);
	if (idat) {
		idatCache.delete(key);
	} else {
		idat = deflateSync(rawPixels(width, height, digest(`palette ${palette}`)), { level: 1 });
		const oldest = idatCache.keys().next().value;
		if (idatCache.size >= IDAT_CACHE_SIZE && oldest !== undefined) idatCache.delete(oldest);
	}
	idatCache.set(key, idat);
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // colour type RGB
	ihdr[10] = 0; // compression
	ihdr[11] = 0; // filter method
	ihdr[12] = 0; // no interlace
	const text = Buffer.from(`stand-in\0${d.toString('hex')}`, 'latin1');
	return Buffer.concat([
		PNG_SIGNATURE,
		pngChunk('IHDR', ihdr),
		pngChunk('tEXt', text),
		pngChunk('IDAT', idat),
		pngChunk('IEND', Buffer.alloc(0)),
	]);
}

const PALETTES = 8;
const IDAT_CACHE_SIZE = 24;
/** @type {Map<string, Buffer>} compressed pixel data by size and palette, least recently used first */
const idatCache = new Map();

/**
 * Filtered scanlines (filter 0) of a colour gradient in eight vertical bands.
 * @param {number} width
 * @param {number} height
 * @param {Buffer} d colour bytes
 */
function rawPixels(width, height, d) {
	const stride = 1 + width * 3;
	const bands = Math.min(8, height);
	/** @type {Buffer[]} */
	const templates = [];
	for (let b = 0; b < bands; b++) {
		const row = Buffer.alloc(stride); // row[0] = 0: filter type None
		const r0 = d[0],
			g0 = d[1],
			b0 = d[2];
		const r1 = d[3],
			g1 = d[4],
			b1 = (d[5] + b * 29) & 0xff;
		// Fill 256 gradient steps, then widen (fast for wide rows).
		const steps = Math.min(width, 256);
		for (let s = 0; s < steps; s++) {
			const t = steps === 1 ? 0 : s / (steps - 1);
			const o = 1 + s * 3;
			row[o] = Math.round(r0 + (r1 - r0) * t);
			row[o + 1] = Math.round(g0 + (g1 - g0) * t) ^ (b * 17);
			row[o + 2] = Math.round(b0 + (b1 - b0) * t);
		}
		if (width > steps) {
			// Stretch: pixel x takes step floor(x * steps / width); done right-to-left in place.
			for (let x = width - 1; x >= 0; x--) {
				const s = Math.floor((x * steps) / width);
				const src = 1 + s * 3;
				const dst = 1 + x * 3;
				row[dst] = row[src];
				row[dst + 1] = row[src + 1];
				row[dst + 2] = row[src + 2];
			}
		}
		templates.push(row);
	}
	const raw = Buffer.allocUnsafe(stride * height);
	for (let y = 0; y < height; y++) {
		templates[Math.floor((y * bands) / height)].copy(raw, y * stride);
	}
	return raw;
}

/**
 * Full decoder for non-interlaced 8-bit PNGs (grey, RGB, grey+alpha, RGBA):
 * checks every chunk CRC, inflates IDAT and undoes all five filter types.
 * Throws on anything it cannot decode. Meant for tests.
 * @param {Uint8Array} input
 * @returns {{ width: number, height: number, channels: number, data: Buffer }}
 */
export function decodePng(input) {
	const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
	if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
	let pos = 8;
	let width = 0,
		height = 0,
		channels = 0,
		sawEnd = false;
	/** @type {Buffer[]} */
	const idat = [];
	while (pos < buf.length) {
		if (pos + 12 > buf.length) throw new Error('truncated chunk');
		const len = buf.readUInt32BE(pos);
		const type = buf.toString('latin1', pos + 4, pos + 8);
		if (pos + 12 + len > buf.length) throw new Error(`truncated ${type} chunk`);
		if (crc32(buf, pos + 4, pos + 8 + len) !== buf.readUInt32BE(pos + 8 + len)) {
			throw new Error(`bad CRC in ${type}`);
		}
		const data = buf.subarray(pos + 8, pos + 8 + len);
		if (type === 'IHDR') {
			width = data.readUInt32BE(0);
			height = data.readUInt32BE(4);
			const depth = data[8],
				colour = data[9],
				interlace = data[12];
			if (depth !== 8 || interlace !== 0)
				throw new Error('only 8-bit non-interlaced PNG supported');
			channels = /** @type {Record<number, number>} */ ({ 0: 1, 2: 3, 4: 2, 6: 4 })[colour];
			if (!channels) throw new Error(`unsupported colour type ${colour}`);
		} else if (type === 'IDAT') idat.push(data);
		else if (type === 'IEND') {
			sawEnd = true;
			break;
		}
		pos += 12 + len;
	}
	if (!sawEnd) throw new Error('no IEND');
	if (!width || !height) throw new Error('no IHDR');
	const raw = inflateSync(Buffer.concat(idat));
	const bpp = channels;
	const stride = width * bpp;
	if (raw.length !== (stride + 1) * height) throw new Error('IDAT size mismatch');
	const out = Buffer.alloc(stride * height);
	for (let y = 0; y < height; y++) {
		const f = raw[y * (stride + 1)];
		const src = y * (stride + 1) + 1;
		const dst = y * stride;
		const prev = dst - stride;
		if (f === 0) {
			raw.copy(out, dst, src, src + stride);
			continue;
		}
		for (let i = 0; i < stride; i++) {
			const x = raw[src + i];
			const a = i >= bpp ? out[dst + i - bpp] : 0;
			const b = y > 0 ? out[prev + i] : 0;
			const c = i >= bpp && y > 0 ? out[prev + i - bpp] : 0;
			let v;
			switch (f) {
				case 0:
					v = x;
					break;
				case 1:
					v = x + a;
					break;
				case 2:
					v = x + b;
					break;
				case 3:
					v = x + ((a + b) >> 1);
					break;
				case 4: {
					const p = a + b - c;
					const pa = Math.abs(p - a),
						pb = Math.abs(p - b),
						pc = Math.abs(p - c);
					v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
					break;
				}
				default:
					throw new Error(`bad filter type ${f}`);
			}
			out[dst + i] = v & 0xff;
		}
	}
	return { width, height, channels, data: out };
}

/**
 * Strict sniffer, as a real decoder sees a file: recognises PNG, JPEG and WebP by magic bytes,
 * walks the file to the end of the image (PNG: chunks to IEND; JPEG: segments and scans to EOI;
 * WebP: chunks within the RIFF size) and returns the pixel dimensions. A file cut before that end
 * is refused; data after it (a motion photo's video, an MPO's second picture, padding) is
 * ignored, as decoders ignore it. `undefined` for anything else.
 * @param {Uint8Array} input
 * @returns {{ type: 'png' | 'jpeg' | 'webp', width: number, height: number } | undefined}
 */
export function imageSize(input) {
	if (!input || input.byteLength < 12) return undefined;
	const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
	try {
		if (buf.subarray(0, 8).equals(PNG_SIGNATURE)) return sniffPng(buf);
		if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return sniffJpeg(buf);
		if (buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP')
			return sniffWebp(buf);
	} catch {
		return undefined;
	}
	return undefined;
}

/** @param {Buffer} buf */
function sniffPng(buf) {
	if (buf.length < 33 || buf.readUInt32BE(8) !== 13 || buf.toString('latin1', 12, 16) !== 'IHDR')
		return undefined;
	if (crc32(buf, 12, 29) !== buf.readUInt32BE(29)) return undefined;
	const width = buf.readUInt32BE(16);
	const height = buf.readUInt32BE(20);
	if (!width || !height) return undefined;
	let pos = 8;
	let sawIdat = false;
	while (pos + 12 <= buf.length) {
		const len = buf.readUInt32BE(pos);
		const type = buf.toString('latin1', pos + 4, pos + 8);
		if (pos + 12 + len > buf.length) return undefined;
		if (type === 'IDAT') sawIdat = true;
		if (type === 'IEND')
			return sawIdat ? { type: /** @type {const} */ ('png'), width, height } : undefined;
		pos += 12 + len;
	}
	return undefined;
}

/**
 * Where a JPEG scan's entropy-coded data ends: at the first marker that is not a stuffed 0xFF00
 * byte or a restart marker (0xFFD0-0xFFD7); -1 if the data runs to the end of the file.
 * @param {Buffer} buf
 * @param {number} from
 */
function endOfScan(buf, from) {
	let pos = from;
	for (;;) {
		pos = buf.indexOf(0xff, pos);
		if (pos === -1 || pos + 1 >= buf.length) return -1;
		const next = buf[pos + 1];
		if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) pos += 2;
		else if (next === 0xff)
			pos += 1; // fill byte before a marker
		else return pos;
	}
}

/** @param {Buffer} buf */
function sniffJpeg(buf) {
	/** @type {{ width: number, height: number } | undefined} */
	let frame;
	let sawScan = false;
	let pos = 2;
	while (pos + 2 <= buf.length) {
		if (buf[pos] !== 0xff) return undefined;
		const marker = buf[pos + 1];
		if (marker === 0xff) {
			pos += 1; // fill byte
			continue;
		}
		if (marker === 0xd9) {
			// The end of this image; whatever follows is not part of it.
			if (!frame || !sawScan) return undefined;
			return { type: /** @type {const} */ ('jpeg'), ...frame };
		}
		if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return undefined;
		if (pos + 4 > buf.length) return undefined;
		const len = buf.readUInt16BE(pos + 2);
		if (len < 2 || pos + 2 + len > buf.length) return undefined;
		const isSof =
			marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
		if (isSof && !frame) {
			if (len < 8) return undefined;
			const height = buf.readUInt16BE(pos + 5);
			const width = buf.readUInt16BE(pos + 7);
			if (!width || !height) return undefined;
			frame = { width, height };
		}
		if (marker === 0xda) {
			if (!frame) return undefined; // scan before any frame header
			sawScan = true;
			pos = endOfScan(buf, pos + 2 + len);
			if (pos === -1) return undefined;
			continue;
		}
		pos += 2 + len;
	}
	return undefined;
}

/** @param {Buffer} buf */
function sniffWebp(buf) {
	// The RIFF size counts the bytes after the first 8; what follows the RIFF data is not WebP.
	// A one-colour lossless WebP is a whole file in 26 to 30 bytes.
	const riffEnd = 8 + buf.readUInt32LE(4);
	if (riffEnd > buf.length || buf.length < 25) return undefined;
	const chunk = buf.toString('latin1', 12, 16);
	const chunkLen = buf.readUInt32LE(16);
	if (20 + chunkLen > riffEnd) return undefined;
	const type = /** @type {const} */ ('webp');
	if (chunk === 'VP8X') {
		if (chunkLen < 10) return undefined;
		return { type, width: 1 + buf.readUIntLE(24, 3), height: 1 + buf.readUIntLE(27, 3) };
	}
	if (chunk === 'VP8L') {
		if (chunkLen < 5 || buf[20] !== 0x2f) return undefined;
		const bits = buf.readUInt32LE(21);
		return { type, width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
	}
	if (chunk === 'VP8 ') {
		if (chunkLen < 10 || buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) return undefined;
		return { type, width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
	}
	return undefined;
}

/**
 * Baseline JPEG fixture: SOI, APP0 (JFIF), DQT, SOF0 carrying the size, DHT,
 * SOS with a minimal DC-only grey scan (one 1-bit Huffman code per block), EOI.
 * Header-valid (what the stand-in sniffs); the scan follows the baseline format
 * but has not been checked against a real decoder here.
 * @param {number} width 1..65535
 * @param {number} height 1..65535
 * @returns {Buffer}
 */
export function makeJpeg(width, height) {
	const seg = (/** @type {number} */ marker, /** @type {number[]} */ payload) =>
		Buffer.from([
			0xff,
			marker,
			((payload.length + 2) >> 8) & 0xff,
			(payload.length + 2) & 0xff,
			...payload,
		]);
	const app0 = seg(
		0xe0,
		[0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00],
	);
	const dqt = seg(0xdb, [0x00, ...new Array(64).fill(1)]);
	const sof0 = seg(0xc0, [
		8,
		(height >> 8) & 0xff,
		height & 0xff,
		(width >> 8) & 0xff,
		width & 0xff,
		1,
		1,
		0x11,
		0,
	]);
	const bits = [1, ...new Array(15).fill(0)];
	const dhtDc = seg(0xc4, [0x00, ...bits, 0x00]); // DC table 0: one code '0' -> category 0
	const dhtAc = seg(0xc4, [0x10, ...bits, 0x00]); // AC table 0: one code '0' -> EOB
	const sos = seg(0xda, [1, 1, 0x00, 0, 63, 0]);
	const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
	const scanBits = blocks * 2; // every block: DC '0' + EOB '0'
	const scan = Buffer.alloc(Math.ceil(scanBits / 8));
	const rem = scanBits % 8;
	if (rem) scan[scan.length - 1] = (1 << (8 - rem)) - 1; // pad with 1-bits
	return Buffer.concat([
		Buffer.from([0xff, 0xd8]),
		app0,
		dqt,
		sof0,
		dhtDc,
		dhtAc,
		sos,
		scan,
		Buffer.from([0xff, 0xd9]),
	]);
}

/**
 * Lossless WebP fixture (RIFF/WEBP/VP8L): a single-colour image coded with
 * one-symbol prefix codes, so the pixel data takes zero bits. RIFF length is exact.
 * @param {number} width 1..16384
 * @param {number} height 1..16384
 * @param {[number, number, number]} [rgb]
 * @returns {Buffer}
 */
export function makeWebp(width, height, rgb = [200, 120, 40]) {
	if (width < 1 || height < 1 || width > 16384 || height > 16384)
		throw new RangeError('makeWebp: 1..16384');
	/** @type {number[]} */
	const bytes = [0x2f];
	let acc = 0,
		n = 0;
	const put = (/** @type {number} */ value, /** @type {number} */ count) => {
		for (let i = 0; i < count; i++) {
			acc |= ((value >>> i) & 1) << n;
			if (++n === 8) {
				bytes.push(acc);
				acc = 0;
				n = 0;
			}
		}
	};
	put(width - 1, 14);
	put(height - 1, 14);
	put(0, 1); // alpha_is_used
	put(0, 3); // version
	put(0, 1); // no transform
	put(0, 1); // no colour cache
	put(0, 1); // no meta prefix codes
	const simple = (/** @type {number} */ symbol) => {
		put(1, 1); // simple code
		put(0, 1); // one symbol
		put(1, 1); // 8-bit symbol
		put(symbol, 8);
	};
	simple(rgb[1]); // green
	simple(rgb[0]); // red
	simple(rgb[2]); // blue
	simple(255); // alpha
	simple(0); // distance
	if (n) bytes.push(acc);
	const data = Buffer.from(bytes);
	const pad = data.length & 1;
	const out = Buffer.alloc(20 + data.length + pad);
	out.write('RIFF', 0, 'latin1');
	out.writeUInt32LE(12 + data.length + pad, 4);
	out.write('WEBP', 8, 'latin1');
	out.write('VP8L', 12, 'latin1');
	out.writeUInt32LE(data.length, 16);
	data.copy(out, 20);
	return out;
}
