// The models the credential's account may use (GET /models), for the Model picker in the editor.
import type { ILoadOptionsFunctions } from 'n8n-workflow';

import { apiBaseUrl, MODEL_LIST_TIMEOUT_MS } from '../shared/limits';
import { CREDENTIAL_TYPE } from './request';

/** The IDs StepFun lists for the credential's account; none when its Base URL is unusable. */
export async function listModelIds(ctx: ILoadOptionsFunctions): Promise<string[]> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const base = apiBaseUrl(String(credentials.region ?? 'international'), credentials.baseUrl);
	if (!('url' in base)) return [];
	const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, {
		method: 'GET',
		url: `${base.url}/models`,
		json: true,
		timeout: MODEL_LIST_TIMEOUT_MS,
		sendCredentialsOnCrossOriginRedirect: false,
	})) as { data?: Array<{ id?: unknown }> };
	return (response.data ?? [])
		.map((entry) => entry.id)
		.filter((id): id is string => typeof id === 'string' && id !== '');
}
