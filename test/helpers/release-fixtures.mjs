// What the 0.1.0 release shipped (test/fixtures/release-0.1.0): its node description, and its
// example workflows as users imported them. Plain .mjs because reading files needs node:fs; its
// JSDoc types are checked by `npm run typecheck`.
import { readFileSync } from 'node:fs';

/**
 * One parameter or credential field as a release described it (test/fixtures/describe-package.mjs).
 * @typedef {object} DescribedParameter
 * @property {string} name
 * @property {string} type
 * @property {unknown} default
 * @property {unknown[]} [values]
 * @property {Record<string, unknown[]>} [show]
 */

/**
 * A saved StepFun Image node of an example workflow.
 * @typedef {{ name: string, type: string, typeVersion: number, parameters: Record<string, unknown> }} SavedNode
 */

const folder = new URL('../fixtures/release-0.1.0/', import.meta.url);
/** @type {(name: string) => any} */
const read = (name) => JSON.parse(readFileSync(new URL(name, folder), 'utf8'));

/**
 * @type {{
 *   node: { name: string, version: number, credentials: Array<{ name: string, required?: boolean }>, parameters: DescribedParameter[] },
 *   credential: { name: string, fields: DescribedParameter[] },
 * }}
 */
export const RELEASE_0_1_0 = read('description.json');

/**
 * The StepFun Image nodes of the 0.1.0 example workflows, by workflow file.
 * @type {Array<{ file: string, node: SavedNode }>}
 */
export const SAVED_NODES_0_1_0 = [
	'form-upload-edit-to-drive-and-slack.json',
	'schedule-generate-to-disk.json',
	'webhook-edit-respond.json',
].flatMap((file) =>
	read(file)
		.nodes.filter((/** @type {SavedNode} */ node) => node.type === 'n8n-nodes-stepfun.stepFunImage')
		.map((/** @type {SavedNode} */ node) => ({ file, node })),
);
