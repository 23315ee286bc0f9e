import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { apiBaseUrl, DEFAULT_MODEL, DEFAULT_VISION_MODEL, MODEL_LIST_TIMEOUT_MS } from '../helpers/limits';
import { CREDENTIAL_TYPE } from '../transport/request';

/** What the picker puts first for an operation, how it labels it, and the model always offered. */
const KINDS = {
	image: {
		test: (id: string) => /image|edit|step-\d*x/i.test(id),
		label: 'image',
		always: DEFAULT_MODEL,
	},
	vision: {
		test: (id: string) => /vision|step-1o|step-1v|step-3/i.test(id),
		label: 'vision',
		always: DEFAULT_VISION_MODEL,
	},
};

/** The operation whose Model field is open; the picker runs in the editor, not in a run. */
function kindFor(ctx: ILoadOptionsFunctions): (typeof KINDS)[keyof typeof KINDS] {
	try {
		return ctx.getCurrentNodeParameter('operation') === 'analyze' ? KINDS.vision : KINDS.image;
	} catch {
		return KINDS.image;
	}
}

/**
 * Models for the "From List" picker: those that fit the operation first (image models for
 * Generate and Edit, vision models for Analyze), then all others, because StepFun may leave
 * some out of /models. Never fails: the list is a help, any ID can still be typed.
 */
export async function listModels(
	ctx: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const kind = kindFor(ctx);
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
			})) as { data?: Array<{ id?: unknown }> };
			ids = (response.data ?? [])
				.map((entry) => entry.id)
				.filter((id): id is string => typeof id === 'string' && id !== '');
		}
	} catch {
		// Fall back to the model the operation always offers.
	}
	if (!ids.includes(kind.always)) ids.push(kind.always);
	const wanted = filter?.trim().toLowerCase() ?? '';
	const sorted = [...new Set(ids)]
		.filter((id) => id.toLowerCase().includes(wanted))
		.sort((a, b) => Number(kind.test(b)) - Number(kind.test(a)) || a.localeCompare(b));
	return {
		results: sorted.map((id) => ({
			name: kind.test(id) ? `${id} (${kind.label})` : id,
			value: id,
		})),
	};
}
