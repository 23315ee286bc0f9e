// The operations, in the order the Operation lists show them. Adding an operation is one file,
// one line here and its words in the node file's subtitle literal (test/features.test.ts says
// when they are missing): the node's Resource and Operation lists, each operation's fields and
// Options collection, dispatch and the Model picker all derive from this list.
import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { getBalance } from './account/getBalance.operation';
import { analyze } from './image/analyze.operation';
import { edit } from './image/edit.operation';
import { generate } from './image/generate.operation';
import type { Operation, ResourceName } from '../engine/operation';

export const OPERATION_LIST: Operation[] = [generate, edit, analyze, getBalance];

export const RESOURCES: ReadonlyArray<{ name: string; value: ResourceName }> = [
	{ name: 'Image', value: 'image' },
	{ name: 'Account', value: 'account' },
];

export function operationNamed(name: unknown): Operation | undefined {
	return OPERATION_LIST.find((operation) => operation.name === name);
}

/** The Operation list of one resource, from the operations' own entries. */
function operationProperty(resource: ResourceName): INodeProperties {
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

/** An operation's fields and Options collection, shown only when it is picked. */
function operationFields(operation: Operation): INodeProperties[] {
	const properties = operation.fields.map((field) => ('check' in field ? field.property : field));
	// Its options in alphabetical order, as n8n lists them.
	const options = operation.options
		.map((option) => option.property)
		.sort((a, b) => a.displayName.localeCompare(b.displayName));
	if (options.length > 0) {
		properties.push({
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options,
		});
	}
	return updateDisplayOptions(
		{ show: { resource: [operation.resource], operation: [operation.name] } },
		properties,
	);
}

/** Every parameter of the node: Resource, each resource's Operation list, each operation's fields. */
export function nodeProperties(): INodeProperties[] {
	const firstResource = RESOURCES[0].value;
	return [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [...RESOURCES],
			default: firstResource,
		},
		...RESOURCES.map(({ value }) => operationProperty(value)),
		...OPERATION_LIST.flatMap(operationFields),
	];
}
