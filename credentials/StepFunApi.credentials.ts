import type {
	Icon,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

// Same rule as apiBaseUrl() in nodes/StepFunImage/shared/limits.ts, as an expression for the
// credential test (a test request cannot call code); a unit test checks both agree.
const BASE_URL_EXPRESSION =
	"={{ $credentials.region === 'custom' ? String($credentials.baseUrl).trim().replace(/\\/+$/, '').replace(/\\/v1$/, '') + '/v1' : ($credentials.region === 'china' ? 'https://api.stepfun.com/v1' : 'https://api.stepfun.ai/v1') }}";

export class StepFunApi implements ICredentialType {
	name = 'stepFunApi';

	displayName = 'StepFun API';

	icon: Icon = { light: 'file:../icons/stepfun.svg', dark: 'file:../icons/stepfun.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-stepfun/n8n-nodes-stepfun#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Your StepFun API key. A key only works in the region where it was created.',
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'options',
			default: 'international',
			options: [
				{
					name: 'International (api.stepfun.ai)',
					value: 'international',
					description: 'Keys created on platform.stepfun.ai',
				},
				{
					name: 'China (api.stepfun.com)',
					value: 'china',
					description: 'Keys created on platform.stepfun.com',
				},
				{
					name: 'Custom Base URL',
					value: 'custom',
					description: 'A proxy, gateway or another StepFun endpoint such as Step Plan',
				},
			],
			description: 'Where your key was created. A key from one region is rejected by the other.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.stepfun.ai/v1',
			description:
				'The API root, with or without a trailing /v1 (e.g. https://api.stepfun.ai/step_plan/v1)',
			displayOptions: { show: { region: ['custom'] } },
		},
	];

	// A function, not the declarative `generic` kind: n8n 2.x resolves a generic header as an
	// expression against the workflow, which fails in workflows using the combined binary mode
	// ("Node ... hasn't been executed"). A function only reads the credential's own data.
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return {
			...requestOptions,
			headers: { ...requestOptions.headers, Authorization: `Bearer ${String(credentials.apiKey)}` },
		};
	}

	// Listing models is free; a generation would be billed.
	test: ICredentialTestRequest = {
		request: {
			baseURL: BASE_URL_EXPRESSION,
			url: '/models',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'StepFun rejected the API key. Check the key, and that Region matches where it was created: keys from platform.stepfun.ai only work with International, keys from platform.stepfun.com only with China.',
				},
			},
		],
	};
}
