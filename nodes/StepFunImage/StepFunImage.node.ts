import type {
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { nodeProperties, OPERATION_LIST, operationNamed } from './actions/operations';
import { IMAGE_MODELS } from './descriptions/fields';
import { runOperation } from './engine/runner';
import { listModels } from './methods/listSearch';

export class StepFunImage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'StepFun Image',
		name: 'stepFunImage',
		icon: { light: 'file:../../icons/stepfun.svg', dark: 'file:../../icons/stepfun.dark.svg' },
		group: ['transform'],
		version: 1,
		// What the canvas shows under the node's name: each operation's `subtitle` (n8n's lint
		// wants the literal here; test/features.test.ts checks it against the operation list).
		subtitle:
			'={{ { generate: "Generate Image", edit: "Edit Image", analyze: "Analyze Image", getBalance: "Get Balance" }[$parameter["operation"]] }}',
		description: 'Generate, edit and analyze images with StepFun',
		defaults: { name: 'StepFun Image' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'stepFunApi', required: true }],
		properties: nodeProperties(),
	};

	methods = {
		listSearch: {
			async listModels(this: ILoadOptionsFunctions, filter?: string) {
				// The operation whose Model field is open in the editor says which models come first.
				let operation: unknown;
				try {
					operation = this.getCurrentNodeParameter('operation');
				} catch {
					operation = undefined;
				}
				return await listModels(this, operationNamed(operation)?.models ?? IMAGE_MODELS, filter);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const name = this.getNodeParameter('operation', 0);
		const operation = operationNamed(name);
		if (!operation) {
			throw new NodeOperationError(this.getNode(), `Unknown operation ${JSON.stringify(name)}`, {
				description: `This version of the node offers: ${OPERATION_LIST.map((known) => known.name).join(', ')}. Update the package, or pick one of these.`,
			});
		}
		return await runOperation(this, operation);
	}
}
