// Image → Generate: a text prompt to an image, POST /images/generations (JSON).
import {
	BILLED_REQUEST_OPTIONS,
	COMMON_OPTIONS,
	IMAGE_MAKING_OPTIONS,
} from '../../descriptions/options';
import { IMAGE_MODELS, imagePromptField, modelField, SIZE_FIELD } from '../../descriptions/fields';
import { defineOperation } from '../../engine/operation';

export const generate = defineOperation({
	name: 'generate',
	resource: 'image',
	choice: {
		name: 'Generate',
		action: 'Generate an image',
		description: 'Create an image from a text prompt',
	},
	subtitle: 'Generate Image',
	fields: [
		modelField(IMAGE_MODELS),
		imagePromptField(
			'A serene alpine lake at sunset, mirror reflection, photorealistic',
			'What to draw.',
		),
		SIZE_FIELD,
	],
	options: [...COMMON_OPTIONS, ...BILLED_REQUEST_OPTIONS, ...IMAGE_MAKING_OPTIONS],
	models: IMAGE_MODELS,

	prepare: (_ctx, _itemIndex, { fields: { model, prompt, size }, apiFields }) => ({
		request: {
			method: 'POST',
			path: '/images/generations',
			body: { format: 'json', fields: { model, prompt, size, ...apiFields } },
		},
		facts: { model, prompt },
	}),
	output: { kind: 'images', verb: 'Generated' },
});
