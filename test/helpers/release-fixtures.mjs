// What the 0.1.0 release shipped (test/fixtures/release-0.1.0): its node description, and its
// example workflows as users imported them. Plain .mjs because reading files needs node:fs.
import { readFileSync } from 'node:fs';

const folder = new URL('../fixtures/release-0.1.0/', import.meta.url);
const read = (name) => JSON.parse(readFileSync(new URL(name, folder), 'utf8'));

export const RELEASE_0_1_0 = read('description.json');

/** The StepFun Image nodes of the 0.1.0 example workflows, by workflow file. */
export const SAVED_NODES_0_1_0 = [
	'form-upload-edit-to-drive-and-slack.json',
	'schedule-generate-to-disk.json',
	'webhook-edit-respond.json',
].flatMap((file) =>
	read(file)
		.nodes.filter((node) => node.type === 'n8n-nodes-stepfun.stepFunImage')
		.map((node) => ({ file, node })),
);
