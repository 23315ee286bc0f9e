// GET /v1/models: the list StepFun answers (free, so the credential test uses it).

export const DEFAULT_MODELS = Object.freeze([
	Object.freeze({ id: 'step-1-8k', object: 'model', created: 1700000000, owned_by: 'stepai' }),
	Object.freeze({
		id: 'step-image-edit-2',
		object: 'model',
		created: 1700000000,
		owned_by: 'stepai',
	}),
	Object.freeze({ id: 'step-2-16k', object: 'model', created: 1700000000, owned_by: 'stepai' }),
]);

/** @type {import('./http.mjs').Endpoint} */
export const models = {
	path: '/v1/models',
	method: 'GET',
	handle: (_request, env) => ({ object: 'list', data: env.standIn.models }),
};
