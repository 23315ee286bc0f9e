/**
 * Proves test/helpers/run-node.ts: a tiny node type run through n8n-core's real engine reads an
 * expression parameter, reads and writes binaries (both binary data modes), calls a loopback
 * server with the credential's Authorization header, and fails with / without "continue on fail".
 */
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
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
			{ displayName: 'Handle Errors', name: 'handleErrors', type: 'boolean', default: true },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			try {
				if (this.getNodeParameter('fail', i) as boolean) {
					throw new NodeOperationError(this.getNode(), 'Tiny failed on purpose', {
						itemIndex: i,
						description: 'because the test asked',
					});
				}
				const greeting = this.getNodeParameter('greeting', i) as string;
				const field = this.getNodeParameter('binaryField', i) as string;
				const meta = this.helpers.assertBinaryData(i, field);
				const input = await this.helpers.getBinaryDataBuffer(i, field);
				const reversed = Buffer.from(input).reverse();
				const url = this.getNodeParameter('url', i) as string;
				const response = (await this.helpers.httpRequestWithAuthentication.call(this, 'someApi', {
					method: 'GET',
					url,
					json: true,
				})) as { ok: boolean };
				this.logger.info(`tiny processed item ${i}`);
				out.push({
					json: { greeting, inputName: meta.fileName, inputSize: input.length, ok: response.ok },
					binary: {
						out: await this.helpers.prepareBinaryData(
							reversed,
							'out.bin',
							'application/octet-stream',
						),
					},
					pairedItem: { item: i },
				});
			} catch (error) {
				if (this.continueOnFail() && (this.getNodeParameter('handleErrors', i) as boolean)) {
					out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
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

describe.each(['filesystem', 'default'] as const)('runNode, binary mode %s', (binaryMode) => {
	it('resolves expressions, reads/writes binaries and authenticates the request', async () => {
		const before = server.requests.length;
		const result = await runNode({
			nodeType: new TinyNode(),
			credentialType: new SomeApi(),
			credentials: { apiKey: TEST_TOKEN, baseUrl: server.url },
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
		const result = await runNode({
			nodeType: new TinyNode(),
			credentialType: new SomeApi(),
			credentials: { apiKey: TEST_TOKEN, baseUrl: server.url },
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
		const result = await runNode({
			nodeType: new TinyNode(),
			credentialType: new SomeApi(),
			credentials: { apiKey: TEST_TOKEN, baseUrl: server.url },
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
		const result = await runNode({
			nodeType: new TinyNode(),
			credentialType: new SomeApi(),
			credentials: { apiKey: TEST_TOKEN, baseUrl: server.url },
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
