/**
 * "This workflow, these items, these parameters → these outputs and these recorded requests":
 * runs the real StepFun Image node through n8n's engine against the loopback StepFun stand-in.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters, INodeType } from 'n8n-workflow';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

import { StepFunApi } from '../../credentials/StepFunApi.credentials';
import { StepFunImage } from '../../nodes/StepFunImage/StepFunImage.node';
import { accountLimiter, resetAccountLimiters } from '../../nodes/StepFunImage/transport/limiter';
import { startStandIn } from '../stand-in/server.mjs';
import type { RecordedRequest, StandIn } from '../stand-in/server.mjs';
import type { AgentToolRunOptions, AgentToolRunResult, NodeSettings, OutputItem, RunResult } from './run-node';
import { runAsAgentTool, runNode } from './run-node';
import { useVirtualClock } from './virtual-clock';

/** How long the node's pace counts a minute in tests (see useStandIn). */
export const TEST_MINUTE_MS = 1000;

/** Recognisable, so a test can search every output for it. */
export const API_KEY = ['sk', 'stepfun', 'TEST', '5ecret', '7e57'].join('-');

export interface StepFunRun extends RunResult {
	standIn: StandIn;
}

/** The items, node settings and workflow settings of runNode, and these: */
export interface StepFunRunOptions extends NodeSettings {
	/** Merged over the stand-in's credential (API key, custom region, its base URL). */
	credentials?: IDataObject;
	/** Another variant of the node, e.g. the tool n8n derives from it. */
	nodeType?: INodeType;
}

export interface StepFunToolRun extends AgentToolRunResult {
	standIn: StandIn;
}

/** The tool call's path and arguments, the agent's input and the tool node's settings: */
export type StepFunToolRunOptions = Omit<
	AgentToolRunOptions,
	'nodeType' | 'credentialType' | 'credentials' | 'parameters'
> & {
	/** Merged over the stand-in's credential. */
	credentials?: IDataObject;
};

/** Starts one stand-in for the test file and resets it after every test. */
export function useStandIn(): {
	readonly standIn: StandIn;
	run: (parameters: INodeParameters, options?: StepFunRunOptions) => Promise<StepFunRun>;
	/**
	 * The node's tool variant with `parameters`, called by a test agent with
	 * `options.toolArguments` (see test/helpers/run-node.ts).
	 */
	runAsTool: (parameters: INodeParameters, options: StepFunToolRunOptions) => Promise<StepFunToolRun>;
} {
	let standIn: StandIn | undefined;
	beforeAll(async () => {
		standIn = await startStandIn({ apiKey: API_KEY });
	});
	// The node paces per credential for the whole process: each test starts with a fresh pace,
	// and a "minute" of one second, so tests that are not about pacing do not wait for it.
	// Tests about pacing set the time they need.
	beforeEach(() => resetAccountLimiters({ minuteMs: TEST_MINUTE_MS }));
	afterEach(() => {
		standIn?.reset();
		resetAccountLimiters();
	});
	afterAll(async () => await standIn?.close());

	const current = () => {
		if (!standIn) throw new Error('stand-in not started');
		return standIn;
	};
	return {
		get standIn() {
			return current();
		},
		async run(parameters, options = {}) {
			const server = current();
			const { credentials, nodeType, ...settings } = options;
			const result = await runNode({
				...settings,
				nodeType: nodeType ?? new StepFunImage(),
				credentialType: new StepFunApi(),
				credentials: credentialsFor(server, credentials),
				parameters: { resource: 'image', ...parameters },
			});
			return { ...result, standIn: server };
		},
		async runAsTool(parameters, options) {
			const server = current();
			const { credentials, ...rest } = options;
			const result = await runAsAgentTool({
				...rest,
				nodeType: new StepFunImage(),
				credentialType: new StepFunApi(),
				credentials: credentialsFor(server, credentials),
				parameters: { resource: 'image', ...parameters },
			});
			return { ...result, standIn: server };
		},
	};
}

function credentialsFor(server: StandIn, overrides: IDataObject = {}): ICredentialDataDecryptedObject {
	return { apiKey: API_KEY, region: 'custom', baseUrl: server.baseUrl, ...overrides };
}

/** Parameters of a Generate node with the given prompt and options. */
export function generate(prompt: string, options: IDataObject = {}, extra: INodeParameters = {}): INodeParameters {
	return { operation: 'generate', prompt, options, ...extra } as INodeParameters;
}

/** Parameters of an Edit node with the given prompt and options. */
export function edit(prompt: string, options: IDataObject = {}, extra: INodeParameters = {}): INodeParameters {
	return { operation: 'edit', prompt, options, ...extra } as INodeParameters;
}

/** Parameters of an Analyze node with the given prompt and options. */
export function analyze(prompt: string, options: IDataObject = {}, extra: INodeParameters = {}): INodeParameters {
	return { operation: 'analyze', prompt, options, ...extra } as INodeParameters;
}

/** Parameters of an Account → Get Balance node. */
export function getBalance(options: IDataObject = {}): INodeParameters {
	return { resource: 'account', operation: 'getBalance', options } as INodeParameters;
}

/** What a Generate request sent, from its raw body (scripted answers match before the stand-in parses it). */
export function sentJson(request: RecordedRequest): { prompt: string; seed?: number } {
	return JSON.parse(request.rawBody.toString('utf8'));
}

/** An output item as its pairing and its prompt and seed, or its error: whole outputs compare at once. */
export function summary(item: OutputItem): IDataObject {
	const paired = item.pairedItem as IDataObject;
	return item.json.error !== undefined ? { paired, error: item.json.error } : { paired, prompt: item.json.prompt, seed: item.json.seed };
}

/** The requests a script's `hold` keeps open at the stand-in right now, in the order they came. */
export function heldRequests(standIn: StandIn): RecordedRequest[] {
	return standIn.requests.filter((request) => request.held);
}

/**
 * Starts a run with the next `count` requests to `path` held at the stand-in, and answers them
 * one at a time: whenever `atOnce` are held (or all that are left) and the node can start no
 * more, it releases the one `pick` chooses (by default the last to come). "Can start no more":
 * the pace is on a virtual clock (useVirtualClock), so no turn waits for real time; every turn it
 * gave is held at the stand-in (none on its way, no answer unread); and nothing more arrived for
 * a while (`standIn.quiet()`). The stand-in's `maxInFlight` is then what the node let run at
 * once, with no timing involved. Gives the run's result and the requests in the order they were
 * released.
 */
export async function answerInTurn<Run>(
	standIn: StandIn,
	{
		path,
		count,
		atOnce,
		pick = (held) => held[held.length - 1],
	}: { path: string; count: number; atOnce: number; pick?: (held: RecordedRequest[]) => RecordedRequest },
	start: () => Promise<Run>,
): Promise<{ run: Run; answered: RecordedRequest[] }> {
	useVirtualClock();
	const pace = accountLimiter(`${standIn.baseUrl}/v1`, API_KEY);
	standIn.fault(path, ...Array.from({ length: count }, () => ({ hold: true })));
	let ended = false;
	const running = start().finally(() => {
		ended = true;
	});
	// A run that ends early (a refused option, a failure) ends the waiting too.
	const runEnds = running.then(
		() => {},
		() => {},
	);
	const answered: RecordedRequest[] = [];
	while (answered.length < count) {
		const expected = Math.min(atOnce, count - answered.length);
		await Promise.race([standIn.when(() => heldRequests(standIn).length >= expected), runEnds]);
		if (ended) break;
		do await standIn.quiet();
		while (!ended && pace.state().inFlight > heldRequests(standIn).length);
		if (ended) break;
		const next = pick(heldRequests(standIn));
		answered.push(next);
		next.release();
	}
	const run = await running;
	if (answered.length < count) throw new Error(`the run ended after ${answered.length} of ${count} requests were held`);
	return { run, answered };
}
