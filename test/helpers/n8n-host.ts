/**
 * What n8n's server process provides around n8n-core, set up once per test file: a logger that
 * records what is logged, the in-process expression engine, the binary data service in the
 * storage mode a run asks for, and the `additionalData` every execution is given.
 *
 * The environment (N8N_USER_FOLDER, binary data folder, ...) is set by vitest.config.mts before
 * n8n-core is imported.
 */
import { BinaryDataConfig, BinaryDataService, ExecutionLifecycleHooks } from 'n8n-core';
import { LoggerProxy, UnexpectedError, jsonStringify } from 'n8n-workflow';
import type {
	ICredentialsHelper,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	Logger as N8nLogger,
	LogMetadata,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { Container, Logger, useLegacyExpressionEngine } from './n8n-internals.mjs';

/** n8n's binary data storage: `filesystem` (n8n 2.x default) or `default` (in memory, base64). */
export type BinaryStorageMode = 'filesystem' | 'default';

// ---------------------------------------------------------------------------------------------
// Logs

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

/** A mark to pass to `logsSince` later. */
export function logMark(): number {
	return capturedLogs.length;
}

/** Every line logged through n8n's logger since `mark`. */
export function logsSince(mark: number): string[] {
	return capturedLogs.slice(mark);
}

// ---------------------------------------------------------------------------------------------
// Binary data

let binaryDataReady: Promise<BinaryDataService> | undefined;
let activeStorageMode: BinaryStorageMode | undefined;

/** n8n-core's BinaryDataService, switched to `mode` (the engine's helpers use this same one). */
export async function binaryDataService(mode: BinaryStorageMode): Promise<BinaryDataService> {
	binaryDataReady ??= (async () => {
		const service = Container.get(BinaryDataService);
		await service.init();
		activeStorageMode =
			Container.get(BinaryDataConfig).mode === 'default' ? 'default' : 'filesystem';
		return service;
	})();
	const service = await binaryDataReady;
	if (activeStorageMode !== mode) {
		// init() picks the active mode from the config; the filesystem manager stays registered,
		// so data stored in either mode can still be read back.
		Container.get(BinaryDataConfig).mode = mode;
		await service.init();
		activeStorageMode = mode;
	}
	return service;
}

// ---------------------------------------------------------------------------------------------
// Execution ids and additionalData

let executionCounter = 0;

/** A new execution id, unique in this test process. */
export function nextExecutionId(): string {
	executionCounter += 1;
	return String(executionCounter);
}

/** The `additionalData` n8n's server hands to every execution, with loopback URLs. */
export function createAdditionalData(
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

/** The minimal workflow record the engine and its hooks are given. */
export function workflowRecord(
	id: string,
	name: string,
	nodes: IWorkflowBase['nodes'],
	connections: IWorkflowBase['connections'],
	settings?: IWorkflowBase['settings'],
): IWorkflowBase {
	return {
		id,
		name,
		active: false,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes,
		connections,
		...(settings ? { settings } : {}),
		activeVersionId: null,
	};
}
