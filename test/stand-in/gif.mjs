// GIF for the vision endpoint: a real encoder (LZW, like any GIF writer) for fixtures, and a
// strict reader of the block structure that counts frames, since StepFun takes only static GIFs.

const SIGNATURES = ['GIF87a', 'GIF89a'];

/**
 * Reads a GIF's size and frame count by walking every block up to the trailer. `undefined`
 * for anything that is not a complete GIF (wrong signature, truncated, no frame, no trailer).
 * @param {Uint8Array} input
 * @returns {{ type: 'gif', width: number, height: number, frames: number } | undefined}
 */
export function gifInfo(input) {
	if (!input || input.byteLength < 14) return undefined;
	const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
	if (!SIGNATURES.includes(buf.toString('latin1', 0, 6))) return undefined;
	const width = buf.readUInt16LE(6);
	const height = buf.readUInt16LE(8);
	if (!width || !height) return undefined;
	let pos = 13 + colourTableBytes(buf[10]);
	let frames = 0;
	/** Skips a run of data sub-blocks; the position after the terminator, or -1 if truncated. */
	const skipSubBlocks = (/** @type {number} */ at) => {
		while (at < buf.length) {
			const size = buf[at];
			if (size === 0) return at + 1;
			at += 1 + size;
		}
		return -1;
	};
	while (pos < buf.length) {
		const introducer = buf[pos];
		if (introducer === 0x3b) return frames > 0 ? { type: 'gif', width, height, frames } : undefined;
		if (introducer === 0x21) {
			pos = skipSubBlocks(pos + 2); // introducer, label
		} else if (introducer === 0x2c) {
			if (pos + 10 > buf.length) return undefined;
			pos += 10 + colourTableBytes(buf[pos + 9]) + 1; // descriptor, local table, LZW code size
			pos = skipSubBlocks(pos);
			frames++;
		} else {
			return undefined;
		}
		if (pos < 0) return undefined;
	}
	return undefined; // no trailer: truncated
}

/** @param {number} packed a descriptor's flags byte */
function colourTableBytes(packed) {
	return packed & 0x80 ? 3 * (1 << ((packed & 0x07) + 1)) : 0;
}

/**
 * Encodes a real GIF89a: a 4-colour palette, `frames` full-size frames of diagonal stripes
 * (shifted per frame), LZW-compressed. More than one frame adds the looping extension and a
 * frame delay, as animated GIFs carry.
 * @param {number} width 1..65535
 * @param {number} height 1..65535
 * @param {{ frames?: number }} [options]
 * @returns {Buffer}
 */
export function makeGif(width, height, { frames = 1 } = {}) {
	if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
		throw new RangeError(`makeGif: bad size ${width}x${height}`);
	if (width > 0xffff || height > 0xffff) throw new RangeError('makeGif: at most 65535 per side');
	if (!Number.isInteger(frames) || frames < 1) throw new RangeError('makeGif: frames must be ≥ 1');
	const screen = Buffer.alloc(7);
	screen.writeUInt16LE(width, 0);
	screen.writeUInt16LE(height, 2);
	screen[4] = 0x80 | (1 << 4) | 1; // global table of 2^(1+1) = 4 colours, 2 bits of colour resolution
	const palette = Buffer.from([0, 0, 0, 255, 255, 255, 220, 40, 40, 40, 90, 220]);
	/** @type {Buffer[]} */
	const parts = [Buffer.from('GIF89a', 'latin1'), screen, palette];
	if (frames > 1) {
		// NETSCAPE2.0 application extension: loop forever.
		parts.push(Buffer.from([0x21, 0xff, 0x0b]), Buffer.from('NETSCAPE2.0', 'latin1'));
		parts.push(Buffer.from([0x03, 0x01, 0x00, 0x00, 0x00]));
	}
	for (let frame = 0; frame < frames; frame++) {
		if (frames > 1) parts.push(Buffer.from([0x21, 0xf9, 0x04, 0x00, 10, 0x00, 0x00, 0x00])); // 0.1 s
		const descriptor = Buffer.alloc(10);
		descriptor[0] = 0x2c;
		descriptor.writeUInt16LE(width, 5);
		descriptor.writeUInt16LE(height, 7);
		parts.push(descriptor);
		const pixels = new Uint8Array(width * height);
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) pixels[y * width + x] = ((x + y + frame) >> 2) & 3;
		}
		parts.push(Buffer.from([2]), subBlocks(lzw(pixels, 2)));
	}
	parts.push(Buffer.from([0x3b]));
	return Buffer.concat(parts);
}

/**
 * GIF's variable-width LZW (codes written least significant bit first), with a clear code
 * whenever the 4096-entry table is full.
 * @param {Uint8Array} indices
 * @param {number} minCodeSize
 */
function lzw(indices, minCodeSize) {
	const clear = 1 << minCodeSize;
	const end = clear + 1;
	/** @type {number[]} */
	const out = [];
	let acc = 0;
	let bits = 0;
	let codeSize = minCodeSize + 1;
	const emit = (/** @type {number} */ code) => {
		acc |= code << bits;
		bits += codeSize;
		while (bits >= 8) {
			out.push(acc & 0xff);
			acc >>>= 8;
			bits -= 8;
		}
	};
	/** @type {Map<number, number>} */
	let table = new Map();
	let next = end + 1;
	emit(clear);
	let prefix = indices[0];
	for (let i = 1; i < indices.length; i++) {
		const k = indices[i];
		const key = (prefix << 8) | k;
		const code = table.get(key);
		if (code !== undefined) {
			prefix = code;
			continue;
		}
		emit(prefix);
		if (next === 4096) {
			emit(clear);
			table = new Map();
			next = end + 1;
			codeSize = minCodeSize + 1;
		} else {
			if (next >= 1 << codeSize) codeSize++;
			table.set(key, next++);
		}
		prefix = k;
	}
	emit(prefix);
	emit(end);
	if (bits > 0) out.push(acc & 0xff);
	return Buffer.from(out);
}

/** @param {Buffer} data split into length-prefixed blocks of at most 255 bytes, then a terminator */
function subBlocks(data) {
	/** @type {Buffer[]} */
	const blocks = [];
	for (let i = 0; i < data.length; i += 255) {
		const chunk = data.subarray(i, i + 255);
		blocks.push(Buffer.from([chunk.length]), chunk);
	}
	blocks.push(Buffer.from([0]));
	return Buffer.concat(blocks);
}
