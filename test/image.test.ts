import { describe, expect, it } from 'vitest';

import { fileNameForType, formatNameWithArticle, inspectImage } from '../nodes/StepFunImage/shared/image';
import { apiBaseUrl, GENERATION_SIZES, sizeLabel } from '../nodes/StepFunImage/shared/limits';
import { characterCount } from '../nodes/StepFunImage/engine/parameters';
import { readFixture } from './fixtures/index.mjs';
import { makeJpeg, makePng, makeWebp } from './stand-in/server.mjs';

describe('inspectImage', () => {
	it.each([
		['PNG', makePng(37, 21), { type: 'png', mimeType: 'image/png', extension: 'png', width: 37, height: 21 }],
		['JPEG', makeJpeg(640, 480), { type: 'jpeg', mimeType: 'image/jpeg', extension: 'jpg', width: 640, height: 480 }],
		['WebP', makeWebp(300, 200), { type: 'webp', mimeType: 'image/webp', extension: 'webp', width: 300, height: 200 }],
	])('reads type and dimensions of a %s', (_, bytes, info) => {
		expect(inspectImage(bytes)).toEqual({ ok: true, info });
	});

	it('reads a GIF header', () => {
		expect(inspectImage(readFixture('gif-static.gif'))).toMatchObject({ ok: true, info: { type: 'gif', width: 64, height: 48 } });
	});

	it('refuses a GIF whose trailer comes before any picture: decoders have nothing to show', () => {
		const gif = Buffer.from('GIF89a\x05\x00\x03\x00\x00\x00\x00;', 'latin1');
		expect(inspectImage(gif)).toEqual({ ok: false, problem: 'corrupt', type: 'gif' });
	});

	it.each([
		['an empty file', Buffer.alloc(0), { ok: false, problem: 'empty' }],
		['a PDF', Buffer.from('%PDF-1.7\n...'), { ok: false, problem: 'not-an-image', detected: 'a PDF document' }],
		['text', Buffer.from('hello, world\n'), { ok: false, problem: 'not-an-image', detected: 'text' }],
		['a truncated PNG', makePng(10, 10).subarray(0, 60), { ok: false, problem: 'corrupt', type: 'png' }],
		['a JPEG without its end marker', makeJpeg(10, 10).subarray(0, -2), { ok: false, problem: 'corrupt', type: 'jpeg' }],
	])('refuses %s', (_, bytes, expected) => {
		expect(inspectImage(bytes)).toEqual(expected);
	});

	it('goes by content, not by name: bytes no format matches are not an image', () => {
		expect(inspectImage(Buffer.from([0x00, 0x01]))).toEqual({ ok: false, problem: 'not-an-image' });
	});

	describe('an SVG is known by its root element, after any prolog', () => {
		const svg = readFixture('svg-drawing.svg').toString('latin1');
		const root = svg.slice(svg.indexOf('<svg'));
		const page = readFixture('html-error-page.jpg').toString('latin1');
		it.each([
			['as potrace wrote it (XML declaration, DOCTYPE)', svg, 'svg'],
			['saved with a UTF-8 byte order mark', `\u00ef\u00bb\u00bf${svg}`, 'svg'],
			['with no prolog', root, 'svg'],
			[
				'with a generator comment and a DOCTYPE holding entities, as Illustrator writes',
				`<?xml version="1.0"?>\n<!-- Generator: Adobe Illustrator 27.0 -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n\t<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">\n]>\n${root}`,
				'svg',
			],
		])('%s', (_, text, type) => {
			expect(inspectImage(Buffer.from(text, 'latin1'))).toMatchObject({ ok: true, info: { type } });
		});

		it('a web page showing the drawing is an HTML page', () => {
			const withDrawing = page.replace('<body>', `<body>${root}`);
			expect(inspectImage(Buffer.from(withDrawing, 'latin1'))).toEqual({ ok: false, problem: 'not-an-image', detected: 'an HTML page' });
		});
	});

	it.each([
		['photo.jpg', 'jpeg', 'photo.jpg'],
		['photo.JPEG', 'jpeg', 'photo.JPEG'],
		['photo.png', 'jpeg', 'photo.jpg'],
		['photo', 'webp', 'photo.webp'],
		['scan.final', 'png', 'scan.png'],
		['IMG 1.2 (copy)', 'png', 'IMG 1.2 (copy).png'],
		['.hidden', 'gif', '.hidden.gif'],
	] as const)('names %j holding %s bytes %j', (name, type, expected) => {
		expect(fileNameForType(name, type)).toBe(expected);
	});

	it('reads the article as English does: a HEIC, an AVIF, an SVG', () => {
		expect((['heic', 'avif', 'svg', 'bmp'] as const).map((type) => formatNameWithArticle(type))).toEqual([
			'a HEIC',
			'an AVIF',
			'an SVG',
			'a BMP',
		]);
	});
});

describe('limits', () => {
	it('counts characters as StepFun does: code points, not bytes or UTF-16 units', () => {
		expect(characterCount('abc')).toBe(3);
		expect(characterCount('山水画')).toBe(3);
		expect(characterCount('🦊🦊')).toBe(2);
		expect(Buffer.byteLength('山水画')).toBe(9);
	});

	it('labels each size with width and height although StepFun writes height x width', () => {
		expect(GENERATION_SIZES.map((size) => [size, sizeLabel(size)])).toEqual([
			['1024x1024', 'Square 1024 wide × 1024 high'],
			['768x1360', 'Landscape 1360 wide × 768 high'],
			['896x1184', 'Landscape 1184 wide × 896 high'],
			['1360x768', 'Portrait 768 wide × 1360 high'],
			['1184x896', 'Portrait 896 wide × 1184 high'],
		]);
	});

	it.each([
		['international', undefined, { url: 'https://api.stepfun.ai/v1' }],
		['china', undefined, { url: 'https://api.stepfun.com/v1' }],
		['custom', 'http://127.0.0.1:8080', { url: 'http://127.0.0.1:8080/v1' }],
		['custom', 'http://127.0.0.1:8080/v1', { url: 'http://127.0.0.1:8080/v1' }],
		['custom', ' https://proxy.example/v1/// ', { url: 'https://proxy.example/v1' }],
		['custom', 'https://api.stepfun.ai/step_plan/v1', { url: 'https://api.stepfun.ai/step_plan/v1' }],
		['custom', 'api.stepfun.ai', { error: 'The Base URL "api.stepfun.ai" is not a URL' }],
		['custom', 'ftp://files.example/v1', { error: 'The Base URL must start with http:// or https://, not ftp://' }],
		['custom', '', { error: 'The Base URL is empty' }],
	])('region %s with base URL %j gives %j', (region, baseUrl, expected) => {
		expect(apiBaseUrl(region, baseUrl)).toEqual(expected);
	});
});
