/**
 * No dead fields: every field the node shows is read and changes what goes over the wire or
 * what comes out. The table below must name every field of the description; each row runs the
 * node with the field set and checks the effect a user would notice.
 */
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { OPERATION_LIST } from '../nodes/StepFunImage/actions/operations';
import { StepFunImage } from '../nodes/StepFunImage/StepFunImage.node';
import type { StepFunRun, StepFunRunOptions } from './helpers/stepfun';
import { analyze, answerInTurn, edit, generate, getBalance, useStandIn } from './helpers/stepfun';
import { useVirtualClock } from './helpers/virtual-clock';
import { makePng } from './stand-in/server.mjs';
import type { StandIn } from './stand-in/server.mjs';

const stepfun = useStandIn();
const photo = makePng(48, 32, 'fields');
const withPhoto: StepFunRunOptions = {
	items: [{ json: { who: 'ann' }, binary: { data: { bytes: photo, fileName: 'p.png', mimeType: 'image/png' } } }],
};

interface Row {
	/** The node run with the field set. */
	run: () => Promise<StepFunRun>;
	/** What the user notices. */
	check: (result: StepFunRun) => void;
	/** Optional scripting of the stand-in before the run. */
	arrange?: (standIn: StandIn) => void;
}

const wire = (result: StepFunRun) => result.standIn.requests[0].json ?? result.standIn.requests[0].fields;

const rows: Record<string, Row> = {
	resource: { run: () => stepfun.run(generate('x', {}, { resource: 'image' })), check: (r) => expect(r.items).toHaveLength(1) },
	operation: { run: () => stepfun.run(edit('x'), withPhoto), check: (r) => expect(r.standIn.requests[0].path).toBe('/v1/images/edits') },
	model: {
		run: () => stepfun.run(generate('x', {}, { model: { __rl: true, mode: 'id', value: 'step-image-edit-3' } })),
		check: (r) => expect(wire(r).model).toBe('step-image-edit-3'),
	},
	prompt: { run: () => stepfun.run(generate('A heron')), check: (r) => expect(wire(r).prompt).toBe('A heron') },
	size: { run: () => stepfun.run(generate('x', {}, { size: '1360x768' })), check: (r) => expect(wire(r).size).toBe('1360x768') },
	imageSource: {
		run: () => stepfun.run(edit('x', {}, { imageSource: 'base64', imageBase64: photo.toString('base64') })),
		check: (r) => expect(r.standIn.requests[0].image?.bytes.equals(photo)).toBe(true),
	},
	imageUrl: {
		// The stand-in's image host serves what it generated; any reachable image URL works.
		run: async () => {
			const first = await stepfun.run(generate('source', { responseFormat: 'url' }));
			return await stepfun.run(edit('x', {}, { imageSource: 'url', imageUrl: String(first.items[0].json.url) }));
		},
		check: (r) => {
			expect(r.standIn.requests.map((request) => request.path)).toEqual(['/v1/images/generations', '/v1/images/edits']);
			expect(r.standIn.requests[1].image?.fileName).toMatch(/\.png$/);
		},
	},
	imageBase64: {
		run: () => stepfun.run(edit('x', {}, { imageSource: 'base64', imageBase64: `data:image/png;base64,${photo.toString('base64')}` })),
		check: (r) => expect(r.standIn.requests[0].image?.mimeType).toBe('image/png'),
	},
	binaryPropertyName: {
		run: () => stepfun.run(edit('x', {}, { binaryPropertyName: 'upload' }), { items: [{ binary: { upload: { bytes: photo, fileName: 'u.png', mimeType: 'image/png' } } }] }),
		check: (r) => expect(r.standIn.requests[0].image?.fileName).toBe('u.png'),
	},
	imageUrls: {
		run: async () => {
			const first = await stepfun.run(generate('source', { responseFormat: 'url' }));
			return await stepfun.run(analyze('x', {}, { imageSource: 'url', imageUrls: String(first.items[0].json.url) }));
		},
		check: (r) => expect(r.standIn.requests[1].chatImages?.[0]).toMatchObject({ source: 'data', type: 'png' }),
	},
	imageUrlMode: {
		run: () => stepfun.run(analyze('x', {}, { imageSource: 'url', imageUrls: 'https://photos.example/a.png', imageUrlMode: 'link' })),
		// StepFun (the stand-in) tries the link itself; the node never downloads it.
		check: (r) => {
			expect(r.standIn.requests[0].json.messages[0].content[1].image_url.url).toBe('https://photos.example/a.png');
			expect(r.standIn.requests[0].status).toBe(400);
		},
	},
	'options.detail': { run: () => stepfun.run(analyze('x', { detail: 'high' }), withPhoto), check: (r) => expect(r.standIn.requests[0].json.messages[0].content[1].image_url.detail).toBe('high') },
	'options.includeReasoning': { run: () => stepfun.run(analyze('x', { includeReasoning: true }), withPhoto), check: (r) => expect(typeof r.items[0].json.reasoning).toBe('string') },
	'options.jsonOutput': { run: () => stepfun.run(analyze('x', { jsonOutput: true }), withPhoto), check: (r) => expect(wire(r).response_format).toEqual({ type: 'json_object' }) },
	'options.maxTokens': { run: () => stepfun.run(analyze('x', { maxTokens: 777 }), withPhoto), check: (r) => expect(wire(r).max_tokens).toBe(777) },
	'options.reasoningEffort': { run: () => stepfun.run(analyze('x', { reasoningEffort: 'high' }), withPhoto), check: (r) => expect(wire(r).reasoning_effort).toBe('high') },
	'options.systemMessage': { run: () => stepfun.run(analyze('x', { systemMessage: 'Be brief.' }), withPhoto), check: (r) => expect(wire(r).messages[0]).toEqual({ role: 'system', content: 'Be brief.' }) },
	'options.temperature': { run: () => stepfun.run(analyze('x', { temperature: 0 }), withPhoto), check: (r) => expect(wire(r).temperature).toBe(0) },
	'options.topP': { run: () => stepfun.run(analyze('x', { topP: 0.25 }), withPhoto), check: (r) => expect(wire(r).top_p).toBe(0.25) },
	'options.cfgScale': { run: () => stepfun.run(generate('x', { cfgScale: 3 })), check: (r) => expect(wire(r).cfg_scale).toBe(3) },
	'options.concurrency': {
		// Requests held at the stand-in, answered one at a time whenever two are held.
		run: async () => (await answerInTurn(stepfun.standIn, { path: '/v1/images/generations', count: 4, atOnce: 2 }, () => stepfun.run(generate('x', { concurrency: 2 }), { items: [{}, {}, {}, {}] }))).run,
		check: (r) => expect(r.standIn.maxInFlight).toBe(2),
	},
	'options.fileName': { run: () => stepfun.run(generate('x', { seed: 1, fileName: 'out-{seed}.{ext}' })), check: (r) => expect(r.items[0].binary?.data.fileName).toBe('out-1.png') },
	'options.includeInputFields': { run: () => stepfun.run(edit('x', { includeInputFields: true }), withPhoto), check: (r) => expect(r.items[0].json.who).toBe('ann') },
	'options.keepInputBinary': {
		run: () => stepfun.run(edit('x', { keepInputBinary: true, outputBinaryField: 'out' }), withPhoto),
		check: (r) => expect(r.items[0].binary?.data.bytes.equals(photo)).toBe(true),
	},
	'options.maxRetries': {
		arrange: (s) => s.fault('/v1/images/generations', { status: 503, headers: { 'retry-after': '0' } }, { status: 503, headers: { 'retry-after': '0' } }),
		run: () => stepfun.run(generate('x', { maxRetries: 1 })),
		check: (r) => {
			expect(r.standIn.requests).toHaveLength(2);
			expect(r.error?.message).toMatch(/^StepFun answered HTTP 503/);
		},
	},
	'options.negativePrompt': { run: () => stepfun.run(generate('x', { negativePrompt: 'fog' })), check: (r) => expect(wire(r).negative_prompt).toBe('fog') },
	'options.numberOfImages': { run: () => stepfun.run(generate('x', { numberOfImages: 2 })), check: (r) => expect(r.items).toHaveLength(2) },
	'options.onContentFiltered': {
		arrange: (s) => s.fault('/v1/images/generations', { transform: (json: IDataObject) => ({ ...json, data: [{ seed: 1, finish_reason: 'content_filtered' }] }) }),
		run: () => stepfun.run(generate('x', { onContentFiltered: 'skip' })),
		check: (r) => {
			expect(r.error).toBeUndefined();
			expect(r.items).toHaveLength(0);
		},
	},
	'options.outputBinaryField': { run: () => stepfun.run(generate('x', { outputBinaryField: 'picture' })), check: (r) => expect(Object.keys(r.items[0].binary ?? {})).toEqual(['picture']) },
	'options.requestsPerMinute': {
		// One request per minute (on the pace's virtual clock): the second item cannot start within its 1-second Timeout.
		arrange: () => useVirtualClock(),
		run: () => stepfun.run(generate('x', { requestsPerMinute: 1, timeout: 1 }), { items: [{}, {}] }),
		check: (r) => {
			expect(r.standIn.requests).toHaveLength(1);
			expect(r.error?.message).toBe("Timed out after 1 second waiting for StepFun's rate limit: raise the Timeout or Requests per Minute option");
		},
	},
	'options.responseFormat': { run: () => stepfun.run(generate('x', { responseFormat: 'url' })), check: (r) => expect(wire(r).response_format).toBe('url') },
	'options.retryAfterTimeout': {
		arrange: (s) => s.fault('/v1/images/generations', { reset: true }),
		run: () => stepfun.run(generate('x', { retryAfterTimeout: true })),
		check: (r) => {
			expect(r.error).toBeUndefined();
			expect(r.standIn.requests).toHaveLength(2);
		},
	},
	'options.seed': { run: () => stepfun.run(generate('x', { seed: 2147483647 })), check: (r) => expect(wire(r).seed).toBe(2147483647) },
	'options.steps': { run: () => stepfun.run(generate('x', { steps: 50 })), check: (r) => expect(wire(r).steps).toBe(50) },
	'options.textMode': { run: () => stepfun.run(edit('x', { textMode: true }), withPhoto), check: (r) => expect(wire(r).text_mode).toBe('true') },
	'options.timeout': {
		arrange: (s) => s.fault('/v1/images/generations', { hang: true }),
		run: () => stepfun.run(generate('x', { timeout: 1 })),
		check: (r) => expect(r.error?.message).toBe('StepFun did not answer within 1 second'),
	},
};

/** Every field name in the description, options as `options.<name>`; notices carry no value. */
function fieldNames(properties: INodeProperties[]): string[] {
	const names = new Set<string>();
	for (const property of properties) {
		if (property.type === 'notice') continue;
		if (property.type === 'collection') {
			for (const option of property.options as INodeProperties[]) names.add(`${property.name}.${option.name}`);
		} else {
			names.add(property.name);
		}
	}
	return [...names].sort();
}

describe('every field reaches the request or the output', () => {
	it('the table covers exactly the fields the node shows', () => {
		expect(Object.keys(rows).sort()).toEqual(fieldNames(new StepFunImage().description.properties));
	});

	it.each(Object.keys(rows))('%s', async (name) => {
		const row = rows[name];
		row.arrange?.(stepfun.standIn);
		row.check(await row.run());
	});
});

/** A valid value other than the default, from the option's own UI declaration. */
function sampleValue(property: INodeProperties): unknown {
	switch (property.type) {
		case 'number':
			return property.typeOptions?.maxValue;
		case 'boolean':
			return true;
		case 'options':
			return (property.options as Array<{ value: string }>).at(-1)?.value;
		default:
			return 'not the default';
	}
}

/** Options the engine puts in the request itself, by the API field they become. */
const SENT_AS: Record<string, string> = { seed: 'seed' };

describe('every declared option reaches where its declaration says', () => {
	it('each operation shows exactly the options it declares, in alphabetical order', () => {
		const shown = (operation: string) =>
			new StepFunImage().description.properties
				.filter((property) => property.name === 'options' && property.displayOptions?.show?.operation?.includes(operation))
				.flatMap((property) => (property.options as INodeProperties[]).map((option) => option.displayName));
		for (const operation of OPERATION_LIST) {
			expect(shown(operation.name)).toEqual(operation.options.map((option) => option.property.displayName).sort((a, b) => a.localeCompare(b)));
		}
	});

	const parametersFor = { generate, edit, analyze, getBalance: (_: string, options: IDataObject) => getBalance(options) };

	const bodyOptions = OPERATION_LIST.flatMap((operation) =>
		operation.options.flatMap((option) => {
			const field = SENT_AS[option.name] ?? option.apiField;
			return field === undefined ? [] : [[field, operation.name as keyof typeof parametersFor, option] as const];
		}),
	);

	it.each(bodyOptions)(
		'%s (%s)',
		async (field, operation, option) => {
			const value = sampleValue(option.property);
			const parameters = parametersFor[operation]('x', { [option.name]: value } as IDataObject);
			const result = await stepfun.run(parameters, operation === 'generate' ? {} : withPhoto);
			expect(result.error).toBeUndefined();
			// JSON keeps the type; a multipart form field is its text.
			expect(wire(result)[field]).toEqual(operation === 'edit' ? String(value) : value);
		},
	);
});
