#!/usr/bin/env node
// Starts the StepFun stand-in and prints one JSON line:
//   {"baseUrl":..., "imageBaseUrl":..., "apiKey":...}
// Options: --port N (API port, 0 = free), --image-port N, --api-key K, --delay-ms N.
// Stays up until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';

import { startStandIn } from './server.mjs';

/** @param {string | undefined} v @param {string} name */
function toInt(v, name) {
	if (v === undefined) return 0;
	if (!/^[0-9]+$/.test(v)) {
		process.stderr.write(`stand-in: --${name} must be a non-negative integer\n`);
		process.exit(2);
	}
	return Number(v);
}

const { values } = parseArgs({
	options: {
		port: { type: 'string' },
		'image-port': { type: 'string' },
		'api-key': { type: 'string' },
		'delay-ms': { type: 'string' },
	},
});

const standIn = await startStandIn({
	apiKey: values['api-key'] ?? 'sk-test-key',
	port: toInt(values.port, 'port'),
	imagePort: toInt(values['image-port'], 'image-port'),
});
standIn.setDelay(toInt(values['delay-ms'], 'delay-ms'));
process.stdout.write(
	JSON.stringify({
		baseUrl: standIn.baseUrl,
		imageBaseUrl: standIn.imageBaseUrl,
		apiKey: standIn.apiKey,
	}) + '\n',
);

let stopping = false;
const stop = async () => {
	if (stopping) return;
	stopping = true;
	await standIn.close();
	process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
