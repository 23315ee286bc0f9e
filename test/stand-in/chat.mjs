// POST /v1/chat/completions: StepFun's OpenAI-compatible vision chat, as strict as the image
// endpoints. The answer is deterministic and describes what arrived (prompt, each image's
// type and size), so a test can prove the images reached it.
import { readChatImages } from './chat-images.mjs';
import { ParamError, isPlainObject, readJsonBody } from './http.mjs';
import { checkModel, checkNumber, checkOneOf, codePoints } from './params.mjs';

/** Settings of `standIn.chat`; `reset()` restores these. */
export const DEFAULT_CHAT_SETTINGS = Object.freeze({
	/** Put the answer in the reasoning field and leave `content` empty (a Step Plan quirk). */
	answerInReasoning: false,
	/** The message field that carries reasoning: StepFun's `reasoning` or `reasoning_content`. */
	reasoningField: /** @type {'reasoning' | 'reasoning_content'} */ ('reasoning'),
	/** How long the stand-in waits for an http(s) image URL. */
	downloadTimeoutMs: 3000,
});

const CHAT_FIELDS = new Set([
	'model',
	'messages',
	'max_tokens',
	'temperature',
	'top_p',
	'stop',
	'frequency_penalty',
	'n',
	'response_format',
	'reasoning_effort',
	'stream',
]);
const ROLES = /** @type {const} */ (['system', 'user', 'assistant']);
const PART_TYPES = /** @type {const} */ (['text', 'image_url']);
const DETAILS = /** @type {const} */ (['low', 'high']);
const EFFORTS = /** @type {const} */ (['low', 'medium', 'high']);
/** StepFun's reasoning models (step-3, step-3.7-flash, …) answer with their reasoning. */
const isReasoningModel = (/** @type {string} */ model) => model.startsWith('step-3');

/**
 * What validation gathered from the messages.
 * @typedef {object} Conversation
 * @property {string} system the system messages' text
 * @property {string} prompt the last user message's text
 * @property {string[]} texts every text in the messages, for the prompt token count
 * @property {import('./chat-images.mjs').ImagePart[]} imageParts
 */

/**
 * @param {unknown} content
 * @param {string} where e.g. `messages[0]`
 * @param {'system' | 'user' | 'assistant'} role
 * @param {Conversation} into
 * @returns {string} the message's text
 */
function readContent(content, where, role, into) {
	if (typeof content === 'string') {
		into.texts.push(content);
		if (role === 'user' && content.trim() === '')
			throw new ParamError(`${where}.content must not be empty`);
		return content;
	}
	if (!Array.isArray(content)) {
		throw new ParamError(
			role === 'user'
				? `${where}.content must be a string or an array of content parts`
				: `${where}.content must be a string or an array of text parts`,
		);
	}
	if (content.length === 0) throw new ParamError(`${where}.content must not be empty`);
	/** @type {string[]} */
	const texts = [];
	let images = 0;
	content.forEach((part, index) => {
		const at = `${where}.content[${index}]`;
		if (!isPlainObject(part)) throw new ParamError(`${at} must be an object with a type`);
		if (!PART_TYPES.includes(/** @type {any} */ (part.type))) {
			throw new ParamError(
				`${at}.type must be one of ${PART_TYPES.join(', ')} (got ${JSON.stringify(part.type)})`,
			);
		}
		if (part.type === 'text') {
			if (typeof part.text !== 'string') throw new ParamError(`${at}.text must be a string`);
			texts.push(part.text);
			into.texts.push(part.text);
			return;
		}
		if (role !== 'user')
			throw new ParamError(`${at}: image_url parts are only allowed in user messages`);
		into.imageParts.push(readImagePart(part.image_url, `${at}.image_url`));
		images++;
	});
	if (role === 'user' && images === 0 && texts.every((t) => t.trim() === ''))
		throw new ParamError(`${where}.content must not be empty`);
	return texts.join('\n');
}

/**
 * @param {unknown} imageUrl
 * @param {string} where
 * @returns {import('./chat-images.mjs').ImagePart}
 */
function readImagePart(imageUrl, where) {
	if (!isPlainObject(imageUrl) || typeof imageUrl.url !== 'string' || imageUrl.url === '')
		throw new ParamError(`${where} must be an object with a url`);
	if ('detail' in imageUrl) checkOneOf(imageUrl.detail, `${where}.detail`, DETAILS);
	const url = imageUrl.url;
	if (!url.startsWith('data:') && !isHttpUrl(url)) {
		throw new ParamError(
			`${where}.url must be an http(s) URL or a data:image/<jpeg|png|webp|gif>;base64, URL`,
		);
	}
	const detail = /** @type {'low' | 'high'} */ (imageUrl.detail ?? 'low');
	return { where, url, detail };
}

/** @param {string} url */
function isHttpUrl(url) {
	try {
		const parsed = new URL(url);
		return parsed.protocol === 'http:' || parsed.protocol === 'https:';
	} catch {
		return false;
	}
}

/**
 * @param {unknown} messages
 * @returns {Conversation}
 */
function readMessages(messages) {
	if (!Array.isArray(messages) || messages.length === 0)
		throw new ParamError('messages must be a non-empty array');
	/** @type {Conversation} */
	const conversation = { system: '', prompt: '', texts: [], imageParts: [] };
	/** @type {string[]} */
	const system = [];
	messages.forEach((message, index) => {
		const where = `messages[${index}]`;
		if (!isPlainObject(message))
			throw new ParamError(`${where} must be an object with role and content`);
		checkOneOf(message.role, `${where}.role`, ROLES);
		const role = /** @type {'system' | 'user' | 'assistant'} */ (message.role);
		const text = readContent(message.content, where, role, conversation);
		if (role === 'system') system.push(text);
		if (role === 'user') conversation.prompt = text;
	});
	conversation.system = system.join('\n');
	return conversation;
}

/**
 * Every field besides the messages, as the notes give their ranges.
 * @param {Record<string, unknown>} body
 */
function checkParameters(body) {
	if ('max_tokens' in body) {
		const v = body.max_tokens;
		if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
			throw new ParamError(`max_tokens must be a positive integer (got ${JSON.stringify(v)})`);
	}
	if ('temperature' in body) checkNumber(body.temperature, 'temperature', 0, 2);
	if ('top_p' in body) checkNumber(body.top_p, 'top_p', 0, 1, { openMin: true });
	if ('frequency_penalty' in body) checkNumber(body.frequency_penalty, 'frequency_penalty', 0, 1);
	if ('n' in body && body.n !== 1)
		throw new ParamError('n must be 1: only one choice per request is supported');
	if ('reasoning_effort' in body) checkOneOf(body.reasoning_effort, 'reasoning_effort', EFFORTS);
	if ('response_format' in body) {
		const f = body.response_format;
		if (!isPlainObject(f) || (f.type !== 'text' && f.type !== 'json_object'))
			throw new ParamError('response_format must be {"type": "text"} or {"type": "json_object"}');
	}
	if ('stop' in body) {
		const s = body.stop;
		if (typeof s !== 'string' && !(Array.isArray(s) && s.every((x) => typeof x === 'string')))
			throw new ParamError('stop must be a string or an array of strings');
	}
	if ('stream' in body) {
		if (typeof body.stream !== 'boolean') throw new ParamError('stream must be a boolean');
		if (body.stream)
			throw new ParamError('stream is not supported by the stand-in: leave it out or send false');
	}
}

/** A deterministic token estimate: one token per 4 characters (code points). */
const tokens = (/** @type {string} */ text) => Math.ceil(codePoints(text) / 4);
/** The first `count` tokens of `text`. */
const firstTokens = (/** @type {string} */ text, /** @type {number} */ count) =>
	[...text].slice(0, Math.max(0, count) * 4).join('');

/**
 * About 400 tokens per image at `detail: low` (the notes); more tiles at `high`.
 * @param {import('./types.d.mts').RecordedChatImage} image
 */
const imageTokens = (image) =>
	image.detail === 'high'
		? 400 + 400 * Math.ceil(image.width / 1024) * Math.ceil(image.height / 1024)
		: 400;

/**
 * The answer text: what the stand-in received, in words or (JSON mode) as a JSON object.
 * @param {Conversation} conversation
 * @param {import('./types.d.mts').RecordedChatImage[]} images
 * @param {boolean} json
 */
function answerText(conversation, images, json) {
	if (json) {
		return JSON.stringify({
			caption: `Stand-in caption for "${conversation.prompt}"`,
			tags: ['stand-in', ...new Set(images.map((image) => image.type))],
			images: images.map(({ type, width, height, byteLength, detail }) => ({
				type,
				width,
				height,
				bytes: byteLength,
				detail,
			})),
		});
	}
	const list = images.map((image) => `${image.type} ${image.width}x${image.height}`);
	const count = `${images.length} image${images.length === 1 ? '' : 's'}`;
	const system = conversation.system ? ` System message: "${conversation.system}".` : '';
	return `The stand-in received the prompt "${conversation.prompt}" with ${count}${list.length ? `: ${list.join(', ')}` : ''}.${system}`;
}

/** @type {import('./http.mjs').Endpoint} */
export const chatCompletions = {
	path: '/v1/chat/completions',
	method: 'POST',
	async handle(request, env) {
		const body = readJsonBody(request, CHAT_FIELDS);
		if (!isPlainObject(body)) throw new ParamError('request body must be a JSON object');
		checkModel(body.model, env.standIn.acceptedModels);
		const conversation = readMessages(body.messages);
		checkParameters(body);
		const settings = { ...DEFAULT_CHAT_SETTINGS, ...env.standIn.chat };
		const images = await readChatImages(conversation.imageParts, request, {
			downloadTimeoutMs: settings.downloadTimeoutMs,
			closing: env.closing,
		});

		const model = /** @type {string} */ (body.model);
		const json = isPlainObject(body.response_format) && body.response_format.type === 'json_object';
		const answer = answerText(conversation, images, json);
		const effort = /** @type {string} */ (body.reasoning_effort ?? 'medium');
		// Reasoning spends the token budget first, as a reasoning model's does.
		let reasoning = isReasoningModel(model)
			? `Reasoning (effort ${effort}): the user asks "${conversation.prompt}" about ${images.length} image(s); I describe what arrived.`
			: undefined;
		let content = answer;
		if (settings.answerInReasoning) {
			reasoning = answer;
			content = '';
		}
		let budget = typeof body.max_tokens === 'number' ? body.max_tokens : Infinity;
		let truncated = false;
		/** @param {string} text */
		const spend = (text) => {
			if (tokens(text) <= budget) {
				budget -= tokens(text);
				return text;
			}
			truncated = true;
			const kept = firstTokens(text, budget);
			budget = 0;
			return kept;
		};
		if (reasoning !== undefined) reasoning = spend(reasoning);
		content = spend(content);

		/** @type {Record<string, unknown>} */
		const message = { role: 'assistant', content };
		if (reasoning !== undefined) message[settings.reasoningField] = reasoning;
		const promptTokens =
			conversation.texts.reduce((sum, text) => sum + tokens(text), 0) +
			images.reduce((sum, image) => sum + imageTokens(image), 0);
		const completionTokens = tokens(reasoning ?? '') + tokens(content);
		return {
			id: `chatcmpl-${request.traceId.replace(/^trace-/, '')}`,
			object: 'chat.completion',
			created: Math.floor(Date.now() / 1000),
			model,
			choices: [{ index: 0, finish_reason: truncated ? 'length' : 'stop', message }],
			usage: {
				prompt_tokens: promptTokens,
				cached_tokens: 0,
				completion_tokens: completionTokens,
				total_tokens: promptTokens + completionTokens,
			},
		};
	},
};
