/**
 * The node types of a test workflow: a registry n8n-core looks types up in, the upstream node
 * that emits a test's items, and the next node that reads the files the node under test outputs.
 */
import { NodeConnectionTypes, NodeHelpers, UnexpectedError } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IVersionedNodeType,
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
	description: INodeTypeDescription = {
		displayName: 'Emit Items',
		name: 'test.emitItems',
		group: ['transform'],
		version: 1,
		description: 'Emits the items a test gives it',
		defaults: { name: 'Upstream' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		properties: [{ displayName: 'Run ID', name: 'runId', type: 'string', default: '' }],
	};

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
	description: INodeTypeDescription = {
		displayName: 'Read Files',
		name: 'test.readFiles',
		group: ['transform'],
		version: 1,
		description: 'Reads the file of every input item',
		defaults: { name: 'Next' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		properties: [
			{ displayName: 'Binary Field', name: 'binaryField', type: 'string', default: 'data' },
		],
	};

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
