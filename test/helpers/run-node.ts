/**
 * Runs a node through n8n's real execution engine (n8n-core `WorkflowExecute`): real parameter
 * resolution (defaults, `={{ ... }}` expressions), real credential handling through the
 * `credentialsHelper` n8n-core calls, real `httpRequestWithAuthentication` (requests really go
 * out, over loopback in tests), real binary helpers backed by n8n's BinaryDataService in
 * `filesystem` (default) or `default` (in-memory) mode.
 *
 * The environment (N8N_USER_FOLDER, binary data folder, ...) is set by vitest.config.mts before
 * n8n-core is imported.
 */
import {
	BinaryDataConfig,
	BinaryDataService,
	Credentials,
	ExecuteContext,
	ExecutionLifecycleHooks,
	RoutingNode,
	WorkflowExecute,
	getAdditionalKeys,
} from 'n8n-core';
import {
	ExecutionBaseError,
	ICredentialsHelper,
	LoggerProxy,
	NodeConnectionTypes,
	NodeHelpers,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
	isExpression,
	jsonStringify,
} from 'n8n-workflow';
import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialsDecrypted,
	ICredentialsExpressionResolveValues,
	IDataObject,
	IExecuteData,
	IExecuteFunctions,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IRequestOptionsSimplified,
	IRunData,
	IRunExecutionData,
	ITaskDataConnections,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	Logger as N8nLogger,
	LogMetadata,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { Container, Logger, useLegacyExpressionEngine } from './n8n-internals.mjs';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface InputItem {
	json?: IDataObject;
	binary?: Record<string, { bytes: Buffer; fileName?: string; mimeType?: string }>;
}

export interface RunOptions {
	/** e.g. `new StepFunImage()` */
	nodeType: INodeType;
	/** e.g. `new StepFunApi()`; its `name` is the credential type name */
	credentialType?: ICredentialType;
	/** e.g. `{ apiKey, region: 'custom', baseUrl }` */
	credentials?: ICredentialDataDecryptedObject;
	/** Node parameters; may contain `={{ ... }}` expressions */
	parameters: INodeParameters;
	/** What the upstream node emits (default: one empty item) */
	items?: InputItem[];
	/** Node setting "On Error: Continue" (`onError: 'continueRegularOutput'`) */
	continueOnFail?: boolean;
	/** n8n's binary data mode; default `filesystem` (n8n 2.x default) */
	binaryMode?: 'filesystem' | 'default';
	/** default: the node type's highest version */
	typeVersion?: number;
}

export interface OutputBinary {
	bytes: Buffer;
	fileName?: string;
	mimeType?: string;
	fileExtension?: string;
	fileSize?: string;
	raw: IBinaryData;
}

export interface OutputItem {
	json: IDataObject;
	binary?: Record<string, OutputBinary>;
	pairedItem?: unknown;
	error?: unknown;
}

export interface RunResult {
	/** The node's first output; binary bytes read back through n8n's BinaryDataService */
	items: OutputItem[];
	/** The node's error when the run failed (the NodeOperationError / NodeApiError instance) */
	error?: Error;
	/** Raw run data of the execution */
	runData: IRunData;
	/** Everything logged through n8n's logger during the run (`this.logger` in the node included) */
	logs: string[];
}

/** Name of the upstream node that emits `items`. */
export const UPSTREAM_NODE_NAME = 'Upstream';

// ---------------------------------------------------------------------------------------------
// One-time set-up: logger capture, expression engine, binary data service
// ---------------------------------------------------------------------------------------------

const capturedLogs: string[] = [];

function formatLog(level: string, message: string, metadata?: LogMetadata): string {
	if (metadata === undefined || Object.keys(metadata).length === 0) return `${level}: ${message}`;
	let meta: string;
	try {
		meta = jsonStringify(metadata, { replaceCircularRefs: true });
	} catch {
		meta = String(metadata);
	}
	return `${level}: ${message} ${meta}`;
}

const capturingLogger: N8nLogger & { scoped(): N8nLogger } = {
	error: (message, metadata) => capturedLogs.push(formatLog('error', message, metadata)),
	warn: (message, metadata) => capturedLogs.push(formatLog('warn', message, metadata)),
	info: (message, metadata) => capturedLogs.push(formatLog('info', message, metadata)),
	debug: (message, metadata) => capturedLogs.push(formatLog('debug', message, metadata)),
	scoped: () => capturingLogger,
};

// Node contexts resolve `this.logger` from the container; n8n-workflow code logs via LoggerProxy.
Container.set(Logger, capturingLogger);
LoggerProxy.init(capturingLogger);
useLegacyExpressionEngine();

let binaryDataReady: Promise<BinaryDataService> | undefined;
let binaryDataMode: 'filesystem' | 'default' | undefined;

async function binaryDataService(mode: 'filesystem' | 'default'): Promise<BinaryDataService> {
	binaryDataReady ??= (async () => {
		const service = Container.get(BinaryDataService);
		await service.init();
		binaryDataMode = Container.get(BinaryDataConfig).mode === 'default' ? 'default' : 'filesystem';
		return service;
	})();
	const service = await binaryDataReady;
	if (binaryDataMode !== mode) {
		// init() picks the active mode from the config; the filesystem manager stays registered,
		// so data stored in either mode can still be read back.
		Container.get(BinaryDataConfig).mode = mode;
		await service.init();
		binaryDataMode = mode;
	}
	return service;
}

// ---------------------------------------------------------------------------------------------
// Node types: the upstream emitter and a registry
// ---------------------------------------------------------------------------------------------

const pendingInputs = new Map<string, InputItem[]>();

/** Emits the items given to `runNode`, storing binaries with `prepareBinaryData` like n8n does. */
class EmitItems implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Emit Items',
		name: 'test.emitItems',
		group: ['transform'],
		version: 1,
		description: 'Emits the items a test gives it',
		defaults: { name: UPSTREAM_NODE_NAME },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		properties: [{ displayName: 'Run ID', name: 'runId', type: 'string', default: '' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const runId = this.getNodeParameter('runId', 0) as string;
		const items = pendingInputs.get(runId) ?? [{}];
		const out: INodeExecutionData[] = [];
		for (const item of items) {
			const data: INodeExecutionData = { json: item.json ?? {}, pairedItem: { item: 0 } };
			if (item.binary) {
				data.binary = {};
				for (const [key, value] of Object.entries(item.binary)) {
					data.binary[key] = await this.helpers.prepareBinaryData(
						value.bytes,
						value.fileName,
						value.mimeType,
					);
				}
			}
			out.push(data);
		}
		return [out];
	}
}

const emitItems = new EmitItems();

function createNodeTypes(types: Record<string, INodeType | IVersionedNodeType>): INodeTypes {
	return {
		getByName: (name) => {
			const type = types[name];
			if (!type) throw new UnexpectedError(`Unknown node type "${name}"`);
			return type;
		},
		getByNameAndVersion: (name, version) => {
			const type = types[name];
			if (!type) throw new UnexpectedError(`Unknown node type "${name}"`);
			return NodeHelpers.getVersionedNodeType(type, version);
		},
		getKnownTypes: () => ({}),
	};
}

function latestVersion(description: INodeTypeDescription): number {
	return Array.isArray(description.version)
		? Math.max(...description.version)
		: description.version;
}

/** The type name the node gets when installed as a community package. */
function installedTypeName(name: string): string {
	return name.includes('.') ? name : `n8n-nodes-stepfun.${name}`;
}

// ---------------------------------------------------------------------------------------------
// Credentials helper (the part of n8n's CLI that n8n-core calls into)
// ---------------------------------------------------------------------------------------------

const CREDENTIAL_ID = 'test-credential-id';
const CREDENTIAL_NAME = 'Test credential';

const mockNode: INode = {
	id: 'mock',
	name: '',
	typeVersion: 1,
	type: 'mock',
	position: [0, 0],
	parameters: {},
};

const mockNodeTypes = createNodeTypes({
	mock: { description: { properties: [] as INodeProperties[] } } as unknown as INodeType,
});

/**
 * Behaves like n8n's own CredentialsHelper (packages/cli) for one stored credential: defaults of
 * the credential type applied, expressions in the data resolved, `authenticate` applied (function
 * or declarative `generic` with `={{ $credentials.x }}` expressions), `preAuthentication` for an
 * expirable hidden property.
 */
class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly credentialTypes: Record<string, ICredentialType>,
		private readonly stored: Record<string, ICredentialDataDecryptedObject>,
	) {
		super();
	}

	private getType(name: string): ICredentialType {
		const type = this.credentialTypes[name];
		if (!type) throw new UnexpectedError(`Unknown credential type "${name}"`);
		return type;
	}

	getParentTypes(name: string): string[] {
		const type = this.credentialTypes[name];
		if (!type?.extends) return [];
		return type.extends.flatMap((parent) => [parent, ...this.getParentTypes(parent)]);
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.getType(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (typeof authenticate === 'object') {
			if (!workflow || !node) {
				throw new UnexpectedError('Workflow and node are required for declarative authentication');
			}
			requestOptions.headers ??= {};
			if (authenticate.type === 'generic') {
				const target = requestOptions as unknown as Record<string, Record<string, unknown>>;
				for (const [outerKey, entries] of Object.entries(authenticate.properties)) {
					for (const [key, value] of Object.entries(entries as Record<string, unknown>)) {
						const resolve = (raw: unknown): string => {
							if (!isExpression(raw)) return raw as string;
							const resolved = workflow.expression.getSimpleParameterValue(
								node,
								raw,
								'internal',
								{ $credentials: credentials },
								undefined,
								'',
							);
							return resolved ? String(resolved) : '';
						};
						target[outerKey] ??= {};
						target[outerKey][resolve(key)] = resolve(value);
					}
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.getType(typeName);
		const expirable = type.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (expirable === undefined || typeof type.preAuthentication !== 'function') return undefined;
		const isCredentialTest = node.parameters?.temp === '' && node.type === 'n8n-nodes-base.noOp';
		if (credentials[expirable.name] !== '' && !credentialsExpired && !isCredentialTest) {
			return undefined;
		}
		const output = await type.preAuthentication.call(helpers, credentials);
		if (output[expirable.name] === undefined) return undefined;
		if (this.stored[typeName]) Object.assign(this.stored[typeName], output);
		return Object.assign(credentials, output);
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.getType(typeName);
		if (typeof type.preAuthentication !== 'function') return undefined;
		const output = await type.preAuthentication.call(helpers, credentials);
		return (output as ICredentialDataDecryptedObject | undefined) ?? undefined;
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string) {
		const credentials = new Credentials(
			{ id: nodeCredentials.id ?? CREDENTIAL_ID, name: nodeCredentials.name },
			type,
		);
		credentials.setData(this.storedData(type));
		return credentials;
	}

	private storedData(type: string): ICredentialDataDecryptedObject {
		const data = this.stored[type];
		if (!data) throw new UnexpectedError(`No credentials of type "${type}" were given to the test`);
		return data;
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const data = structuredClone(this.storedData(type));
		if (raw === true) return data;
		return this.applyDefaultsAndResolve(
			additionalData,
			data,
			type,
			mode,
			executeData,
			expressionResolveValues,
		);
	}

	applyDefaultsAndResolve(
		additionalData: IWorkflowExecuteAdditionalData,
		data: ICredentialDataDecryptedObject,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): ICredentialDataDecryptedObject {
		const withDefaults = NodeHelpers.getNodeParameters(
			this.getCredentialsProperties(type),
			data as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
		const additionalKeys = getAdditionalKeys(additionalData, mode, null, { isCredential: true });
		if (expressionResolveValues) {
			return expressionResolveValues.workflow.expression.getParameterValue(
				withDefaults as INodeParameters,
				expressionResolveValues.runExecutionData,
				expressionResolveValues.runIndex,
				expressionResolveValues.itemIndex,
				expressionResolveValues.node.name,
				expressionResolveValues.connectionInputData,
				mode,
				additionalKeys,
				executeData,
				false,
				withDefaults,
			) as ICredentialDataDecryptedObject;
		}
		const workflow = new Workflow({
			nodes: [mockNode],
			connections: {},
			active: false,
			nodeTypes: mockNodeTypes,
		});
		return workflow.expression.getComplexParameterValue(
			mockNode,
			withDefaults as INodeParameters,
			mode,
			additionalKeys,
			undefined,
			undefined,
			withDefaults,
		) as ICredentialDataDecryptedObject;
	}

	async updateCredentials(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.stored[type] = data;
	}

	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.storedData(type).oauthTokenData = data.oauthTokenData;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		const credentialType = this.getType(type);
		if (!credentialType.extends) return credentialType.properties;
		const combined: INodeProperties[] = [];
		for (const parent of credentialType.extends) {
			if (this.credentialTypes[parent]) {
				NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
			}
		}
		NodeHelpers.mergeNodeProperties(combined, credentialType.properties);
		return combined;
	}
}

function createAdditionalData(
	credentialsHelper: ICredentialsHelper,
	executionId: string,
	workflowData: IWorkflowBase,
	mode: WorkflowExecuteMode,
): IWorkflowExecuteAdditionalData {
	const notAvailable = (what: string) => async () => {
		throw new UnexpectedError(`${what} is not available in unit tests`);
	};
	const additionalData: Partial<IWorkflowExecuteAdditionalData> = {
		credentialsHelper,
		executionId,
		workflowId: workflowData.id,
		userId: 'test-user',
		hooks: new ExecutionLifecycleHooks(mode, executionId, workflowData),
		currentNodeExecutionIndex: 0,
		variables: {},
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		formBaseUrl: 'http://localhost:5678/form',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		formTestBaseUrl: 'http://localhost:5678/form-test',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		mcpBaseUrl: 'http://localhost:5678/mcp',
		mcpTestBaseUrl: 'http://localhost:5678/mcp-test',
		logAiEvent: () => {},
		executeWorkflow: notAvailable('executeWorkflow'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: notAvailable('startRunnerTask'),
	};
	return additionalData as IWorkflowExecuteAdditionalData;
}

/**
 * The engine keeps only a plain-object copy of a node's error in the run data
 * (`{ ...error, message, stack }`). To hand tests the instance itself, record what reaches
 * WorkflowExecute's error handling, per node; the engine's own handling is unchanged.
 */
function captureNodeErrors(workflowExecute: WorkflowExecute): Map<string, Error> {
	const thrown = new Map<string, Error>();
	const engine = workflowExecute as unknown as {
		reportNodeExecutionError: (error: unknown, node: INode, workflow: Workflow) => unknown;
	};
	const report = engine.reportNodeExecutionError;
	if (typeof report !== 'function') return thrown;
	engine.reportNodeExecutionError = function (error, node, workflow) {
		// n8n-core turns a raw axios error into a NodeApiError itself; keep its copy then.
		if (error instanceof ExecutionBaseError) thrown.set(node.name, error);
		return report.call(this, error, node, workflow);
	};
	return thrown;
}

// ---------------------------------------------------------------------------------------------
// runNode
// ---------------------------------------------------------------------------------------------

let runCounter = 0;

export async function runNode(options: RunOptions): Promise<RunResult> {
	const mode: WorkflowExecuteMode = 'manual';
	const service = await binaryDataService(options.binaryMode ?? 'filesystem');

	runCounter += 1;
	const executionId = String(runCounter);
	const runId = `run-${runCounter}`;
	pendingInputs.set(runId, options.items ?? [{}]);
	const logStart = capturedLogs.length;

	const { description } = options.nodeType;
	const typeName = installedTypeName(description.name);
	const nodeName = description.defaults.name ?? description.displayName;

	const upstream: INode = {
		id: 'upstream-node-id',
		name: UPSTREAM_NODE_NAME,
		type: emitItems.description.name,
		typeVersion: 1,
		position: [0, 0],
		parameters: { runId },
	};
	const underTest: INode = {
		id: 'node-under-test-id',
		name: nodeName,
		type: typeName,
		typeVersion: options.typeVersion ?? latestVersion(description),
		position: [200, 0],
		parameters: options.parameters,
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		...(options.credentialType
			? {
					credentials: {
						[options.credentialType.name]: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME },
					},
				}
			: {}),
	};

	const connections = {
		[UPSTREAM_NODE_NAME]: { main: [[{ node: nodeName, type: 'main' as const, index: 0 }]] },
	};
	const workflowData: IWorkflowBase = {
		id: `test-workflow-${runCounter}`,
		name: 'Test workflow',
		active: false,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: [upstream, underTest],
		connections,
		settings: { executionOrder: 'v1' },
		activeVersionId: null,
	};
	const workflow = new Workflow({
		id: workflowData.id,
		name: workflowData.name,
		nodes: workflowData.nodes,
		connections,
		active: false,
		nodeTypes: createNodeTypes({
			[emitItems.description.name]: emitItems,
			[typeName]: options.nodeType,
		}),
		settings: workflowData.settings,
	});

	const credentialsHelper = new TestCredentialsHelper(
		options.credentialType ? { [options.credentialType.name]: options.credentialType } : {},
		options.credentialType && options.credentials
			? { [options.credentialType.name]: structuredClone(options.credentials) }
			: {},
	);
	const additionalData = createAdditionalData(credentialsHelper, executionId, workflowData, mode);

	const runExecutionData: IRunExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: upstream, data: { main: [[{ json: {} }]] }, source: null }],
		},
	});

	const workflowExecute = new WorkflowExecute(additionalData, mode, runExecutionData);
	const thrown = captureNodeErrors(workflowExecute);

	try {
		const run = await workflowExecute.processRunExecutionData(workflow);
		const runData = run.data.resultData.runData;
		const task = runData[nodeName]?.[0];
		const upstreamTask = runData[UPSTREAM_NODE_NAME]?.[0];
		const error =
			thrown.get(nodeName) ??
			(task?.error as Error | undefined) ??
			thrown.get(UPSTREAM_NODE_NAME) ??
			(upstreamTask?.error as Error | undefined) ??
			(run.data.resultData.error as Error | undefined);

		const items: OutputItem[] = [];
		for (const item of task?.data?.main?.[0] ?? []) {
			const out: OutputItem = { json: item.json };
			if (item.pairedItem !== undefined) out.pairedItem = item.pairedItem;
			if (item.error !== undefined) out.error = item.error;
			if (item.binary) {
				out.binary = {};
				for (const [key, raw] of Object.entries(item.binary)) {
					out.binary[key] = {
						bytes: await service.getAsBuffer(raw),
						fileName: raw.fileName,
						mimeType: raw.mimeType,
						fileExtension: raw.fileExtension,
						fileSize: raw.fileSize,
						raw,
					};
				}
			}
			items.push(out);
		}
		return { items, error, runData, logs: capturedLogs.slice(logStart) };
	} finally {
		pendingInputs.delete(runId);
	}
}

// ---------------------------------------------------------------------------------------------
// testCredential
// ---------------------------------------------------------------------------------------------

/** Stands in for n8n's No Operation node, on which n8n builds its credential test. */
const noOpDescription: INodeTypeDescription = {
	displayName: 'No Operation, do nothing',
	name: 'n8n-nodes-base.noOp',
	group: ['organization'],
	version: 1,
	description: 'No Operation',
	defaults: { name: 'No Operation, do nothing' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	properties: [],
};

/**
 * Runs a credential type's `test.request` the way n8n's credential test does (CredentialsTester
 * in n8n's CLI): defaults applied and expressions resolved in the credential data, a temporary
 * declarative node whose only property routes `test.request`, run by n8n-core's RoutingNode
 * (which resolves `={{ $credentials.x }}` in the request and sends it through
 * `httpRequestWithAuthentication`, so the credential's `authenticate` is applied); the
 * response mapped to `{ status, message }` with the test's `rules`.
 */
export async function testCredential(
	credentialType: ICredentialType,
	data: ICredentialDataDecryptedObject,
): Promise<{ status: 'OK' | 'Error'; message: string }> {
	const testRequest = credentialType.test;
	if (!testRequest)
		return { status: 'Error', message: 'No testing function found for this credential.' };

	const mode: WorkflowExecuteMode = 'internal';
	runCounter += 1;
	const executionId = String(runCounter);
	const credentialsHelper = new TestCredentialsHelper(
		{ [credentialType.name]: credentialType },
		{ [credentialType.name]: structuredClone(data) },
	);

	const node: INode = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: noOpDescription.name,
		typeVersion: 1,
		position: [0, 0],
		credentials: { [credentialType.name]: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } },
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
	const workflowData: IWorkflowBase = {
		id: `credential-test-${runCounter}`,
		name: 'Credential test',
		active: false,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: [node],
		connections: {},
		activeVersionId: null,
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: createNodeTypes({ [noOpDescription.name]: nodeType }),
	});
	const additionalData = createAdditionalData(credentialsHelper, executionId, workflowData, mode);

	let credentialsDecrypted: ICredentialsDecrypted;
	try {
		credentialsDecrypted = {
			id: CREDENTIAL_ID,
			name: CREDENTIAL_NAME,
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

	const inputData: ITaskDataConnections = { main: [[{ json: {} }]] };
	const executeFunctions = new ExecuteContext(
		workflow,
		node,
		additionalData,
		mode,
		createRunExecutionData({ resultData: { runData: {} } }),
		0,
		[],
		inputData,
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
			if (lodashGet(body, rule.properties.key) === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

function lodashGet(value: unknown, path: string): unknown {
	let current = value;
	for (const key of path.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[key];
	}
	return current;
}
