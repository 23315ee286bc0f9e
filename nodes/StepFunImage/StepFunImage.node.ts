import type {
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeExecutionData,
	INodeListSearchResult,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { getBalance } from './actions/account/getBalance.operation';
import { analyze } from './actions/image/analyze.operation';
import { edit } from './actions/image/edit.operation';
import { generate } from './actions/image/generate.operation';
import { listModels } from './models';
import type { Operation } from './runner';
import { runOperation } from './runner';

/** Each operation's module, by the value of its Operation parameter. */
const OPERATIONS = new Map<string, Operation>(
	[generate, edit, analyze, getBalance].map((operation) => [operation.name, operation]),
);

export class StepFunImage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'StepFun Image',
		name: 'stepFunImage',
		icon: { light: 'file:../../icons/stepfun.svg', dark: 'file:../../icons/stepfun.dark.svg' },
		group: ['transform'],
		version: 1,
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
				options: [
					{ name: 'Image', value: 'image' },
					{ name: 'Account', value: 'account' },
				],
				default: 'image',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['image'] } },
				options: [
					{
						name: 'Generate',
						value: 'generate',
						action: 'Generate an image',
						description: 'Create an image from a text prompt',
					},
					{
						name: 'Edit',
						value: 'edit',
						action: 'Edit an image',
						description: 'Change an image from an earlier node as a prompt describes',
					},
					{
						name: 'Analyze',
						value: 'analyze',
						action: 'Analyze an image',
						description: 'Ask a vision model about one or more images',
					},
				],
				default: 'generate',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['account'] } },
				options: [
					{
						name: 'Get Balance',
						value: 'getBalance',
						action: 'Get the account balance',
						description: 'What the StepFun account can spend (free)',
					},
				],
				default: 'getBalance',
			},
			...generate.description,
			...edit.description,
			...analyze.description,
			...getBalance.description,
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
		const operation = typeof name === 'string' ? OPERATIONS.get(name) : undefined;
		if (!operation) {
			throw new NodeOperationError(this.getNode(), `Unknown operation ${JSON.stringify(name)}`, {
				description: `This version of the node offers: ${[...OPERATIONS.keys()].join(', ')}. Update the package, or pick one of these.`,
			});
		}
		return await runOperation(this, operation);
	}
}
