// The multipart client of the e2e: undici (the project's dev dependency), posting a
// form the way a browser does (file parts and text fields).

let client;
try {
	const u = await import('undici');
	client = {
		fetch: u.fetch,
		FormData: u.FormData,
		File: u.File ?? globalThis.File,
		name: 'undici',
	};
} catch {
	client = {
		fetch: globalThis.fetch,
		FormData: globalThis.FormData,
		File: globalThis.File,
		name: 'global fetch (undici inside Node)',
	};
}

/** Which client posts the forms, for the report. */
export const CLIENT_NAME = client.name;

/**
 * POST a multipart form. `parts` is a list of [name, value], a value being a string or
 * a file `{ bytes, fileName, mimeType }`. Resolves { status, contentType, body }.
 */
export async function postMultipart(url, parts) {
	const form = new client.FormData();
	for (const [name, value] of parts) {
		if (value && typeof value === 'object' && 'bytes' in value)
			form.append(name, new client.File([value.bytes], value.fileName, { type: value.mimeType }));
		else form.append(name, value);
	}
	const res = await client.fetch(url, {
		method: 'POST',
		body: form,
		headers: { accept: 'image/*,*/*' },
	});
	const body = Buffer.from(await res.arrayBuffer());
	return { status: res.status, contentType: res.headers.get('content-type'), body };
}
