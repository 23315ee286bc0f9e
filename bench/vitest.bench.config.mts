// Runs ONE benchmark case (bench/cases.bench.mts, picked by BENCH_CASE) in a fresh vitest fork,
// started by bench/run.mjs. It reuses everything n8n-core needs from the test config
// (vitest.config.mts: user folder, filesystem binary data folder, the n8n-workflow CJS alias,
// legacy expression engine, silent logs, the temp-folder cleanup) and only changes which file
// runs and how: one fork, with --expose-gc so the memory case can measure from a clean heap.
import { defineConfig } from 'vitest/config';

import base from '../vitest.config.mts';

export default defineConfig({
	...base,
	test: {
		...base.test,
		include: ['bench/cases.bench.mts'],
		pool: 'forks',
		maxWorkers: 1,
		fileParallelism: false,
		execArgv: ['--expose-gc'],
		testTimeout: 600_000,
		hookTimeout: 60_000,
	},
});
