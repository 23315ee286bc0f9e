/**
 * Workflows saved with 0.1.0 keep running: every parameter 0.1.0 shipped is still there with its
 * type, default and choices, the credential keeps its fields, and the StepFun nodes of the 0.1.0
 * example workflows, run as saved, send what they sent then.
 */
import type { INodeParameters, INodeProperties } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { StepFunApi } from '../credentials/StepFunApi.credentials';
import { StepFunImage } from '../nodes/StepFunImage/StepFunImage.node';
import { readFixture } from './fixtures/index.mjs';
import type { DescribedParameter } from './helpers/release-fixtures.mjs';
import { RELEASE_0_1_0, SAVED_NODES_0_1_0 } from './helpers/release-fixtures.mjs';
import { useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();
const node = new StepFunImage().description;

/** The current parameters as the release snapshot lists them. */
function currentParameters(properties: INodeProperties[]): DescribedParameter[] {
	const described = (property: INodeProperties, name = property.name, show = property.displayOptions?.show) => ({
		name,
		type: property.type,
		default: property.default,
		values: (property.options as Array<{ value?: unknown }> | undefined)?.map((option) => option.value),
		show: show as DescribedParameter['show'],
	});
	return properties
		.filter((property) => property.type !== 'notice')
		.flatMap((property) =>
			property.type === 'collection'
				? (property.options as INodeProperties[]).map((option) => described(option, `${property.name}.${option.name}`, property.displayOptions?.show))
				: [described(property)],
		);
}

/** Whether `now` shows wherever `then` showed (it may show in more places). */
function showsWhere(now: DescribedParameter['show'], then: DescribedParameter['show']): boolean {
	if (!then) return !now;
	return Object.entries(then).every(([key, values]) => values.every((value) => now?.[key]?.includes(value)));
}

describe('compatibility with workflows saved by 0.1.0', () => {
	it('keeps the node type, its version and its credential', () => {
		expect(node.name).toBe(RELEASE_0_1_0.node.name);
		expect(node.version).toEqual(RELEASE_0_1_0.node.version);
		expect(node.credentials).toEqual(RELEASE_0_1_0.node.credentials);
	});

	it.each(RELEASE_0_1_0.node.parameters.map((parameter) => [`${parameter.name} ${JSON.stringify(parameter.show ?? {})}`, parameter] as const))(
		'parameter %s keeps its type, default and choices',
		(_, then) => {
			const now = currentParameters(node.properties).find((parameter) => parameter.name === then.name && showsWhere(parameter.show, then.show));
			expect(now, `${then.name} is gone`).toBeDefined();
			expect(now?.type).toBe(then.type);
			expect(now?.default).toEqual(then.default);
			for (const value of then.values ?? []) expect(now?.values).toContain(value);
		},
	);

	it('the credential keeps its name, fields, defaults and regions', () => {
		const credential = new StepFunApi();
		expect(credential.name).toBe(RELEASE_0_1_0.credential.name);
		for (const then of RELEASE_0_1_0.credential.fields) {
			const now = credential.properties.find((property) => property.name === then.name);
			expect(now?.type).toBe(then.type);
			expect(now?.default).toEqual(then.default);
			for (const value of then.values ?? []) expect((now?.options as Array<{ value: unknown }>).map((option) => option.value)).toContain(value);
		}
	});

	const photo = readFixture('jpeg-baseline.jpg');
	const inputs: Record<string, Parameters<typeof stepfun.run>[1]> = {
		'form-upload-edit-to-drive-and-slack.json': { items: [{ json: { Prompt: 'Add a hat' }, binary: { Photo: { bytes: photo, fileName: 'p.jpg', mimeType: 'image/jpeg' } } }] },
		'schedule-generate-to-disk.json': { items: [{ json: { prompt: 'A sunrise' } }] },
		'webhook-edit-respond.json': { items: [{ json: { body: { prompt: 'Make it winter' } }, binary: { image: { bytes: photo, fileName: 'p.jpg', mimeType: 'image/jpeg' } } }] },
	};

	it.each(SAVED_NODES_0_1_0.map((saved) => [`${saved.file}: ${saved.node.name}`, saved] as const))('%s runs as saved', async (_, saved) => {
		const { items, error, standIn } = await stepfun.run(saved.node.parameters as INodeParameters, inputs[saved.file]);
		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		expect(items[0].binary?.data.mimeType).toBe('image/png');
		expect(standIn.requests).toHaveLength(1);
		expect(standIn.requests[0].path).toBe(saved.node.parameters.operation === 'edit' ? '/v1/images/edits' : '/v1/images/generations');
	});
});
