// Workflow JSON for the e2e scenarios, built per n8n instance (paths, credential).
import { randomUUID } from 'node:crypto';

export const NODE_TYPE = 'n8n-nodes-stepfun.stepFunImage';
export const CREDENTIAL_TYPE = 'stepFunApi';

/** A stepFunApi credential (import:credentials format) pointing at a base URL. */
export function credential({
	id = 'stepfunE2eCred01',
	name = 'StepFun (local stand-in)',
	apiKey,
	baseUrl,
}) {
	return { id, name, type: CREDENTIAL_TYPE, data: { apiKey, region: 'custom', baseUrl } };
}

const credRef = (cred) => ({ [CREDENTIAL_TYPE]: { id: cred.id, name: cred.name } });

function node(name, type, typeVersion, position, parameters, extra = {}) {
	return { id: randomUUID(), name, type, typeVersion, position, parameters, ...extra };
}

function chain(...names) {
	const connections = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

function workflow(id, name, nodes, connections, settings = {}) {
	return {
		id,
		name,
		nodes,
		connections,
		active: false,
		settings: { executionOrder: 'v1', ...settings },
		pinData: {},
	};
}

/** A Set node (version 3.4) assigning `fields` ({ name: [type, value] }) to each item. */
function setNode(name, position, fields) {
	return node(name, 'n8n-nodes-base.set', 3.4, position, {
		mode: 'manual',
		assignments: {
			assignments: Object.entries(fields).map(([field, [type, value]]) => ({
				id: randomUUID(),
				name: field,
				value,
				type,
			})),
		},
		options: {},
	});
}

export const MODEL = { __rl: true, mode: 'id', value: 'step-image-edit-2' };

/** A StepFun Image node (version 1) of resource Image with the default model, using `cred`. */
function stepFunNode(name, position, cred, parameters) {
	return node(
		name,
		NODE_TYPE,
		1,
		position,
		{ resource: 'image', model: MODEL, ...parameters },
		{ credentials: credRef(cred) },
	);
}

/**
 * Scenario 1: Manual Trigger -> Set (values, one an expression) -> StepFun Image Generate
 * (prompt and seed from expressions) -> Read/Write Files from Disk (write).
 */
export function generateToDisk({ cred, outFile, id = 'e2eGenerateDisk1' }) {
	const nodes = [
		node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}),
		setNode('Set Prompt', [220, 0], {
			subject: ['string', '={{ "light" + "house" }}'],
			seed: ['number', 4242],
		}),
		stepFunNode('StepFun Image', [440, 0], cred, {
			operation: 'generate',
			prompt: '=A watercolor of a {{ $json.subject }} at dusk',
			size: '768x1360',
			options: { seed: '={{ $json.seed }}', steps: 12, cfgScale: 1.5, negativePrompt: 'blurry' },
		}),
		node('Write File', 'n8n-nodes-base.readWriteFile', 1, [660, 0], {
			operation: 'write',
			fileName: outFile,
			dataPropertyName: 'data',
			options: {},
		}),
	];
	return workflow(
		id,
		'E2E generate to disk',
		nodes,
		chain('Manual Trigger', 'Set Prompt', 'StepFun Image', 'Write File'),
	);
}

/**
 * Scenario 6 (issue 6): Manual Trigger -> Set (a photo URL and an email) -> StepFun Image Edit
 * with Image Source URL and Include Input Fields.
 */
export function urlEditWithInputFields({ cred, photoUrl, id = 'e2eUrlEditFields' }) {
	const nodes = [
		node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}),
		setNode('Set Fields', [220, 0], {
			photoUrl: ['string', photoUrl],
			email: ['string', 'ann@example.com'],
		}),
		stepFunNode('StepFun Image', [440, 0], cred, {
			operation: 'edit',
			imageSource: 'url',
			imageUrl: '={{ $json.photoUrl }}',
			prompt: 'Add a paper boat',
			options: { includeInputFields: true },
		}),
	];
	return workflow(
		id,
		'E2E edit from URL with input fields',
		nodes,
		chain('Manual Trigger', 'Set Fields', 'StepFun Image'),
	);
}

/** Scenario 4: Manual Trigger -> StepFun Image Generate (the stand-in answers 401). */
export function generateOnly({ cred, id = 'e2eGenerateOnly1' }) {
	const nodes = [
		node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}),
		stepFunNode('StepFun Image', [220, 0], cred, {
			operation: 'generate',
			prompt: 'A red fox in the snow',
			size: '1024x1024',
			options: { maxRetries: 0 },
		}),
	];
	return workflow(id, 'E2E generate (401)', nodes, chain('Manual Trigger', 'StepFun Image'));
}

/**
 * Scenario 2: Webhook (POST, multipart, file field `image`) -> StepFun Image Edit
 * (prompt from the form's text field) -> Respond to Webhook with the binary.
 */
export function webhookEdit({ cred, path = 'stepfun-edit', id = 'e2eWebhookEdit01' }) {
	const nodes = [
		node(
			'Webhook',
			'n8n-nodes-base.webhook',
			2,
			[0, 0],
			{ httpMethod: 'POST', path, responseMode: 'responseNode', options: {} },
			{ webhookId: randomUUID() },
		),
		stepFunNode('StepFun Image', [220, 0], cred, {
			operation: 'edit',
			prompt: '={{ $json.body.prompt }}',
			binaryPropertyName: 'image',
			options: { seed: 7 },
		}),
		node('Respond to Webhook', 'n8n-nodes-base.respondToWebhook', 1.1, [440, 0], {
			respondWith: 'binary',
			responseDataSource: 'set',
			inputFieldName: 'data',
			options: {},
		}),
	];
	return workflow(
		id,
		'E2E webhook edit',
		nodes,
		chain('Webhook', 'StepFun Image', 'Respond to Webhook'),
	);
}

/**
 * Scenario 2b: n8n Form Trigger (file field "Photo", text field "Prompt"), responding
 * when the last node finishes (n8n 2.x does not allow Respond to Webhook after a Form
 * Trigger) -> StepFun Image Edit. Posted like the browser posts the form.
 */
export function formEdit({ cred, path = 'stepfun-form', id = 'e2eFormEdit00001' }) {
	const nodes = [
		node(
			'Form Trigger',
			'n8n-nodes-base.formTrigger',
			2.2,
			[0, 0],
			{
				formTitle: 'Edit a photo with StepFun',
				formFields: {
					values: [
						{
							fieldLabel: 'Photo',
							fieldType: 'file',
							multipleFiles: false,
							acceptFileTypes: '.png,.jpg,.jpeg,.webp',
							requiredField: true,
						},
						{ fieldLabel: 'Prompt', requiredField: true },
					],
				},
				responseMode: 'lastNode',
				// From Form Trigger 2.2 on, the URL path is an option.
				options: { path },
			},
			{ webhookId: randomUUID() },
		),
		stepFunNode('StepFun Image', [220, 0], cred, {
			operation: 'edit',
			prompt: '={{ $json.Prompt }}',
			binaryPropertyName: 'Photo',
			options: {},
		}),
	];
	return workflow(id, 'E2E form edit', nodes, chain('Form Trigger', 'StepFun Image'));
}

/** For the screenshot: one Generate and one Edit node on a canvas. */
export function panelShowcase({ cred, id = 'e2eScreenshot001' }) {
	const nodes = [
		node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}),
		stepFunNode('Generate Image', [260, 0], cred, {
			operation: 'generate',
			prompt: 'A lighthouse at dusk, watercolor',
			size: '768x1360',
			options: { seed: 42, steps: 8, negativePrompt: 'blurry, low quality' },
		}),
		stepFunNode('Edit Image', [520, 0], cred, {
			operation: 'edit',
			prompt: 'Make it a snowy winter evening',
			binaryPropertyName: 'data',
			options: {},
		}),
	];
	return workflow(
		id,
		'StepFun Image: Generate and Edit',
		nodes,
		chain('Manual Trigger', 'Generate Image', 'Edit Image'),
	);
}
