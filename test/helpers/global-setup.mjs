// vitest globalSetup (see vitest.config.mts): removes the temp folder that the config created
// for n8n's user folder and binary data when the whole run ends.
import { rmSync } from 'node:fs';

export default function setup() {
	return function teardown() {
		const tempRoot = process.env.N8N_STEPFUN_TEST_TEMP_ROOT;
		if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
	};
}
