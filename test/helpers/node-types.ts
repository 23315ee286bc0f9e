/**
 * The node types of a test workflow: a registry n8n-core looks types up in, the upstream node
 * that emits a test's items, the next node that reads the files the node under test outputs,
 * the tool variant n8n derives of a node, and a test AI Agent that calls it.
 */
import {
	NodeConnectionTypes,
	NodeHelpers,
	UnexpectedError,
	deepCopy,
	jsonParse,
} from 'n8n-workflow';
import type {
	EngineRequest,
	EngineResponse,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	ITaskData,
	IVersionedNodeType,
	NodeOutput,
} from 'n8n-workflow';

import { readPackageJson } from './package-files.mjs';

export function createNodeTypes(types: Record<string, INodeType | IVersionedNodeType>): INodeTypes {
	const find = (name: string) => {
		const type = types[name];
		if (!type) throw new UnexpectedError(`Unknown node type "${name}"`);
		return type;
	};
	return {
		getByName: find,
		getByNameAndVersion: (name, version) => NodeHelpers.getVersionedNodeType(find(name), version),
		getKnownTypes: () => ({}),
	};
}

/**
 * A test node's description: one main input and output unless given, version 1. Every node class
 * says `usableAsTool` (the package's lint asks for it); the harness derives no tool of these.
 */
export function testNodeDescription(
	displayName: string,
	name: string,
	description: string,
	defaultName: string,
	node: Pick<INodeTypeDescription, 'properties'> & Partial<Pick<INodeTypeDescription, 'group' | 'inputs'>>,
): INodeTypeDescription {
	return {
		displayName,
		name,
		description,
		defaults: { name: defaultName },
		group: ['transform'],
		version: 1,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		...node,
	};
}

export function latestVersion(description: INodeTypeDescription): number {
	return Array.isArray(description.version)
		? Math.max(...description.version)
		: description.version;
}

/** The type name a node gets when this package is installed: `<package name>.<node name>`. */
export function installedTypeName(name: string): string {
	if (name.includes('.')) return name;
	const packageName = readPackageJson().name;
	if (!packageName) throw new UnexpectedError('package.json has no name');
	return `${packageName}.${name}`;
}

// ---------------------------------------------------------------------------------------------
// The upstream node

export interface InputFile {
	bytes: Buffer;
	fileName?: string;
	mimeType?: string;
}

export interface InputItem {
	json?: IDataObject;
	/**
	 * Files the upstream node outputs in `binary`, by field name. In a combined-mode workflow
	 * n8n moves them into the item's `json._files` once the node has run, as for every node.
	 */
	binary?: Record<string, InputFile>;
	/** Files the upstream node puts straight into the item's JSON, by dot path (`upload.photo`). */
	jsonFiles?: Record<string, InputFile>;
}

const pendingInputs = new Map<string, InputItem[]>();

/** Hands `items` to the upstream node of the run `runId` until `release` is called. */
export function provideInputs(runId: string, items: InputItem[]): { release(): void } {
	pendingInputs.set(runId, items);
	return { release: () => pendingInputs.delete(runId) };
}

function setAtPath(target: IDataObject, path: string, value: unknown): void {
	const keys = path.split('.');
	let current = target;
	for (const key of keys.slice(0, -1)) {
		const next = current[key];
		if (next === null || typeof next !== 'object' || Array.isArray(next)) current[key] = {};
		current = current[key] as IDataObject;
	}
	current[keys[keys.length - 1]] = value as IDataObject;
}

/** Emits the items a test gives it, storing files with `prepareBinaryData` as n8n nodes do. */
class EmitItems implements INodeType {
	description = testNodeDescription('Emit Items', 'test.emitItems', 'Emits the items a test gives it', 'Upstream', {
		properties: [{ displayName: 'Run ID', name: 'runId', type: 'string', default: '' }],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const runId = this.getNodeParameter('runId', 0) as string;
		const items = pendingInputs.get(runId) ?? [{}];
		const store = async (file: InputFile) =>
			await this.helpers.prepareBinaryData(file.bytes, file.fileName, file.mimeType);
		const out: INodeExecutionData[] = [];
		for (const item of items) {
			const data: INodeExecutionData = {
				json: structuredClone(item.json ?? {}),
				pairedItem: { item: 0 },
			};
			for (const [path, file] of Object.entries(item.jsonFiles ?? {})) {
				setAtPath(data.json, path, await store(file));
			}
			if (item.binary) {
				data.binary = {};
				for (const [key, file] of Object.entries(item.binary)) data.binary[key] = await store(file);
			}
			out.push(data);
		}
		return [out];
	}
}

export const emitItems = new EmitItems();

// ---------------------------------------------------------------------------------------------
// The next node

/**
 * Reads each input item's file the way n8n's own nodes do (Convert to File, Respond to Webhook,
 * ...): `assertBinaryData` and `getBinaryDataBuffer` with its Binary Field parameter, so the
 * workflow's binary mode decides whether that is a `binary` key or a JSON path; an expression
 * may also give the file object itself. An empty Binary Field reads no file. Outputs, per item,
 * the JSON it received and the file it read (bytes in base64).
 */
class ReadFiles implements INodeType {
	description = testNodeDescription('Read Files', 'test.readFiles', 'Reads the file of every input item', 'Next', {
		properties: [{ displayName: 'Binary Field', name: 'binaryField', type: 'string', default: 'data' }],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		const items = this.getInputData();
		for (let i = 0; i < items.length; i++) {
			const json: IDataObject = { received: items[i].json };
			const field = this.getNodeParameter('binaryField', i) as string;
			if (field !== '') {
				const file = this.helpers.assertBinaryData(i, field);
				const bytes = await this.helpers.getBinaryDataBuffer(i, field);
				json.file = {
					fileName: file.fileName,
					mimeType: file.mimeType,
					fileExtension: file.fileExtension,
					base64: bytes.toString('base64'),
				};
			}
			out.push({ json, pairedItem: { item: i } });
		}
		return [out];
	}
}

export const readFiles = new ReadFiles();

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

/*
 * How n8n 2.41 runs a node as an AI Agent tool: a workflow Upstream → Agent, with the node's
 * tool variant connected to the Agent over `ai_tool`. n8n 2.41 has two ways of running a tool, and the test agent takes either:
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

/** How the agent has its tool run; see above. */
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
	description = testNodeDescription('Test Agent', 'test.agent', 'Calls its tool once with the arguments a model would send', 'Agent', {
		inputs: [
			NodeConnectionTypes.Main,
			{ type: NodeConnectionTypes.AiTool, displayName: 'Tool', required: true },
		],
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
	});

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

export const testAgent = new TestAgent();
