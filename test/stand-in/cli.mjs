#!/usr/bin/env node
// Starts the StepFun stand-in (images, vision chat, models, account balance) and prints one
// JSON line:
//   {"baseUrl":..., "imageBaseUrl":..., "apiKey":...}
// Options: --port N (API port, 0 = free), --image-port N, --api-key K, --delay-ms N,
// and the account's rate limits (off unless given): --max-in-flight N,
// --requests-per-window N, --window-ms N (default 60000), --counting sliding|fixed|bucket,
// --burst N (with bucket), --retry-after N|auto;
// latency jitter: --jitter MIN,MAX (delay-ms times a random factor in [MIN, MAX]).
// Stays up until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';

import { startStandIn } from './server.mjs';

/** @param {string} message */
function fail(message) {
	process.stderr.write(`stand-in: ${message}\n`);
	process.exit(2);
}

/** @param {string | undefined} v @param {string} name */
function toInt(v, name) {
	if (v === undefined) return 0;
	if (!/^[0-9]+$/.test(v)) fail(`--${name} must be a non-negative integer`);
	return Number(v);
}

/** @param {string | undefined} v @param {string} name */
const optionalInt = (v, name) => (v === undefined ? undefined : toInt(v, name));

const { values } = parseArgs({
	options: {
		port: { type: 'string' },
		'image-port': { type: 'string' },
		'api-key': { type: 'string' },
		'delay-ms': { type: 'string' },
		'max-in-flight': { type: 'string' },
		'requests-per-window': { type: 'string' },
		'window-ms': { type: 'string' },
		counting: { type: 'string' },
		burst: { type: 'string' },
		'retry-after': { type: 'string' },
		jitter: { type: 'string' },
	},
});

const standIn = await startStandIn({
	apiKey: values['api-key'] ?? 'sk-test-key',
	port: toInt(values.port, 'port'),
	imagePort: toInt(values['image-port'], 'image-port'),
});
try {
	standIn.setDelay(toInt(values['delay-ms'], 'delay-ms'));
	const maxInFlight = optionalInt(values['max-in-flight'], 'max-in-flight');
	const requestsPerWindow = optionalInt(values['requests-per-window'], 'requests-per-window');
	if (maxInFlight !== undefined || requestsPerWindow !== undefined) {
		const retryAfter = values['retry-after'];
		standIn.limits = {
			maxInFlight,
			requestsPerWindow,
			windowMs: optionalInt(values['window-ms'], 'window-ms'),
			counting: /** @type {'sliding' | 'fixed' | 'bucket' | undefined} */ (values.counting),
			burst: optionalInt(values.burst, 'burst'),
			retryAfter:
				retryAfter === undefined || retryAfter === 'auto' ? retryAfter : Number(retryAfter),
		};
	}
	if (values.jitter !== undefined) {
		const [min, max] = values.jitter.split(',').map(Number);
		standIn.jitter = { min, max };
	}
} catch (error) {
	await standIn.close();
	fail(/** @type {Error} */ (error).message);
}
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
