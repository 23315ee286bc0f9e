import { describe, expect, it } from 'vitest';

import { formatName, inspectImage } from '../nodes/StepFunImage/shared/image';
import {
	FIXTURES,
	readFixture,
	readSuiteFile,
	SUITE_FILES,
	type Fixture,
} from './fixtures/index.mjs';

// What each format's files are called and labelled, independent of the code under test.
const FORMAT = {
	png: { mimeType: 'image/png', extension: 'png', name: 'PNG' },
	jpeg: { mimeType: 'image/jpeg', extension: 'jpg', name: 'JPEG' },
	webp: { mimeType: 'image/webp', extension: 'webp', name: 'WebP' },
	gif: { mimeType: 'image/gif', extension: 'gif', name: 'GIF' },
	heic: { mimeType: 'image/heic', extension: 'heic', name: 'HEIC' },
	avif: { mimeType: 'image/avif', extension: 'avif', name: 'AVIF' },
	tiff: { mimeType: 'image/tiff', extension: 'tif', name: 'TIFF' },
	bmp: { mimeType: 'image/bmp', extension: 'bmp', name: 'BMP' },
	svg: { mimeType: 'image/svg+xml', extension: 'svg', name: 'SVG' },
} as const;

/** Why a complete file is damaged, in the words the node's messages use. */
const DAMAGE = {
	header: 'its header holds values no PNG can have',
	checksum: 'a checksum inside it does not match, so its data was changed on the way',
	signature: 'its first bytes were changed, as a transfer in text mode does',
} as const;

/** The formats the node reads to the end; the others are only named. */
const MEASURED = new Set(['png', 'jpeg', 'webp', 'gif']);

/** What inspectImage must say about a fixture, built from the facts its encoder wrote. */
function expectedInspection(fixture: Fixture) {
	if (fixture.notAnImage === 'empty') return { ok: false, problem: 'empty' };
	if (fixture.notAnImage === 'html')
		return { ok: false, problem: 'not-an-image', detected: 'an HTML page' };
	if (fixture.notAnImage === 'video')
		return { ok: false, problem: 'not-an-image', detected: 'an MP4 or MOV video' };
	const format = FORMAT[fixture.format!];
	if (fixture.damaged)
		return { ok: false, problem: 'corrupt', type: fixture.format, damage: DAMAGE[fixture.damaged] };
	if (!fixture.complete) return { ok: false, problem: 'corrupt', type: fixture.format };
	return {
		ok: true,
		info: {
			type: fixture.format,
			mimeType: format.mimeType,
			extension: format.extension,
			...(MEASURED.has(fixture.format!) ? { width: fixture.width, height: fixture.height } : {}),
			...(fixture.animated ? { animated: true, frames: fixture.frames } : {}),
			...(fixture.precision === undefined ? {} : { precision: fixture.precision }),
			...(fixture.cameraMake === undefined ? {} : { cameraMake: fixture.cameraMake }),
		},
	};
}

const images = FIXTURES.filter((fixture) => fixture.complete);
const measured = images.filter((fixture) => MEASURED.has(fixture.format!));
const named = images.filter((fixture) => !MEASURED.has(fixture.format!));

/**
 * How many first bytes name a format: an ISO file's ftyp box up to its first compatible brand,
 * a TIFF's byte order and 42, a BMP's header size, an SVG's root tag.
 */
function nameLength(format: string, bytes: Buffer): number {
	if (format === 'svg') return bytes.indexOf('<svg') + '<svg '.length;
	return { heic: 16, avif: 16, tiff: 4, bmp: 26 }[format]!;
}

describe('inspectImage on files made by real encoders', () => {
	it.each(FIXTURES.map((fixture) => [fixture.name, fixture.description, fixture] as const))(
		'%s (%s)',
		(name, _, fixture) => {
			// toStrictEqual: a fact reported that the file does not have fails as well.
			expect(inspectImage(readFixture(name))).toStrictEqual(expectedInspection(fixture));
		},
	);

	it.each(images.map((fixture) => [fixture.name, fixture] as const))(
		'names the format of %s for messages',
		(name, fixture) => {
			const inspection = inspectImage(readFixture(name));
			expect(inspection.ok && formatName(inspection.info.type)).toBe(FORMAT[fixture.format!].name);
		},
	);

	it.each(measured.map((fixture) => [fixture.name, fixture] as const))(
		'refuses %s cut anywhere before the end of the image',
		(name, fixture) => {
			const bytes = readFixture(name);
			const imageEnd = bytes.length - fixture.trailingBytes;
			const accepted: number[] = [];
			for (let length = 1; length < imageEnd; length++) {
				if (inspectImage(bytes.subarray(0, length)).ok) accepted.push(length);
			}
			expect(accepted, `cut lengths accepted as complete (image ends at ${imageEnd})`).toEqual([]);
		},
	);

	// A format the node refuses is refused by name however much of it arrived: converting it is
	// what the user must do either way.
	it.each(named.map((fixture) => [fixture.name, fixture] as const))(
		'names %s cut anywhere after its first bytes as its format',
		(name, fixture) => {
			const bytes = readFixture(name);
			const otherwise: number[] = [];
			for (let length = nameLength(fixture.format!, bytes); length < bytes.length; length++) {
				const inspection = inspectImage(bytes.subarray(0, length));
				if (!inspection.ok || inspection.info.type !== fixture.format) otherwise.push(length);
			}
			expect(otherwise, 'cut lengths not named as the format').toEqual([]);
		},
	);

	it.each(
		measured.flatMap((fixture) =>
			['video.mp4', 'html-error-page.jpg'].map(
				(appended) => [fixture.name, appended, fixture] as const,
			),
		),
	)('accepts %s with %s appended', (name, appended, fixture) => {
		const bytes = Buffer.concat([readFixture(name), readFixture(appended)]);
		expect(inspectImage(bytes)).toMatchObject({
			ok: true,
			info: { type: fixture.format, width: fixture.width, height: fixture.height },
		});
	});

	it('accepts a motion photo that lost part of its video: the image before it is whole', () => {
		const bytes = readFixture('jpeg-motion-photo.jpg');
		expect(inspectImage(bytes.subarray(0, bytes.length - 1000))).toMatchObject({
			ok: true,
			info: { type: 'jpeg', width: 64, height: 48 },
		});
	});
});

describe('inspectImage on public test suites (from Debian packages)', () => {
	it.each(SUITE_FILES.map((file) => [file.name, file] as const))('%s', (name, file) => {
		const inspection = inspectImage(readSuiteFile(name));
		if (file.empty) {
			expect(inspection).toStrictEqual({ ok: false, problem: 'empty' });
		} else if (file.notAnImage) {
			expect(inspection).toMatchObject({ ok: false, problem: 'not-an-image' });
		} else if (file.damaged) {
			expect(inspection).toStrictEqual({
				ok: false,
				problem: 'corrupt',
				type: file.format,
				...(file.damaged === 'incomplete' ? {} : { damage: DAMAGE[file.damaged] }),
			});
		} else if (!MEASURED.has(file.format!)) {
			expect(inspection).toStrictEqual({
				ok: true,
				info: {
					type: file.format,
					mimeType: FORMAT[file.format!].mimeType,
					extension: FORMAT[file.format!].extension,
				},
			});
		} else {
			expect(inspection).toMatchObject({
				ok: true,
				info: {
					type: file.format,
					width: file.width,
					height: file.height,
					...(file.frames === undefined ? {} : { animated: true, frames: file.frames }),
				},
			});
			if (file.frames === undefined) expect(inspection.ok && inspection.info.animated).toBeFalsy();
		}
	});

	it('the committed files are the ones listed, byte for byte', async () => {
		const { createHash } = await import('node:crypto');
		const changed = SUITE_FILES.filter(
			(file) => createHash('sha256').update(readSuiteFile(file.name)).digest('hex') !== file.sha256,
		).map((file) => file.name);
		expect(changed).toEqual([]);
	});
});
