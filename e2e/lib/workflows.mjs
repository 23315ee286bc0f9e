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

/** A scenario's setup: `workflow` and `credentials` imported before its stage ('cli' or 'server'). */
export const importSetup = (stage, workflow, ...credentials) => ({
	stage,
	credentials,
	workflows: [workflow],
});

/** A server scenario's setup: `workflow` and `credentials` imported, `workflow` live before it runs. */
export const liveSetup = (workflow, ...credentials) => ({
	...importSetup('server', workflow, ...credentials),
	activate: [workflow],
});

export const credRef = (cred) => ({ [CREDENTIAL_TYPE]: { id: cred.id, name: cred.name } });

export function node(name, type, typeVersion, position, parameters, extra = {}) {
	return { id: randomUUID(), name, type, typeVersion, position, parameters, ...extra };
}

export function chain(...names) {
	const connections = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

export function workflow(id, name, nodes, connections, settings = {}) {
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

/** A workflow whose nodes run one after another, in the order given. */
export function linearWorkflow(id, name, nodes, settings = {}) {
	return workflow(id, name, nodes, chain(...nodes.map((each) => each.name)), settings);
}

/** The workflow setting of n8n 2.x that keeps files inside the item's JSON, under `_files`. */
export const COMBINED = { binaryMode: 'combined' };

/** Why a combined-mode scenario does not run on an n8n without that mode (1.x). */
export const noCombinedMode = (version) =>
	`n8n ${version} has no combined binary mode (no binaryMode workflow setting, files always in item.binary)`;

/** A Set node (version 3.4) assigning `fields` ({ name: [type, value] }) to each item. */
export function setNode(name, position, fields) {
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

/** A Manual Trigger at the start of a workflow. */
export const manualTrigger = () =>
	node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {});

/** A Webhook (version 2) at the start of a workflow, answered by a Respond to Webhook node. */
export function webhookNode(path, httpMethod = 'POST') {
	return node(
		'Webhook',
		'n8n-nodes-base.webhook',
		2,
		[0, 0],
		{ httpMethod, path, responseMode: 'responseNode', options: {} },
		{ webhookId: randomUUID() },
	);
}

/** Respond to Webhook (version 1.1) answering with the item's JSON. */
export const respondWithItem = (position) =>
	node('Respond to Webhook', 'n8n-nodes-base.respondToWebhook', 1.1, position, {
		respondWith: 'firstIncomingItem',
		options: {},
	});

/** Extract From File: the file n8n keeps in the JSON in combined mode (`_files.data`) as base64 in `png`. */
const imageToBase64 = (position) =>
	node('Image to Base64', 'n8n-nodes-base.extractFromFile', 1.1, position, {
		operation: 'binaryToPropery',
		binaryPropertyName: '_files.data',
		destinationKey: 'png',
		options: {},
	});

export const MODEL = { __rl: true, mode: 'id', value: 'step-image-edit-2' };

/** A StepFun Image node (version 1) of resource Image with the default model, using `cred`. */
export function stepFunNode(name, position, cred, parameters) {
	return node(
		name,
		NODE_TYPE,
		1,
		position,
		{ resource: 'image', model: MODEL, ...parameters },
		{ credentials: credRef(cred) },
	);
}

/** A StepFun Image Generate node. */
const generateNode = (name, position, cred, { prompt, size, options = {} }) =>
	stepFunNode(name, position, cred, { operation: 'generate', prompt, size, options });

/**
 * Set Prompt (a `subject`, an expression or text, and a `seed`) -> StepFun Image Generate at
 * [440, 0] whose prompt and seed come from the Set node by expressions.
 */
function generateFromSet(cred, { subject, seed, prompt, size, options = {} }) {
	return [
		setNode('Set Prompt', [220, 0], { subject: ['string', subject], seed: ['number', seed] }),
		generateNode('StepFun Image', [440, 0], cred, {
			prompt,
			size,
			options: { seed: '={{ $json.seed }}', ...options },
		}),
	];
}

/**
 * Scenario 1: Manual Trigger -> Set (values, one an expression) -> StepFun Image Generate
 * (prompt and seed from expressions) -> Read/Write Files from Disk (write).
 */
export function generateToDisk({ cred, outFile, id = 'e2eGenerateDisk1' }) {
	const nodes = [
		manualTrigger(),
		...generateFromSet(cred, {
			subject: '={{ "light" + "house" }}',
			seed: 4242,
			prompt: '=A watercolor of a {{ $json.subject }} at dusk',
			size: '768x1360',
			options: { steps: 12, cfgScale: 1.5, negativePrompt: 'blurry' },
		}),
		node('Write File', 'n8n-nodes-base.readWriteFile', 1, [660, 0], {
			operation: 'write',
			fileName: outFile,
			dataPropertyName: 'data',
			options: {},
		}),
	];
	return linearWorkflow(id, 'E2E generate to disk', nodes);
}

/**
 * Scenario 6: Manual Trigger -> Set (a photo URL and an email) -> StepFun Image Edit
 * with Image Source URL and Include Input Fields.
 */
export function urlEditWithInputFields({ cred, photoUrl, id = 'e2eUrlEditFields' }) {
	const nodes = [
		manualTrigger(),
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
	return linearWorkflow(id, 'E2E edit from URL with input fields', nodes);
}

/** Scenario 4: Manual Trigger -> StepFun Image Generate (the stand-in answers 401). */
export function generateOnly({ cred, id = 'e2eGenerateOnly1' }) {
	const fox = { prompt: 'A red fox in the snow', size: '1024x1024', options: { maxRetries: 0 } };
	const nodes = [manualTrigger(), generateNode('StepFun Image', [220, 0], cred, fox)];
	return linearWorkflow(id, 'E2E generate (401)', nodes);
}

/**
 * Scenario 2: Webhook (POST, multipart, file field `image`) -> StepFun Image Edit
 * (prompt from the form's text field) -> Respond to Webhook with the binary.
 */
export function webhookEdit({ cred, path = 'stepfun-edit', id = 'e2eWebhookEdit01' }) {
	const nodes = [
		webhookNode(path),
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
	return linearWorkflow(id, 'E2E webhook edit', nodes);
}

/**
 * Scenario 2b: n8n Form Trigger (file field "Photo", text field "Prompt"), responding
 * when the last node finishes (n8n 2.x does not allow Respond to Webhook after a Form
 * Trigger) -> StepFun Image Edit. Posted like the browser posts the form. Scenario 12c
 * tries it in the combined binary mode (`settings` COMBINED).
 */
export function formEdit({
	cred,
	path = 'stepfun-form',
	id = 'e2eFormEdit00001',
	name = 'E2E form edit',
	binaryPropertyName = 'Photo',
	settings = {},
}) {
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
			binaryPropertyName,
			options: {},
		}),
	];
	return linearWorkflow(id, name, nodes, settings);
}

/**
 * A two-page n8n form: Form Trigger (page 1: Prompt) → Form "Next Form Page" (page 2: Photo;
 * the execution waits in the database in between) → StepFun Image Edit (the photo of page 2,
 * the prompt of page 1) → Form "Form Ending" returning the edited image (Return Binary File).
 */
export function formTwoPages({ cred, path, id = 'e2eFormTwoPages1' }) {
	const trigger = node(
		'Ask for a Prompt',
		'n8n-nodes-base.formTrigger',
		2.3,
		[0, 0],
		{
			formTitle: 'Edit a photo, step 1 of 2',
			formFields: {
				values: [{ fieldLabel: 'Prompt', fieldType: 'textarea', requiredField: true }],
			},
			options: { path },
		},
		{ webhookId: randomUUID() },
	);
	const photoPage = node(
		'Ask for the Photo',
		'n8n-nodes-base.form',
		2.3,
		[220, 0],
		{
			operation: 'page',
			formFields: {
				values: [
					{ fieldLabel: 'Photo', fieldType: 'file', multipleFiles: false, requiredField: true },
				],
			},
			options: { formTitle: 'Edit a photo, step 2 of 2' },
		},
		{ webhookId: randomUUID() },
	);
	const ending = node(
		'Send the Edited Photo',
		'n8n-nodes-base.form',
		2.3,
		[660, 0],
		{
			operation: 'completion',
			respondWith: 'returnBinary',
			completionTitle: 'Your edited photo',
			inputDataFieldName: 'data',
			options: {},
		},
		{ webhookId: randomUUID() },
	);
	const nodes = [
		trigger,
		photoPage,
		stepFunNode('StepFun Image', [440, 0], cred, {
			operation: 'edit',
			prompt: `={{ $('${trigger.name}').item.json.Prompt }}`,
			binaryPropertyName: 'Photo',
			options: {},
		}),
		ending,
	];
	return linearWorkflow(id, 'E2E form on two pages', nodes);
}

/** For the screenshot: one Generate and one Edit node on a canvas. */
export function panelShowcase({ cred, id = 'e2eScreenshot001' }) {
	const nodes = [
		manualTrigger(),
		generateNode('Generate Image', [260, 0], cred, {
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
	return linearWorkflow(id, 'StepFun Image: Generate and Edit', nodes);
}

/**
 * Scenario 8, in the combined binary mode of n8n 2.x: Webhook (POST JSON `{ subject }`)
 * -> Set (subject, seed) -> StepFun Image Generate (prompt and seed from expressions) ->
 * Extract From File, reading the image where n8n keeps it there (`_files.data`) into a
 * base64 field `png` -> Respond to Webhook with that item. (Respond to Webhook's "Binary
 * File" finds no file in this mode in n8n 2.41.1: it looks only at `item.binary`.)
 */
export function combinedGenerateRespond({ cred, path, id = 'e2eCombinedGen01' }) {
	const nodes = [
		webhookNode(path),
		...generateFromSet(cred, {
			subject: '={{ $json.body.subject }}',
			seed: 8080,
			prompt: '=A linocut of a {{ $json.subject }}',
			size: '1024x1024',
		}),
		imageToBase64([660, 0]),
		respondWithItem([880, 0]),
	];
	return linearWorkflow(id, 'E2E combined binary mode: generate and respond', nodes, COMBINED);
}

/**
 * Scenario 12, in the combined binary mode of n8n 2.x: Webhook (POST, multipart, file field
 * `image`, text field `prompt`) -> StepFun Image Edit reading the upload from
 * `binaryPropertyName` (a path such as `_files.image`, or an expression giving the file)
 * -> Extract From File, the edited image (`_files.data`) as base64 in `png` -> Respond to
 * Webhook with that item. (Respond to Webhook's "Binary File" finds no file in this mode,
 * scenario 10.)
 */
export function combinedWebhookEditRespond({ cred, path, id, binaryPropertyName }) {
	const nodes = [
		webhookNode(path),
		stepFunNode('StepFun Image', [220, 0], cred, {
			operation: 'edit',
			prompt: '={{ $json.body.prompt }}',
			binaryPropertyName,
			options: { seed: 12 },
		}),
		imageToBase64([440, 0]),
		respondWithItem([660, 0]),
	];
	return linearWorkflow(
		id,
		`E2E combined binary mode: upload, edit (${binaryPropertyName}), respond`,
		nodes,
		COMBINED,
	);
}

/** How n8n's HTTP Request node (version 4.2) authenticates with `cred` ({ id, name, type }). */
function httpRequestAuth(cred) {
	// Bearer Auth is a generic credential type: the node writes the header itself. Any
	// other type is "predefined": n8n applies the credential's own `authenticate`.
	return cred.type === 'httpBearerAuth'
		? { authentication: 'genericCredentialType', genericAuthType: 'httpBearerAuth' }
		: { authentication: 'predefinedCredentialType', nodeCredentialType: cred.type };
}

/**
 * Scenario 9: Manual Trigger -> Set -> one HTTP Request node per credential in `branches`
 * ({ name, cred, url }), side by side, each continuing on error so that every branch
 * reports. With `settings` COMBINED this shows which credentials n8n 2.x can apply there.
 */
export function httpRequestPerCredential({ id, name, branches, settings = {} }) {
	const nodes = [
		manualTrigger(),
		setNode('Set', [220, 0], { note: ['string', 'an upstream node'] }),
		...branches.map((b, i) =>
			node(
				b.name,
				'n8n-nodes-base.httpRequest',
				4.2,
				[440, i * 200],
				{ url: b.url, ...httpRequestAuth(b.cred), options: {} },
				{
					credentials: { [b.cred.type]: { id: b.cred.id, name: b.cred.name } },
					onError: 'continueRegularOutput',
				},
			),
		),
	];
	const connections = {
		...chain('Manual Trigger', 'Set'),
		Set: { main: [branches.map((b) => ({ node: b.name, type: 'main', index: 0 }))] },
	};
	return workflow(id, name, nodes, connections, settings);
}

/**
 * Scenario 10, n8n's own nodes only: Webhook (GET) -> Set (a base64 string) -> Convert to
 * File -> Respond to Webhook with the file at `inputFieldName`.
 */
export function fileToRespondToWebhook({ id, path, base64, inputFieldName, settings = {} }) {
	const nodes = [
		webhookNode(path, 'GET'),
		setNode('Set', [220, 0], { b64: ['string', base64] }),
		node('Convert to File', 'n8n-nodes-base.convertToFile', 1.1, [440, 0], {
			operation: 'toBinary',
			sourceProperty: 'b64',
			binaryPropertyName: 'data',
			options: { fileName: 'photo.png', mimeType: 'image/png' },
		}),
		node('Respond to Webhook', 'n8n-nodes-base.respondToWebhook', 1.5, [660, 0], {
			respondWith: 'binary',
			responseDataSource: 'set',
			inputFieldName,
			options: {},
		}),
	];
	return linearWorkflow(
		id,
		`E2E Respond to Webhook with a file (${inputFieldName})`,
		nodes,
		settings,
	);
}
