import { Workflow } from 'n8n-workflow';
import type { INodeTypes } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { StepFunApi } from '../credentials/StepFunApi.credentials';
import { apiBaseUrl } from '../nodes/StepFunImage/shared/limits';
import { testCredential } from './helpers/run-node';
import { API_KEY, generate, useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();
const credential = new StepFunApi();

describe('StepFun API credential', () => {
	it('is tested with the free GET /models, authenticated with the Bearer key', async () => {
		const result = await testCredential(credential, {
			apiKey: API_KEY,
			region: 'custom',
			baseUrl: `${stepfun.standIn.baseUrl}/v1/`,
		});
		expect(result.status).toBe('OK');
		expect(stepfun.standIn.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
			['GET', '/v1/models', `Bearer ${API_KEY}`],
		]);
	});

	it('fails the test on a wrong key', async () => {
		const result = await testCredential(credential, {
			apiKey: 'sk-wrong',
			region: 'custom',
			baseUrl: stepfun.standIn.baseUrl,
		});
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^StepFun rejected the API key\. Check the key, and that Region matches/);
		expect(stepfun.standIn.requests[0].status).toBe(401);
	});

	it.each([
		{ region: 'international', baseUrl: '' },
		{ region: 'china', baseUrl: '' },
		{ region: 'custom', baseUrl: 'http://127.0.0.1:9/' },
		{ region: 'custom', baseUrl: 'https://proxy.example/v1//' },
		{ region: 'custom', baseUrl: ' https://api.stepfun.ai/step_plan/v1 ' },
	])('its test request resolves the same base URL as the node for %j', (data) => {
		// n8n's own expression evaluator, with $credentials as n8n passes it to a credential test.
		const workflow = new Workflow({ nodes: [], connections: {}, active: false, nodeTypes: {} as INodeTypes });
		const node = { id: 'n', name: 'n', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
		const viaExpression = workflow.expression.getSimpleParameterValue(
			node,
			credential.test.request.baseURL as string,
			'internal',
			{ $credentials: data },
			undefined,
			'',
		);
		const viaNode = apiBaseUrl(data.region, data.baseUrl);
		expect('url' in viaNode && viaExpression).toBe('url' in viaNode ? viaNode.url : false);
	});

	it('sends to the region the user picked (custom base URL with or without /v1)', async () => {
		for (const baseUrl of [stepfun.standIn.baseUrl, `${stepfun.standIn.baseUrl}/v1`, `${stepfun.standIn.baseUrl}/v1/`]) {
			stepfun.standIn.reset();
			const { error, standIn } = await stepfun.run(generate('x'), { credentials: { baseUrl } });
			expect(error).toBeUndefined();
			expect(standIn.requests.map((r) => r.path)).toEqual(['/v1/images/generations']);
		}
	});
});
