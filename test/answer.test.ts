/**
 * Reading StepFun's JSON answer as it arrives (transport/answer.ts): whatever way the bytes are
 * cut into chunks, the result is what JSON.parse would give, with each `b64_json` already
 * decoded. And the request side: an Edit's multipart body, built once, is what StepFun gets on
 * every attempt.
 */
import { describe, expect, it } from 'vitest';

import { NOT_BASE64, readJsonAnswer } from '../nodes/StepFunImage/transport/answer';
import { edit, useStandIn } from './helpers/stepfun';
import { makePng } from './stand-in/server.mjs';

async function* inChunks(bytes: Buffer, size: number | number[]): AsyncGenerator<Buffer> {
	const cuts = Array.isArray(size) ? size : [];
	let at = 0;
	for (const cut of cuts) {
		yield bytes.subarray(at, cut);
		at = cut;
	}
	const step = Array.isArray(size) ? bytes.length : size;
	for (; at < bytes.length; at += step) yield bytes.subarray(at, at + step);
}

const read = async (text: string | Buffer, size: number | number[] = 65536, contentLength?: number | 'exact') => {
	const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
	return await readJsonAnswer(inChunks(bytes, size), contentLength === 'exact' ? bytes.length : contentLength);
};

const image = makePng(40, 30, 'answer reader');
const answer = (b64: string, extra = '') =>
	`{"created":1700000000,"data":[{"seed":42,"finish_reason":"success","b64_json":"${b64}"${extra}}],"note":"b64_json \\"quoted\\" ünïcødé"}`;
const expected = (bytes: Buffer | string) => ({
	created: 1700000000,
	data: [{ seed: 42, finish_reason: 'success', b64_json: bytes }],
	note: 'b64_json "quoted" ünïcødé',
});

describe('readJsonAnswer', () => {
	it('cut at every byte: the same JSON, the image decoded', async () => {
		const small = makePng(4, 4, 'x');
		const text = Buffer.from(answer(small.toString('base64')));
		for (let cut = 1; cut < text.length; cut++) {
			const result = await read(text, [cut]);
			expect(result, `cut at ${cut}`).toEqual({ ok: true, value: expected(small) });
		}
		expect(await read(text, 1, 'exact')).toEqual({ ok: true, value: expected(small) });
	});

	it('with or without Content-Length, and when it is smaller than the answer (a compressed answer)', async () => {
		const text = answer(image.toString('base64'));
		for (const length of ['exact', undefined, 100] as const) {
			expect(await read(text, 7, length)).toEqual({ ok: true, value: expected(image) });
		}
	});

	it('escaped slashes and escaped line breaks inside the base64', async () => {
		const b64 = image.toString('base64');
		const wrapped = (b64.match(/.{1,76}/g) ?? []).join('\\n').replace(/\//g, '\\/');
		expect(wrapped).toContain('\\/');
		for (const size of [1, 3, 64]) expect(await read(answer(wrapped), size, 'exact')).toEqual({ ok: true, value: expected(image) });
	});

	it('not base64: the value becomes NOT_BASE64, the rest is read', async () => {
		for (const bad of ['iVBORw0KGgo%%%not*base64!!', 'AAAA=AAA', 'AA===', 'AA\\u0041A', 'AAAA AAAA']) {
			expect(await read(answer(bad), 3), bad).toEqual({ ok: true, value: expected(NOT_BASE64) });
		}
	});

	it('an empty b64_json stays empty, and "b64_json" as a value or another key is left alone', async () => {
		expect(await read(answer('', ',"response_format":"b64_json","x_b64_json":"AAAA"'))).toEqual({
			ok: true,
			value: { ...expected(''), data: [{ ...expected('').data[0], response_format: 'b64_json', x_b64_json: 'AAAA' }] },
		});
	});

	it('several images in one answer: each decoded to its own bytes', async () => {
		const other = makePng(8, 8, 'second');
		const text = `{"data":[{"b64_json":"${image.toString('base64')}"},{"b64_json":"${other.toString('base64')}"}]}`;
		const result = await read(text, 5, 'exact');
		expect(result).toEqual({ ok: true, value: { data: [{ b64_json: image }, { b64_json: other }] } });
	});

	it('not JSON, or cut off in the middle: not ok', async () => {
		expect(await read('<html>Bad gateway</html>')).toEqual({ ok: false });
		expect(await read(answer(image.toString('base64')).slice(0, 100), 9)).toEqual({ ok: false });
		expect(await read('')).toEqual({ ok: false });
	});
});

describe('the multipart body of an Edit', () => {
	const stepfun = useStandIn();

	it('is built once and sent as is on every attempt: a 503 then success, both with the same image, fields and file name', async () => {
		const photo = makePng(64, 48, 'multipart');
		stepfun.standIn.fault('/v1/images/edits', { status: 503, headers: { 'retry-after': '0' } });
		const { items, error, standIn } = await stepfun.run(edit('Line one\nline two', { seed: 3 }), {
			items: [{ binary: { data: { bytes: photo, fileName: 'my "photo".png', mimeType: 'image/png' } } }],
		});
		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		expect(standIn.requests.map((request) => request.status)).toEqual([503, 200]);
		const [first, second] = standIn.requests;
		expect(second.rawBody.equals(first.rawBody)).toBe(true);
		expect(second.image?.bytes.equals(photo)).toBe(true);
		expect(second.image).toMatchObject({ fileName: 'my "photo".png', mimeType: 'image/png' });
		// Line breaks travel as CRLF, as FormData sends them.
		expect(second.fields).toMatchObject({ prompt: 'Line one\r\nline two', seed: '3' });
		expect(second.contentType).toMatch(/^multipart\/form-data; boundary=/);
	});
});
