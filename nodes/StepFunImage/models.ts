import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { apiBaseUrl, DEFAULT_MODEL, MODEL_LIST_TIMEOUT_MS } from './limits';
import { CREDENTIAL_TYPE } from './transport/request';

interface ModelEntry {
	id?: unknown;
}

function isImageModel(id: string): boolean {
	return /image|edit|step-\d*x/i.test(id);
}

/**
 * Models for the "From List" picker: image models first, then all others, because
 * StepFun may leave image models out of /models. Never fails: the list is a help,
 * any ID can still be typed.
 */
export async function listModels(
	ctx: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	let ids: string[] = [];
	try {
		const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
		const base = apiBaseUrl(String(credentials.region ?? 'international'), credentials.baseUrl);
		if ('url' in base) {
			const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, {
				method: 'GET',
				url: `${base.url}/models`,
				json: true,
				timeout: MODEL_LIST_TIMEOUT_MS,
				sendCredentialsOnCrossOriginRedirect: false,
			})) as { data?: ModelEntry[] };
			ids = (response.data ?? [])
				.map((entry) => entry.id)
				.filter((id): id is string => typeof id === 'string' && id !== '');
		}
	} catch {
		// Fall back to the known image model below.
	}
	if (!ids.includes(DEFAULT_MODEL)) ids.push(DEFAULT_MODEL);
	const wanted = filter?.trim().toLowerCase() ?? '';
	const sorted = [...new Set(ids)]
		.filter((id) => id.toLowerCase().includes(wanted))
		.sort((a, b) => Number(isImageModel(b)) - Number(isImageModel(a)) || a.localeCompare(b));
	return {
		results: sorted.map((id) => ({
			name: isImageModel(id) ? `${id} (image)` : id,
			value: id,
		})),
	};
}
