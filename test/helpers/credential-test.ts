/**
 * The credential's Test button, as n8n's server runs it (its CredentialsTester): defaults
 * applied and expressions resolved in the credential data, a temporary declarative node whose
 * only property routes the type's `test.request`, run by n8n-core's RoutingNode (which resolves
 * `={{ $credentials.x }}` in the request and sends it through `httpRequestWithAuthentication`,
 * so the credential's `authenticate` is applied); the answer mapped to `{ status, message }`
 * with the test's `rules`.
 */
import { ExecuteContext, RoutingNode } from 'n8n-core';
import { Workflow, createRunExecutionData } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialsDecrypted,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { ApiKeyCredentialsHelper, CREDENTIAL_REFERENCE } from './credentials-helper';
import { createAdditionalData, nextExecutionId, workflowRecord } from './n8n-host';
import { createNodeTypes, testNodeDescription } from './node-types';

/** Stands in for n8n's No Operation node, on which n8n builds its credential test. */
const noOpDescription = testNodeDescription('No Operation, do nothing', 'n8n-nodes-base.noOp', 'No Operation', 'No Operation, do nothing', {
	group: ['organization'],
	properties: [],
});

export async function testCredential(
	credentialType: ICredentialType,
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	const testRequest = credentialType.test;
	if (!testRequest)
		return { status: 'Error', message: 'No testing function found for this credential.' };

	const mode: WorkflowExecuteMode = 'internal';
	const executionId = nextExecutionId();
	const credentialsHelper = new ApiKeyCredentialsHelper(credentialType, data);

	const node: INode = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: noOpDescription.name,
		typeVersion: 1,
		position: [0, 0],
		credentials: { [credentialType.name]: CREDENTIAL_REFERENCE },
	};
	const nodeType: INodeType = {
		description: {
			...noOpDescription,
			credentials: [{ name: credentialType.name, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: testRequest.request },
					default: '',
				},
			],
		},
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: createNodeTypes({ [noOpDescription.name]: nodeType }),
	});
	const workflowData = workflowRecord(
		`credential-test-${executionId}`,
		'Credential test',
		[node],
		{},
	);
	const additionalData = createAdditionalData(credentialsHelper, executionId, workflowData, mode);

	let credentialsDecrypted: ICredentialsDecrypted;
	try {
		credentialsDecrypted = {
			...CREDENTIAL_REFERENCE,
			type: credentialType.name,
			data: credentialsHelper.applyDefaultsAndResolve(
				additionalData,
				structuredClone(data),
				credentialType.name,
				mode,
			),
		};
	} catch (error) {
		return { status: 'Error', message: String((error as Error).message) };
	}

	const executeFunctions = new ExecuteContext(
		workflow,
		node,
		additionalData,
		mode,
		createRunExecutionData({ resultData: { runData: {} } }),
		0,
		[],
		{ main: [[{ json: {} }]] },
		{ node, data: {}, source: null },
		[],
	);
	const routingNode = new RoutingNode(executeFunctions, nodeType, credentialsDecrypted);

	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await routingNode.runNode();
	} catch (caught) {
		const error = caught as Error & {
			cause?: { code?: string; response?: { status: number; statusText?: string } };
		};
		const httpResponse = error.cause?.response;
		if (httpResponse) {
			for (const rule of testRequest.rules ?? []) {
				if (rule.type === 'responseCode' && rule.properties.value === httpResponse.status) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			if (httpResponse.status < 199 || httpResponse.status > 299) {
				return {
					status: 'Error',
					message: httpResponse.statusText || `Received HTTP status code: ${httpResponse.status}`,
				};
			}
		} else if (error.cause?.code) {
			return { status: 'Error', message: error.cause.code };
		}
		return { status: 'Error', message: String(error.message) };
	}

	for (const rule of testRequest.rules ?? []) {
		if (rule.type === 'responseSuccessBody') {
			const body = response?.[0]?.[0]?.json;
			if (valueAtPath(body, rule.properties.key) === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

function valueAtPath(value: unknown, path: string): unknown {
	let current = value;
	for (const key of path.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[key];
	}
	return current;
}
