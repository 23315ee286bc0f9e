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

/** What inspectImage must say about a fixture, built from the facts its encoder wrote. */
function expectedInspection(fixture: Fixture) {
	if (fixture.notAnImage === 'empty') return { ok: false, problem: 'empty' };
	if (fixture.notAnImage === 'html')
		return { ok: false, problem: 'not-an-image', detected: 'an HTML page' };
	if (fixture.notAnImage === 'video')
		return { ok: false, problem: 'not-an-image', detected: 'an MP4 or MOV video' };
	const format = FORMAT[fixture.format!];
	if (fixture.damaged)
		return {
			ok: false,
			problem: 'corrupt',
			detected: format.mimeType,
			type: fixture.format,
			damage: DAMAGE[fixture.damaged],
		};
	if (!fixture.complete)
		return { ok: false, problem: 'corrupt', detected: format.mimeType, type: fixture.format };
	return {
		ok: true,
		info: {
			type: fixture.format,
			mimeType: format.mimeType,
			extension: format.extension,
			width: fixture.width,
			height: fixture.height,
			...(fixture.animated ? { animated: true, frames: fixture.frames } : {}),
			...(fixture.orientation === undefined ? {} : { orientation: fixture.orientation }),
			...(fixture.trailingBytes > 0
				? { trailingBytes: fixture.trailingBytes, trailingContent: fixture.trailingContent }
				: {}),
			...(fixture.progressive ? { progressive: true } : {}),
			...(fixture.interlaced ? { interlaced: true } : {}),
			...(fixture.cmyk ? { cmyk: true } : {}),
			...(fixture.precision === undefined ? {} : { precision: fixture.precision }),
			...(fixture.cameraMake === undefined ? {} : { cameraMake: fixture.cameraMake }),
		},
	};
}

const images = FIXTURES.filter((fixture) => fixture.complete);

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

	it.each(images.map((fixture) => [fixture.name, fixture] as const))(
		'refuses %s cut anywhere before the end of the image',
		(name, fixture) => {
			const bytes = readFixture(name);
			// An SVG ends with its closing tag; a line break after it is no part of the drawing.
			const imageEnd =
				fixture.format === 'svg'
					? bytes.lastIndexOf('</svg>') + '</svg>'.length
					: bytes.length - fixture.trailingBytes;
			const accepted: number[] = [];
			for (let length = 1; length < imageEnd; length++) {
				if (inspectImage(bytes.subarray(0, length)).ok) accepted.push(length);
			}
			expect(accepted, `cut lengths accepted as complete (image ends at ${imageEnd})`).toEqual([]);
		},
	);

	it.each(
		images.filter((fixture) => ['png', 'jpeg', 'webp', 'gif', 'bmp'].includes(fixture.format!)),
	)('accepts $name with a video appended, and reports it', (fixture) => {
		const video = readFixture('video.mp4');
		const bytes = Buffer.concat([readFixture(fixture.name), video]);
		expect(inspectImage(bytes)).toMatchObject({
			ok: true,
			info: {
				type: fixture.format,
				width: fixture.width,
				height: fixture.height,
				trailingBytes: fixture.trailingBytes + video.length,
			},
		});
	});

	it('calls trailing data it does not know "other"', () => {
		const bytes = Buffer.concat([readFixture('png-rgb.png'), readFixture('html-error-page.jpg')]);
		expect(inspectImage(bytes)).toMatchObject({
			ok: true,
			info: {
				type: 'png',
				trailingBytes: readFixture('html-error-page.jpg').length,
				trailingContent: 'other',
			},
		});
	});

	it('reads the second picture of an MPO where the first one ends', () => {
		const bytes = readFixture('jpeg-mpo.jpg');
		const inspection = inspectImage(bytes);
		expect(inspection.ok).toBe(true);
		const second = bytes.subarray(
			bytes.length - (inspection.ok ? inspection.info.trailingBytes! : 0),
		);
		expect(inspectImage(second)).toStrictEqual({
			ok: true,
			info: { type: 'jpeg', mimeType: 'image/jpeg', extension: 'jpg', width: 64, height: 48 },
		});
	});

	it('reports what is left when a motion photo loses part of its video', () => {
		const bytes = readFixture('jpeg-motion-photo.jpg');
		expect(inspectImage(bytes.subarray(0, bytes.length - 1000))).toMatchObject({
			ok: true,
			info: { width: 64, height: 48, trailingBytes: 2401 - 1000, trailingContent: 'video' },
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
				detected: FORMAT[file.format!].mimeType,
				type: file.format,
				...(file.damaged === 'incomplete' ? {} : { damage: DAMAGE[file.damaged] }),
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
			// The EXIF orientation as exiftool reads it, and none where it reads none.
			expect(inspection.ok && inspection.info.orientation).toBe(file.orientation ?? undefined);
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
