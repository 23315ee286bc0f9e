// The Model field's "From List": the account's models, those of the operation's kind first, then
// all others (StepFun may leave some out of /models). Never fails: the list is a help, any ID can
// still be typed.
import type { ILoadOptionsFunctions } from 'n8n-workflow';

import type { ModelKind } from '../engine/operation';
import { listModelIds } from '../transport/models';

export async function listModels(ctx: ILoadOptionsFunctions, kind: ModelKind, filter?: string) {
	// The model the operation always offers is listed, whether or not the account's list came.
	const ids = await listModelIds(ctx).catch((): string[] => []);
	const fits = (id: string) => kind.matches.test(id);
	const wanted = filter?.trim().toLowerCase() ?? '';
	const sorted = [...new Set([...ids, kind.always])]
		.filter((id) => id.toLowerCase().includes(wanted))
		.sort((a, b) => Number(fits(b)) - Number(fits(a)) || a.localeCompare(b));
	return {
		results: sorted.map((id) => ({ name: fits(id) ? `${id} (${kind.label})` : id, value: id })),
	};
}
