/**
 * Images the node downloads from links the user gave (Edit's Image URL, Analyze's Image URLs),
 * through n8n's engine against local servers: a link that fails is the user's input (a
 * NodeOperationError naming the field, the host and what went wrong, kind `input`, nothing sent),
 * never worded as a failure of StepFun; StepFun's own result link stays StepFun's. Analyze
 * downloads an item's links several at once, bounded, and sends them in the order given.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { startBigBodyServer } from './helpers/big-body-server.mjs';
import type { BigBodyServer } from './helpers/big-body-server.mjs';
import { startLoopbackServer } from './helpers/loopback-server.mjs';
import type { LoopbackAnswer, LoopbackServer } from './helpers/loopback-server.mjs';
import { analyze, edit, generate, useStandIn } from './helpers/stepfun';
import { readFixture } from './fixtures/index.mjs';
import { makePng } from './stand-in/server.mjs';

const stepfun = useStandIn();

/** Answers by path: /missing.png 404, /private.png 403, /share.html a web page, /hang.png never. */
let host: LoopbackServer;
let bigHost: BigBodyServer;
/** A port nothing listens on. */
let closedUrl: string;
beforeAll(async () => {
	host = await startLoopbackServer(({ url }) => {
		if (url === '/missing.png') return { status: 404, body: 'Not Found' };
		if (url === '/private.png') return { status: 403, body: 'AccessDenied' };
		if (url === '/share.html') return { headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><body>A photo</body></html>' };
		if (url === '/hang.png') return new Promise<LoopbackAnswer>(() => undefined);
		return { headers: { 'content-type': 'image/png' }, body: makePng(40, 30, url) };
	});
	bigHost = await startBigBodyServer();
	const closed = await startLoopbackServer();
	closedUrl = closed.url;
	await closed.close();
});
afterAll(async () => {
	await host.close();
	await bigHost.close();
});

const hostOf = (url: string) => new URL(url).host;

/** Each failure: the link, and what the message says after "could not download the image from <host>: ". */
const failures: Array<[string, () => string, string, RegExp]> = [
	['404', () => `${host.url}/missing.png`, 'HTTP 404', /refused the link or has no file there\. Open it in a browser/],
	['403', () => `${host.url}/private.png`, 'HTTP 403', /refused the link or has no file there/],
	['a host name that does not resolve', () => 'http://photos.example.invalid/cat.jpg', 'the host was not found', /^Check the link for typos\..* Error code: (ENOTFOUND|EAI_AGAIN)\.$/],
	['nothing listening (connection refused)', () => `${closedUrl}/cat.png`, 'the connection was refused', /^Nothing answered at 127\.0\.0\.1:\d+ from the n8n server.* Error code: ECONNREFUSED\.$/],
	['no answer within the Timeout', () => `${host.url}/hang.png`, 'no answer within 1 second', /raise the Timeout \(Seconds\) option/],
	['larger than 64 MiB', () => `${bigHost.url}/with-length/huge.png?bytes=${200 * 1024 * 1024}`, 'it is larger than 64 MiB', /points straight at an image file/],
];

describe.each([
	['Edit', 'Image URL', (url: string) => edit('Add a hat', { timeout: 1 }, { imageSource: 'url', imageUrl: url })],
	['Analyze', 'Image URLs', (url: string) => analyze('What is this?', { timeout: 1 }, { imageSource: 'url', imageUrls: url })],
] as const)('%s: a link of the user that fails is the user input', (_, label, parameters: (url: string) => INodeParameters) => {
	it.each(failures)('%s: names the host and what went wrong; nothing is sent', async (_, link, reason, hint) => {
		const url = link();
		const { error, standIn } = await stepfun.run(parameters(url));
		expect(error).toBeInstanceOf(NodeOperationError);
		const prefix = `${label}: could not download the image from ${hostOf(url)}: `;
		expect(error?.message).toBe(`${prefix}${reason} (item 0)`);
		const { description } = error as NodeOperationError;
		expect(description).toMatch(hint);
		// The user's link, not StepFun: nothing in the error blames (or names) StepFun.
		expect(`${error?.message} ${description}`).not.toMatch(/StepFun/);
		expect(standIn.requests).toEqual([]);
	});

	it('a link to a web page: the error names the file and its host', async () => {
		const { error, standIn } = await stepfun.run(parameters(`${host.url}/share.html`));
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toBe(`${label}: "share.html" from ${hostOf(host.url)} is an HTML page, not an image (item 0)`);
		expect(standIn.requests).toEqual([]);
	});

	it('on the error output the failure is of kind input (an error branch answers 4xx)', async () => {
		const { outputs, standIn } = await stepfun.run(parameters(`${host.url}/missing.png`), { onError: 'continueErrorOutput' });
		expect(outputs[0]).toEqual([]);
		expect(outputs[1][0].json.error).toBe(`${label}: could not download the image from ${hostOf(host.url)}: HTTP 404 (item 0)`);
		expect(outputs[1][0].json.message).toMatchObject({ kind: 'input', itemIndex: 0 });
		expect((outputs[1][0].json.message as IDataObject).httpCode).toBeUndefined();
		expect(standIn.requests).toEqual([]);
	});
});

it("StepFun's own result link that fails stays StepFun's failure (kind api)", async () => {
	stepfun.standIn.imageFault({ status: 404, body: 'NoSuchKey' });
	const stopped = await stepfun.run(generate('A lighthouse', { responseFormat: 'url' }));
	expect(stopped.error).toBeInstanceOf(NodeApiError);
	expect(stopped.error?.message).toBe('Could not download the image StepFun made: HTTP 404');

	stepfun.standIn.imageFault({ status: 404, body: 'NoSuchKey' });
	const { outputs } = await stepfun.run(generate('A lighthouse', { responseFormat: 'url' }), { onError: 'continueErrorOutput' });
	expect(outputs[1][0].json.error).toBe('Could not download the image StepFun made: HTTP 404');
	expect(outputs[1][0].json.message).toMatchObject({ kind: 'api', httpCode: '404' });
});

describe('Analyze downloads the links of an item at once, in the order given', () => {
	/**
	 * Starts Analyze on `count` links (`/photo-<n>.png`) to a host that holds every request open
	 * until the test releases it: `release(path)` one, `open()` all, held and still to come. Each
	 * answers `answer(path)`, by default its own image (40 + n pixels wide). `arrived(n)` resolves
	 * once n requests are held. The host closes when the test ends.
	 */
	async function analyzeLinks(count: number, answer = (url: string): LoopbackAnswer => ({ headers: { 'content-type': 'image/png' }, body: makePng(40 + Number(/\d+/.exec(url)?.[0]), 30, url) })) {
		const held: Array<{ url: string; release: () => void }> = [];
		const waits: Array<{ count: number; resolve: () => void }> = [];
		let opened = false;
		const server = await startLoopbackServer(
			({ url }) =>
				new Promise<LoopbackAnswer>((resolve) => {
					if (opened) return resolve(answer(url));
					held.push({ url, release: () => resolve(answer(url)) });
					for (const wait of waits) if (held.length >= wait.count) wait.resolve();
				}),
		);
		onTestFinished(() => server.close());
		const paths = Array.from({ length: count }, (_, n) => `/photo-${n}.png`);
		const run = stepfun.run(analyze('Compare them', {}, { imageSource: 'url', imageUrls: paths.map((path) => server.url + path).join('\n') }));
		return {
			server,
			held,
			paths,
			run,
			arrived: (count: number) => new Promise<void>((resolve) => (held.length >= count ? resolve() : waits.push({ count, resolve }))),
			release: (path: string) => held.find(({ url }) => url === path)?.release(),
			open: () => {
				opened = true;
				for (const request of held) request.release();
			},
		};
	}

	it('10 slow links are all in flight before any is answered; answered last to first, sent first to last', async () => {
		const { held, paths, run, arrived } = await analyzeLinks(10);
		// One after another, the second link would never be asked for while the first is held.
		await arrived(10);
		expect(held.map(({ url }) => url).sort()).toEqual([...paths].sort());
		for (const request of [...held].reverse()) request.release();
		const { error, standIn } = await run;
		expect(error).toBeUndefined();
		expect(standIn.requests[0].chatImages?.map((image) => image.width)).toEqual(paths.map((_, n) => 40 + n));
	});

	it('at most 10 at once: the 11th link is asked for only once one of the first 10 is answered', async () => {
		const { server, held, paths, run, arrived } = await analyzeLinks(11);
		// Ten held, and nothing more comes while none is answered.
		await arrived(10);
		await server.quiet();
		expect(held.map(({ url }) => url).sort()).toEqual(paths.slice(0, 10).sort());
		held[0].release();
		await arrived(11);
		expect(held[10].url).toBe('/photo-10.png');
		for (const request of held.slice(1)) request.release();
		const { error, standIn } = await run;
		expect(error).toBeUndefined();
		expect(standIn.requests[0].chatImages?.map((image) => image.width)).toEqual(paths.map((_, n) => 40 + n));
	});

	it('once a link fails, no more are downloaded; the first bad link in the order given is named, whichever failed first', async () => {
		const { server, held, run, arrived, release, open } = await analyzeLinks(12, (url) =>
			url === '/photo-2.png' ? { status: 404, body: 'Not Found' } : url === '/photo-7.png' ? { status: 403, body: 'AccessDenied' } : { headers: { 'content-type': 'image/png' }, body: makePng(40, 30, url) },
		);
		await arrived(10);
		// The 8th link fails first: the 11th and 12th are never asked for.
		release('/photo-7.png');
		await server.quiet();
		expect(held).toHaveLength(10);
		release('/photo-2.png');
		open();
		const { error, standIn } = await run;
		expect(error?.message).toMatch(/^Image URLs: could not download the image from 127\.0\.0\.1:\d+: HTTP 404/);
		expect(server.requests).toHaveLength(10);
		expect(standIn.requests).toHaveLength(0);
	});

	it('once the images read pass 20 MB as sent, no more links are downloaded: memory holds what was read, not all 15', async () => {
		// A complete JPEG padded to 8 MiB (data after its end, as decoders ignore): 10.7 MB as sent.
		const big = Buffer.concat([readFixture('jpeg-baseline.jpg'), Buffer.alloc(8 * 1024 * 1024)]).subarray(0, 8 * 1024 * 1024);
		const { server, held, paths, run, arrived, open } = await analyzeLinks(15, () => ({ headers: { 'content-type': 'image/jpeg' }, body: big }));
		await arrived(10);
		// The first answered: 10.7 MB read, so the 11th link is asked for.
		held[0].release();
		await arrived(11);
		// The second answered: 21.3 MB, past the total; the links after the 11th are never asked for.
		held[1].release();
		open();
		const { error, standIn } = await run;
		expect(error?.message).toBe('Image URLs: the images add up to more than 20.0 MB as sent, base64-encoded (21.3 MB after 2 of 15) (item 0)');
		expect(server.requests.map(({ url }) => url)).toEqual(paths.slice(0, 11));
		expect(standIn.requests).toHaveLength(0);
	});
});
