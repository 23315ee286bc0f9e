// The e2e scenarios, in the order they run and report. Each module's default export is
// a factory `(ctx) => scenario | scenario[] | undefined`, called once per n8n instance
// before its setup, with
//   ctx = { tag, line, mode, full, n8n, opt, state, standIn, hosts, keys, creds }
//   (`full`: the first binary data mode of an n8n line, where the long scenarios run;
//    `state`: what one scenario leaves for a later one; `hosts.photo`, `hosts.echo`,
//    `hosts.gallery` (corpus photos by path): loopback web servers; `hosts.openAi`: a
//    scripted OpenAI-compatible model; `keys.good|bad`, `creds.good|bad|example`: StepFun
//    keys and credentials pointing at the stand-in).
// A scenario is
//   { title, stage: 'cli' | 'server', credentials?, workflows?, activate?, tryActivate?, when?, skip?, run }
//   - credentials, workflows: imported in the setup (the same object listed twice is
//     imported once); activate: the workflows published before `n8n start`, which waits
//     until they are live; tryActivate: published too, but not waited for (the scenario
//     checks itself whether n8n could make them live); importSetup and liveSetup
//     (lib/workflows.mjs) write stage, credentials, workflows and activate for one workflow;
//   - stage 'cli' runs before `n8n start` (n8n execute), 'server' after it;
//   - when(ctx) false: not run and not reported (e.g. it needs the owner or an earlier
//     scenario's result); skip: reported as SKIP with this reason instead of running;
//   - run(): throws on failure; what it returns is printed under the PASS line.
import binaryDataMode from './binary-data-mode.mjs';
import combinedCredentialWall from './combined-credential-wall.mjs';
import combinedGenerate from './combined-generate.mjs';
import combinedRespondBinary from './combined-respond-binary.mjs';
import combinedUploadEdit from './combined-upload-edit.mjs';
import credentialTest from './credential-test.mjs';
import editorScreenshots from './editor-screenshots.mjs';
import examples from './examples.mjs';
import formDownload from './form-download.mjs';
import formEdit from './form-edit.mjs';
import generateToDisk from './generate-to-disk.mjs';
import keyNowhere from './key-nowhere.mjs';
import urlEditWithInputFields from './url-edit-input-fields.mjs';
import webhookEdit from './webhook-edit.mjs';
import webhookErrorBranch from './webhook-error-branch.mjs';
import webhookMotionPhoto from './webhook-motion-photo.mjs';
import wrongKey from './wrong-key.mjs';
import analyze from './analyze.mjs';
import balance from './balance.mjs';
import agentTool from './agent-tool.mjs';

export const SCENARIOS = [
	// stage cli
	generateToDisk,
	urlEditWithInputFields,
	binaryDataMode,
	wrongKey,
	combinedCredentialWall,
	// stage server
	webhookEdit,
	formEdit,
	formDownload,
	keyNowhere,
	credentialTest,
	examples,
	combinedGenerate,
	combinedRespondBinary,
	webhookErrorBranch,
	combinedUploadEdit,
	webhookMotionPhoto,
	editorScreenshots,
	// Analyze, Get Balance, the AI Agent tool (stages cli and server)
	analyze,
	balance,
	agentTool,
];
