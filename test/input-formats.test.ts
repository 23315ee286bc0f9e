/**
 * Real files as users' phones, cameras and apps make them (test/fixtures, made by real encoders),
 * each through Edit as a form upload: sent as is, or refused before sending with a message that
 * names the format and says how to convert it. The README's input-format table follows this one.
 */
import { NodeOperationError } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { FIXTURES, readFixture } from './fixtures/index.mjs';
import { edit, useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();

type Row =
	| { sent: { mimeType: string; extension: string } }
	| { refused: string; hint: RegExp };

const JPEG = { sent: { mimeType: 'image/jpeg', extension: 'jpg' } };
const PNG = { sent: { mimeType: 'image/png', extension: 'png' } };
const WEBP = { sent: { mimeType: 'image/webp', extension: 'webp' } };
const CONVERT = /StepFun edits PNG, JPEG and WebP images\. Convert it first, e\.g\. with the Edit Image node \(Options → Format: png or jpeg\)/;
const COMPLETE = /Send a complete PNG, JPEG or WebP image\. Check that the node before this one really outputs the image file/;
const STILL = /StepFun reads one still image\. Send a single frame instead, as PNG, JPEG or WebP/;

const rows: Record<string, Row> = {
	'jpeg-baseline.jpg': JPEG,
	'jpeg-progressive.jpg': JPEG,
	'jpeg-cmyk.jpg': JPEG,
	'jpeg-restart-markers.jpg': JPEG,
	'jpeg-exif-orientation-6.jpg': JPEG,
	'jpeg-large-metadata.jpg': JPEG,
	'jpeg-motion-photo.jpg': JPEG,
	'jpeg-mpo.jpg': JPEG,
	'jpeg-padding-after-eoi.jpg': JPEG,
	'jpeg-truncated.jpg': { refused: '"jpeg-truncated.jpg" is a truncated or corrupt image/jpeg', hint: COMPLETE },
	'png-rgb.png': PNG,
	'png-rgba.png': PNG,
	'png-grayscale.png': PNG,
	'png-palette.png': PNG,
	'png-16bit.png': PNG,
	'png-interlaced.png': PNG,
	'png-trailing-bytes.png': PNG,
	'png-apng.png': { refused: '"png-apng.png" is an animated PNG (8 frames)', hint: STILL },
	'png-truncated.png': { refused: '"png-truncated.png" is a truncated or corrupt image/png', hint: COMPLETE },
	'webp-lossy.webp': WEBP,
	'webp-lossless.webp': WEBP,
	'webp-alpha.webp': WEBP,
	'webp-animated.webp': { refused: '"webp-animated.webp" is an animated WebP (8 frames)', hint: STILL },
	'gif-static.gif': { refused: '"gif-static.gif" is a GIF image', hint: CONVERT },
	'gif-animated.gif': { refused: '"gif-animated.gif" is a GIF image', hint: CONVERT },
	'heic-photo.heic': {
		refused: '"heic-photo.heic" is a HEIC image',
		hint: /StepFun edits PNG, JPEG and WebP images\. iPhones save HEIC unless Settings → Camera → Formats is set to Most Compatible \(JPEG\)\. Otherwise convert it to JPEG/,
	},
	'avif-photo.avif': { refused: '"avif-photo.avif" is an AVIF image', hint: /Convert it to JPEG or PNG before this node/ },
	'tiff-photo.tif': { refused: '"tiff-photo.tif" is a TIFF image', hint: CONVERT },
	'bmp-photo.bmp': { refused: '"bmp-photo.bmp" is a BMP image', hint: CONVERT },
	'svg-drawing.svg': { refused: '"svg-drawing.svg" is an SVG image', hint: /An SVG is a drawing described in text, and StepFun needs pixels: render it to PNG first/ },
	'video.mp4': { refused: '"video.mp4" is an MP4 or MOV video, not an image', hint: COMPLETE },
	'html-error-page.jpg': { refused: '"html-error-page.jpg" is an HTML page, not an image', hint: COMPLETE },
	'empty.jpg': { refused: '"empty.jpg" is empty (0 bytes)', hint: COMPLETE },
};

/** How a browser labels an upload: by the file name's extension. */
function browserMimeType(name: string): string {
	const extension = name.split('.').pop() ?? '';
	const types: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', avif: 'image/avif', tif: 'image/tiff', bmp: 'image/bmp', svg: 'image/svg+xml', mp4: 'video/mp4' };
	return types[extension] ?? 'application/octet-stream';
}

describe('input files from real encoders, through Edit', () => {
	it('the table has one row per file of the corpus', () => {
		expect(Object.keys(rows).sort()).toEqual(FIXTURES.map((file) => file.name).sort());
	});

	it.each(FIXTURES.map((file) => [file.name, file] as const))('%s', async (name, file) => {
		const bytes = readFixture(name);
		const row = rows[name];
		const { items, error, standIn } = await stepfun.run(edit('Add a red umbrella'), {
			items: [{ binary: { data: { bytes, fileName: name, mimeType: browserMimeType(name) } } }],
		});
		if ('sent' in row) {
			expect(error).toBeUndefined();
			const image = standIn.requests[0].image!;
			// Sent as is: every byte, the data after the image included.
			expect(image.bytes.equals(bytes)).toBe(true);
			expect(image.mimeType).toBe(row.sent.mimeType);
			expect(image.fileName).toBe(name);
			// The output reports the returned image's real size (StepFun edits at the stored size).
			expect(items[0].json).toMatchObject({ width: file.width, height: file.height, inputFileName: name });
		} else {
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error?.message).toBe(`Input Binary Field "data": ${row.refused} (item 0)`);
			expect((error as NodeOperationError).description).toMatch(row.hint);
			expect(standIn.requests).toEqual([]);
		}
	});
});
