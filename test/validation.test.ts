/**
 * Validation before sending: every bad input gets an exact NodeOperationError naming the item
 * and the field, with a hint how to fix it, and nothing goes to StepFun.
 */
import { NodeOperationError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makePng } from './stand-in/server.mjs';
import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackServer } from './helpers/loopback-server.mjs';
import { edit, generate, useStandIn } from './helpers/stepfun';
import { ENGINE_REJECTED, inputHostAnswer, validationCases } from './helpers/validation-cases';

const stepfun = useStandIn();

// Someone else's web server, for the Image URL cases (it is not StepFun: the stand-in must stay silent).
let inputHost: LoopbackServer | undefined;
beforeAll(async () => {
	inputHost = await startLoopbackServer((request) => inputHostAnswer(request.url));
});
afterAll(async () => await inputHost?.close());

// For the names only; each test rebuilds its case with the running host's address.
const cases = validationCases({ inputHost: 'http://input-host.invalid' });

describe('validation before sending', () => {
	it('has at least 25 cases', () => {
		expect(cases.length).toBeGreaterThanOrEqual(25);
	});

	it.each(cases.map((c, index) => [c.name, index] as const))('refuses %s', async (_, index) => {
		// Rebuilt now, so the Image URL cases see the running host's port.
		const c = validationCases({ inputHost: inputHost!.url })[index];
		const { error, items, standIn } = await stepfun.run(c.parameters, {
			items: c.items,
			credentials: c.credentials,
		});

		expect(error).toBeInstanceOf(NodeOperationError);
		const nodeError = error as NodeOperationError;
		expect(nodeError.message).toBe(c.message);
		expect(nodeError.message.startsWith(c.field)).toBe(true);
		if (c.itemIndex === null) {
			// A credential problem concerns the run, not one item: the message names the credential field.
			expect(nodeError.message).toContain('(credential field "Base URL")');
			expect(nodeError.context.itemIndex).toBeUndefined();
		} else {
			expect(nodeError.message.endsWith(`(item ${c.itemIndex})`)).toBe(true);
			expect(nodeError.context.itemIndex).toBe(c.itemIndex);
		}
		expect(typeof nodeError.description).toBe('string');
		expect((nodeError.description ?? '').length).toBeGreaterThan(20);
		expect(nodeError.description).toMatch(c.hint);

		expect(items).toEqual([]);
		expect(standIn.requests).toEqual([]);
		expect(standIn.imageRequests).toEqual([]);
	});

	it.each(ENGINE_REJECTED.map((c) => [c.name, c] as const))(
		'%s: n8n itself refuses to start the node (a required field left empty)',
		async (_, c) => {
			// What the user sees: the node is marked with an issue and the workflow does not run.
			// The node never gets the value, so this is n8n's WorkflowHasIssuesError, not the node's.
			await expect(stepfun.run(c.parameters)).rejects.toMatchObject({
				name: 'WorkflowHasIssuesError',
				message: c.message,
			});
			expect(stepfun.standIn.requests).toEqual([]);
		},
	);
});

describe('characters are counted as StepFun counts them', () => {
	it.each([
		['512 Chinese characters (1536 UTF-8 bytes)', '山'.repeat(512)],
		['512 emoji (1024 UTF-16 units)', '🦊'.repeat(512)],
		['512 ASCII characters', 'a'.repeat(512)],
		['a negative prompt of 512 Chinese characters too', '水'.repeat(512)],
	])('accepts %s', async (name, text) => {
		const negative = name.startsWith('a negative');
		const { error, items, standIn } = await stepfun.run(
			negative ? generate('A lake', { negativePrompt: text, cfgScale: 2 }) : generate(text),
		);
		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		expect(standIn.requests).toHaveLength(1);
		expect(negative ? standIn.requests[0].json.negative_prompt : standIn.requests[0].json.prompt).toBe(text);
	});
});

describe('the error names the item that is wrong', () => {
	const captions = ['A red fox', 'A grey wolf', '山'.repeat(513)];
	const items = captions.map((caption) => ({ json: { caption } }));
	const message = 'Prompt: is 513 characters long; StepFun accepts at most 512 (item 2)';

	it('without Continue On Fail: item 2 of 3 stops the node with its own error', async () => {
		const { error, items: output } = await stepfun.run(generate('={{ $json.caption }}'), { items });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toBe(message);
		expect((error as NodeOperationError).context.itemIndex).toBe(2);
		expect(output).toEqual([]);
		// Nothing of item 2 was sent.
		expect(stepfun.standIn.requests.map((r) => r.json.prompt)).not.toContain(captions[2]);
	});

	it('with Continue On Fail: items 0 and 1 succeed, item 2 becomes an error item paired to it', async () => {
		const { error, items: output, standIn } = await stepfun.run(generate('={{ $json.caption }}'), {
			items,
			continueOnFail: true,
		});
		expect(error).toBeUndefined();
		expect(standIn.requests.map((r) => r.json.prompt)).toEqual(captions.slice(0, 2));
		expect(output).toHaveLength(3);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json.prompt).toBe('A red fox');
		expect(output[0].binary?.data.mimeType).toBe('image/png');
		expect(output[1].json.prompt).toBe('A grey wolf');
		expect(output[2].binary).toBeUndefined();
		expect(output[2].json).toMatchObject({
			error: message,
			description: expect.stringContaining('Shorten it by 1 character.'),
			itemIndex: 2,
		});
	});

	it('with Continue On Fail and Edit: a PDF in item 2 is refused, the photos of items 0 and 1 are edited', async () => {
		const png = makePng(40, 30, 'photo');
		const file = (bytes: Buffer, fileName: string, mimeType: string) => ({
			json: {},
			binary: { data: { bytes, fileName, mimeType } },
		});
		const { error, items: output, standIn } = await stepfun.run(edit('Add a hat'), {
			items: [
				file(png, 'a.png', 'image/png'),
				file(png, 'b.png', 'image/png'),
				file(Buffer.from('%PDF-1.4\n%%EOF\n'), 'c.pdf', 'application/pdf'),
			],
			continueOnFail: true,
		});
		expect(error).toBeUndefined();
		expect(standIn.requests.map((r) => r.image?.fileName)).toEqual(['a.png', 'b.png']);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json).toMatchObject({ operation: 'edit', width: 40, height: 30 });
		expect(output[1].json).toMatchObject({ operation: 'edit', width: 40, height: 30 });
		expect(output[2].json.error).toBe('Input Binary Field "data": "c.pdf" is a PDF document, not an image (item 2)');
	});

	it('a seed from item 2 that is out of range names item 2', async () => {
		const { error } = await stepfun.run(generate('A fox', { seed: '={{ $json.seed }}' }), {
			items: [{ json: { seed: 1 } }, { json: { seed: 2 } }, { json: { seed: -1 } }],
		});
		expect(error?.message).toBe('Seed: must be a whole number from 0 to 2147483647, got -1 (item 2)');
		expect((error as NodeOperationError).context.itemIndex).toBe(2);
	});
});
