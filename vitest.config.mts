import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One temp root per `vitest` run: n8n's user folder (n8n-core writes its config file there when
// it is first imported) and the binary data folder (n8n's `filesystem` mode stores bytes there).
// test/helpers/global-setup.mjs deletes it when the run ends.
const tempRoot = mkdtempSync(join(tmpdir(), 'n8n-nodes-stepfun-test-'));
const userFolder = join(tempRoot, 'user');
const binaryDataFolder = join(tempRoot, 'binary-data');
mkdirSync(userFolder, { recursive: true });
mkdirSync(binaryDataFolder, { recursive: true });
process.env.N8N_STEPFUN_TEST_TEMP_ROOT = tempRoot;

// n8n-workflow ships an ESM build (its "import" condition) and a CommonJS build. n8n-core
// `require`s the CommonJS one; code under test must get the very same module, or classes
// (NodeOperationError, ...) and singletons (LoggerProxy, the expression engine) are doubled.
const require = createRequire(import.meta.url);
const n8nWorkflowCjs = require.resolve('n8n-workflow');

export default defineConfig({
	resolve: {
		alias: [{ find: /^n8n-workflow$/, replacement: n8nWorkflowCjs }],
	},
	test: {
		include: ['test/**/*.test.ts'],
		globalSetup: ['test/helpers/global-setup.mjs'],
		testTimeout: 30_000,
		hookTimeout: 30_000,
		env: {
			N8N_USER_FOLDER: userFolder,
			N8N_BINARY_DATA_STORAGE_PATH: binaryDataFolder,
			N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
			// n8n's in-process ("legacy") expression evaluator: the `vm` engine needs the native
			// isolated-vm module, which is not built on Node 20. Only the n8n CLI reads this
			// variable; test/helpers/n8n-internals.mjs also selects the engine explicitly.
			N8N_EXPRESSION_ENGINE: 'legacy',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			N8N_LOG_LEVEL: 'silent',
		},
	},
});
