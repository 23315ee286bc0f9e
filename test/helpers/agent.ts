/**
 * Runs a node as an AI Agent tool the way n8n 2.41 does, through n8n-core's engine: a workflow
 * Upstream → Agent, with the node's tool variant connected to the Agent over `ai_tool`.
 *
 * n8n 2.41 has two ways of running a tool, and the test agent takes either:
 *
 * - `engine`: the AI Agent node's default version (3.x, "Tools Agent" V3). It gets the tool's
 *   definition with `getInputConnectionData(ai_tool)` (n8n-core's `createNodeAsTool`: name,
 *   description, schema from the `$fromAI()` parameters), then hands the model's tool call back
 *   to the engine as an EngineRequest. The engine runs the tool node like any node (an
 *   ExecuteContext: `isToolExecution()` is false there) with one main input item, the agent's
 *   input item merged with the tool arguments and a `toolCallId`, and resumes the agent with the
 *   tool's run data. The agent gives its model `JSON.stringify` of the output items' JSON
 *   (`buildObservation` in @n8n/n8n-nodes-langchain). A failing tool node gives an item
 *   `{ error: message }` instead, unless its On Error is explicitly Stop Workflow.
 * - `invoke`: the AI Agent's versions up to 2.2 (LangChain's AgentExecutor), the MCP Server
 *   Trigger and other LangChain nodes call the tool object itself: `tool.invoke(arguments)`.
 *   n8n-core's `makeHandleToolInvocation` runs the node's `execute` in a SupplyDataContext
 *   (`isToolExecution()` true) with the arguments as its one `ai_tool` input item, and returns
 *   `JSON.stringify` of its first output's items' JSON, or throws a NodeOperationError whose
 *   message ends with "Details: <description>".
 *
 * The test agent outputs what it offered its model and what came back; the tool node's own runs
 * are read from the run data and from a probe around its `execute`.
 */
import { WorkflowExecute } from 'n8n-core';
import {
	NodeConnectionTypes,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
	deepCopy,
	jsonParse,
} from 'n8n-workflow';
import type {
	EngineRequest,
	EngineResponse,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IConnections,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	ITaskData,
	IWorkflowSettings,
	NodeOutput,
} from 'n8n-workflow';

import { ApiKeyCredentialsHelper, CREDENTIAL_REFERENCE } from './credentials-helper';
import {
	binaryDataService,
	createAdditionalData,
	logMark,
	logsSince,
	nextExecutionId,
	workflowRecord,
} from './n8n-host';
import { ThrownErrors } from './node-errors';
import type { InputItem } from './node-types';
import { createNodeTypes, emitItems, installedTypeName, latestVersion, provideInputs } from './node-types';
import type { NodeSettings, OutputItem } from './run-node';
import { readOutputItem } from './run-node';

// ---------------------------------------------------------------------------------------------
// The tool variant, as n8n's CLI derives it

/**
 * The tool variant n8n's CLI makes of a `usableAsTool` node, for the type name `<type>Tool`.
 * A copy of n8n 2.41's `NodeTypes.getByNameAndVersion` (packages/cli/src/node-types.ts) and
 * `convertNodeToAiTool` (packages/cli/src/tool-generation/ai-tools.ts), which are not in any
 * package the tests can depend on: the same node object underneath (its `execute` is
 * inherited), with a description whose name ends in `Tool`, no inputs, the one output
 * `ai_tool`, no `usableAsTool`, the parameters "Tool Description" (`descriptionType`, default
 * Set Automatically) and "Description" (`toolDescription`) after the last callout, and the AI
 * → Tools codex. At run time n8n applies no `usableAsTool.replacements` (only the editor's copy
 * of the description gets them).
 */
export function toolVariantOf(nodeType: INodeType): INodeType {
	if (!nodeType.description.usableAsTool) {
		throw new UnexpectedError(`${nodeType.description.name} is not usable as a tool`);
	}
	if (typeof nodeType.supplyData === 'function') {
		throw new UnexpectedError(`${nodeType.description.name} already has a supplyData method`);
	}
	const description: INodeTypeDescription = deepCopy(nodeType.description);
	description.name += 'Tool';
	description.inputs = [];
	description.outputs = [NodeConnectionTypes.AiTool];
	description.displayName += ' Tool';
	delete description.usableAsTool;
	const names = description.properties.map((property) => property.name);
	if (!names.includes('toolDescription')) {
		const descriptionType: INodeProperties = {
			displayName: 'Tool Description',
			name: 'descriptionType',
			type: 'options',
			noDataExpression: true,
			options: [
				{
					name: 'Set Automatically',
					value: 'auto',
					description: 'Automatically set based on resource and operation',
				},
				{ name: 'Set Manually', value: 'manual', description: 'Manually set the description' },
			],
			default: 'auto',
		};
		const toolDescription: INodeProperties = {
			displayName: 'Description',
			name: 'toolDescription',
			type: 'string',
			default: description.description,
			required: true,
			typeOptions: { rows: 2 },
			description:
				'Explain to the LLM what this tool does, a good, specific description would allow LLMs to produce expected results much more often',
		};
		let lastCallout = -1;
		description.properties.forEach((property, index) => {
			if (property.type === 'callout') lastCallout = index;
		});
		description.properties.splice(lastCallout + 1, 0, toolDescription);
		if (names.includes('resource') || names.includes('operation')) {
			description.properties.splice(lastCallout + 1, 0, descriptionType);
			toolDescription.displayOptions = { show: { descriptionType: ['manual'] } };
		}
	}
	const tools = description.codex?.subcategories?.Tools;
	description.codex = {
		categories: ['AI'],
		subcategories: { AI: ['Tools'], Tools: tools ?? ['Other Tools'] },
		resources: description.codex?.resources ?? {},
		...(description.codex?.alias ? { alias: description.codex.alias } : {}),
	};
	return Object.assign(Object.create(nodeType) as INodeType, { description });
}

// ---------------------------------------------------------------------------------------------
// The test agent

/** How the agent has its tool run; see the top of this file. */
export type ToolCallPath = 'engine' | 'invoke';

/** What n8n-core's `createNodeAsTool` gives an agent: a LangChain DynamicStructuredTool. */
interface StructuredTool {
	name: string;
	description: string;
	schema: { shape?: Record<string, unknown> };
	metadata?: { sourceNodeName?: string };
	invoke(toolArguments: IDataObject): Promise<unknown>;
}

function isStructuredTool(value: unknown): value is StructuredTool {
	const tool = value as Partial<StructuredTool> | null;
	return (
		typeof tool === 'object' &&
		tool !== null &&
		typeof tool.name === 'string' &&
		typeof tool.invoke === 'function'
	);
}

/**
 * What the AI Agent (V3) hands its model for a tool call: a copy of `buildObservation` in
 * @n8n/n8n-nodes-langchain 2.41 (utils/agent-execution/buildSteps.ts).
 */
function observationOf(task: ITaskData | undefined): string {
	const items = task?.data?.[NodeConnectionTypes.AiTool]?.[0]?.map((item) => item?.json);
	if (items && items.length > 0) return JSON.stringify(items);
	if (task?.error) {
		return JSON.stringify({
			error: task.error.message ?? 'Unknown error',
			...(task.error.name ? { errorType: task.error.name } : {}),
		});
	}
	return JSON.stringify('');
}

/**
 * An agent with a main input and an `ai_tool` input that calls its one tool once, with the
 * arguments a model would send (parameter Tool Arguments), and outputs per run one item:
 * `offered` (the tool's name, description and argument names, as the model sees them),
 * `observation` (the text the agent gives its model as the tool's result) and, on the
 * `invoke` path, `thrown` when `tool.invoke` threw (name, message, description).
 */
class TestAgent implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Test Agent',
		name: 'test.agent',
		group: ['transform'],
		version: 1,
		description: 'Calls its tool once with the arguments a model would send',
		defaults: { name: 'Agent' },
		inputs: [
			NodeConnectionTypes.Main,
			{ type: NodeConnectionTypes.AiTool, displayName: 'Tool', required: true },
		],
		outputs: [NodeConnectionTypes.Main],
		// The package's lint asks every node class for it; the harness never derives this one's tool.
		usableAsTool: true,
		properties: [
			{
				displayName: 'Path',
				name: 'path',
				type: 'options',
				options: [
					{ name: 'Engine Request (AI Agent 3.x)', value: 'engine' },
					{ name: 'Tool Invoke (AI Agent 2.x, MCP Server Trigger)', value: 'invoke' },
				],
				default: 'engine',
			},
			{ displayName: 'Tool Arguments', name: 'toolArguments', type: 'json', default: '{}' },
		],
	};

	async execute(this: IExecuteFunctions, response?: EngineResponse): Promise<NodeOutput> {
		const connected = await this.getInputConnectionData(NodeConnectionTypes.AiTool, 0);
		const tool = (Array.isArray(connected) ? connected : [connected]).find(isStructuredTool);
		if (!tool) throw new UnexpectedError('The agent has no tool connected');
		const offered = {
			name: tool.name,
			description: tool.description,
			arguments: Object.keys(tool.schema.shape ?? {}),
		};
		const toolArguments = jsonParse<IDataObject>(
			this.getNodeParameter('toolArguments', 0) as string,
		);
		const out = (json: IDataObject): INodeExecutionData[][] => [
			[{ json: { offered, ...json }, pairedItem: { item: 0 } }],
		];

		if (this.getNodeParameter('path', 0) === 'invoke') {
			try {
				const result = await tool.invoke(toolArguments);
				return out({ observation: typeof result === 'string' ? result : JSON.stringify(result) });
			} catch (error) {
				const { name, message, description } = error as Error & { description?: string };
				return out({ thrown: { name, message, description } });
			}
		}

		const answered = response?.actionResponses.find((result) => result.action.id === 'call_1');
		if (answered) return out({ observation: observationOf(answered.data) });
		const request: EngineRequest<{ itemIndex: number }> = {
			actions: [
				{
					actionType: 'ExecutionNodeAction',
					nodeName: tool.metadata?.sourceNodeName ?? '',
					input: toolArguments,
					type: NodeConnectionTypes.AiTool,
					id: 'call_1',
					metadata: { itemIndex: 0 },
				},
			],
			metadata: { itemIndex: 0 },
		};
		return request;
	}
}

const testAgent = new TestAgent();

// ---------------------------------------------------------------------------------------------
// Running it

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
	const upstream: INode = {
		id: 'upstream-node-id',
		name: NAMES.upstream,
		type: emitItems.description.name,
		typeVersion: 1,
		position: [0, 0],
		parameters: { runId: executionId },
	};
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
	const toolNode: INode = {
		id: 'tool-node-id',
		name: toolName,
		type: toolTypeName,
		typeVersion: latestVersion(tool.description),
		position: [200, 200],
		parameters: options.parameters,
		...toolSettings(options),
		...(options.credentialType
			? { credentials: { [options.credentialType.name]: CREDENTIAL_REFERENCE } }
			: {}),
	};
	const nodes = [upstream, agent, toolNode];
	const connections: IConnections = {
		[NAMES.upstream]: { main: [[{ node: NAMES.agent, type: 'main', index: 0 }]] },
		[toolName]: {
			[NodeConnectionTypes.AiTool]: [
				[{ node: NAMES.agent, type: NodeConnectionTypes.AiTool, index: 0 }],
			],
		},
	};
	const settings: IWorkflowSettings = { executionOrder: 'v1' };
	const workflow = new Workflow({
		id: `test-workflow-${executionId}`,
		name: 'Agent tool test workflow',
		nodes,
		connections,
		active: false,
		nodeTypes: createNodeTypes({
			[emitItems.description.name]: emitItems,
			[testAgent.description.name]: thrown.recording(testAgent, NAMES.agent),
			[toolTypeName]: probed(tool, toolRuns),
		}),
		settings,
	});
	const record = workflowRecord(workflow.id, workflow.name ?? '', nodes, connections, settings);

	const inputs = provideInputs(executionId, [options.agentInput ?? {}]);
	try {
		const credentialsHelper = new ApiKeyCredentialsHelper(
			options.credentialType,
			options.credentials,
		);
		const additionalData = createAdditionalData(credentialsHelper, executionId, record, 'manual');
		const runExecutionData = createRunExecutionData({
			executionData: {
				nodeExecutionStack: [{ node: upstream, data: { main: [[{ json: {} }]] }, source: null }],
			},
		});
		const engine = new WorkflowExecute(additionalData, 'manual', runExecutionData);
		const run = await engine.processRunExecutionData(workflow);

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
	} finally {
		inputs.release();
	}
}

/** The tool node's Settings as n8n stores them. */
function toolSettings(options: AgentToolRunOptions): Partial<INode> {
	const onError = options.onError ?? (options.continueOnFail ? 'continueRegularOutput' : undefined);
	const settings: Partial<INode> = {};
	if (onError) settings.onError = onError;
	if (options.retryOnFail !== undefined) settings.retryOnFail = options.retryOnFail;
	if (options.maxTries !== undefined) settings.maxTries = options.maxTries;
	if (options.waitBetweenTries !== undefined) settings.waitBetweenTries = options.waitBetweenTries;
	return settings;
}
