import type {
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeExecutionData,
	INodeListSearchResult,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { getBalance } from './actions/account/getBalance.operation';
import { analyze } from './actions/image/analyze.operation';
import { edit } from './actions/image/edit.operation';
import { generate } from './actions/image/generate.operation';
import { listModels } from './methods/listSearch';
import type { Operation } from './helpers/runner';
import { runOperation } from './helpers/runner';

/** Every operation, listed in this order under its resource. */
const OPERATION_LIST: Operation[] = [generate, edit, analyze, getBalance];

/** Each operation's module, by the value of its Operation parameter. */
const OPERATIONS = new Map(OPERATION_LIST.map((operation) => [operation.name, operation]));

const RESOURCES = [
	{ name: 'Image', value: 'image' },
	{ name: 'Account', value: 'account' },
] as const;

/** The Operation list of one resource, from the operations' own entries. */
function operationProperty(resource: Operation['resource']): INodeProperties {
	const operations = OPERATION_LIST.filter((operation) => operation.resource === resource);
	const first = operations[0].name;
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options: operations.map((operation) => ({ value: operation.name, ...operation.choice })),
		default: first,
	};
}

export class StepFunImage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'StepFun Image',
		name: 'stepFunImage',
		icon: { light: 'file:../../icons/stepfun.svg', dark: 'file:../../icons/stepfun.dark.svg' },
		group: ['transform'],
		version: 1,
		// What the canvas shows under the node's name; test/features.test.ts checks it names every operation.
		subtitle:
			'={{ { generate: "Generate Image", edit: "Edit Image", analyze: "Analyze Image", getBalance: "Get Balance" }[$parameter["operation"]] }}',
		description: 'Generate, edit and analyze images with StepFun',
		defaults: { name: 'StepFun Image' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'stepFunApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [...RESOURCES],
				default: 'image',
			},
			...RESOURCES.map(({ value }) => operationProperty(value)),
			...OPERATION_LIST.flatMap((operation) => operation.description),
		],
	};

	methods = {
		listSearch: {
			async listModels(
				this: ILoadOptionsFunctions,
				filter?: string,
			): Promise<INodeListSearchResult> {
				return await listModels(this, filter);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const name = this.getNodeParameter('operation', 0);
		const operation =
			typeof name === 'string' ? OPERATIONS.get(name as Operation['name']) : undefined;
		if (!operation) {
			throw new NodeOperationError(this.getNode(), `Unknown operation ${JSON.stringify(name)}`, {
				description: `This version of the node offers: ${[...OPERATIONS.keys()].join(', ')}. Update the package, or pick one of these.`,
			});
		}
		return await runOperation(this, operation);
	}
}
