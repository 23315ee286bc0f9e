/**
 * The one engine harness: runs a node through n8n's real execution engine (n8n-core
 * `WorkflowExecute`) in a small workflow, in one of two ways. `runNode`: an upstream node that
 * emits the test's items → the node under test → optionally a next node that reads the files it
 * outputs. `runAsAgentTool`: upstream → a test AI Agent, with the node's tool variant connected
 * to it over `ai_tool`, called as n8n 2.41 calls tools (see node-types.ts). Real parameter resolution (defaults, `={{ ... }}`
 * expressions), real credential handling and `httpRequestWithAuthentication` (requests really
 * go out, over loopback in tests), real binary helpers backed by n8n's BinaryDataService, and
 * the node settings a user can flip (On Error, Always Output Data, Execute Once, Retry On Fail)
 * and the workflow's binary mode, all acted on by the engine itself.
 */
import { WorkflowExecute } from 'n8n-core';
import type { BinaryDataService } from 'n8n-core';
import {
	BINARY_IN_JSON_PROPERTY,
	NodeConnectionTypes,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
	isBinaryValue,
} from 'n8n-workflow';
import type {
	IBinaryData,
	IConnections,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	IRun,
	IRunData,
	ITaskData,
	IWorkflowSettings,
	NodeOutput,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { ApiKeyCredentialsHelper, CREDENTIAL_REFERENCE } from './credentials-helper';
import type { BinaryStorageMode } from './n8n-host';
import {
	binaryDataService,
	createAdditionalData,
	logMark,
	logsSince,
	nextExecutionId,
	workflowRecord,
} from './n8n-host';
import { ThrownErrors } from './node-errors';
import type { InputItem, ToolCallPath } from './node-types';
import {
	createNodeTypes,
	emitItems,
	installedTypeName,
	latestVersion,
	provideInputs,
	readFiles,
	testAgent,
	toolVariantOf,
} from './node-types';

export type { InputFile, InputItem, ToolCallPath } from './node-types';
export { toolVariantOf } from './node-types';
export { testCredential } from './credential-test';

// ---------------------------------------------------------------------------------------------
// Options and result

/** The node's Settings tab and the workflow settings a user can change. */
export interface NodeSettings {
	/**
	 * Settings → On Error. `continueErrorOutput` gives the node a second output, and n8n itself
	 * moves the items that carry an error there. Default `stopWorkflow`.
	 */
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	/** Shorthand for `onError: 'continueRegularOutput'` ("Continue"); `onError` wins. */
	continueOnFail?: boolean;
	/** Settings → Always Output Data: one empty item when the node outputs none. */
	alwaysOutputData?: boolean;
	/** Settings → Execute Once: the node gets only the first input item. */
	executeOnce?: boolean;
	/** Settings → Retry On Fail: n8n runs the node again after it throws. */
	retryOnFail?: boolean;
	/** Max. Tries (n8n keeps it within 2–5; 3 when unset). */
	maxTries?: number;
	/** Wait Between Tries in ms (n8n keeps it within 0–5000 and turns 0 or unset into 1000). */
	waitBetweenTries?: number;
	/**
	 * The workflow's binary mode (n8n 2.x `settings.binaryMode`): `separate` (default) keeps files
	 * in each item's `binary`; `combined` keeps them in its JSON, where n8n moves every node's
	 * `binary` output to `json._files` (in `filesystem` storage), and a binary field parameter is a
	 * JSON path such as `_files.data`.
	 */
	workflowBinaryMode?: 'separate' | 'combined';
	/** n8n's binary data storage; default `filesystem` (n8n 2.x default). */
	binaryMode?: BinaryStorageMode;
	/** Name of the upstream node, for expressions such as `$('Form').item.binary.photo`. */
	upstreamName?: string;
	/** What the upstream node emits (default: one empty item). */
	items?: InputItem[];
	/** A next node connected to one output of the node under test, reading each item's file. */
	nextNode?: NextNodeOptions;
}

export interface NextNodeOptions {
	/**
	 * Its Binary Field parameter: a `binary` key in separate mode, a JSON path in combined mode,
	 * an expression giving a file object, or empty to read no file (it then only reports the
	 * JSON it received). Default `data`, or `_files.data` in combined mode.
	 */
	binaryField?: string;
	/** Which output of the node under test it is connected to; default 0. */
	output?: number;
	/** Default `Next`. */
	name?: string;
}

export interface RunOptions extends NodeSettings {
	/** e.g. `new StepFunImage()` */
	nodeType: INodeType;
	/** e.g. `new StepFunApi()`; its `name` is the credential type name */
	credentialType?: ICredentialType;
	/** e.g. `{ apiKey, region: 'custom', baseUrl }` */
	credentials?: ICredentialDataDecryptedObject;
	/** Node parameters; may contain `={{ ... }}` expressions */
	parameters: INodeParameters;
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
	/** The item's `binary`, bytes read back through n8n's BinaryDataService. */
	binary?: Record<string, OutputBinary>;
	/** Combined mode: the files n8n moved into the item's `json._files`, by field name, read back. */
	files?: Record<string, OutputBinary>;
	pairedItem?: unknown;
	error?: unknown;
}

export interface FileRead {
	bytes: Buffer;
	fileName?: string;
	mimeType?: string;
	fileExtension?: string;
}

export interface NextNodeItem {
	/** The JSON the next node received. */
	json: IDataObject;
	/** The file it read with its Binary Field (none when that is empty). */
	file?: FileRead;
	pairedItem?: unknown;
}

export interface NextNodeResult {
	/** What the next node received and read, one entry per item. */
	items: NextNodeItem[];
	/** Its error when it could not read a file (e.g. "The item has no binary field ..."). */
	error?: Error;
}

export interface RunResult {
	/** The node's first output (`outputs[0]`). */
	items: OutputItem[];
	/**
	 * Every output of the node as n8n routed it: `[0]` the main one ("Success"), `[1]` the error
	 * output when On Error is `continueErrorOutput`.
	 */
	outputs: OutputItem[][];
	/**
	 * The error of the node under test (or of the upstream node, or of the run) when there was
	 * one: the NodeOperationError / NodeApiError instance the node threw.
	 */
	error?: Error;
	/** Present when `nextNode` was asked for and ran. */
	nextNode?: NextNodeResult;
	/** Raw run data of the execution */
	runData: IRunData;
	/** Everything logged through n8n's logger during the run (`this.logger` in the node included) */
	logs: string[];
}

/** Default name of the upstream node that emits `items`. */
export const UPSTREAM_NODE_NAME = 'Upstream';

// ---------------------------------------------------------------------------------------------
// The engine harness

const MODE: WorkflowExecuteMode = 'manual';

/** A test workflow, run from its upstream node. */
interface TestWorkflow {
	name: string;
	upstream: INode;
	nodes: INode[];
	connections: IConnections;
	nodeTypes: Record<string, INodeType>;
	settings: IWorkflowSettings;
}

/**
 * Runs `test` through n8n-core's WorkflowExecute as a manual execution: the upstream node emits
 * `options.items`, credentials come from `options.credentials`.
 */
async function runWorkflow(
	test: TestWorkflow,
	executionId: string,
	options: Pick<RunOptions, 'items' | 'credentialType' | 'credentials'>,
): Promise<IRun> {
	const { nodes, connections, settings } = test;
	const workflow = new Workflow({
		id: `test-workflow-${executionId}`,
		name: test.name,
		nodes,
		connections,
		active: false,
		nodeTypes: createNodeTypes(test.nodeTypes),
		settings,
	});
	const record = workflowRecord(workflow.id, test.name, nodes, connections, settings);
	const inputs = provideInputs(executionId, options.items ?? [{}]);
	try {
		const credentialsHelper = new ApiKeyCredentialsHelper(
			options.credentialType,
			options.credentials,
		);
		const additionalData = createAdditionalData(credentialsHelper, executionId, record, MODE);
		const runExecutionData = createRunExecutionData({
			executionData: {
				nodeExecutionStack: [
					{ node: test.upstream, data: { main: [[{ json: {} }]] }, source: null },
				],
			},
		});
		const engine = new WorkflowExecute(additionalData, MODE, runExecutionData);
		return await engine.processRunExecutionData(workflow);
	} finally {
		inputs.release();
	}
}

/** The node that emits the test's items (see EmitItems). */
function upstreamNode(name: string, executionId: string): INode {
	return {
		id: 'upstream-node-id',
		name,
		type: emitItems.description.name,
		typeVersion: 1,
		position: [0, 0],
		parameters: { runId: executionId },
	};
}

/** The node under test as a workflow holds it: its type, parameters, Settings and credential. */
function nodeUnderTest(
	node: Pick<INode, 'id' | 'name' | 'type' | 'typeVersion' | 'position'>,
	options: NodeSettings & Pick<RunOptions, 'credentialType' | 'parameters'>,
): INode {
	return {
		...node,
		parameters: options.parameters,
		...nodeSettings(options),
		...(options.credentialType
			? { credentials: { [options.credentialType.name]: CREDENTIAL_REFERENCE } }
			: {}),
	};
}

// ---------------------------------------------------------------------------------------------
// runNode

export async function runNode(options: RunOptions): Promise<RunResult> {
	const service = await binaryDataService(options.binaryMode ?? 'filesystem');
	const executionId = nextExecutionId();
	const logStart = logMark();
	const thrown = new ThrownErrors();
	const test = testWorkflow(options, executionId, thrown);
	const run = await runWorkflow(test, executionId, options);
	const result = await collectResult(run, test.names, thrown, service);
	return { ...result, logs: logsSince(logStart) };
}

interface NodeNames {
	upstream: string;
	underTest: string;
	next?: string;
}

/** Upstream → node under test → (next node), with the node settings and workflow settings. */
function testWorkflow(
	options: RunOptions,
	executionId: string,
	thrown: ThrownErrors,
): TestWorkflow & { names: NodeNames } {
	const { description } = options.nodeType;
	const typeName = installedTypeName(description.name);
	const names: NodeNames = {
		upstream: options.upstreamName ?? UPSTREAM_NODE_NAME,
		underTest: description.defaults.name ?? description.displayName,
		...(options.nextNode ? { next: options.nextNode.name ?? 'Next' } : {}),
	};

	const upstream = upstreamNode(names.upstream, executionId);
	const underTest = nodeUnderTest(
		{
			id: 'node-under-test-id',
			name: names.underTest,
			type: typeName,
			typeVersion: options.typeVersion ?? latestVersion(description),
			position: [200, 0],
		},
		options,
	);
	const nodes = [upstream, underTest];
	const connections: IConnections = {
		[names.upstream]: { main: [[{ node: names.underTest, type: 'main', index: 0 }]] },
	};
	const nodeTypes: Record<string, INodeType> = {
		[emitItems.description.name]: thrown.recording(emitItems, names.upstream),
		[typeName]: thrown.recording(options.nodeType, names.underTest),
	};

	if (options.nextNode && names.next) {
		const combined = options.workflowBinaryMode === 'combined';
		nodes.push({
			id: 'next-node-id',
			name: names.next,
			type: readFiles.description.name,
			typeVersion: 1,
			position: [400, 0],
			parameters: {
				binaryField: options.nextNode.binaryField ?? (combined ? '_files.data' : 'data'),
			},
		});
		// Outputs before the connected one stay unconnected.
		const main: IConnections[string]['main'] = [];
		for (let output = 0; output < (options.nextNode.output ?? 0); output++) main.push([]);
		main.push([{ node: names.next, type: 'main', index: 0 }]);
		connections[names.underTest] = { main };
		nodeTypes[readFiles.description.name] = thrown.recording(readFiles, names.next);
	}

	const settings: IWorkflowSettings = {
		executionOrder: 'v1',
		...(options.workflowBinaryMode ? { binaryMode: options.workflowBinaryMode } : {}),
	};
	return { name: 'Test workflow', upstream, nodes, connections, nodeTypes, settings, names };
}

/** The settings of `options` as n8n stores them on the node. */
function nodeSettings(options: NodeSettings): Partial<INode> {
	const onError = options.onError ?? (options.continueOnFail ? 'continueRegularOutput' : undefined);
	const settings: Partial<INode> = {};
	if (onError) settings.onError = onError;
	if (options.alwaysOutputData !== undefined) settings.alwaysOutputData = options.alwaysOutputData;
	if (options.executeOnce !== undefined) settings.executeOnce = options.executeOnce;
	if (options.retryOnFail !== undefined) settings.retryOnFail = options.retryOnFail;
	if (options.maxTries !== undefined) settings.maxTries = options.maxTries;
	if (options.waitBetweenTries !== undefined) settings.waitBetweenTries = options.waitBetweenTries;
	return settings;
}

// ---------------------------------------------------------------------------------------------
// The result

async function collectResult(
	run: IRun,
	names: NodeNames,
	thrown: ThrownErrors,
	service: BinaryDataService,
): Promise<Omit<RunResult, 'logs'>> {
	const { runData } = run.data.resultData;
	const task: ITaskData | undefined = runData[names.underTest]?.[0];
	const upstreamTask: ITaskData | undefined = runData[names.upstream]?.[0];
	const nextTask: ITaskData | undefined = names.next ? runData[names.next]?.[0] : undefined;

	const outputs: OutputItem[][] = [];
	for (const output of task?.data?.main ?? []) {
		const items: OutputItem[] = [];
		for (const item of output ?? []) items.push(await readOutputItem(item, service));
		outputs.push(items);
	}
	const result: Omit<RunResult, 'logs'> = { items: outputs[0] ?? [], outputs, runData };

	const error =
		thrown.errorOf(names.underTest, task?.error) ??
		thrown.errorOf(names.upstream, upstreamTask?.error) ??
		// The run's own error (e.g. the workflow has issues), unless it is the next node's.
		(nextTask?.error ? undefined : run.data.resultData.error);
	if (error) result.error = error;

	if (names.next && nextTask) {
		result.nextNode = { items: (nextTask.data?.main?.[0] ?? []).map(nextNodeItem) };
		const nextError = thrown.errorOf(names.next, nextTask.error);
		if (nextError) result.nextNode.error = nextError;
	}
	return result;
}

/** Decodes what the next node output (see ReadFiles). */
function nextNodeItem(item: INodeExecutionData): NextNodeItem {
	const out: NextNodeItem = { json: item.json.received as IDataObject };
	const file = item.json.file as (Omit<FileRead, 'bytes'> & { base64: string }) | undefined;
	if (file) {
		const { base64, ...meta } = file;
		out.file = { bytes: Buffer.from(base64, 'base64'), ...meta };
	}
	if (item.pairedItem !== undefined) out.pairedItem = item.pairedItem;
	return out;
}

/** An output item, its files read back through n8n's BinaryDataService. */
export async function readOutputItem(
	item: INodeExecutionData,
	service: BinaryDataService,
): Promise<OutputItem> {
	const toOutput = async (raw: IBinaryData): Promise<OutputBinary> => ({
		bytes: await service.getAsBuffer(raw),
		fileName: raw.fileName,
		mimeType: raw.mimeType,
		fileExtension: raw.fileExtension,
		fileSize: raw.fileSize,
		raw,
	});
	const out: OutputItem = { json: item.json };
	if (item.pairedItem !== undefined) out.pairedItem = item.pairedItem;
	if (item.error !== undefined) out.error = item.error;
	if (item.binary) {
		out.binary = {};
		for (const [key, raw] of Object.entries(item.binary)) out.binary[key] = await toOutput(raw);
	}
	const files = item.json[BINARY_IN_JSON_PROPERTY];
	if (files !== null && typeof files === 'object') {
		out.files = {};
		for (const [key, raw] of Object.entries(files)) {
			if (isBinaryValue(raw)) out.files[key] = await toOutput(raw);
		}
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// runAsAgentTool

export interface AgentToolRunOptions extends Pick<
	NodeSettings,
	'onError' | 'continueOnFail' | 'retryOnFail' | 'maxTries' | 'waitBetweenTries'
> {
	/** The node as its package ships it, e.g. `new StepFunImage()`; its tool variant is derived. */
	nodeType: INodeType;
	credentialType?: ICredentialType;
	credentials?: ICredentialDataDecryptedObject;
	/** The tool node's parameters, e.g. a Prompt `={{ $fromAI('prompt', '…') }}`. */
	parameters: INodeParameters;
	/** What the model sends as the tool call's arguments. */
	toolArguments: IDataObject;
	/** Default `engine`, what n8n 2.41's AI Agent does. */
	path?: ToolCallPath;
	/**
	 * The type name the tool node has in the workflow. Default the installed name with `Tool`
	 * appended, as n8n names it; another name shows what works without that suffix.
	 */
	toolTypeName?: string;
	/**
	 * The agent's input item, from the node before it (e.g. a chat trigger's `{ chatInput }` and
	 * its uploaded files); default an empty item.
	 */
	agentInput?: InputItem;
}

/** One run of the tool node. */
export interface ToolRun {
	/** The input item its `execute` got (the tool arguments, on the engine path with more). */
	input: IDataObject | undefined;
	/** `this.isToolExecution()` in that `execute`. */
	isToolExecution: boolean;
	/** The type name `this.getNode().type` gave there. */
	typeName: string;
	/** Its first output as `execute` returned it, files read back (before n8n drops them). */
	items: OutputItem[];
	/** What `execute` threw. */
	error?: Error;
}

export interface AgentToolRunResult {
	/** The tool as offered to the model. */
	offered: { name: string; description: string; arguments: string[] };
	/** The text the agent receives as the tool's result (what its model reads). */
	observation?: string;
	/** The `invoke` path: what `tool.invoke` threw to the agent. */
	thrown?: { name: string; message: string; description?: string };
	/** Each run of the tool node's `execute`. */
	toolRuns: ToolRun[];
	/** The tool node's run data as n8n recorded it (shown in the editor under the agent). */
	toolTaskData: ITaskData[];
	/** The run's own error (the agent's, or the workflow's). */
	error?: Error;
	logs: string[];
}

const NAMES = { upstream: 'Upstream', agent: 'Agent' };

/** `nodeType`, recording what each `execute` call saw, returned and threw into `runs`. */
function probed(nodeType: INodeType, runs: Array<Promise<ToolRun>>): INodeType {
	const execute = nodeType.execute as
		| ((this: IExecuteFunctions, ...args: unknown[]) => Promise<NodeOutput>)
		| undefined;
	if (!execute) throw new UnexpectedError('The tool node type has no execute method');
	const probe = async function (this: IExecuteFunctions, ...args: unknown[]): Promise<NodeOutput> {
		const context = this as Partial<Pick<IExecuteFunctions, 'isToolExecution'>>;
		const seen = {
			input: this.getInputData()[0]?.json,
			isToolExecution:
				typeof context.isToolExecution === 'function' && context.isToolExecution(),
			typeName: this.getNode().type,
		};
		const run = execute.apply(this, args);
		runs.push(
			run.then(
				async (output) => {
					const service = await binaryDataService('filesystem');
					const first = Array.isArray(output) ? (output[0] ?? []) : [];
					const items: OutputItem[] = [];
					for (const item of first as INodeExecutionData[]) {
						items.push(await readOutputItem(item, service));
					}
					return { ...seen, items };
				},
				(error: unknown) => ({
					...seen,
					items: [],
					error: error instanceof Error ? error : new Error(String(error)),
				}),
			),
		);
		return await run;
	};
	return Object.assign(Object.create(nodeType) as INodeType, {
		execute: probe as INodeType['execute'],
	});
}

/** Upstream → Agent, the tool variant of `options.nodeType` connected to the Agent over ai_tool. */
export async function runAsAgentTool(options: AgentToolRunOptions): Promise<AgentToolRunResult> {
	await binaryDataService('filesystem');
	const executionId = nextExecutionId();
	const logStart = logMark();
	const thrown = new ThrownErrors();
	const toolRuns: Array<Promise<ToolRun>> = [];

	const tool = toolVariantOf(options.nodeType);
	const toolTypeName = options.toolTypeName ?? installedTypeName(tool.description.name);
	const toolName = tool.description.defaults.name ?? tool.description.displayName;
	const upstream = upstreamNode(NAMES.upstream, executionId);
	const agent: INode = {
		id: 'agent-node-id',
		name: NAMES.agent,
		type: testAgent.description.name,
		typeVersion: 1,
		position: [200, 0],
		parameters: {
			path: options.path ?? 'engine',
			toolArguments: JSON.stringify(options.toolArguments),
		},
	};
	const toolNode = nodeUnderTest(
		{
			id: 'tool-node-id',
			name: toolName,
			type: toolTypeName,
			typeVersion: latestVersion(tool.description),
			position: [200, 200],
		},
		options,
	);
	const run = await runWorkflow(
		{
			name: 'Agent tool test workflow',
			upstream,
			nodes: [upstream, agent, toolNode],
			connections: {
				[NAMES.upstream]: { main: [[{ node: NAMES.agent, type: 'main', index: 0 }]] },
				[toolName]: {
					[NodeConnectionTypes.AiTool]: [
						[{ node: NAMES.agent, type: NodeConnectionTypes.AiTool, index: 0 }],
					],
				},
			},
			nodeTypes: {
				[emitItems.description.name]: emitItems,
				[testAgent.description.name]: thrown.recording(testAgent, NAMES.agent),
				[toolTypeName]: probed(tool, toolRuns),
			},
			settings: { executionOrder: 'v1' },
		},
		executionId,
		{ ...options, items: [options.agentInput ?? {}] },
	);

	const { runData } = run.data.resultData;
	const agentTask = runData[NAMES.agent]?.at(-1);
	const agentJson = agentTask?.data?.main?.[0]?.[0]?.json ?? {};
	const result: AgentToolRunResult = {
		offered: agentJson.offered as AgentToolRunResult['offered'],
		toolRuns: await Promise.all(toolRuns),
		toolTaskData: runData[toolName] ?? [],
		logs: logsSince(logStart),
	};
	if (typeof agentJson.observation === 'string') result.observation = agentJson.observation;
	if (agentJson.thrown) result.thrown = agentJson.thrown as AgentToolRunResult['thrown'];
	const error = thrown.errorOf(NAMES.agent, agentTask?.error) ?? run.data.resultData.error;
	if (error) result.error = error;
	return result;
}
