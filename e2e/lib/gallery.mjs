// Photos for the Analyze and agent scenarios: files of the project's image corpus (made by real
// encoders, test/fixtures/make-fixtures.sh), and a loopback web server that serves each one
// under its own path, so that a scenario can tell the images apart by their bytes and order.
import { startLoopbackServer } from '../../test/helpers/loopback-server.mjs';
import { readFixture } from '../../test/fixtures/index.mjs';

const MIME = { jpg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp' };

/** A corpus file as a multipart upload part: { bytes, fileName, mimeType }. */
export function photo(fixtureName, fileName = fixtureName) {
	const ext = fixtureName.split('.').pop();
	return {
		bytes: readFixture(fixtureName),
		fileName,
		mimeType: MIME[ext] ?? 'application/octet-stream',
	};
}

/**
 * A web server on loopback answering `GET /photos/<corpus file>` with that file and its MIME
 * type (404 for anything else); `url(name)` is the link, `requests` what it received.
 */
export async function startGallery() {
	const host = await startLoopbackServer(({ url }) => {
		const name = decodeURIComponent(url.replace(/^\/photos\//, '').split('?')[0]);
		if (!/^[\w.-]+\.(jpg|png|gif|webp)$/.test(name) || !url.startsWith('/photos/'))
			return { status: 404, body: { error: 'no such photo' } };
		const { bytes, mimeType } = photo(name);
		return { headers: { 'content-type': mimeType }, body: bytes };
	});
	return { ...host, url: (name) => `${host.url}/photos/${name}`, base: host.url };
}
