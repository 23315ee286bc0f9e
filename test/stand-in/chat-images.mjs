// The images of a chat request, read as StepFun reads them: a data URL is decoded, an http(s)
// URL is downloaded (short timeout, no credentials); the bytes must be a complete JPEG, PNG,
// WebP or static GIF, each side at most 4096 px, all of them at most 20 MB together.
import { gifInfo } from './gif.mjs';
import { ParamError } from './http.mjs';
import { imageSize } from './images.mjs';

export const MAX_CHAT_IMAGES = 60;
export const MAX_CHAT_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_CHAT_IMAGE_SIDE = 4096;

const DATA_URL = /^data:image\/(jpeg|png|webp|gif);base64,(.*)$/s;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const FORMATS = 'a JPEG, PNG, WebP or static GIF image';

/**
 * An image_url part found by validation, before its bytes are read.
 * @typedef {object} ImagePart
 * @property {string} where e.g. `messages[1].content[2].image_url`
 * @property {string} url
 * @property {'low' | 'high'} detail
 */

/**
 * The type and size of an image StepFun takes, or why it does not take it.
 * @param {Buffer} bytes
 * @returns {{ type: 'jpeg' | 'png' | 'webp' | 'gif', width: number, height: number, frames: number } | undefined}
 */
export function identifyImage(bytes) {
	const gif = gifInfo(bytes);
	if (gif) return gif;
	const other = imageSize(bytes);
	if (other && (other.type === 'jpeg' || other.type === 'png' || other.type === 'webp'))
		return { type: other.type, width: other.width, height: other.height, frames: 1 };
	return undefined;
}

/**
 * Reads every image part in order: first all bytes (so the 20 MB total is checked before any
 * image is inspected, and downloads stop once it is passed), then each image's type and size.
 * Every image decoded is recorded in `request.chatImages`, also one refused afterwards for its
 * animation or size; the first problem is thrown.
 * @param {ImagePart[]} parts
 * @param {import('./server.mjs').RecordedRequest} request
 * @param {{ downloadTimeoutMs: number, closing: AbortSignal }} options
 */
export async function readChatImages(parts, request, { downloadTimeoutMs, closing }) {
	if (parts.length > MAX_CHAT_IMAGES) {
		throw new ParamError(
			`too many images: ${parts.length} in one request, at most ${MAX_CHAT_IMAGES}`,
		);
	}
	/** @type {Array<{ source: 'data' | 'url', mimeType: string, bytes: Buffer }>} */
	const loaded = [];
	let total = 0;
	for (const part of parts) {
		const room = MAX_CHAT_IMAGE_BYTES - total;
		const one = part.url.startsWith('data:')
			? decodeDataUrl(part)
			: await download(part, { timeoutMs: downloadTimeoutMs, closing, maxBytes: room + 1 });
		total += one.bytes.length;
		if (total > MAX_CHAT_IMAGE_BYTES) {
			throw new ParamError(
				`images too large: more than ${MAX_CHAT_IMAGE_BYTES} bytes (20 MB) in one request`,
			);
		}
		loaded.push(one);
	}
	/** @type {import('./types.d.mts').RecordedChatImage[]} */
	const images = [];
	request.chatImages = images;
	parts.forEach((part, index) => {
		const { source, mimeType, bytes } = loaded[index];
		const info = identifyImage(bytes);
		if (!info) {
			throw new ParamError(
				source === 'url'
					? `${part.where}: image could not be downloaded from ${part.url}: the answer is not ${FORMATS}`
					: `${part.where}: image cannot be read: expected a complete JPEG, PNG, WebP or static GIF file`,
			);
		}
		images.push({
			where: part.where,
			source,
			url: source === 'url' ? part.url : undefined,
			mimeType,
			detail: part.detail,
			...info,
			byteLength: bytes.length,
			bytes,
		});
		if (info.frames > 1) {
			throw new ParamError(
				`${part.where}: animated GIF (${info.frames} frames) is not supported: send a static image`,
			);
		}
		if (info.width > MAX_CHAT_IMAGE_SIDE || info.height > MAX_CHAT_IMAGE_SIDE) {
			throw new ParamError(
				`${part.where}: image too large: ${info.width}x${info.height}, the longest side must be at most ${MAX_CHAT_IMAGE_SIDE} px`,
			);
		}
	});
	return images;
}

/**
 * @param {ImagePart} part
 * @returns {{ source: 'data', mimeType: string, bytes: Buffer }}
 */
function decodeDataUrl(part) {
	const match = DATA_URL.exec(part.url);
	if (!match) {
		throw new ParamError(
			`${part.where}.url is not a readable data URL: expected data:image/<jpeg|png|webp|gif>;base64,<data>`,
		);
	}
	const data = match[2];
	if (data.length % 4 !== 0 || !BASE64.test(data)) {
		throw new ParamError(
			`${part.where}.url is not a readable data URL: the data is not valid base64`,
		);
	}
	return { source: 'data', mimeType: `image/${match[1]}`, bytes: Buffer.from(data, 'base64') };
}

/**
 * Downloads an image as StepFun's servers would: GET, redirects followed, no credentials,
 * a short timeout, at most `maxBytes` read.
 * @param {ImagePart} part
 * @param {{ timeoutMs: number, closing: AbortSignal, maxBytes: number }} options
 * @returns {Promise<{ source: 'url', mimeType: string, bytes: Buffer }>}
 */
async function download(part, { timeoutMs, closing, maxBytes }) {
	const fail = (/** @type {string} */ why) =>
		new ParamError(`${part.where}: image could not be downloaded from ${part.url}: ${why}`);
	const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), closing]);
	/** @type {Response} */
	let response;
	try {
		response = await fetch(part.url, { signal, redirect: 'follow' });
	} catch (error) {
		throw fail(reason(error, timeoutMs));
	}
	if (!response.ok) {
		await response.body?.cancel().catch(() => {});
		throw fail(`HTTP ${response.status}`);
	}
	/** @type {Buffer[]} */
	const chunks = [];
	let size = 0;
	try {
		for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (
			/** @type {unknown} */ (response.body ?? [])
		)) {
			size += chunk.byteLength;
			chunks.push(Buffer.from(chunk));
			if (size >= maxBytes) break; // the total check refuses it; no need for the rest
		}
	} catch (error) {
		throw fail(reason(error, timeoutMs));
	}
	return {
		source: 'url',
		mimeType: (response.headers.get('content-type') ?? '').split(';')[0].trim(),
		bytes: Buffer.concat(chunks),
	};
}

/**
 * @param {unknown} error
 * @param {number} timeoutMs
 */
function reason(error, timeoutMs) {
	const e =
		/** @type {{ name?: string, message?: string, cause?: { code?: string, message?: string } }} */ (
			error
		);
	if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
		return `no answer within ${timeoutMs} ms`;
	return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
