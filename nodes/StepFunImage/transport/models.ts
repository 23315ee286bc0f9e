// The models the credential's account may use (GET /models), for the Model picker in the editor.
import type { ILoadOptionsFunctions } from 'n8n-workflow';

import { MODEL_LIST_TIMEOUT_MS } from '../shared/limits';
import { CREDENTIAL_TYPE, readConnection } from './request';

export async function listModelIds(ctx: ILoadOptionsFunctions): Promise<string[]> {
	const { baseUrl } = await readConnection(ctx);
	const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, {
		method: 'GET',
		url: `${baseUrl}/models`,
		json: true,
		timeout: MODEL_LIST_TIMEOUT_MS,
		sendCredentialsOnCrossOriginRedirect: false,
	})) as { data?: Array<{ id?: unknown }> };
	return (response.data ?? [])
		.map((entry) => entry.id)
		.filter((id): id is string => typeof id === 'string' && id !== '');
}
