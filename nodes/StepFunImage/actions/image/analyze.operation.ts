// Image → Analyze: images and a question to StepFun's vision chat, POST /chat/completions (JSON).
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { fromSource, imageDataProperty, imageSourceProperty } from '../../descriptions/imageInputs';
import type { ImageFields } from '../../engine/imageSources';
import { checkImageCount, sourcesIn } from '../../engine/imageSources';
import { BILLED_REQUEST_OPTIONS, COMMON_OPTIONS, OPTION } from '../../descriptions/options';
import { modelField, promptField, VISION_MODELS } from '../../descriptions/fields';
import { ANALYZE_MAX_IMAGES, ANALYZE_MAX_SIDE, ANALYZE_MAX_TOTAL_BYTES } from '../../shared/limits';
import { FieldCheck, readParameter } from '../../engine/parameters';
import type { PlainRequest } from '../../transport/types';
import type { Field, ImageAcceptance, InputImage } from '../../engine/operation';
import { defineOperation } from '../../engine/operation';

/** What StepFun's vision models read: JPEG, PNG, WebP and still GIF. */
const ANALYZE_ACCEPTS: ImageAcceptance = {
	types: ['jpeg', 'png', 'webp', 'gif'],
	maxSide: ANALYZE_MAX_SIDE,
	maxImages: ANALYZE_MAX_IMAGES,
	maxTotalBytes: ANALYZE_MAX_TOTAL_BYTES,
	formats: 'JPEG, PNG, WebP or still GIF',
	refusal: "StepFun's vision models read JPEG, PNG, WebP and still GIF images.",
};

const fields = [
	imageSourceProperty(
		[
			{
				name: 'Binary Fields',
				value: 'binary',
				description: 'Files from earlier nodes, named in Input Binary Fields',
			},
			{
				name: 'All Image Files of the Item',
				value: 'allFiles',
				description:
					'Every image file the item carries, e.g. all photos of a multi-file form upload',
			},
			{ name: 'URLs', value: 'url', description: 'Links to the images' },
		],
		'Where the images to analyze come from; one request takes up to 60 images',
	),
	{
		displayName: 'Input Binary Fields',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'One or more binary fields, separated by commas, e.g. photo_0, photo_1 (JPEG, PNG, WebP or still GIF)',
		description:
			'The binary fields of the incoming item that hold the images. In n8n 2.x combined binary mode, paths such as _files.photo; an expression may give a file or a list of files.',
		displayOptions: fromSource('binary'),
	},
	{
		displayName: 'Image URLs',
		name: 'imageUrls',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/photo.jpg',
		description:
			'One or more direct links to images, separated by commas or new lines; an expression may give a list',
		displayOptions: fromSource('url'),
	},
	{
		displayName: 'Send URLs As',
		name: 'imageUrlMode',
		type: 'options',
		default: 'download',
		options: [
			{
				name: 'Image Data (the Node Downloads Them)',
				value: 'download',
				description:
					'Works for any link n8n can reach (private, signed, in any region); a broken link or a wrong format fails before anything is billed',
			},
			{
				name: 'Links (StepFun Downloads Them)',
				value: 'link',
				description:
					"Less traffic through n8n, but each link must be public and reachable from StepFun's servers in mainland China",
			},
		],
		description: 'Who downloads the images',
		displayOptions: fromSource('url'),
	},
	imageDataProperty(
		'The image as base64 or as a data URL (data:image/png;base64,...); an expression may give a list for several images',
	),
	modelField(VISION_MODELS),
	promptField(
		'What is in this photo? Answer in one sentence.',
		'The question or instruction about the images',
	),
] satisfies Field[];

const IMAGE_FIELDS: ImageFields = {
	url: { parameter: 'imageUrls', label: 'Image URLs' },
	base64: { parameter: 'imageBase64', label: 'Image Data' },
	binary: { parameter: 'binaryPropertyName', label: 'Input Binary Fields' },
	several: true,
};

/** The item's images: sources to read before sending, or links StepFun downloads itself. */
function imagesOf(ctx: IExecuteFunctions, itemIndex: number) {
	const sources = sourcesIn(ctx, itemIndex, IMAGE_FIELDS);
	const urls = sources.flatMap((source) => (source.kind === 'url' ? source.url : []));
	if (urls.length === 0 || readParameter(ctx, 'imageUrlMode', itemIndex, 'download') !== 'link') {
		return { sources, links: [] };
	}
	// StepFun downloads these itself, so their number is checked here.
	const field = new FieldCheck(ctx, itemIndex, IMAGE_FIELDS.url.label);
	checkImageCount(field, urls.length, ANALYZE_ACCEPTS);
	return { sources: [], links: urls };
}

/** Text of a message field; some OpenAI-compatible answers give it as parts. */
function text(value: unknown): string {
	if (typeof value === 'string') return value;
	if (!Array.isArray(value)) return '';
	return value.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

const tokens = (value: unknown) => (typeof value === 'number' ? value : undefined);

export const analyze = defineOperation({
	name: 'analyze',
	resource: 'image',
	choice: {
		name: 'Analyze',
		action: 'Analyze an image',
		description: 'Ask a vision model about one or more images',
	},
	subtitle: 'Analyze Image',
	fields,
	options: [
		...COMMON_OPTIONS,
		...BILLED_REQUEST_OPTIONS,
		OPTION.detail,
		OPTION.includeReasoning,
		OPTION.jsonOutput,
		OPTION.maxTokens,
		OPTION.reasoningEffort,
		OPTION.systemMessage,
		OPTION.temperature,
		OPTION.topP,
	],
	models: VISION_MODELS,

	prepare: (ctx, itemIndex, { fields: { model, prompt }, options, apiFields }) => {
		const { sources, links } = imagesOf(ctx, itemIndex);
		const { systemMessage, detail, jsonOutput } = options;
		const system = systemMessage.trim() === '' ? [] : [{ role: 'system', content: systemMessage }];
		const imagePart = (url: string) => ({ type: 'image_url', image_url: { url, detail } });
		/** The request; the images go in the user's message, after the prompt, as data URLs. */
		const withImages = (images: InputImage[]): PlainRequest => {
			const dataUrls = images.map(
				({ mimeType, bytes }) => `data:${mimeType};base64,${bytes.toString('base64')}`,
			);
			const content = [{ type: 'text', text: prompt }, ...[...links, ...dataUrls].map(imagePart)];
			const fields: IDataObject = {
				model,
				messages: [...system, { role: 'user', content }],
				...apiFields,
			};
			if (jsonOutput) fields.response_format = { type: 'json_object' };
			return { method: 'POST', path: '/chat/completions', body: { format: 'json', fields } };
		};
		return {
			request: withImages([]),
			inputs:
				sources.length > 0 ? { sources, accept: ANALYZE_ACCEPTS, into: withImages } : undefined,
			facts: { model, prompt, imageCount: links.length + sources.length },
		};
	},

	output: {
		kind: 'json',
		read: ({ response: { body }, facts }, { options }, fail) => {
			const answer = (typeof body === 'object' && body !== null ? body : {}) as IDataObject;
			const choices = Array.isArray(answer.choices) ? answer.choices : [];
			const choice = (choices[0] ?? {}) as IDataObject;
			const message = choice.message as IDataObject | undefined;
			if (!message) {
				throw fail(
					'StepFun returned no answer',
					'The answer had no message in "choices". Run again; if it keeps happening, quote the trace ID to StepFun support.',
				);
			}
			const finishReason =
				typeof choice.finish_reason === 'string' ? choice.finish_reason : 'unknown';
			const reasoning = text(message.reasoning) || text(message.reasoning_content);
			const content = text(message.content);
			const cutOff = finishReason === 'length';
			// Some endpoints put the whole answer in the reasoning and leave content empty; a real
			// content always wins, and reasoning cut off at Max Tokens is no answer.
			const answerText = content.trim() !== '' || cutOff ? content : reasoning;
			const usage = (answer.usage ?? {}) as IDataObject;
			const json: IDataObject = {
				text: answerText,
				finishReason,
				model: typeof answer.model === 'string' ? answer.model : facts.model,
				usage: {
					promptTokens: tokens(usage.prompt_tokens),
					completionTokens: tokens(usage.completion_tokens),
					totalTokens: tokens(usage.total_tokens),
					cachedTokens: tokens(usage.cached_tokens),
				},
				id: answer.id,
				created: answer.created,
				imageCount: facts.imageCount,
				operation: 'analyze',
			};
			if (cutOff) {
				json.truncated = true;
				json.warning =
					'StepFun stopped at Max Tokens (finish reason length): the answer is cut off. Raise Max Tokens, or lower Reasoning Effort.';
			}
			if (options.jsonOutput) {
				let parsed: unknown;
				try {
					// Models sometimes wrap JSON in a Markdown code fence despite JSON mode.
					const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(answerText);
					parsed = JSON.parse(fenced ? fenced[1] : answerText);
				} catch {
					// Not JSON: refused below.
				}
				if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
					throw fail(
						"StepFun's answer is not a JSON object (JSON Output is on)",
						cutOff
							? 'The answer was cut off at Max Tokens before the JSON was complete. Raise Max Tokens.'
							: 'Say in the prompt which JSON object you want, e.g. "Answer as JSON with the fields caption and tags".',
					);
				}
				json.parsed = parsed as IDataObject;
			}
			if (options.includeReasoning && reasoning !== '') json.reasoning = reasoning;
			return json;
		},
	},
});
