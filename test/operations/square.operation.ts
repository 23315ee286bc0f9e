// A throw-away operation for test/operation-list.test.ts: Image → Square, a prompt to a square
// image. It is one file, as every operation is; the test adds it to the operation list.
import { defineOperation } from '../../nodes/StepFunImage/engine/operation';
import { IMAGE_MODELS, modelField, promptField } from '../../nodes/StepFunImage/descriptions/fields';
import { COMMON_OPTIONS, IMAGE_MAKING_OPTIONS } from '../../nodes/StepFunImage/descriptions/options';

export const square = defineOperation({
	name: 'square',
	resource: 'image',
	choice: { name: 'Square', action: 'Make a square image', description: 'A square image from a short prompt' },
	subtitle: 'Square Image',
	fields: [
		modelField(IMAGE_MODELS, 'The StepFun image model'),
		promptField('A red kite', 'What to draw, in a few words.', 20),
	],
	options: [...COMMON_OPTIONS, ...IMAGE_MAKING_OPTIONS],
	models: IMAGE_MODELS,
	prepare: (_ctx, _itemIndex, { fields: { model, prompt }, apiFields }) => ({
		request: {
			method: 'POST',
			path: '/images/generations',
			body: { format: 'json', fields: { model, prompt, size: '1024x1024', ...apiFields } },
		},
		facts: { model, prompt },
	}),
	output: { kind: 'images', verb: 'Squared' },
});
