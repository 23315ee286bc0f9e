/**
 * What an operation receives is typed from what it declares. The type checks below are proven by
 * the compiler when it checks the tests: each `@ts-expect-error` line must fail to compile (an
 * option the operation does not show, a value that may be left out), and each `expectTypeOf`
 * names the exact type a declared value arrives with. At run time, `prepare` gets exactly what
 * the operation declared, checked: nothing more, nothing it did not show.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';

import { OPERATION_LIST } from '../nodes/StepFunImage/actions/operations';
import { IMAGE_MODELS, modelField, promptField } from '../nodes/StepFunImage/descriptions/fields';
import { COMMON_OPTIONS, OPTION } from '../nodes/StepFunImage/descriptions/options';
import type { ItemValues, PreparedItem } from '../nodes/StepFunImage/engine/operation';
import { defineOperation } from '../nodes/StepFunImage/engine/operation';
import type { Parameter } from '../nodes/StepFunImage/engine/parameters';
import { choice, flag } from '../nodes/StepFunImage/engine/parameters';
import { useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();

const fields = [
	modelField(IMAGE_MODELS, 'The StepFun image model'),
	promptField('A red kite', 'What to draw.'),
	// A plain n8n property: shown, and the operation's own to read.
	{ displayName: 'Note', name: 'note', type: 'string', default: '' },
] as const;

const options = [
	...COMMON_OPTIONS,
	OPTION.concurrency,
	OPTION.seed,
	OPTION.detail,
	OPTION.cfgScale,
	OPTION.responseFormat,
];

/** What the probe's `prepare` received, item by item. */
const received: Array<ItemValues<typeof fields, typeof options>> = [];

const probe = defineOperation({
	name: 'probe',
	resource: 'image',
	choice: { name: 'Probe', action: 'Probe the contract', description: 'Records what it receives' },
	subtitle: 'Probe',
	fields,
	options,
	prepare: (_ctx, _itemIndex, values) => {
		const { fields: given, options: set } = values;
		expectTypeOf(given).toEqualTypeOf<{ model: string; prompt: string }>();
		// Declared options arrive with the type their check gives.
		expectTypeOf(set.timeout).toEqualTypeOf<number>();
		expectTypeOf(set.includeInputFields).toEqualTypeOf<boolean>();
		expectTypeOf(set.responseFormat).toEqualTypeOf<'b64_json' | 'url'>();
		// Those only there when the user added them may be undefined.
		expectTypeOf(set.seed).toEqualTypeOf<number | undefined>();
		expectTypeOf(set.detail).toEqualTypeOf<'low' | 'high' | undefined>();
		expectTypeOf(set.cfgScale).toEqualTypeOf<number | undefined>();
		// @ts-expect-error a Seed left out is undefined, not a number
		const seed: number = set.seed;
		void seed;
		// @ts-expect-error Steps is not among the probe's options
		void set.steps;
		// @ts-expect-error Concurrency holds for the whole run: the engine reads it, not an item
		void set.concurrency;
		// @ts-expect-error a plain property is not read for the operation
		void given.note;
		received.push(values);
		return {
			request: {
				method: 'POST',
				path: '/images/generations',
				body: { format: 'json', fields: { model: given.model, prompt: given.prompt } },
			},
			facts: {},
		};
	},
	output: { kind: 'images', verb: 'Probed' },
});

describe('the engine reads its own options with the types it uses', () => {
	/** An operation showing `options`, and nothing else that could fail to compile. */
	const showing = <const O extends readonly Parameter[]>(options: O) => ({
		name: 'clash',
		resource: 'image' as const,
		choice: { name: 'Clash', action: 'Clash', description: 'Clash' },
		subtitle: 'Clash',
		fields: [],
		options,
		prepare: (): PreparedItem => ({ request: { method: 'GET', path: '/accounts' }, facts: {} }),
		output: { kind: 'images' as const, verb: 'Clashed' },
	});

	it('refuses an operation whose option of an engine name gives another type', () => {
		const textTimeout = choice({
			name: 'timeout',
			displayName: 'Timeout',
			description: 'A timeout as words',
			default: 'short',
			choices: [{ name: 'Short', value: 'short', description: 'Short' }],
			fix: 'Pick Short.',
		});
		const optionalRetry = flag({ name: 'retryAfterTimeout', displayName: 'Retry', description: 'Retry', whenAdded: true });
		// @ts-expect-error the engine reads Timeout as a number (milliseconds)
		expect(defineOperation(showing([textTimeout])).name).toBe('clash');
		// @ts-expect-error the engine needs a value for every item, not one only when added
		expect(defineOperation(showing([optionalRetry])).name).toBe('clash');
		expect(defineOperation(showing([OPTION.timeout, OPTION.seed])).name).toBe('clash');
	});
});

describe('what prepare receives at run time', () => {
	beforeAll(() => {
		OPERATION_LIST.push(probe);
	});
	afterAll(() => {
		OPERATION_LIST.splice(OPERATION_LIST.indexOf(probe), 1);
	});

	it('the declared fields and options, checked, the API ones also under StepFun names', async () => {
		received.length = 0;
		const { error } = await stepfun.run({
			operation: 'probe',
			prompt: 'A kite',
			note: 'not read for the operation',
			options: { timeout: 5, detail: 'high', cfgScale: 2, concurrency: 2 },
		});
		expect(error).toBeUndefined();
		expect(received).toEqual([
			{
				fields: { model: 'step-image-edit-2', prompt: 'A kite' },
				// Timeout in milliseconds; Seed left out is not there; Concurrency is the run's.
				options: {
					includeInputFields: false,
					maxRetries: 2,
					timeout: 5000,
					detail: 'high',
					cfgScale: 2,
					responseFormat: 'b64_json',
				},
				apiFields: { cfg_scale: 2, response_format: 'b64_json' },
			},
		]);
	});
});
