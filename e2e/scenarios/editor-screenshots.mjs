// 7. Chromium opens the editor of n8n 2.x, runs the workflow with "Execute workflow",
// opens the Generate, Edit and Analyze panels, checks the labels a user must see and saves
// the screenshots (e2e/.artifacts/screenshots/, or docs/ with --update-screenshots).
import { existsSync } from 'node:fs';

import { analyzeShowcase } from '../lib/workflows-analyze.mjs';
import { importSetup } from '../lib/workflows.mjs';
import { CHROMIUM, takeScreenshots } from '../screenshot.mjs';

export default function editorScreenshots(ctx) {
	const { n8n, line, creds, full, opt } = ctx;
	if (!full || line.id !== 'current' || !opt.screenshots) return undefined;
	const title =
		'7 editor (Chromium): workflow run from the editor, Generate, Edit and Analyze panels show their fields; screenshots';
	if (!existsSync(CHROMIUM) && !process.env.E2E_REQUIRE_SCREENSHOTS)
		return {
			title: '7 editor screenshots',
			stage: 'server',
			when: () => !!n8n.cookie,
			skip: `${CHROMIUM} not installed (apt-get install -y chromium); CI sets E2E_REQUIRE_SCREENSHOTS=1`,
		};
	const workflow = analyzeShowcase({ cred: creds.good });
	return {
		title,
		...importSetup('server', workflow, creds.good),
		when: () => !!n8n.cookie,
		async run() {
			const shots = await takeScreenshots(n8n, {
				workflowId: workflow.id,
				outDir: opt.screenshotDir,
			});
			shots.push(`saved in ${opt.screenshotDir}`);
			return shots.join(', ');
		},
	};
}
