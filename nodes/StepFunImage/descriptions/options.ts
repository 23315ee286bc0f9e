// The options operations share, each declared once: its UI, default and bounds (from limits.ts),
// its check, and where the value goes: an API field under StepFun's name (`apiField`), a setting
// the engine reads by its name (ItemSettings, RunSettings in engine/operation.ts), or what the
// operations that show it read. The sets below are those several operations show together.
import {
	CFG_SCALE,
	CONCURRENCY,
	DEFAULT_FILE_NAME,
	IMAGES_PER_ITEM,
	MAX_RETRIES,
	MAX_TOKENS,
	PROMPT_MAX_CHARACTERS,
	REQUESTS_PER_MINUTE,
	SEED,
	STEPS,
	TEMPERATURE,
	TIMEOUT_SECONDS,
	TOP_P,
} from '../shared/limits';
import { choice, flag, limitedText, name, numeric } from '../engine/parameters';

/** Every shared option, by its parameter name. */
export const OPTION = {
	cfgScale: numeric({
		name: 'cfgScale',
		displayName: 'CFG Scale',
		apiField: 'cfg_scale',
		whenAdded: true,
		range: CFG_SCALE,
		decimals: 1,
		description: `How closely the image follows the prompt, ${CFG_SCALE.min}.0 to ${CFG_SCALE.max}.0. StepFun's default is ${CFG_SCALE.default}.0.`,
		fix: `Use a value from ${CFG_SCALE.min}.0 to ${CFG_SCALE.max}.0; ${CFG_SCALE.default}.0 is StepFun's default.`,
	}),
	concurrency: numeric({
		name: 'concurrency',
		displayName: 'Concurrency',
		range: CONCURRENCY,
		description: `How many requests to StepFun run at the same time, across all items and images, and across every StepFun Image node and execution of this n8n process using the same credential (the lowest setting among those running applies). StepFun's lowest tier allows about ${CONCURRENCY.max} per account; the default leaves room for other uses of the key. When StepFun answers 429 because others use the account too, fewer run at once until it accepts more.`,
	}),
	detail: choice({
		name: 'detail',
		displayName: 'Detail',
		whenAdded: true,
		default: 'low',
		description: 'How closely StepFun looks at each image. Left out, StepFun uses Low.',
		choices: [
			{
				name: 'Low',
				value: 'low',
				description: 'The image scaled to a fixed size, about 400 tokens: fast and cheap',
			},
			{
				name: 'High',
				value: 'high',
				description: 'More detail: large images, small text (OCR), extreme aspect ratios',
			},
		],
		fix: 'Pick Low or High; an expression must give low or high.',
		listedInError: true,
	}),
	fileName: name({
		name: 'fileName',
		displayName: 'File Name',
		default: DEFAULT_FILE_NAME,
		expected: 'text',
		description:
			'Name of the output file. {seed}, {ext}, {item} (input item number) and {image} (image number within the item) are replaced; n8n expressions work too.',
		fix: `Enter a file name such as ${DEFAULT_FILE_NAME}.`,
	}),
	includeInputFields: flag({
		name: 'includeInputFields',
		displayName: 'Include Input Fields',
		description:
			"Whether to copy the input item's JSON fields into each output item (e.g. a form's email field for a later Slack or Gmail node). The node's own fields win on a name clash.",
	}),
	includeReasoning: flag({
		name: 'includeReasoning',
		displayName: 'Include Reasoning',
		description:
			"Whether to output the model's reasoning (reasoning models such as step-3.7-flash) in a field reasoning",
	}),
	jsonOutput: flag({
		name: 'jsonOutput',
		displayName: 'JSON Output',
		description:
			'Whether to ask for a JSON object (response_format json_object) and output it parsed, in a field parsed. Say in the prompt which fields you want.',
	}),
	keepInputBinary: flag({
		name: 'keepInputBinary',
		displayName: 'Keep Input Binary',
		description:
			"Whether to carry the input item's binary files along (e.g. the original photo for a before/after message). The output image wins on a name clash.",
	}),
	maxRetries: numeric({
		name: 'maxRetries',
		displayName: 'Max Retries',
		range: MAX_RETRIES,
		description:
			'How often to resend a request StepFun refused without making anything: 503 (unavailable), or a connection that failed before the request was sent. Waits grow between tries. A 429 (rate limit) is not counted: the request waits for the account, up to its Timeout.',
	}),
	maxTokens: numeric({
		name: 'maxTokens',
		displayName: 'Max Tokens',
		apiField: 'max_tokens',
		whenAdded: true,
		range: MAX_TOKENS,
		description:
			"The most tokens StepFun may write, reasoning included. Left out, there is no limit within the model's context.",
	}),
	negativePrompt: limitedText(
		{
			name: 'negativePrompt',
			displayName: 'Negative Prompt',
			apiField: 'negative_prompt',
			whenAdded: true,
			rows: 2,
			maxCharacters: PROMPT_MAX_CHARACTERS,
			description: `What the image should not show, at most ${PROMPT_MAX_CHARACTERS} characters`,
		},
		{
			hint: "Needs CFG Scale above 1.0: at StepFun's default of 1.0 the negative prompt is ignored.",
		},
	),
	numberOfImages: numeric({
		name: 'numberOfImages',
		displayName: 'Number of Images',
		range: IMAGES_PER_ITEM,
		description: `How many images to make per input item, 1 to ${IMAGES_PER_ITEM.max}. StepFun makes one per request, so each is a separate (billed) request. With a Seed, the images use seed, seed+1, …`,
	}),
	onContentFiltered: choice({
		name: 'onContentFiltered',
		displayName: 'On Content Filtered',
		default: 'error',
		description:
			'What to do when StepFun stops a generation at content moderation (finish reason content_filtered)',
		choices: [
			{
				name: 'Error',
				value: 'error',
				description: 'Fail the item (or output an error item with Continue On Fail)',
			},
			{
				name: 'Output Item Without Image',
				value: 'outputItem',
				description:
					'Output the metadata with finishReason content_filtered (and the image only if StepFun sent one)',
			},
			{ name: 'Skip', value: 'skip', description: 'Output nothing for that image' },
		],
		fix: 'Pick Error, Output Item Without Image or Skip.',
	}),
	outputBinaryField: name({
		name: 'outputBinaryField',
		displayName: 'Put Output in Field',
		default: 'data',
		expected: 'a field name',
		description: 'The binary field the image is written to',
		fix: 'Enter the name of a binary field, e.g. data.',
	}),
	reasoningEffort: choice({
		name: 'reasoningEffort',
		displayName: 'Reasoning Effort',
		apiField: 'reasoning_effort',
		whenAdded: true,
		default: 'medium',
		description: 'How much a reasoning model (step-3.7-flash) thinks before it answers',
		choices: [
			{ name: 'Low', value: 'low', description: 'Quicker, fewer tokens' },
			{ name: 'Medium', value: 'medium', description: 'Balanced' },
			{ name: 'High', value: 'high', description: 'More thorough, more tokens' },
		],
		fix: 'Pick Low, Medium or High; an expression must give low, medium or high.',
		listedInError: true,
	}),
	requestsPerMinute: numeric({
		name: 'requestsPerMinute',
		displayName: 'Requests per Minute',
		range: REQUESTS_PER_MINUTE,
		description: `At most this many requests to StepFun start in any minute, counted over every StepFun Image node and execution of this n8n process using the same credential (the lowest setting among those running applies). Requests within it start at once, up to Concurrency. StepFun's lowest tier allows ${REQUESTS_PER_MINUTE.default} per account (in China 10); when the account allows fewer, or others use it, StepFun's 429s teach the node the real figure and requests wait for it. Your tier's figure saves those first 429s.`,
		fix: `Use a whole number from ${REQUESTS_PER_MINUTE.min} to ${REQUESTS_PER_MINUTE.max}; your StepFun tier's limit at most.`,
	}),
	responseFormat: choice({
		name: 'responseFormat',
		displayName: 'Response Format',
		// The node's default differs from StepFun's (url), so it is always sent.
		apiField: 'response_format',
		default: 'b64_json',
		// An AI Agent's chat cannot show a tool's file, only a link: so a tool run asks for one.
		toolRunDefault: 'url',
		description:
			'How StepFun hands over the image. Either way the node outputs the image file. Left out, an AI Agent tool run uses URL, so the chat can show the image by its link.',
		choices: [
			{
				name: 'Base64 (in the Response)',
				value: 'b64_json',
				description: 'The image comes inside the API answer',
			},
			{
				name: 'URL (Downloaded by the Node)',
				value: 'url',
				description:
					'StepFun returns a link which the node downloads at once; the link and until when it works are also output',
			},
		],
		fix: 'Pick "Base64 (in the Response)" or "URL (Downloaded by the Node)"; an expression must give b64_json or url.',
		listedInError: true,
	}),
	retryAfterTimeout: flag({
		name: 'retryAfterTimeout',
		displayName: 'Retry Possibly Billed Requests',
		description:
			'Whether to resend (up to Max Retries) a request StepFun may already have made and billed: it timed out, its connection broke after it was sent, or StepFun or a gateway answered 500, 502 or 504. A resend can charge twice.',
	}),
	seed: numeric({
		name: 'seed',
		displayName: 'Seed',
		whenAdded: true,
		range: SEED,
		description: `Same seed, same prompt: a similar image. ${SEED.min} to ${SEED.max}. Leave this option out for a random seed.`,
		fix: `Use a whole number from ${SEED.min} to ${SEED.max}, or remove the Seed option for a random seed.`,
	}),
	steps: numeric({
		name: 'steps',
		displayName: 'Steps',
		apiField: 'steps',
		whenAdded: true,
		range: STEPS,
		description: `Generation steps, ${STEPS.min} to ${STEPS.max}. More can add detail and takes longer. StepFun's default is ${STEPS.default}.`,
		fix: `Use a whole number from ${STEPS.min} to ${STEPS.max}; ${STEPS.default} is StepFun's default.`,
	}),
	systemMessage: limitedText({
		name: 'systemMessage',
		displayName: 'System Message',
		rows: 2,
		description:
			'Instructions that frame every answer, e.g. "You describe product photos for an online shop in one sentence."',
	}),
	temperature: numeric({
		name: 'temperature',
		displayName: 'Temperature',
		apiField: 'temperature',
		whenAdded: true,
		range: TEMPERATURE,
		decimals: 1,
		description: `Randomness of the answer, ${TEMPERATURE.min.toFixed(1)} (focused) to ${TEMPERATURE.max.toFixed(1)} (varied). StepFun's default is ${TEMPERATURE.default}.`,
		fix: `Use a value from ${TEMPERATURE.min.toFixed(1)} to ${TEMPERATURE.max.toFixed(1)}.`,
	}),
	textMode: flag({
		name: 'textMode',
		displayName: 'Text Mode',
		apiField: 'text_mode',
		whenAdded: true,
		description: 'Whether to optimise for rendering text in the image (signs, posters, labels)',
	}),
	timeout: numeric({
		name: 'timeout',
		displayName: 'Timeout (Seconds)',
		range: TIMEOUT_SECONDS,
		scale: 1000,
		description:
			"How long to wait for StepFun to answer one request, and the longest a request waits for StepFun's rate limit (429s included) before it fails",
		fix: `Use a whole number of seconds from ${TIMEOUT_SECONDS.min} to ${TIMEOUT_SECONDS.max}; ${TIMEOUT_SECONDS.default} suits image generation and analysis.`,
	}),
	topP: numeric({
		name: 'topP',
		displayName: 'Top P',
		apiField: 'top_p',
		whenAdded: true,
		range: TOP_P,
		decimals: 2,
		description: `Nucleus sampling: the share of likely tokens the model picks from, ${TOP_P.min} to ${TOP_P.max}. StepFun's default is ${TOP_P.default}.`,
		fix: `Use a value above 0, up to ${TOP_P.max.toFixed(2)}.`,
	}),
};

/** What every operation shows: how its requests are sent, and the input's fields kept. */
export const COMMON_OPTIONS = [OPTION.includeInputFields, OPTION.maxRetries, OPTION.timeout];

/** What operations StepFun bills show: their pace, resending what may be billed, input files. */
export const BILLED_REQUEST_OPTIONS = [
	OPTION.concurrency,
	OPTION.keepInputBinary,
	OPTION.requestsPerMinute,
	OPTION.retryAfterTimeout,
];

export const IMAGE_MAKING_OPTIONS = [
	OPTION.cfgScale,
	OPTION.fileName,
	OPTION.negativePrompt,
	OPTION.numberOfImages,
	OPTION.onContentFiltered,
	OPTION.outputBinaryField,
	OPTION.responseFormat,
	OPTION.seed,
	OPTION.steps,
	OPTION.textMode,
];
