// Workflow JSON of the Analyze, Get Balance and AI Agent tool scenarios, and of the editor
// screenshots with an Analyze panel.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { lineDir } from '../prepare.mjs';
import {
	NODE_TYPE,
	chain,
	credRef,
	linearWorkflow,
	manualTrigger,
	node,
	panelShowcase,
	respondWithItem,
	setNode,
	stepFunNode,
	webhookNode,
	workflow,
} from './workflows.mjs';

export const VISION_MODEL = { __rl: true, mode: 'id', value: 'step-3.7-flash' };
export const TOOL_TYPE = `${NODE_TYPE}Tool`;
export const AGENT_TYPE = '@n8n/n8n-nodes-langchain.agent';
export const OPENAI_MODEL_TYPE = '@n8n/n8n-nodes-langchain.lmChatOpenAi';

/** The openAiApi credential of n8n (import:credentials format) with its Base URL on `openAi`. */
export function openAiCredential(
	openAi,
	{ id = 'e2eOpenAiStandIn', name = 'OpenAI (stand-in)' } = {},
) {
	return { id, name, type: 'openAiApi', data: { apiKey: openAi.apiKey, url: openAi.baseUrl } };
}

/**
 * Webhook (POST, multipart: photos and a text field `question`) -> StepFun Image Analyze with
 * Image Source "All Image Files of the Item" and JSON Output -> Respond to Webhook with the
 * item's JSON.
 */
export function webhookAnalyze({ cred, path, id = 'e2eWebhookAnalyz' }) {
	const nodes = [
		webhookNode(path),
		stepFunNode('Analyze Photos', [220, 0], cred, {
			operation: 'analyze',
			imageSource: 'allFiles',
			model: VISION_MODEL,
			prompt: '={{ $json.body.question }}',
			options: {
				jsonOutput: true,
				systemMessage: 'You write captions for an online shop.',
				detail: 'high',
				maxTokens: 2000,
			},
		}),
		respondWithItem([440, 0]),
	];
	return linearWorkflow(
		id,
		'E2E webhook upload of photos: Analyze all image files (JSON Output)',
		nodes,
	);
}

/**
 * Manual Trigger -> Set (links, comma-separated) -> Analyze with Image Source URLs, Send URLs
 * As "Image Data" (the default: the node downloads them) -> Analyze of the same links sent as
 * "Links" (StepFun downloads them).
 */
export function urlAnalyze({ cred, links, id = 'e2eUrlAnalyze001' }) {
	const fromSet = "={{ $('Set Links').item.json.photoLinks }}";
	const analyzeNode = (name, position, imageUrlMode) =>
		stepFunNode(name, position, cred, {
			operation: 'analyze',
			imageSource: 'url',
			imageUrls: fromSet,
			...(imageUrlMode ? { imageUrlMode } : {}),
			model: VISION_MODEL,
			prompt: 'What do these pictures show?',
			options: {},
		});
	const nodes = [
		manualTrigger(),
		setNode('Set Links', [220, 0], { photoLinks: ['string', links.join(', ')] }),
		analyzeNode('Analyze Downloaded', [440, 0]),
		analyzeNode('Analyze Links', [660, 0], 'link'),
	];
	return linearWorkflow(
		id,
		'E2E Analyze from image URLs: downloaded by the node, then as links',
		nodes,
	);
}

/**
 * Manual Trigger -> StepFun Get Balance -> IF balance < `threshold` -> "Low Balance" (true)
 * or "Enough Balance" (false), each a Set node that says so.
 */
export function balanceCheck({ cred, threshold, id = 'e2eBalanceCheck1' }) {
	const nodes = [
		manualTrigger(),
		node(
			'Get Balance',
			NODE_TYPE,
			1,
			[220, 0],
			{ resource: 'account', operation: 'getBalance', options: {} },
			{ credentials: credRef(cred) },
		),
		node('Below Threshold?', 'n8n-nodes-base.if', 2, [440, 0], {
			conditions: {
				options: { caseSensitive: true, leftValue: '', typeValidation: 'strict' },
				conditions: [
					{
						id: randomUUID(),
						leftValue: '={{ $json.balance }}',
						rightValue: threshold,
						operator: { type: 'number', operation: 'lt' },
					},
				],
				combinator: 'and',
			},
			options: {},
		}),
		setNode('Low Balance', [660, -100], {
			alert: ['string', '=Balance {{ $json.balance }} is below ' + threshold],
		}),
		setNode('Enough Balance', [660, 100], {
			note: ['string', '=Balance {{ $json.balance }} is enough'],
		}),
	];
	const connections = {
		...chain('Manual Trigger', 'Get Balance', 'Below Threshold?'),
		'Below Threshold?': {
			main: [
				[{ node: 'Low Balance', type: 'main', index: 0 }],
				[{ node: 'Enough Balance', type: 'main', index: 0 }],
			],
		},
	};
	return workflow(id, 'E2E Get Balance and IF below a threshold', nodes, connections);
}

/**
 * The AI Agent's version a new agent gets in this n8n (`defaultVersion` of the installed
 * @n8n/n8n-nodes-langchain package), and the highest version of its OpenAI Chat Model.
 */
export function aiNodeVersions(line) {
	const dist = join(lineDir(line), 'node_modules', '@n8n', 'n8n-nodes-langchain', 'dist', 'nodes');
	const agent = readFileSync(join(dist, 'agents', 'Agent', 'Agent.node.js'), 'utf8');
	const model = readFileSync(join(dist, 'llms', 'LMChatOpenAi', 'LmChatOpenAi.node.js'), 'utf8');
	const agentVersion = Number(/defaultVersion:\s*([\d.]+)/.exec(agent)?.[1]);
	const modelVersions = /version:\s*\[([\d.,\s]+)\]/.exec(model)?.[1].split(',').map(Number);
	if (!agentVersion || !modelVersions?.length)
		throw new Error(`cannot read the AI Agent / OpenAI Chat Model versions under ${dist}`);
	return { agentVersion, chatModelVersion: Math.max(...modelVersions) };
}

/**
 * Manual Trigger -> n8n's AI Agent (prompt defined in the node) with n8n's OpenAI Chat Model
 * (credential `openAiCred`, Chat Completions rather than the Responses API: what an
 * OpenAI-compatible server offers) and the StepFun Image tool (`toolParameters`, e.g.
 * Generate with a `$fromAI` prompt).
 */
export function agentWithStepFunTool({
	id,
	name,
	stepFunCred,
	openAiCred,
	versions,
	prompt,
	toolParameters,
	toolName = 'StepFun Image',
}) {
	const nodes = [
		manualTrigger(),
		node('AI Agent', AGENT_TYPE, versions.agentVersion, [260, 0], {
			promptType: 'define',
			text: prompt,
			options: {},
		}),
		node(
			'OpenAI Chat Model',
			OPENAI_MODEL_TYPE,
			versions.chatModelVersion,
			[180, 220],
			{
				model: { __rl: true, mode: 'id', value: 'gpt-4o-mini' },
				responsesApiEnabled: false,
				options: {},
			},
			{ credentials: { openAiApi: { id: openAiCred.id, name: openAiCred.name } } },
		),
		node(
			toolName,
			TOOL_TYPE,
			1,
			[400, 220],
			{ resource: 'image', ...toolParameters },
			{ credentials: credRef(stepFunCred) },
		),
	];
	const connections = {
		...chain('Manual Trigger', 'AI Agent'),
		'OpenAI Chat Model': {
			ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]],
		},
		[toolName]: { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
	};
	return workflow(id, name, nodes, connections);
}

/**
 * For the screenshots: the Generate and Edit showcase, and after them an Analyze node with
 * JSON Output that reads the edited image from the binary field `data`.
 */
export function analyzeShowcase({ cred, id = 'e2eScreenshot001' }) {
	const base = panelShowcase({ cred, id });
	const last = base.nodes.at(-1);
	const analyzeNode = stepFunNode('Analyze Image', [last.position[0] + 260, 0], cred, {
		operation: 'analyze',
		imageSource: 'binary',
		binaryPropertyName: 'data',
		model: VISION_MODEL,
		prompt: 'Describe this picture for a product page. Answer as JSON with a caption and tags.',
		options: { jsonOutput: true, detail: 'high' },
	});
	return {
		...base,
		name: 'StepFun Image: Generate, Edit and Analyze',
		nodes: [...base.nodes, analyzeNode],
		connections: {
			...base.connections,
			[last.name]: { main: [[{ node: analyzeNode.name, type: 'main', index: 0 }]] },
		},
	};
}

/**
 * n8n's Chat Trigger (public, Embedded Chat: the webhook the chat widget posts to, answering
 * with the last node's output) -> AI Agent (the chat message as its prompt) with n8n's OpenAI
 * Chat Model and the StepFun Image tool: what a user builds to chat for pictures.
 */
export function chatAgentWithStepFunTool({
	id,
	name,
	stepFunCred,
	openAiCred,
	versions,
	toolParameters,
	webhookId = randomUUID(),
}) {
	const base = agentWithStepFunTool({
		id,
		name,
		stepFunCred,
		openAiCred,
		versions,
		prompt: '',
		toolParameters,
	});
	const trigger = node(
		'When chat message received',
		'@n8n/n8n-nodes-langchain.chatTrigger',
		1.3,
		[0, 0],
		{ public: true, mode: 'webhook', options: { responseMode: 'lastNode' } },
		{ webhookId },
	);
	const nodes = base.nodes.map((n) => {
		if (n.name === 'Manual Trigger') return trigger;
		if (n.name === 'AI Agent')
			return { ...n, parameters: { promptType: 'auto', text: '={{ $json.chatInput }}', options: {} } };
		return n;
	});
	const connections = { ...base.connections };
	delete connections['Manual Trigger'];
	Object.assign(connections, chain(trigger.name, 'AI Agent'));
	return { ...workflow(id, name, nodes, connections), webhookId };
}
