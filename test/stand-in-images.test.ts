import { describe, expect, it } from 'vitest';

import { FIXTURES, readFixture } from './fixtures/index.mjs';
import { imageSize } from './stand-in/server.mjs';

// The stand-in checks an edit's image as StepFun's decoder would: a whole PNG, JPEG or WebP is
// read, whatever follows it; anything else, or a file cut short, cannot be read.
const decodable = new Set(['png', 'jpeg', 'webp']);

describe('the stand-in reads the image part as a decoder does', () => {
	// The stand-in reads sizes from headers and checks no PNG checksum or header value: the node
	// refuses such damaged PNGs before sending, so they never reach it.
	const reachable = FIXTURES.filter((fixture) => fixture.damaged !== 'header' && fixture.damaged !== 'checksum');
	it.each(reachable.map((fixture) => [fixture.name, fixture] as const))('%s', (name, fixture) => {
		const expected =
			fixture.complete && decodable.has(fixture.format!)
				? { type: fixture.format, width: fixture.width, height: fixture.height }
				: undefined;
		expect(imageSize(readFixture(name))).toEqual(expected);
	});

	it.each(
		FIXTURES.filter((fixture) => fixture.complete && decodable.has(fixture.format!)).map(
			(fixture) => [fixture.name, fixture] as const,
		),
	)('refuses %s cut anywhere before the end of the image', (name, fixture) => {
		const bytes = readFixture(name);
		const imageEnd = bytes.length - fixture.trailingBytes;
		const accepted: number[] = [];
		for (let length = 1; length < imageEnd; length++) {
			if (imageSize(bytes.subarray(0, length)) !== undefined) accepted.push(length);
		}
		expect(accepted, `cut lengths accepted (image ends at ${imageEnd})`).toEqual([]);
	});
});
