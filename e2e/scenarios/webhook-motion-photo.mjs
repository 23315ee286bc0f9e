// 13. Real photo files with data after the image, posted to the webhook example as shipped
// (examples/webhook-edit-respond.json): a phone motion photo (a JPEG with its MP4 clip
// after the end marker), an MPO (a second JPEG after the first) and a PNG with bytes after
// IEND. Each is sent as is: the stand-in receives every byte as posted, the video
// included, and the webhook answers with the edited image.
import assert from 'node:assert/strict';

import { fixture, readFixture } from '../../test/fixtures/index.mjs';
import { imageSize } from '../../test/stand-in/server.mjs';
import { answerBytes, captureAnswer, onlyRequests } from '../lib/checks.mjs';
import { exampleForExecution, loadExample } from '../lib/examples.mjs';
import { postMultipart } from '../lib/upload.mjs';
import { liveSetup } from '../lib/workflows.mjs';

const EXAMPLE = 'webhook-edit-respond.json';
const EDITS = '/v1/images/edits';
const PHOTOS = [
	{
		fixture: 'jpeg-motion-photo.jpg',
		fileName: 'PXL_20250614_101112345.MP.jpg',
		mimeType: 'image/jpeg',
	},
	{ fixture: 'jpeg-mpo.jpg', fileName: 'DSCF0001.jpg', mimeType: 'image/jpeg' },
	{ fixture: 'png-trailing-bytes.png', fileName: 'screenshot.png', mimeType: 'image/png' },
];

export default function webhookMotionPhoto(ctx) {
	const { n8n, standIn, creds } = ctx;
	const ex = exampleForExecution(loadExample(EXAMPLE), {
		filesDir: n8n.filesDir,
		variant: 'Photos',
	});
	return {
		title: `13 example ${EXAMPLE}: a motion photo (JPEG + MP4), an MPO and a PNG with bytes after IEND are sent as is`,
		...liveSetup(ex.workflow, creds.example),
		async run() {
			const report = [];
			for (const photo of PHOTOS) {
				const facts = fixture(photo.fixture);
				const upload = { ...photo, bytes: readFixture(photo.fixture) };
				standIn.reset();
				const answer = captureAnswer(standIn, EDITS);
				const res = await postMultipart(`${n8n.baseUrl}/webhook/${ex.webhookPath}`, [
					['image', upload],
					['prompt', 'Make it autumn'],
				]);
				assert.equal(
					res.status,
					200,
					`${photo.fixture}: answered ${res.status}: ${res.body.toString('utf8').slice(0, 400)}`,
				);
				const reqs = onlyRequests(standIn, EDITS);
				assert.equal(reqs.length, 1, `${photo.fixture}: exactly one edit request`);
				const got = reqs[0].image;
				assert.equal(
					got?.bytes.length,
					upload.bytes.length,
					`${photo.fixture}: the stand-in got ${got?.bytes.length} B of ${upload.bytes.length}`,
				);
				assert.ok(got.bytes.equals(upload.bytes), `${photo.fixture}: bytes differ from the upload`);
				assert.equal(got.fileName, photo.fileName);
				assert.equal(got.mimeType, photo.mimeType);
				assert.match(res.contentType ?? '', /^image\/png/);
				assert.ok(
					res.body.equals(answerBytes(answer)),
					`${photo.fixture}: the answer is not the edited image`,
				);
				assert.deepEqual(imageSize(res.body), {
					type: 'png',
					width: facts.width,
					height: facts.height,
				});
				report.push(
					`${photo.fixture} (${upload.bytes.length} B, ${facts.trailingBytes} B of ${facts.trailingContent} after the image) → stand-in got every byte; answer = edited PNG ${facts.width}×${facts.height}`,
				);
			}
			return report.join('\n');
		},
	};
}
