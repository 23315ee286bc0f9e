/**
 * Proves test/helpers/run-node.ts: a tiny node type run through n8n-core's real engine reads an
 * expression parameter, reads and writes binaries (both storage modes), calls a loopback server
 * with the credential's Authorization header, fails with / without "continue on fail", and the
 * engine itself acts on the node settings (On Error and its error output, Always Output Data,
 * Execute Once, Retry On Fail) and on the workflow's binary mode (separate / combined), with a
 * next node reading the files the node outputs.
 */
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IBinaryData,
	IBinaryKeyData,
	IHttpRequestOptions,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackServer } from './helpers/loopback-server.mjs';
import { runNode, testCredential } from './helpers/run-node';
import type { RunOptions } from './helpers/run-node';

const TEST_TOKEN = ['not', 'a', 'real', 'token', '0123456789'].join('-');

class SomeApi implements ICredentialType {
	name = 'someApi';
	displayName = 'Some API';
	documentationUrl = 'https://example.com/docs';
	properties: ICredentialType['properties'] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: 'https://api.invalid' },
	];
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return {
			...requestOptions,
			headers: { ...requestOptions.headers, Authorization: `Bearer ${String(credentials.apiKey)}` },
		};
	}
	test: ICredentialType['test'] = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/v1/models', method: 'GET' },
	};
}

/**
 * Reverses the bytes of each item's file and calls a URL with the credential. Switches: fail,
 * skip an item, no file (empty Binary Field), no request (empty URL), and how a handled error
 * leaves the node (JSON `error` only, the error on the item, or next to the input's JSON).
 */
class TinyNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Tiny',
		name: 'tiny',
		group: ['transform'],
		version: 1,
		description: 'Test node',
		defaults: { name: 'Tiny' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'someApi', required: true }],
		properties: [
			{ displayName: 'Greeting', name: 'greeting', type: 'string', default: '' },
			{ displayName: 'Binary Field', name: 'binaryField', type: 'string', default: 'data' },
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'Fail', name: 'fail', type: 'boolean', default: false },
			{ displayName: 'Skip', name: 'skip', type: 'boolean', default: false },
			{ displayName: 'Handle Errors', name: 'handleErrors', type: 'boolean', default: true },
			{
				displayName: 'Error Item',
				name: 'errorItem',
				type: 'options',
				default: 'json',
				options: [
					{ name: 'JSON Error Only', value: 'json' },
					{ name: 'Error On The Item', value: 'item' },
					{ name: 'Error Next To The Input', value: 'withInput' },
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			try {
				if (this.getNodeParameter('skip', i) as boolean) continue;
				if (this.getNodeParameter('fail', i) as boolean) {
					throw new NodeOperationError(this.getNode(), 'Tiny failed on purpose', {
						itemIndex: i,
						description: 'because the test asked',
					});
				}
				const json: IDataObject = { greeting: this.getNodeParameter('greeting', i) as string };
				let binary: IBinaryKeyData | undefined;
				const field = this.getNodeParameter('binaryField', i) as string | IBinaryData;
				if (field !== '') {
					const meta = this.helpers.assertBinaryData(i, field);
					const input = await this.helpers.getBinaryDataBuffer(i, field);
					json.inputName = meta.fileName;
					json.inputSize = input.length;
					const reversed = Buffer.from(input).reverse();
					binary = {
						out: await this.helpers.prepareBinaryData(
							reversed,
							'out.bin',
							'application/octet-stream',
						),
					};
				}
				const url = this.getNodeParameter('url', i) as string;
				if (url !== '') {
					const response = (await this.helpers.httpRequestWithAuthentication.call(this, 'someApi', {
						method: 'GET',
						url,
						json: true,
					})) as { ok: boolean };
					json.ok = response.ok;
				}
				this.logger.info(`tiny processed item ${i}`);
				out.push({ json, ...(binary ? { binary } : {}), pairedItem: { item: i } });
			} catch (error) {
				if (this.continueOnFail() && (this.getNodeParameter('handleErrors', i) as boolean)) {
					const message = (error as Error).message;
					const errorItem = this.getNodeParameter('errorItem', i) as string;
					if (errorItem === 'item') {
						const nodeError = new NodeOperationError(this.getNode(), error as Error, {
							itemIndex: i,
						});
						out.push({
							json: { error: message, n: items[i].json.n },
							error: nodeError,
							pairedItem: { item: i },
						});
					} else if (errorItem === 'withInput') {
						out.push({ json: { ...items[i].json, error: message }, pairedItem: { item: i } });
					} else {
						out.push({ json: { error: message }, pairedItem: { item: i } });
					}
					continue;
				}
				// An existing NodeOperationError is passed through as it is.
				throw new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });
			}
		}
		return [out];
	}
}

let server: LoopbackServer;

beforeAll(async () => {
	server = await startLoopbackServer(() => ({ body: { ok: true } }));
});

afterAll(async () => {
	await server.close();
});

/** Runs TinyNode with the test credential against the shared loopback server. */
const runTiny = async (options: Omit<RunOptions, 'nodeType' | 'credentialType' | 'credentials'>) =>
	await runNode({
		nodeType: new TinyNode(),
		credentialType: new SomeApi(),
		credentials: { apiKey: TEST_TOKEN, baseUrl: server.url },
		...options,
	});

describe.each(['filesystem', 'default'] as const)('runNode, binary mode %s', (binaryMode) => {
	it('resolves expressions, reads/writes binaries and authenticates the request', async () => {
		const before = server.requests.length;
		const result = await runTiny({
			parameters: {
				greeting: '={{ "hello " + $json.name }}',
				url: `${server.url}/ping?mode=${binaryMode}`,
			},
			items: [
				{
					json: { name: 'ada' },
					binary: {
						data: { bytes: Buffer.from('abc'), fileName: 'in.txt', mimeType: 'text/plain' },
					},
				},
			],
			binaryMode,
		});

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		const [item] = result.items;
		expect(item.json).toEqual({
			greeting: 'hello ada',
			inputName: 'in.txt',
			inputSize: 3,
			ok: true,
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.binary?.out.bytes.toString()).toBe('cba');
		expect(item.binary?.out.fileName).toBe('out.bin');
		expect(item.binary?.out.mimeType).toBe('application/octet-stream');
		// The upstream node stored the input the way n8n does in this mode.
		const upstreamBinary = result.runData.Upstream[0].data?.main[0]?.[0].binary?.data;
		if (binaryMode === 'filesystem') {
			expect(upstreamBinary?.data).toBe('filesystem-v2');
			expect(item.binary?.out.raw.data).toBe('filesystem-v2');
			expect(item.binary?.out.raw.id).toMatch(/^filesystem-v2:/);
		} else {
			expect(upstreamBinary?.data).toBe(Buffer.from('abc').toString('base64'));
			expect(item.binary?.out.raw.id).toBeUndefined();
			expect(item.binary?.out.raw.data).toBe(Buffer.from('cba').toString('base64'));
		}

		const sent = server.requests.slice(before);
		expect(sent).toHaveLength(1);
		expect(sent[0].method).toBe('GET');
		expect(sent[0].url).toBe(`/ping?mode=${binaryMode}`);
		expect(sent[0].headers.authorization).toBe(`Bearer ${TEST_TOKEN}`);

		expect(result.logs.some((line) => line.includes('tiny processed item 0'))).toBe(true);
		expect(result.logs.join('\n')).not.toContain(TEST_TOKEN);
	});

	it('returns the NodeOperationError when the node fails', async () => {
		const result = await runTiny({
			parameters: { fail: true },
			binaryMode,
		});
		expect(result.items).toEqual([]);
		expect(result.error).toBeInstanceOf(NodeOperationError);
		expect(result.error?.message).toBe('Tiny failed on purpose');
		const error = result.error as NodeOperationError;
		expect(error.description).toBe('because the test asked');
		expect(error.context.itemIndex).toBe(0);
	});

	it('keeps going with continueOnFail', async () => {
		const result = await runTiny({
			parameters: { fail: true },
			items: [{ json: { n: 1 } }, { json: { n: 2 } }],
			continueOnFail: true,
			binaryMode,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([
			{ error: 'Tiny failed on purpose' },
			{ error: 'Tiny failed on purpose' },
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it('lets the engine continue when the node throws despite continueOnFail', async () => {
		const result = await runTiny({
			parameters: { fail: true, handleErrors: false },
			items: [{ json: { n: 1 } }],
			continueOnFail: true,
			binaryMode,
		});
		// n8n's "continueRegularOutput" for a thrown error: the input items pass through, the error
		// is recorded on the node's run.
		expect(result.items.map((item) => item.json)).toEqual([{ n: 1 }]);
		expect(result.error).toBeInstanceOf(NodeOperationError);
	});
});

const numbered = (...ns: number[]) => ns.map((n) => ({ json: { n } }));
const textFile = (text: string, fileName = 'in.txt') => ({
	bytes: Buffer.from(text),
	fileName,
	mimeType: 'text/plain',
});

describe('the error instance', () => {
	// The harness records the error TinyNode threw; n8n keeps only a plain-object copy in its run
	// data. If this fails, n8n now records something else than the node's own error (the harness
	// then hands back n8n's copy), or it started keeping the instance (the recording can go).
	it('is the very error the node threw, and n8n recorded a copy of it', async () => {
		const result = await runTiny({ parameters: { fail: true }, items: numbered(1) });
		expect(result.error).toBeInstanceOf(NodeOperationError);
		const recorded = result.runData.Tiny[0].error;
		expect(recorded).toBeDefined();
		expect(recorded).not.toBeInstanceOf(Error);
		expect(recorded).toMatchObject({
			name: 'NodeOperationError',
			message: 'Tiny failed on purpose',
			description: 'because the test asked',
			context: { itemIndex: 0 },
		});
		expect(result.error?.stack).toBe(recorded?.stack);
	});

	it("is n8n's NodeApiError when the node lets an HTTP error through unwrapped", async () => {
		const failing = await startLoopbackServer(() => ({
			status: 404,
			body: { error: 'nothing here' },
		}));
		try {
			class RawHttpNode extends TinyNode {
				async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
					// No NodeApiError of its own: n8n-core's request helper wraps the failure itself.
					await this.helpers.httpRequestWithAuthentication.call(this, 'someApi', {
						url: `${failing.url}/raw`,
					});
					return [[]];
				}
			}
			const result = await runNode({
				nodeType: new RawHttpNode(),
				credentialType: new SomeApi(),
				credentials: { apiKey: TEST_TOKEN, baseUrl: failing.url },
				parameters: {},
			});
			expect(result.error).toBeInstanceOf(NodeApiError);
			expect((result.error as NodeApiError).httpCode).toBe('404');
		} finally {
			await failing.close();
		}
	});
});

describe('On Error', () => {
	const failSecond = {
		fail: '={{ $json.n === 2 }}',
		binaryField: '',
		greeting: '={{ "item " + $json.n }}',
	};

	it('continueErrorOutput: n8n moves the failed item to output 1, successes stay on output 0, paired', async () => {
		const result = await runTiny({
			parameters: failSecond,
			items: numbered(1, 2, 3),
			onError: 'continueErrorOutput',
		});
		expect(result.error).toBeUndefined();
		expect(result.outputs).toHaveLength(2);
		expect(result.outputs[0].map((item) => [item.json, item.pairedItem])).toEqual([
			[{ greeting: 'item 1' }, { item: 0 }],
			[{ greeting: 'item 3' }, { item: 2 }],
		]);
		// n8n adds the paired input item's JSON to an error item.
		expect(result.outputs[1].map((item) => [item.json, item.pairedItem])).toEqual([
			[{ n: 2, error: 'Tiny failed on purpose' }, { item: 1 }],
		]);
		expect(result.items).toBe(result.outputs[0]);
	});

	it('continueErrorOutput: an item carrying `error` goes to output 1 with its JSON set to the message', async () => {
		const result = await runTiny({
			parameters: { ...failSecond, errorItem: 'item' },
			items: numbered(1, 2, 3),
			onError: 'continueErrorOutput',
		});
		expect(result.outputs[0].map((item) => item.json.greeting)).toEqual(['item 1', 'item 3']);
		expect(result.outputs[1].map((item) => [item.json, item.pairedItem])).toEqual([
			[{ error: 'Tiny failed on purpose' }, { item: 1 }],
		]);
		expect(result.outputs[1][0].error).toBeInstanceOf(NodeOperationError);
	});

	it('continueErrorOutput: an error item whose JSON holds more than error/message/details stays on output 0', async () => {
		const result = await runTiny({
			parameters: { ...failSecond, errorItem: 'withInput' },
			items: numbered(1, 2, 3),
			onError: 'continueErrorOutput',
		});
		expect(result.outputs[0].map((item) => item.json)).toEqual([
			{ greeting: 'item 1' },
			{ n: 2, error: 'Tiny failed on purpose' },
			{ greeting: 'item 3' },
		]);
		expect(result.outputs[1]).toEqual([]);
	});

	it('continueErrorOutput: when the node throws, n8n passes the input items on output 0', async () => {
		const result = await runTiny({
			parameters: { ...failSecond, handleErrors: false },
			items: numbered(1, 2, 3),
			onError: 'continueErrorOutput',
		});
		expect(result.error).toBeInstanceOf(NodeOperationError);
		expect(result.outputs).toHaveLength(1);
		expect(result.items.map((item) => item.json)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
	});

	it('continueRegularOutput keeps the error item in place, on the one output', async () => {
		const result = await runTiny({
			parameters: failSecond,
			items: numbered(1, 2, 3),
			onError: 'continueRegularOutput',
		});
		expect(result.outputs).toHaveLength(1);
		expect(result.items.map((item) => [item.json, item.pairedItem])).toEqual([
			[{ greeting: 'item 1' }, { item: 0 }],
			[{ error: 'Tiny failed on purpose' }, { item: 1 }],
			[{ greeting: 'item 3' }, { item: 2 }],
		]);
	});

	it('stopWorkflow fails the run; continueOnFail: true means continueRegularOutput', async () => {
		const stopped = await runTiny({
			parameters: failSecond,
			items: numbered(1, 2),
			onError: 'stopWorkflow',
		});
		expect(stopped.error?.message).toBe('Tiny failed on purpose');
		expect(stopped.outputs).toEqual([]);
		const continued = await runTiny({
			parameters: failSecond,
			items: numbered(1, 2),
			continueOnFail: true,
		});
		expect(continued.items.map((item) => item.json)).toEqual([
			{ greeting: 'item 1' },
			{ error: 'Tiny failed on purpose' },
		]);
	});

	it('a next node on the error output gets the failed items', async () => {
		const result = await runTiny({
			parameters: failSecond,
			items: numbered(1, 2, 3),
			onError: 'continueErrorOutput',
			nextNode: { output: 1, binaryField: '' },
		});
		expect(result.nextNode?.error).toBeUndefined();
		expect(result.nextNode?.items.map((item) => item.json)).toEqual([
			{ n: 2, error: 'Tiny failed on purpose' },
		]);
	});
});

describe('Always Output Data, Execute Once, Retry On Fail', () => {
	it('alwaysOutputData: one empty item, paired to every input, when the node outputs none', async () => {
		const parameters = { skip: true, binaryField: '' };
		const without = await runTiny({ parameters, items: numbered(1, 2) });
		expect(without.outputs).toEqual([[]]);
		const result = await runTiny({ parameters, items: numbered(1, 2), alwaysOutputData: true });
		expect(result.items.map((item) => [item.json, item.pairedItem])).toEqual([
			[
				{},
				[
					{ item: 0, input: 0 },
					{ item: 1, input: 0 },
				],
			],
		]);
	});

	it('executeOnce: the node gets only the first item', async () => {
		const before = server.requests.length;
		const result = await runTiny({
			parameters: { binaryField: '', url: `={{ "${server.url}/once/" + $json.n }}` },
			items: numbered(1, 2, 3),
			executeOnce: true,
		});
		expect(result.items.map((item) => [item.json, item.pairedItem])).toEqual([
			[{ greeting: '', ok: true }, { item: 0 }],
		]);
		expect(server.requests.slice(before).map((request) => request.url)).toEqual(['/once/1']);
	});

	describe('retryOnFail', () => {
		let answers: number[];
		let flaky: LoopbackServer;
		beforeAll(async () => {
			// Answers with the next status in `answers`, 200 once they are used up.
			flaky = await startLoopbackServer(() => {
				const status = answers.shift() ?? 200;
				return status === 200 ? { body: { ok: true } } : { status, body: { error: 'try again' } };
			});
		});
		afterAll(async () => await flaky.close());
		const runFlaky = async (
			options: Omit<RunOptions, 'nodeType' | 'credentialType' | 'credentials' | 'parameters'>,
		) => {
			const before = flaky.requests.length;
			const result = await runTiny({
				parameters: { binaryField: '', url: `={{ "${flaky.url}/item/" + $json.n }}` },
				items: numbered(1),
				...options,
			});
			return { result, sent: flaky.requests.slice(before).map((request) => request.url) };
		};

		it('n8n runs the node again after it throws, up to maxTries', async () => {
			answers = [500, 500];
			const { result, sent } = await runFlaky({
				retryOnFail: true,
				maxTries: 3,
				waitBetweenTries: 1,
			});
			expect(result.error).toBeUndefined();
			expect(result.items.map((item) => item.json)).toEqual([{ greeting: '', ok: true }]);
			expect(sent).toEqual(['/item/1', '/item/1', '/item/1']);
		});

		it('the last try fails the run; without retryOnFail there is one try', async () => {
			answers = [500, 500];
			const twice = await runFlaky({ retryOnFail: true, maxTries: 2, waitBetweenTries: 1 });
			expect(twice.result.error).toBeInstanceOf(NodeOperationError);
			expect(twice.sent).toHaveLength(2);
			answers = [500];
			const once = await runFlaky({});
			expect(once.result.error).toBeInstanceOf(NodeOperationError);
			expect(once.sent).toHaveLength(1);
		});

		it('with continueOnFail, n8n runs the whole node again when its first output item carries an error', async () => {
			answers = [500];
			const { result, sent } = await runFlaky({
				items: numbered(1, 2),
				continueOnFail: true,
				retryOnFail: true,
				maxTries: 2,
				waitBetweenTries: 1,
			});
			expect(result.items.map((item) => item.json.ok)).toEqual([true, true]);
			// Item 2 had succeeded on the first try and is requested again.
			expect(sent).toEqual(['/item/1', '/item/2', '/item/1', '/item/2']);
		});
	});
});

describe('workflow binary mode', () => {
	const photo = textFile('abc', 'photo.txt');

	it("combined: the upstream node's binary arrives in json._files and is read by its path", async () => {
		const result = await runTiny({
			parameters: { binaryField: '_files.photo' },
			items: [{ json: { n: 1 }, binary: { photo } }],
			workflowBinaryMode: 'combined',
		});
		expect(result.error).toBeUndefined();
		// n8n itself moved the upstream node's binary into its JSON after that node ran.
		const upstreamItem = result.runData.Upstream[0].data?.main[0]?.[0];
		expect(upstreamItem?.binary).toBeUndefined();
		expect(upstreamItem?.json._files).toMatchObject({
			photo: { fileName: 'photo.txt', mimeType: 'text/plain' },
		});
		const [item] = result.items;
		expect(item.json).toMatchObject({ inputName: 'photo.txt', inputSize: 3 });
		// ... and the node's own output file too.
		expect(item.binary).toBeUndefined();
		expect(Object.keys(item.files ?? {})).toEqual(['out']);
		expect(item.files?.out.bytes.toString()).toBe('cba');
		expect(item.files?.out.fileName).toBe('out.bin');
	});

	it('combined with in-memory storage: n8n leaves the files in binary', async () => {
		const result = await runTiny({
			parameters: { binaryField: '_files.photo' },
			items: [{ binary: { photo } }],
			workflowBinaryMode: 'combined',
			binaryMode: 'default',
		});
		expect(result.runData.Upstream[0].data?.main[0]?.[0].binary?.photo).toBeDefined();
		expect(result.error?.message).toBe(
			"The path '_files.photo' does not resolve to a binary data object in the input data [item 0]",
		);
	});

	it('combined: a field name is not a path; separate: a path is not a field name', async () => {
		const combined = await runTiny({
			parameters: { binaryField: 'photo' },
			items: [{ binary: { photo } }],
			workflowBinaryMode: 'combined',
		});
		expect(combined.error?.message).toBe(
			"The path 'photo' does not resolve to a binary data object in the input data [item 0]",
		);
		const separate = await runTiny({
			parameters: { binaryField: '_files.photo' },
			items: [{ binary: { photo } }],
		});
		expect(separate.error?.message).toBe("The item has no binary field '_files.photo' [item 0]");
	});

	it('combined: a file object at any JSON path, by path or by expression', async () => {
		const items = [{ json: { n: 1 }, jsonFiles: { 'upload.photo': photo } }];
		for (const binaryField of ['upload.photo', '={{ $json.upload.photo }}']) {
			const result = await runTiny({
				parameters: { binaryField },
				items,
				workflowBinaryMode: 'combined',
			});
			expect(result.error, binaryField).toBeUndefined();
			expect(result.items[0].json, binaryField).toMatchObject({
				inputName: 'photo.txt',
				inputSize: 3,
			});
		}
	});

	it.each([
		['combined', '={{ $json._files.photo }}'],
		['combined', "={{ $('Form').item._files.photo }}"],
		['separate', '={{ $binary.photo }}'],
		['separate', "={{ $('Form').item.binary.photo }}"],
		['separate', '={{ $json.upload.photo }}'],
	] as const)(
		'%s: the file object given by the expression %s',
		async (workflowBinaryMode, binaryField) => {
			const result = await runTiny({
				parameters: { binaryField },
				items: [{ json: { n: 1 }, binary: { photo }, jsonFiles: { 'upload.photo': photo } }],
				upstreamName: 'Form',
				workflowBinaryMode,
			});
			expect(result.error).toBeUndefined();
			expect(result.items[0].json).toMatchObject({ inputName: 'photo.txt', inputSize: 3 });
		},
	);

	it.each([
		['combined', "={{ $('Form').item.binary.photo }}"],
		['combined', '={{ $binary.photo }}'],
	] as const)(
		'%s: %s gives no file (n8n keeps no binary there)',
		async (workflowBinaryMode, binaryField) => {
			const result = await runTiny({
				parameters: { binaryField },
				items: [{ binary: { photo } }],
				upstreamName: 'Form',
				workflowBinaryMode,
			});
			expect(result.error?.message).toBe(
				'Provided parameter is not a string or binary data object.',
			);
		},
	);

	it.each([
		['separate', 'out'],
		['combined', '_files.out'],
	] as const)(
		"%s: the next node reads the node's output file from %s",
		async (workflowBinaryMode, binaryField) => {
			const result = await runTiny({
				parameters: { binaryField: workflowBinaryMode === 'combined' ? '_files.photo' : 'photo' },
				items: [
					{ json: { n: 1 }, binary: { photo } },
					{ json: { n: 2 }, binary: { photo: textFile('xyz') } },
				],
				workflowBinaryMode,
				nextNode: { binaryField },
			});
			expect(result.nextNode?.error).toBeUndefined();
			expect(
				result.nextNode?.items.map(({ file, pairedItem }) => [
					file?.bytes.toString(),
					file?.fileName,
					file?.mimeType,
					pairedItem,
				]),
			).toEqual([
				['cba', 'out.bin', 'application/octet-stream', { item: 0 }],
				['zyx', 'out.bin', 'application/octet-stream', { item: 1 }],
			]);
		},
	);

	it("reports the next node's error when the file is not where it looks", async () => {
		const result = await runTiny({
			parameters: { binaryField: 'photo' },
			items: [{ binary: { photo } }],
			nextNode: { binaryField: 'data' },
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.nextNode?.items).toEqual([]);
		expect(result.nextNode?.error).toBeInstanceOf(NodeOperationError);
		expect(result.nextNode?.error?.message).toBe("The item has no binary field 'data' [item 0]");
	});
});

describe('testCredential', () => {
	it('sends test.request with the credential applied', async () => {
		const before = server.requests.length;
		const result = await testCredential(new SomeApi(), { apiKey: TEST_TOKEN, baseUrl: server.url });
		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		const sent = server.requests.slice(before);
		expect(sent).toHaveLength(1);
		expect(sent[0].url).toBe('/v1/models');
		expect(sent[0].headers.authorization).toBe(`Bearer ${TEST_TOKEN}`);
	});

	it('refuses a declarative authenticate, which the harness does not apply', async () => {
		class GenericApi extends SomeApi {
			authenticate = {
				type: 'generic' as const,
				properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
			} as unknown as SomeApi['authenticate'];
		}
		await expect(testCredential(new GenericApi(), { apiKey: TEST_TOKEN })).rejects.toThrow(
			'Credential type "someApi" authenticates declaratively; the test harness applies only an authenticate function',
		);
	});

	it('reports an HTTP error status', async () => {
		const failing = await startLoopbackServer(() => ({ status: 401, body: { error: 'bad key' } }));
		try {
			const result = await testCredential(new SomeApi(), { apiKey: 'wrong', baseUrl: failing.url });
			expect(result.status).toBe('Error');
			expect(result.message).toBe('Unauthorized');
		} finally {
			await failing.close();
		}
	});
});
