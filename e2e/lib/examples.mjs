// The importable workflows in examples/: loaded as shipped, and turned into copies
// the e2e can execute (credential pointed at the stand-in, paths into the temp folder).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO } from './pack.mjs';

export const EXAMPLES_DIR = join(REPO, 'examples');
const STEPFUN_CRED = 'stepFunApi';
/** The folder the examples write to, as a Docker user of n8n 2.x would have it. */
export const EXAMPLE_FILES_DIR = '/home/node/.n8n-files';

export function loadExamples() {
	return readdirSync(EXAMPLES_DIR)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((file) => ({ file, raw: JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) }));
}

/** One example as shipped: { file, raw }. */
export function loadExample(file) {
	const found = loadExamples().find((ex) => ex.file === file);
	if (!found) throw new Error(`no example ${file} in ${EXAMPLES_DIR}`);
	return found;
}

/**
 * A copy of an example for execution, or the reason it cannot run without third-party
 * accounts. { workflow, file, execute: 'cli' | 'webhook' | 'form' | 'schedule' | undefined,
 * webhookPath, formPath, why, activate }
 * `variant` (letters) gives a further copy its own ID, name and webhook path, so that
 * scenarios running the same example do not see each other's executions.
 */
export function exampleForExecution({ file, raw }, { filesDir, variant = '' }) {
	const thirdParty = new Set();
	for (const n of raw.nodes)
		for (const c of Object.keys(n.credentials ?? {})) if (c !== STEPFUN_CRED) thirdParty.add(c);
	const id = `e2eEx${variant}${file.replace(/[^a-z0-9]/gi, '')}`.padEnd(16, '0').slice(0, 16);
	const text = JSON.stringify(raw).replaceAll(EXAMPLE_FILES_DIR, filesDir);
	const name = `${raw.name} (e2e copy${variant ? `, ${variant}` : ''})`;
	const workflow = { ...JSON.parse(text), id, name, active: false };
	workflow.nodes = workflow.nodes.map((n) => ({
		...n,
		id: randomUUID(),
		...(n.webhookId ? { webhookId: randomUUID() } : {}),
	}));
	const types = raw.nodes.map((n) => n.type);
	const result = { file, workflow, raw };
	if (thirdParty.size)
		return {
			...result,
			why: `needs third-party accounts (${[...thirdParty].join(', ')}); imported and type-checked only`,
		};
	const form = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.formTrigger');
	if (form) {
		const path = `e2e-${variant ? `${variant.toLowerCase()}-` : ''}${form.parameters.options.path}`;
		form.parameters.options.path = path;
		return { ...result, execute: 'form', activate: true, formPath: path };
	}
	if (types.includes('n8n-nodes-base.webhook')) {
		const hook = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
		hook.parameters.path = `e2e-${variant ? `${variant.toLowerCase()}-` : ''}${hook.parameters.path}`;
		return { ...result, execute: 'webhook', activate: true, webhookPath: hook.parameters.path };
	}
	const schedule = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.scheduleTrigger');
	if (schedule) {
		// The real Schedule Trigger, active in a started n8n, firing every 5 seconds.
		schedule.parameters = { rule: { interval: [{ field: 'seconds', secondsInterval: 5 }] } };
		return { ...result, execute: 'schedule', activate: true };
	}
	return { ...result, execute: 'cli' };
}
