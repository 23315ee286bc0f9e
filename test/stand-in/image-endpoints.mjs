// POST /v1/images/generations (JSON) and POST /v1/images/edits (multipart), as strict as the
// spec pages: every field checked, real PNG answers derived from the request.
import { createHash, randomInt } from 'node:crypto';

import { ParamError, isPlainObject, mediaType, readJsonBody } from './http.mjs';
import { imageSize, makePng } from './images.mjs';
import { checkInt, checkModel, codePoints } from './params.mjs';

/** Sizes accepted by /v1/images/generations, HEIGHTxWIDTH. */
export const GENERATION_SIZES = Object.freeze([
	'1024x1024',
	'768x1360',
	'896x1184',
	'1360x768',
	'1184x896',
]);

const GENERATION_FIELDS = new Set([
	'model',
	'prompt',
	'size',
	'n',
	'response_format',
	'seed',
	'steps',
	'cfg_scale',
	'negative_prompt',
	'text_mode',
]);
const EDIT_FIELDS = new Set([...GENERATION_FIELDS, 'image']);
const MAX_SEED = 2147483647;
const MAX_EDIT_SIDE = 4096;
const EDIT_INPUT_TYPES = ['png', 'jpeg', 'webp'];

/**
 * @param {unknown} v
 * @param {string} name
 */
function checkPrompt(v, name, required = true) {
	if (v === undefined) {
		if (required) throw new ParamError(`${name} is required`);
		return;
	}
	if (typeof v !== 'string') throw new ParamError(`${name} must be a string`);
	const len = codePoints(v);
	if (required && v.trim() === '') throw new ParamError(`${name} must not be empty`);
	if (len > 512) throw new ParamError(`${name} must be at most 512 characters (got ${len})`);
}

/** @param {unknown} v */
function checkCfg(v) {
	if (typeof v !== 'number' || !Number.isFinite(v))
		throw new ParamError('cfg_scale must be a number');
	if (v < 1 || v > 10) throw new ParamError(`cfg_scale must be in range [1.0, 10.0] (got ${v})`);
}

/** @param {unknown} v */
function checkResponseFormat(v) {
	if (v !== 'b64_json' && v !== 'url')
		throw new ParamError('response_format must be one of b64_json, url');
}

/**
 * @param {unknown} body
 * @param {string[] | null} acceptedModels
 */
function validateGeneration(body, acceptedModels) {
	if (!isPlainObject(body)) throw new ParamError('request body must be a JSON object');
	checkModel(body.model, acceptedModels);
	checkPrompt(body.prompt, 'prompt');
	if ('size' in body && (typeof body.size !== 'string' || !GENERATION_SIZES.includes(body.size))) {
		throw new ParamError(`size must be one of ${GENERATION_SIZES.join(', ')}`);
	}
	if ('n' in body && body.n !== 1)
		throw new ParamError('n must be 1: only one image per request is supported');
	if ('response_format' in body) checkResponseFormat(body.response_format);
	if ('seed' in body) checkInt(body.seed, 'seed', 0, MAX_SEED);
	if ('steps' in body) checkInt(body.steps, 'steps', 1, 50);
	if ('cfg_scale' in body) checkCfg(body.cfg_scale);
	if ('negative_prompt' in body) checkPrompt(body.negative_prompt, 'negative_prompt', false);
	if ('text_mode' in body && typeof body.text_mode !== 'boolean')
		throw new ParamError('text_mode must be a boolean');
	const [height, width] = String(body.size ?? '1024x1024')
		.split('x')
		.map(Number);
	return {
		width,
		height,
		seed: /** @type {number | undefined} */ (body.seed),
		responseFormat: /** @type {string} */ (body.response_format ?? 'url'),
	};
}

/**
 * The text fields of an edit, as multipart strings.
 * @param {Record<string, string>} f
 * @param {string[] | null} acceptedModels
 */
function validateEditFields(f, acceptedModels) {
	checkModel(f.model, acceptedModels);
	checkPrompt(f.prompt, 'prompt');
	if ('n' in f && f.n !== '1')
		throw new ParamError('n must be 1: only one image per request is supported');
	if ('response_format' in f) checkResponseFormat(f.response_format);
	/** @type {number | undefined} */
	let seed;
	for (const [name, min, max] of /** @type {const} */ ([
		['seed', 0, MAX_SEED],
		['steps', 1, 50],
	])) {
		if (!(name in f)) continue;
		if (!/^[0-9]+$/.test(f[name])) throw new ParamError(`${name} must be an integer`);
		const v = Number(f[name]);
		checkInt(v, name, min, max);
		if (name === 'seed') seed = v;
	}
	if ('cfg_scale' in f) {
		if (!/^[0-9]+(\.[0-9]+)?$/.test(f.cfg_scale))
			throw new ParamError('cfg_scale must be a number');
		checkCfg(Number(f.cfg_scale));
	}
	if ('negative_prompt' in f) checkPrompt(f.negative_prompt, 'negative_prompt', false);
	if ('text_mode' in f && !['true', 'false'].includes(f.text_mode.toLowerCase())) {
		throw new ParamError('text_mode must be a boolean (true or false)');
	}
	return { seed, responseFormat: f.response_format ?? 'url' };
}

/**
 * The answer for one result image: inline base64, or a link to the image host.
 * @param {Buffer} png
 * @param {number} seed
 * @param {string} responseFormat
 * @param {import('./http.mjs').EndpointEnv} env
 */
function resultItem(png, seed, responseFormat, env) {
	/** @type {Record<string, unknown>} */
	const item = { seed, finish_reason: 'success' };
	if (responseFormat === 'b64_json') item.b64_json = png.toString('base64');
	else item.url = env.storeImage(png);
	return { created: Math.floor(Date.now() / 1000), data: [item] };
}

/**
 * Reads a multipart edit into `request.fields` and `request.image`, noting unknown and
 * repeated parts; the first problem found is raised after everything is recorded.
 * @param {import('./server.mjs').RecordedRequest} request
 */
async function readEditForm(request) {
	const ct = request.contentType ?? '';
	if (mediaType(ct) !== 'multipart/form-data' || !/boundary=/i.test(ct)) {
		throw new ParamError('Content-Type must be multipart/form-data');
	}
	let form;
	try {
		const body = /** @type {Uint8Array<ArrayBuffer>} */ (request.rawBody);
		form = await new Response(body, { headers: { 'content-type': ct } }).formData();
	} catch {
		throw new ParamError('multipart body could not be parsed');
	}
	/** @type {Record<string, string>} */
	const fields = {};
	/** @type {Set<string>} */
	const seen = new Set();
	/** @type {File | undefined} */
	let file;
	/** @type {string | undefined} */
	let problem;
	for (const [name, value] of form.entries()) {
		if (seen.has(name))
			problem ??= name === 'image' ? 'only one image is supported' : `${name} given more than once`;
		seen.add(name);
		if (!EDIT_FIELDS.has(name) && !request.unknownFields.includes(name))
			request.unknownFields.push(name);
		if (typeof value === 'string') {
			if (name === 'image') problem ??= 'image must be a file part';
			fields[name] = value;
		} else if (name === 'image') {
			file ??= value;
		} else {
			problem ??= `${name} must be a text field, not a file`;
		}
	}
	request.fields = fields;
	if (file) {
		request.image = {
			fileName: file.name,
			mimeType: file.type,
			bytes: Buffer.from(await file.arrayBuffer()),
		};
	}
	if (problem) throw new ParamError(problem);
	return fields;
}

/** @type {import('./http.mjs').Endpoint} */
export const generations = {
	path: '/v1/images/generations',
	method: 'POST',
	handle(request, env) {
		const body = readJsonBody(request, GENERATION_FIELDS);
		const p = validateGeneration(body, env.standIn.acceptedModels);
		const seed = p.seed ?? randomInt(0, MAX_SEED);
		const colourSeed = JSON.stringify([
			'generation',
			body.model,
			body.prompt,
			seed,
			body.size ?? null,
			body.steps ?? null,
			body.cfg_scale ?? null,
			body.negative_prompt ?? null,
			body.text_mode ?? null,
		]);
		return resultItem(makePng(p.width, p.height, colourSeed), seed, p.responseFormat, env);
	},
};

/** @type {import('./http.mjs').Endpoint} */
export const edits = {
	path: '/v1/images/edits',
	method: 'POST',
	async handle(request, env) {
		const fields = await readEditForm(request);
		const p = validateEditFields(fields, env.standIn.acceptedModels);
		if (!request.image) throw new ParamError('image is required');
		const dims = imageSize(request.image.bytes);
		if (!dims || !EDIT_INPUT_TYPES.includes(dims.type))
			throw new ParamError('image cannot be read: expected a complete PNG, JPEG or WebP file');
		if (dims.width > MAX_EDIT_SIDE || dims.height > MAX_EDIT_SIDE) {
			throw new ParamError(`image too large: ${dims.width}x${dims.height}, maximum is 4096x4096`);
		}
		const seed = p.seed ?? randomInt(0, MAX_SEED);
		const inputHash = createHash('sha256').update(request.image.bytes).digest('hex');
		const colourSeed = JSON.stringify([
			'edit',
			fields.model,
			fields.prompt,
			seed,
			fields.steps ?? null,
			fields.cfg_scale ?? null,
			fields.negative_prompt ?? null,
			fields.text_mode?.toLowerCase() ?? null,
			inputHash,
		]);
		return resultItem(makePng(dims.width, dims.height, colourSeed), seed, p.responseFormat, env);
	},
};
