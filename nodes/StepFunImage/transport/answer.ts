// StepFun's JSON answer, read as it arrives. The image comes as base64 in the JSON (`b64_json`):
// read whole, the answer would sit in memory three times over (the bytes, their text, the string
// JSON.parse makes of the field) before the image is even decoded. Here each `b64_json` string is
// decoded while the bytes arrive, and only the rest of the JSON (a few hundred bytes) is parsed.

/** What a `b64_json` value that is not base64 becomes (itself not base64), for the reader to report. */
export const NOT_BASE64 = '(not base64)';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const BASE64_TEXT = /^[A-Za-z0-9+/]*$/;
const FIELD = 'b64_json';

/**
 * Decodes one base64 string given in pieces. With a size known in advance (from Content-Length)
 * it writes into one buffer allocated once; otherwise, or when that turns out too small (a
 * compressed answer), it keeps pieces and joins them at the end.
 */
class Base64Decoder {
	private pending = '';
	private padding = 0;
	private ok = true;
	private written = 0;
	private pieces: Buffer[] = [];

	constructor(private target: Buffer | undefined) {}

	/** More of the string, as JSON text (escapes allowed: `\/`, and `\n`, `\r` as line breaks). */
	add(text: string): void {
		const clean = text.includes('\\') ? text.replace(/\\[nr]/g, '').replace(/\\\//g, '/') : text;
		const body = clean.replace(/=+$/, '');
		// Padding ends the string: at most two, and nothing but padding after it.
		const misplaced = this.padding > 0 && body !== '';
		this.padding += clean.length - body.length;
		this.ok &&= !clean.includes('\\') && !misplaced && this.padding <= 2 && BASE64_TEXT.test(body);
		if (!this.ok) return;
		const all = this.pending + body;
		const whole = all.length - (all.length % 4);
		this.pending = all.slice(whole);
		if (whole > 0) this.write(all.slice(0, whole));
	}

	/** The bytes, or undefined when the string was not base64. */
	finish(): Buffer | undefined {
		if (!this.ok) return undefined;
		if (this.pending !== '') this.write(this.pending);
		if (!this.target) return Buffer.concat(this.pieces, this.written);
		const bytes = this.target.subarray(0, this.written);
		// Much more room than needed (several images in one answer): keep only this image.
		return this.target.length - this.written > 65536 ? Buffer.from(bytes) : bytes;
	}

	private write(base64: string): void {
		if (this.target && this.written + Buffer.byteLength(base64, 'base64') > this.target.length) {
			this.pieces = [Buffer.from(this.target.subarray(0, this.written))];
			this.target = undefined;
		}
		if (this.target) {
			this.written += this.target.write(base64, this.written, 'base64');
		} else {
			const piece = Buffer.from(base64, 'base64');
			this.pieces.push(piece);
			this.written += piece.length;
		}
	}
}

/**
 * Reads a JSON answer from its chunks. Every non-empty `b64_json` string becomes a Buffer of the
 * decoded bytes (or NOT_BASE64 when it is not base64); everything else is plain JSON.
 */
export async function readJsonAnswer(
	chunks: AsyncIterable<Buffer>,
	contentLength: number | undefined,
): Promise<{ ok: true; value: unknown } | { ok: false }> {
	/** The JSON text without the base64 strings, each replaced by its index as a string. */
	const text: Buffer[] = [];
	const decoded: Array<Buffer | undefined> = [];
	let received = 0;
	let inString = false;
	let escaped = false;
	/** Inside a string: its text so far, while it may still be the field name. */
	let stringText: string | undefined;
	/** The last string closed was the field name; then the colon after it came. */
	let afterField: 'name' | 'colon' | undefined;
	let decoder: Base64Decoder | undefined;
	let valueEmpty = false;
	/** A backslash ending a chunk inside a base64 string: the next chunk completes the escape. */
	let carry = '';

	for await (const chunk of chunks) {
		const chunkStart = received;
		received += chunk.length;
		let at = 0;
		while (at < chunk.length) {
			if (decoder) {
				const end = chunk.indexOf(QUOTE, at);
				let piece = carry + chunk.toString('latin1', at, end === -1 ? chunk.length : end);
				carry = '';
				if (end === -1 && /(^|[^\\])(\\\\)*\\$/.test(piece)) {
					carry = '\\';
					piece = piece.slice(0, -1);
				}
				if (piece !== '') valueEmpty = false;
				decoder.add(piece);
				if (end === -1) break;
				text.push(Buffer.from(valueEmpty ? '""' : `"${decoded.length}"`));
				if (!valueEmpty) decoded.push(decoder.finish());
				decoder = undefined;
				at = end + 1;
				continue;
			}
			// Plain JSON: kept as it is, noting strings, until a b64_json value starts.
			const start = at;
			for (; at < chunk.length; at++) {
				const byte = chunk[at];
				if (inString) {
					if (escaped) {
						escaped = false;
					} else if (byte === BACKSLASH) {
						escaped = true;
						stringText = undefined;
					} else if (byte === QUOTE) {
						inString = false;
						afterField = stringText === FIELD ? 'name' : undefined;
						stringText = undefined;
					} else if (stringText !== undefined) {
						stringText =
							stringText.length < FIELD.length ? stringText + String.fromCharCode(byte) : undefined;
					}
				} else if (byte === QUOTE && afterField === 'colon') {
					break;
				} else if (byte === QUOTE) {
					inString = true;
					stringText = '';
					afterField = undefined;
				} else if (byte === 0x3a && afterField === 'name') {
					afterField = 'colon';
				} else if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) {
					afterField = undefined;
				}
			}
			text.push(Buffer.from(chunk.subarray(start, at)));
			if (at < chunk.length) {
				// The opening quote of a b64_json value.
				afterField = undefined;
				at++;
				const left = contentLength === undefined ? 0 : contentLength - (chunkStart + at);
				decoder = new Base64Decoder(
					left > 0 ? Buffer.allocUnsafe(Math.ceil((left * 3) / 4)) : undefined,
				);
				valueEmpty = true;
			}
		}
	}
	if (decoder) return { ok: false };
	try {
		// Puts the decoded bytes back where their strings were.
		const value: unknown = JSON.parse(Buffer.concat(text).toString('utf8'), (key, entry) =>
			key === FIELD && typeof entry === 'string' && /^\d+$/.test(entry)
				? (decoded[Number(entry)] ?? NOT_BASE64)
				: entry,
		);
		return { ok: true, value };
	} catch {
		return { ok: false };
	}
}
