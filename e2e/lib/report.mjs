// PASS/FAIL/SKIP lines per scenario and the closing `N passed, N failed` line that CI
// reads, shared by the end-to-end (run.mjs) and queue-mode (scale.mjs) suites.

export const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

const indent = (text) => String(text).replace(/\n/g, '\n      ');

export function createReport() {
	const results = [];
	const t0 = Date.now();

	/** Runs one scenario; what it returns is printed under its PASS line. */
	async function scenario(name, fn) {
		const started = Date.now();
		try {
			const detail = await fn();
			results.push({ name, ok: true });
			console.log(
				`PASS  ${name}  (${secs(Date.now() - started)})${detail ? `\n      ${indent(detail)}` : ''}`,
			);
			return true;
		} catch (err) {
			results.push({ name, ok: false, err });
			const stack = String(err?.stack ?? err)
				.split('\n')
				.slice(0, 16)
				.join('\n');
			console.log(`FAIL  ${name}  (${secs(Date.now() - started)})\n      ${indent(stack)}`);
			return false;
		}
	}

	function skip(name, why) {
		results.push({ name, ok: true, skipped: true });
		console.log(`SKIP  ${name}: ${why}`);
	}

	/**
	 * Runs the suite's main, then prints the summary (after `beforeSummary`) and sets the
	 * exit code: non-zero on any failure, a harness crash, or when nothing passed.
	 */
	async function run(title, main, beforeSummary) {
		let fatal;
		try {
			await main();
		} catch (err) {
			fatal = err;
			console.log(`FAIL  harness: ${err?.stack ?? err}`);
			results.push({ name: 'harness', ok: false, err });
		}
		await beforeSummary?.();
		const passed = results.filter((r) => r.ok && !r.skipped).length;
		const failed = results.filter((r) => !r.ok);
		const skipped = results.filter((r) => r.skipped).length;
		console.log(
			`\n${title} finished in ${secs(Date.now() - t0)}${skipped ? ` (${skipped} skipped)` : ''}`,
		);
		for (const r of failed) console.log(`  failed: ${r.name}`);
		console.log(`${passed} passed, ${failed.length} failed`);
		process.exitCode = failed.length || fatal || passed === 0 ? 1 : 0;
	}

	return { scenario, skip, run };
}
