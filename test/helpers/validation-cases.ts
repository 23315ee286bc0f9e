/**
 * Bad inputs the node must refuse before anything is sent, with the exact error each gives.
 * Shared by test/validation.test.ts (the table) and test/secrets.test.ts (the key must not leak).
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { readFixture } from '../fixtures/index.mjs';
import { makeJpeg, makePng, makeWebp } from '../stand-in/server.mjs';
import type { InputItem } from './run-node';
import { edit, generate } from './stepfun';

export interface ValidationCase {
	name: string;
	parameters: INodeParameters;
	items?: InputItem[];
	credentials?: IDataObject;
	/** The exact `error.message`. */
	message: string;
	/** The field the message starts with. */
	field: string;
	/** The item the error names; null for a credential problem, which stops the whole run. */
	itemIndex: number | null;
	/** A part of the hint (`error.description`) that tells the user what to do. */
	hint: RegExp;
}

/** Paths the input-image host serves (see inputHostAnswer). */
export const INPUT_HOST_PATHS = {
	html: '/share/photo',
	pdf: '/files/scan.pdf',
	huge: '/images/panorama.png',
} as const;

const PNG = makePng(64, 48, 'validation');
const HUGE_PNG = makePng(4097, 8, 'too wide');
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');
const HTML = Buffer.from('<!DOCTYPE html>\n<html><head><title>Photo</title></head><body><img src="/x.png"></body></html>\n');

/** What the loopback "someone else's web server" answers for Image URL cases. */
export function inputHostAnswer(url: string): { status: number; headers: Record<string, string>; body: Buffer } {
	if (url.startsWith(INPUT_HOST_PATHS.html)) return { status: 200, headers: { 'content-type': 'text/html' }, body: HTML };
	if (url.startsWith(INPUT_HOST_PATHS.pdf)) return { status: 200, headers: { 'content-type': 'application/pdf' }, body: PDF };
	if (url.startsWith(INPUT_HOST_PATHS.huge)) return { status: 200, headers: { 'content-type': 'image/png' }, body: HUGE_PNG };
	return { status: 404, headers: { 'content-type': 'text/plain' }, body: Buffer.from('not found') };
}

function file(bytes: Buffer, fileName: string, mimeType: string, field = 'data'): InputItem[] {
	return [{ json: {}, binary: { [field]: { bytes, fileName, mimeType } } }];
}

/** An Edit with these parameters, refused at `field` for `problem` (item 0). */
function editCase(field: string, name: string, parameters: INodeParameters, problem: string, hint: RegExp, items?: InputItem[]): ValidationCase {
	return { name, parameters: edit('Add a hat', {}, parameters), items, message: `${field}: ${problem} (item 0)`, field, itemIndex: 0, hint };
}

/** An Edit with Image Data `imageBase64`, refused for `problem`. */
const imageDataCase = (name: string, imageBase64: string, problem: string, hint: RegExp, items?: InputItem[]) =>
	editCase('Image Data', name, { imageSource: 'base64', imageBase64 }, problem, hint, items);

/** An Edit with Image URL `imageUrl`, refused for `problem`. */
const imageUrlCase = (name: string, imageUrl: string, problem: string, hint: RegExp, items?: InputItem[]) =>
	editCase('Image URL', name, { imageSource: 'url', imageUrl }, problem, hint, items);

const rl = (value: string) => ({ __rl: true, mode: 'id', value });

const PROMPT_HINT = /Enter a prompt, or check that the expression finds a value for this item/;
const TEXT_HINT = (label: string) => new RegExp(`If ${label} is an expression, make it produce text`);
const SHORTEN = (n: number) => new RegExp(`Shorten it by ${n} characters?\\. StepFun counts characters, so one Chinese character or emoji counts as one`);
const SEED_HINT = /Use a whole number from 0 to 2147483647, or remove the Seed option for a random seed/;
const STEPS_HINT = /Use a whole number from 1 to 50; 8 is StepFun's default/;
const CFG_HINT = /Use a value from 1\.0 to 10\.0; 1\.0 is StepFun's default/;
const SIZE_HINT = /Use one of 1024x1024, 768x1360, 896x1184, 1360x768, 1184x896 \(height x width\)/;
const MODEL_HINT = /Pick a model from the list or enter an ID such as step-image-edit-2/;
const BASE_URL_HINT = /Open the StepFun API credential and enter a Base URL such as https:\/\/api\.stepfun\.ai\/v1/;
const IMAGE_HINT = /Send a complete PNG, JPEG or WebP image\. Check that the node before this one really outputs the image file/;
const URL_IMAGE_HINT = /Check that the Image URL points straight at the image file, not at a web page/;
const DATA_IMAGE_HINT = /Check that Image Data holds the whole image, base64-encoded/;
const RESIZE_HINT = /Scale it down first, e\.g\. with the Edit Image node \(Resize\)/;

const CHINESE = '山';
const EMOJI = '🦊';

export function validationCases(env: { inputHost: string }): ValidationCase[] {
	const photo = (bytes: Buffer, fileName: string, mimeType: string) => file(bytes, fileName, mimeType);
	return [
		// --- Prompt -------------------------------------------------------------------------
		{
			name: 'prompt from an expression that gives ""',
			parameters: generate('={{ $json.caption }}'),
			items: [{ json: { caption: '' } }],
			message: 'Prompt: is empty (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: PROMPT_HINT,
		},
		{
			name: 'prompt of only whitespace',
			parameters: generate(' \n\t  '),
			message: 'Prompt: is empty (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: PROMPT_HINT,
		},
		{
			name: 'prompt from an expression naming a field the item lacks',
			parameters: generate('={{ $json.caption }}'),
			items: [{ json: { title: 'A fox' } }],
			message: 'Prompt: is empty (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: PROMPT_HINT,
		},
		{
			name: 'prompt of 513 ASCII characters',
			parameters: generate('a'.repeat(513)),
			message: 'Prompt: is 513 characters long; StepFun accepts at most 512 (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: SHORTEN(1),
		},
		{
			name: 'prompt of 513 Chinese characters (1539 UTF-8 bytes)',
			parameters: generate(CHINESE.repeat(513)),
			message: 'Prompt: is 513 characters long; StepFun accepts at most 512 (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: SHORTEN(1),
		},
		{
			name: 'prompt of 513 emoji (1026 UTF-16 units)',
			parameters: generate(EMOJI.repeat(513)),
			message: 'Prompt: is 513 characters long; StepFun accepts at most 512 (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: SHORTEN(1),
		},
		{
			name: 'prompt of 300 Chinese characters and 300 emoji from an expression',
			parameters: generate('={{ $json.caption }}'),
			items: [{ json: { caption: CHINESE.repeat(300) + EMOJI.repeat(300) } }],
			message: 'Prompt: is 600 characters long; StepFun accepts at most 512 (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: SHORTEN(88),
		},
		{
			name: 'prompt expression giving a number ={{ 123 }}',
			parameters: generate('={{ 123 }}'),
			message: 'Prompt: expected text, got 123 (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: TEXT_HINT('Prompt'),
		},
		{
			name: 'prompt expression giving an object ={{ $json.obj }}',
			parameters: generate('={{ $json.obj }}'),
			items: [{ json: { obj: { text: 'A fox' } } }],
			message: 'Prompt: expected text, got an object (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: TEXT_HINT('Prompt'),
		},
		{
			name: 'prompt expression giving a list',
			parameters: generate('={{ $json.tags }}'),
			items: [{ json: { tags: ['fox', 'snow'] } }],
			message: 'Prompt: expected text, got a list (item 0)',
			field: 'Prompt',
			itemIndex: 0,
			hint: TEXT_HINT('Prompt'),
		},
		{
			name: 'prompt expression referring to a node that does not exist',
			parameters: generate('={{ $("Form Trigger").item.json.caption }}'),
			message: 'Parameter "prompt": its expression failed: Referenced node doesn\'t exist (item 0)',
			field: 'Parameter "prompt"',
			itemIndex: 0,
			hint: /Fix the expression of "prompt"; open it to see what it gives for item 0/,
		},
		{
			name: 'seed option expression referring to a node that does not exist',
			parameters: generate('A fox', { seed: '={{ $("Nowhere").item.json.seed }}' }),
			message: 'Parameter "options.seed": its expression failed: Referenced node doesn\'t exist (item 0)',
			field: 'Parameter "options.seed"',
			itemIndex: 0,
			hint: /Fix the expression of "options\.seed"; open it to see what it gives for item 0/,
		},
		// --- Negative prompt ----------------------------------------------------------------
		{
			name: 'negative prompt of 513 Chinese characters',
			parameters: generate('A fox', { negativePrompt: CHINESE.repeat(513) }),
			message: 'Negative Prompt: is 513 characters long; StepFun accepts at most 512 (item 0)',
			field: 'Negative Prompt',
			itemIndex: 0,
			hint: SHORTEN(1),
		},
		{
			name: 'negative prompt expression giving an object',
			parameters: generate('A fox', { negativePrompt: '={{ $json.obj }}' }),
			items: [{ json: { obj: { a: 1 } } }],
			message: 'Negative Prompt: expected text, got an object (item 0)',
			field: 'Negative Prompt',
			itemIndex: 0,
			hint: TEXT_HINT('Negative Prompt'),
		},
		// --- Seed, Steps, CFG Scale -----------------------------------------------------------
		...(
			[
				['seed -1', { seed: -1 }, 'Seed', 'Seed: must be a whole number from 0 to 2147483647, got -1 (item 0)', SEED_HINT],
				['seed 2147483648', { seed: 2147483648 }, 'Seed', 'Seed: must be a whole number from 0 to 2147483647, got 2147483648 (item 0)', SEED_HINT],
				['seed 1.5', { seed: 1.5 }, 'Seed', 'Seed: must be a whole number from 0 to 2147483647, got 1.5 (item 0)', SEED_HINT],
				['seed expression giving "abc"', { seed: '={{ "abc" }}' }, 'Seed', 'Seed: must be a whole number from 0 to 2147483647, got "abc" (item 0)', SEED_HINT],
				['steps 0', { steps: 0 }, 'Steps', 'Steps: must be a whole number from 1 to 50, got 0 (item 0)', STEPS_HINT],
				['steps 51', { steps: 51 }, 'Steps', 'Steps: must be a whole number from 1 to 50, got 51 (item 0)', STEPS_HINT],
				['steps 7.5', { steps: 7.5 }, 'Steps', 'Steps: must be a whole number from 1 to 50, got 7.5 (item 0)', STEPS_HINT],
				['steps expression giving true', { steps: '={{ true }}' }, 'Steps', 'Steps: must be a whole number from 1 to 50, got true (item 0)', STEPS_HINT],
				['CFG 0.99', { cfgScale: 0.99 }, 'CFG Scale', 'CFG Scale: must be a number from 1.0 to 10.0, got 0.99 (item 0)', CFG_HINT],
				['CFG 10.01', { cfgScale: 10.01 }, 'CFG Scale', 'CFG Scale: must be a number from 1.0 to 10.0, got 10.01 (item 0)', CFG_HINT],
				['CFG expression giving "high"', { cfgScale: '={{ "high" }}' }, 'CFG Scale', 'CFG Scale: must be a number from 1.0 to 10.0, got "high" (item 0)', CFG_HINT],
				['text mode expression giving "yes"', { textMode: '={{ "yes" }}' }, 'Text Mode', 'Text Mode: expected true or false, got "yes" (item 0)', /make its expression produce a boolean/],
				['response format expression giving "png"', { responseFormat: '={{ "png" }}' }, 'Response Format', 'Response Format: must be b64_json or url, got "png" (item 0)', /Pick "Base64 \(in the Response\)" or "URL \(Downloaded by the Node\)"; an expression must give b64_json or url/],
				['11 images per item', { numberOfImages: 11 }, 'Number of Images', 'Number of Images: must be a whole number from 1 to 10, got 11 (item 0)', /Use a whole number from 1 to 10/],
				['seed 2147483647 with 2 images', { seed: 2147483647, numberOfImages: 2 }, 'Seed', 'Seed: 2147483647 + 1 more images goes past 2147483647 (item 0)', /Use a seed of at most 2147483646: each further image uses the next seed/],
				['timeout 0 seconds', { timeout: 0 }, 'Timeout (Seconds)', 'Timeout (Seconds): must be a whole number from 1 to 3600, got 0 (item 0)', /120 suits image generation/],
				['11 retries', { maxRetries: 11 }, 'Max Retries', 'Max Retries: must be a whole number from 0 to 10, got 11 (item 0)', /Use a whole number from 0 to 10/],
				['concurrency 9', { concurrency: 9 }, 'Concurrency', 'Concurrency: must be a whole number from 1 to 5, got 9 (item 0)', /Use a whole number from 1 to 5/],
				['empty file name', { fileName: '' }, 'File Name', 'File Name: is empty (item 0)', /Enter a file name such as stepfun-\{seed\}\.\{ext\}/],
				['empty output field', { outputBinaryField: ' ' }, 'Put Output in Field', 'Put Output in Field: is empty (item 0)', /Enter the name of a binary field, e\.g\. data/],
				['On Content Filtered expression giving "ignore"', { onContentFiltered: '={{ "ignore" }}' }, 'On Content Filtered', 'On Content Filtered: unknown choice "ignore" (item 0)', /Pick Error, Output Item Without Image or Skip/],
			] as const
		).map(
			([name, options, field, message, hint]): ValidationCase => ({
				name,
				parameters: generate('A fox in snow', options as IDataObject),
				message,
				field,
				itemIndex: 0,
				hint,
			}),
		),
		// --- Size ---------------------------------------------------------------------------
		{
			name: 'size 512x512 from an expression',
			parameters: generate('A fox', {}, { size: '={{ "512x512" }}' }),
			message: 'Size: "512x512" is not a size StepFun offers (item 0)',
			field: 'Size',
			itemIndex: 0,
			hint: SIZE_HINT,
		},
		{
			name: 'size written width x height (1360x1024) from an item',
			parameters: generate('A fox', {}, { size: '={{ $json.size }}' }),
			items: [{ json: { size: '1360x1024' } }],
			message: 'Size: "1360x1024" is not a size StepFun offers (item 0)',
			field: 'Size',
			itemIndex: 0,
			hint: SIZE_HINT,
		},
		{
			name: 'size expression giving a number',
			parameters: generate('A fox', {}, { size: '={{ 1024 }}' }),
			message: 'Size: 1024 is not a size StepFun offers (item 0)',
			field: 'Size',
			itemIndex: 0,
			hint: SIZE_HINT,
		},
		// --- Model --------------------------------------------------------------------------
		{
			name: 'model from an expression that gives ""',
			parameters: generate('A fox', {}, { model: rl('={{ $json.model }}') }),
			items: [{ json: { model: '' } }],
			message: 'Model: is empty (item 0)',
			field: 'Model',
			itemIndex: 0,
			hint: MODEL_HINT,
		},
		{
			name: 'model of only spaces',
			parameters: generate('A fox', {}, { model: rl('   ') }),
			message: 'Model: is empty (item 0)',
			field: 'Model',
			itemIndex: 0,
			hint: MODEL_HINT,
		},
		{
			name: 'model expression giving a number',
			parameters: generate('A fox', {}, { model: rl('={{ 42 }}') }),
			message: 'Model: expected a model ID, got 42 (item 0)',
			field: 'Model',
			itemIndex: 0,
			hint: MODEL_HINT,
		},
		// --- Credential Base URL (checked once for the whole run) ---------------------------
		{
			name: 'custom Base URL that is not a URL',
			parameters: generate('A fox'),
			credentials: { baseUrl: 'not a url' },
			message: 'The Base URL "not a url" is not a URL (credential field "Base URL")',
			field: 'The Base URL',
			itemIndex: null,
			hint: BASE_URL_HINT,
		},
		{
			name: 'custom Base URL without a scheme',
			parameters: generate('A fox'),
			credentials: { baseUrl: 'api.stepfun.ai/v1' },
			message: 'The Base URL "api.stepfun.ai/v1" is not a URL (credential field "Base URL")',
			field: 'The Base URL',
			itemIndex: null,
			hint: BASE_URL_HINT,
		},
		{
			name: 'custom Base URL with ftp://',
			parameters: generate('A fox'),
			credentials: { baseUrl: 'ftp://api.stepfun.ai/v1' },
			message: 'The Base URL must start with http:// or https://, not ftp:// (credential field "Base URL")',
			field: 'The Base URL',
			itemIndex: null,
			hint: BASE_URL_HINT,
		},
		{
			name: 'custom Base URL left empty',
			parameters: generate('A fox'),
			credentials: { baseUrl: '' },
			message: 'The Base URL is empty (credential field "Base URL")',
			field: 'The Base URL',
			itemIndex: null,
			hint: BASE_URL_HINT,
		},
		// --- Edit: binary input ---------------------------------------------------------------
		{
			name: 'edit with no binary data on the item',
			parameters: edit('Add a hat'),
			items: [{ json: { name: 'form without file' } }],
			message: 'Input Binary Field: the item has no binary field "data" (item 0)',
			field: 'Input Binary Field',
			itemIndex: 0,
			hint: /This item has no binary data at all\. Put a node that outputs a file/,
		},
		{
			name: 'edit reading a binary field the item does not have',
			parameters: edit('Add a hat'),
			items: file(PNG, 'me.png', 'image/png', 'photo'),
			message: 'Input Binary Field: the item has no binary field "data" (item 0)',
			field: 'Input Binary Field',
			itemIndex: 0,
			hint: /This item's binary fields are: photo\. Enter one of them/,
		},
		{
			name: 'edit with Input Binary Field from an expression that gives ""',
			parameters: edit('Add a hat', {}, { binaryPropertyName: '={{ $json.field }}' }),
			items: [{ json: { field: '' }, binary: { data: { bytes: PNG, fileName: 'me.png', mimeType: 'image/png' } } }],
			message: 'Input Binary Field: is empty (item 0)',
			field: 'Input Binary Field',
			itemIndex: 0,
			hint: /Enter the name of the binary field that holds the image/,
		},
		{
			name: 'edit of a PDF',
			parameters: edit('Add a hat'),
			items: photo(PDF, 'invoice.pdf', 'application/pdf'),
			message: 'Input Binary Field "data": "invoice.pdf" is a PDF document, not an image (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of a text file',
			parameters: edit('Add a hat'),
			items: photo(Buffer.from('name,email\nAda,ada@example.com\n'), 'contacts.csv', 'text/csv'),
			message: 'Input Binary Field "data": "contacts.csv" is text, not an image (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of an HTML page saved as .png',
			parameters: edit('Add a hat'),
			items: photo(HTML, 'photo.png', 'image/png'),
			message: 'Input Binary Field "data": "photo.png" is an HTML page, not an image (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of unknown binary bytes',
			parameters: edit('Add a hat'),
			items: photo(Buffer.from([0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x10, 0x80]), 'blob', 'application/octet-stream'),
			message: 'Input Binary Field "data": "blob" is not an image the node can read: its contents match no image format, whatever its name says (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of a zero-byte file',
			parameters: edit('Add a hat'),
			items: photo(Buffer.alloc(0), 'upload.png', 'image/png'),
			message: 'Input Binary Field "data": "upload.png" is empty (0 bytes) (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of a truncated PNG',
			parameters: edit('Add a hat'),
			items: photo(PNG.subarray(0, PNG.length - 30), 'cut.png', 'image/png'),
			message: 'Input Binary Field "data": "cut.png" is a damaged or incomplete PNG (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of a PNG signature followed by garbage',
			parameters: edit('Add a hat'),
			items: photo(Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(64, 0x41)]), 'broken.png', 'image/png'),
			message: 'Input Binary Field "data": "broken.png" is a damaged or incomplete PNG (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of a JPEG cut before its end marker',
			parameters: edit('Add a hat'),
			items: photo(makeJpeg(640, 480).subarray(0, -2), 'camera.jpg', 'image/jpeg'),
			message: 'Input Binary Field "data": "camera.jpg" is a damaged or incomplete JPEG (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: IMAGE_HINT,
		},
		{
			name: 'edit of a PNG 4097 pixels wide',
			parameters: edit('Add a hat'),
			items: photo(HUGE_PNG, 'wide.png', 'image/png'),
			message: 'Input Binary Field "data": the image is 4097×8 pixels; StepFun accepts at most 4096×4096 (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: RESIZE_HINT,
		},
		{
			name: 'edit of a WebP 4097 pixels high',
			parameters: edit('Add a hat'),
			items: photo(makeWebp(16, 4097), 'tall.webp', 'image/webp'),
			message: 'Input Binary Field "data": the image is 16×4097 pixels; StepFun accepts at most 4096×4096 (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: RESIZE_HINT,
		},
		{
			name: 'edit of a 6000×4000 camera JPEG',
			parameters: edit('Add a hat'),
			items: photo(makeJpeg(6000, 4000), 'DSC0001.JPG', 'image/jpeg'),
			message: 'Input Binary Field "data": the image is 6000×4000 pixels; StepFun accepts at most 4096×4096 (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: RESIZE_HINT,
		},
		{
			name: 'edit of a GIF',
			parameters: edit('Add a hat'),
			// A real one-frame GIF (a header without a picture is refused as incomplete).
			items: photo(readFixture('gif-static.gif'), 'anim.gif', 'image/gif'),
			message: 'Input Binary Field "data": "anim.gif" is a GIF image (item 0)',
			field: 'Input Binary Field "data"',
			itemIndex: 0,
			hint: /StepFun edits PNG, JPEG and WebP images\. Convert it first/,
		},
		// --- Edit: Image URL ------------------------------------------------------------------
		imageUrlCase('Image URL that is not a link', 'my holiday photo', '"my holiday photo" is not an http(s) URL', /Enter a link starting with https:\/\/ that points straight at the image file/),
		imageUrlCase('Image URL with ftp://', 'ftp://files.example.com/a.png', '"ftp://files.example.com/a.png" is not an http(s) URL', /Enter a link starting with https:\/\//),
		imageUrlCase('Image URL from an expression that gives ""', '={{ $json.link }}', 'is empty', /Enter a link starting with https:\/\//, [{ json: { link: '' } }]),
		imageUrlCase('Image URL holding a data URL', '={{ $json.picture }}', '"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAA…" is not an http(s) URL', /This is a data URL: set Image Source to "Base64 or Data URL"/, [{ json: { picture: `data:image/png;base64,${PNG.toString('base64')}` } }]),
		imageUrlCase('Image URL of a web page instead of the image', `${env.inputHost}${INPUT_HOST_PATHS.html}`, `"photo" from ${new URL(env.inputHost).host} is an HTML page, not an image`, URL_IMAGE_HINT),
		imageUrlCase('Image URL of a PDF', `${env.inputHost}${INPUT_HOST_PATHS.pdf}`, `"scan.pdf" from ${new URL(env.inputHost).host} is a PDF document, not an image`, URL_IMAGE_HINT),
		imageUrlCase('Image URL of an image 4097 pixels wide', `${env.inputHost}${INPUT_HOST_PATHS.huge}`, 'the image is 4097×8 pixels; StepFun accepts at most 4096×4096', RESIZE_HINT),
		// --- Edit: Image Data (base64) ----------------------------------------------------------
		imageDataCase('Image Data from an expression that gives ""', '={{ $json.picture }}', 'is empty', /Map a field that holds base64 image data or a data URL/, [{ json: { picture: '' } }]),
		imageDataCase('Image Data expression giving a number', '={{ 5 }}', 'expected text, got 5', /Map a field that holds base64 image data or a data URL/),
		imageDataCase('Image Data that is not base64', 'https://example.com/photo.png', 'is not base64 or a data URL', /Provide the image as base64 text or as data:image\/png;base64/),
		imageDataCase('Image Data holding base64 text', Buffer.from('hello, world').toString('base64'), 'the file is text, not an image', DATA_IMAGE_HINT),
		imageDataCase('Image Data holding a PDF data URL', `data:application/pdf;base64,${PDF.toString('base64')}`, 'the file is a PDF document, not an image', DATA_IMAGE_HINT),
		imageDataCase('Image Data holding a truncated PNG', PNG.subarray(0, 100).toString('base64'), 'the file is a damaged or incomplete PNG', DATA_IMAGE_HINT),
	];
}

/**
 * Values n8n itself refuses before the node runs: a required parameter left empty (not through
 * an expression) makes the workflow "have issues", and n8n does not start it at all.
 */
export const ENGINE_REJECTED: Array<{ name: string; parameters: INodeParameters; message: string }> = [
	{
		name: 'empty prompt',
		parameters: generate(''),
		message: 'The \'StepFun Image\' node has issues:\n- Parameter "Prompt" is required.',
	},
	{
		name: 'empty model ID',
		parameters: generate('A fox', {}, { model: rl('') }),
		message: 'The \'StepFun Image\' node has issues:\n- Parameter "Model" is required.',
	},
	{
		name: 'empty Image URL',
		parameters: edit('Add a hat', {}, { imageSource: 'url', imageUrl: '' }),
		message: 'The \'StepFun Image\' node has issues:\n- Parameter "Image URL" is required.',
	},
	{
		name: 'empty Image Data',
		parameters: edit('Add a hat', {}, { imageSource: 'base64', imageBase64: '' }),
		message: 'The \'StepFun Image\' node has issues:\n- Parameter "Image Data" is required.',
	},
	{
		name: 'empty Input Binary Field',
		parameters: edit('Add a hat', {}, { binaryPropertyName: '' }),
		message: 'The \'StepFun Image\' node has issues:\n- Parameter "Input Binary Field" is required.',
	},
];
