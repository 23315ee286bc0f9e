// Input images of an item: from a binary field (through n8n's binary helpers, so every binary
// mode works), a URL or base64, checked against what the operation accepts.
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import type { ImageAcceptance, InputImage, InputSource } from './operation';
import { checkImageCount, filesOfItem } from './imageSources';
import type { DownloadProblem } from '../transport/download';
import { download, downloadFailure, errorCodeText } from '../transport/download';
import type { ImageInfo, NamedImage } from '../shared/image';
import { fileNameForType, formatName, formatNameWithArticle, inspectImage } from '../shared/image';
import { describeValue, FieldCheck } from './parameters';

/** The last part of a URL's path, readable (a bad percent-escape such as `100%_off` kept as is). */
function fileNameOfUrl(url: string): string | undefined {
	const last = new URL(url).pathname.split('/').pop() ?? '';
	try {
		return decodeURIComponent(last) || undefined;
	} catch {
		return last || undefined;
	}
}

/** What to do about a link of the user's that could not be downloaded from `host`. */
function downloadHint(problem: DownloadProblem, host: string): string {
	if (problem.kind === 'too-large')
		return 'Images the node can send are far smaller: check that the link points straight at an image file.';
	if (problem.kind === 'status' && [401, 403, 404, 410].includes(problem.status))
		return `${host} refused the link or has no file there. Open it in a browser: it must show the image itself, without a login; signed and shared links expire.`;
	if (problem.kind === 'network' && ['ENOTFOUND', 'EAI_AGAIN'].includes(problem.code))
		return 'Check the link for typos. The n8n server must be able to look the host up: a name known only on your own network or VPN may not be.';
	if (problem.kind === 'network' && !problem.timedOut)
		return `Nothing answered at ${host} from the n8n server: check the link (and its port), and that the server is up and reachable from n8n.`;
	const timeout = problem.kind === 'network' ? ', or raise the Timeout (Seconds) option' : '';
	return `Check that ${host} serves the file to the n8n server and try again${timeout}.`;
}

/** The bytes of one source, and the name of its file when it has one. */
async function readBytes(
	ctx: IExecuteFunctions,
	itemIndex: number,
	source: InputSource,
	timeoutMs: number,
): Promise<{ bytes: Buffer; fileName?: string }> {
	if (source.kind === 'base64') return { bytes: Buffer.from(source.data, 'base64') };
	const check = new FieldCheck(ctx, itemIndex, source.fieldLabel);
	if (source.kind === 'url') {
		const result = await download(ctx, source.url, timeoutMs);
		if (Buffer.isBuffer(result)) return { bytes: result, fileName: fileNameOfUrl(source.url) };
		// The user's own link: their input, named by its host (the whole URL may hold a signature).
		const { host } = new URL(source.url);
		const reason = `could not download the image from ${host}: ${downloadFailure(result, timeoutMs)}`;
		throw check.invalid(reason, downloadHint(result, host) + errorCodeText(result));
	}
	// n8n resolves the value as its own nodes do: a name in the item's binary, a path into its
	// JSON in combined mode, or the file object itself.
	const { field } = source;
	let file: IBinaryData;
	try {
		file = ctx.helpers.assertBinaryData(itemIndex, field as string | IBinaryData);
	} catch {
		if (typeof field !== 'string') {
			throw check.invalid(
				`expected a field name or a file, got ${describeValue(field)}`,
				'Enter the name of the binary field that holds the image (e.g. data), or an expression that gives the file itself, e.g. {{ $binary.data }} or {{ $json._files.photo }}.',
			);
		}
		const present = filesOfItem(ctx, itemIndex).map(({ path }) => path);
		throw check.invalid(
			`the item has no binary field "${field}"`,
			present.length > 0
				? `This item's binary fields are: ${present.slice(0, 10).join(', ')}. Enter one of them.`
				: 'This item has no binary data at all. Put a node that outputs a file (Form Trigger, HTTP Request, Google Drive download, Read Files) before this one, or change Image Source.',
		);
	}
	const bytes = await ctx.helpers.getBinaryDataBuffer(itemIndex, file);
	return { bytes, fileName: file.fileName };
}

/** How to turn a refused image into one StepFun takes. */
function conversionHint(info: ImageInfo | NamedImage, accept: ImageAcceptance): string {
	switch (info.type) {
		case 'heic':
		case 'heif': {
			// The iPhone setting helps only who took the photo with an iPhone; its EXIF says Apple.
			const where =
				info.cameraMake === 'Apple'
					? 'iPhones save HEIC unless Settings → Camera → Formats is set to Most Compatible (JPEG). Otherwise convert'
					: 'Save or export it as JPEG where it was made (phones and cameras that write HEIF have a JPEG setting), or convert';
			return `${accept.refusal} ${where} it to JPEG before this node, e.g. with the Edit Image node (Options → Format: jpeg) where n8n's GraphicsMagick reads ${formatName(info.type)}, or with heif-convert from libheif.`;
		}
		case 'avif':
			return `${accept.refusal} Convert it to JPEG or PNG before this node, e.g. with the Edit Image node (Options → Format: jpeg) where n8n's GraphicsMagick reads AVIF, or ask the source for JPEG.`;
		case 'svg':
			return `${accept.refusal} An SVG is a drawing described in text, and StepFun needs pixels: render it to PNG first, e.g. with the Edit Image node (Options → Format: png).`;
		default:
			return `${accept.refusal} Convert it first, e.g. with the Edit Image node (Options → Format: png or jpeg).`;
	}
}

/** One input image, read and checked against what the operation accepts; errors name the file. */
async function readInputImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	source: InputSource,
	accept: ImageAcceptance,
	timeoutMs: number,
): Promise<InputImage> {
	const raw = await readBytes(ctx, itemIndex, source, timeoutMs);
	const inspection = inspectImage(raw.bytes);
	const fileText =
		(raw.fileName ? `"${raw.fileName}"` : 'the file') +
		(source.kind === 'url' ? ` from ${new URL(source.url).host}` : '');
	const field = new FieldCheck(ctx, itemIndex, source.label ?? source.fieldLabel);
	if (!inspection.ok) {
		const problem =
			inspection.problem === 'empty'
				? `${fileText} is empty (0 bytes)`
				: inspection.problem === 'corrupt'
					? inspection.damage === undefined
						? `${fileText} is a damaged or incomplete ${formatName(inspection.type)}`
						: `${fileText} is a damaged ${formatName(inspection.type)}: ${inspection.damage}`
					: inspection.detected
						? `${fileText} is ${inspection.detected}, not an image`
						: `${fileText} is not an image the node can read: its contents match no image format, whatever its name says`;
		const check =
			source.kind === 'url'
				? `Check that the ${source.fieldLabel} point${source.fieldLabel.endsWith('s') ? '' : 's'} straight at the image file, not at a web page showing it (such as a share link).`
				: source.kind === 'base64'
					? 'Check that Image Data holds the whole image, base64-encoded.'
					: 'Check that the node before this one really outputs the image file.';
		const damaged =
			inspection.problem === 'corrupt' && inspection.damage !== undefined
				? ' Download or export it again from where it came from; a file sent by FTP or e-mail must go as binary, not as text.'
				: '';
		throw field.invalid(problem, `Send a complete ${accept.formats} image.${damaged} ${check}`);
	}
	const { info } = inspection;
	const accepted = accept.types.includes(info.type);
	if (info.animated) {
		const frames = info.frames === undefined ? '' : ` (${info.frames} frames)`;
		throw field.invalid(
			`${fileText} is an animated ${formatName(info.type)}${frames}`,
			accepted
				? `StepFun reads one still image. Send a single frame instead, as ${accept.formats}.`
				: `${accept.refusal} StepFun reads one still image: save a single frame as ${accept.formats} first, e.g. with the Edit Image node (Options → Format: png).`,
		);
	}
	// A format the node only names (HEIC, AVIF, TIFF, BMP, SVG) has no size: no operation takes it.
	if (!('width' in info) || !accepted) {
		throw field.invalid(
			`${fileText} is ${formatNameWithArticle(info.type)} image`,
			conversionHint(info, accept),
		);
	}
	if (info.precision !== undefined) {
		throw field.invalid(
			`${fileText} is a ${info.precision}-bit JPEG`,
			`StepFun, like browsers and most image programs, reads only 8-bit JPEG. Export it again as an ordinary (8-bit) JPEG or as PNG from the program that made it (medical, scientific and raw-photo software write ${info.precision}-bit JPEG), or convert it with a tool that reads it, e.g. GDAL: gdal_translate -of PNG -ot UInt16 in.jpg out.png.`,
		);
	}
	if (info.width > accept.maxSide || info.height > accept.maxSide) {
		throw field.invalid(
			`the image is ${info.width}×${info.height} pixels; StepFun accepts at most ${accept.maxSide}×${accept.maxSide}`,
			'Scale it down first, e.g. with the Edit Image node (Resize).',
		);
	}
	// What goes up says what the bytes are, whatever the upstream node called the file.
	return {
		bytes: raw.bytes,
		mimeType: info.mimeType,
		fileName: fileNameForType(raw.fileName ?? 'image', info.type),
		originalFileName: raw.fileName,
	};
}

/** How many of an item's images are read (links downloaded) at once. */
const READS_AT_ONCE = 10;

/**
 * Reads an item's input images just before its requests, and checks each and all together. Links
 * download several at once; the first bad image in the order given is the one named. Once a read
 * failed or the images read pass the total, no more are read: the item fails either way, and
 * memory holds no more than the images already read.
 */
export async function readInputImages(
	ctx: IExecuteFunctions,
	itemIndex: number,
	{ sources, accept }: { sources: InputSource[]; accept: ImageAcceptance },
	timeoutMs: number,
): Promise<InputImage[]> {
	// Where the item's images come from, as its errors name them.
	const field = new FieldCheck(ctx, itemIndex, sources[0]?.fieldLabel ?? 'Image Data');
	checkImageCount(field, sources.length, accept);
	// Base64 text, as the images go up in data URLs: 4 characters for every 3 bytes.
	const sentSize = (image: InputImage) => Math.ceil(image.bytes.length / 3) * 4;
	const max = accept.maxTotalBytes ?? Number.MAX_SAFE_INTEGER;
	// Each outcome in the place of its source, whatever order they finish in. Reads start in the
	// order given, so when they stop early the first bad one is among those started.
	const reads: Array<PromiseSettledResult<InputImage>> = [];
	let next = 0;
	let readTotal = 0;
	const reader = async () => {
		for (let index = next++; index < sources.length && readTotal <= max; index = next++) {
			const [read] = await Promise.allSettled([
				readInputImage(ctx, itemIndex, sources[index], accept, timeoutMs),
			]);
			reads[index] = read;
			// A failed read counts as past any total (there is always one), so it stops the reads too.
			readTotal += read.status === 'fulfilled' ? sentSize(read.value) : Infinity;
		}
	};
	await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, sources.length) }, reader));
	const images: InputImage[] = [];
	let total = 0;
	for (const read of reads) {
		if (read.status === 'rejected') throw read.reason;
		const image = read.value;
		total += sentSize(image);
		if (total > max) {
			const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
			throw field.invalid(
				`the images add up to more than ${mb(max)} as sent, base64-encoded (${mb(total)} after ${images.length + 1} of ${sources.length})`,
				`StepFun reads at most ${mb(max)} of images per request and does not say whether it counts the files or the base64 text they are sent as, which is a third larger; the node counts the larger, so the files may add up to about ${mb((max / 4) * 3)}. Send fewer or smaller images per item, e.g. resized with the Edit Image node.`,
			);
		}
		images.push(image);
	}
	return images;
}
