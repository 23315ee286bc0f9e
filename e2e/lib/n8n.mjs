// One real n8n instance: its own temporary user folder, a free port, the packed
// package installed as a community package, the CLI (import/execute/publish) and
// the started server (REST, webhooks), stopped by PID.
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { lineDir, n8nEntry, nodeBinFor } from '../prepare.mjs';
import { freePort, runCommand, startProcess, stopProcess } from './proc.mjs';

export const PACKAGE_NAME = 'n8n-nodes-stepfun';
/** Execution statuses after which n8n changes nothing in the stored execution. */
const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);
export const OWNER = {
	email: 'e2e-owner@example.com',
	firstName: 'E2E',
	lastName: 'Owner',
	password: 'E2e-Owner-Passw0rd',
};

export class N8n {
	/**
	 * @param {object} line a line from prepare.mjs LINES
	 * @param {{ label?: string, binaryDataMode?: string, env?: Record<string,string>, userFolder?: string, port?: number, keep?: boolean }} [opts]
	 */
	constructor(line, opts = {}) {
		this.line = line;
		this.label = opts.label ?? `n8n ${line.version}`;
		this.binaryDataMode = opts.binaryDataMode;
		this.extraEnv = opts.env ?? {};
		this.userFolder =
			opts.userFolder ?? mkdtempSync(join(tmpdir(), `stepfun-e2e-${line.version}-`));
		this.ownsFolder = !opts.userFolder && !opts.keep;
		this.port = opts.port;
		this.proc = undefined;
		this.cookie = undefined;
		/** files n8n may read/write with the Read/Write Files node */
		this.filesDir = join(this.userFolder, 'files');
		mkdirSync(this.filesDir, { recursive: true });
		mkdirSync(join(this.userFolder, '.n8n', 'nodes', 'node_modules'), { recursive: true });
	}

	get baseUrl() {
		return `http://127.0.0.1:${this.port}`;
	}

	get nodesDir() {
		return join(this.userFolder, '.n8n', 'nodes');
	}

	get packageDir() {
		return join(this.nodesDir, 'node_modules', PACKAGE_NAME);
	}

	/** Does this n8n version have `publish:workflow` (2.x) rather than `update:workflow --active` (1.x)? */
	get hasPublish() {
		return existsSync(
			join(lineDir(this.line), 'node_modules', 'n8n', 'dist', 'commands', 'publish', 'workflow.js'),
		);
	}

	/**
	 * Does this n8n know the workflow setting `binaryMode: "combined"` (files kept in the
	 * item's JSON, n8n 2.x)? n8n 1.x has no such setting and ignores it.
	 */
	get hasCombinedBinaryMode() {
		const constants = join(
			lineDir(this.line),
			'node_modules',
			'n8n-workflow',
			'dist',
			'cjs',
			'constants.js',
		);
		return (
			existsSync(constants) &&
			/BINARY_MODE_COMBINED = 'combined'/.test(readFileSync(constants, 'utf8'))
		);
	}

	/**
	 * ` with N8N_EXPRESSION_ENGINE=<engine>` when that is set for this n8n, else empty: the
	 * combined-mode walls depend on n8n 2.x's default expression engine (`vm`).
	 */
	get expressionEngineNote() {
		const engine = this.env().N8N_EXPRESSION_ENGINE;
		return engine ? ` with N8N_EXPRESSION_ENGINE=${engine}` : '';
	}

	async init() {
		this.port ??= await freePort();
		this.brokerPort ??= await freePort();
		return this;
	}

	env() {
		const env = {
			...process.env,
			N8N_USER_FOLDER: this.userFolder,
			N8N_PORT: String(this.port ?? 5678),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_EDITOR_BASE_URL: `http://127.0.0.1:${this.port ?? 5678}/`,
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			// Each instance its own task-broker port (default 5679 would collide).
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPort ?? 5679),
			// Read/Write Files from Disk may only touch this folder.
			N8N_RESTRICT_FILE_ACCESS_TO: this.filesDir,
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			N8N_PUBLIC_API_DISABLED: 'true',
			DB_SQLITE_POOL_SIZE: '2',
			NO_COLOR: '1',
			...this.line.env,
			...this.extraEnv,
		};
		if (this.binaryDataMode) env.N8N_DEFAULT_BINARY_DATA_MODE = this.binaryDataMode;
		// npm_config_* from a parent `npm run` would confuse nothing here, but a
		// stray NODE_OPTIONS could: n8n gets a clean one.
		delete env.NODE_OPTIONS;
		if (this.line.runtime === 'node24')
			env.PATH = `${join(nodeBinFor(this.line), '..')}:${env.PATH}`;
		return env;
	}

	/** Unpack an `npm pack` tarball where n8n looks for installed community packages. */
	async installTarball(tgz) {
		rmSync(this.packageDir, { recursive: true, force: true });
		mkdirSync(this.packageDir, { recursive: true });
		const r = await runCommand('tar', ['xzf', tgz, '-C', this.packageDir, '--strip-components=1']);
		if (r.code !== 0) throw new Error(`tar failed: ${r.stderr}`);
		writeFileSync(
			join(this.nodesDir, 'package.json'),
			JSON.stringify(
				{ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: `file:${tgz}` } },
				null,
				2,
			),
		);
	}

	async cli(args, { timeoutMs = 180_000 } = {}) {
		return runCommand(nodeBinFor(this.line), [n8nEntry(this.line), ...args], {
			env: this.env(),
			cwd: this.userFolder,
			timeoutMs,
		});
	}

	async cliOk(args, opts) {
		const r = await this.cli(args, opts);
		if (r.code !== 0)
			throw new Error(
				`n8n ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
			);
		return r;
	}

	/** Import credentials from a temp file outside the user folder, deleted right after. */
	async importCredentials(creds) {
		const dir = mkdtempSync(join(tmpdir(), 'stepfun-e2e-creds-'));
		const file = join(dir, 'creds.json');
		try {
			writeFileSync(file, JSON.stringify(creds));
			await this.cliOk(['import:credentials', `--input=${file}`]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}

	/** Import one workflow or several (one CLI call: `import:workflow --separate`). */
	async importWorkflows(...wfs) {
		const dir = mkdtempSync(join(tmpdir(), 'stepfun-e2e-wf-'));
		try {
			wfs
				.flat()
				.forEach((wf, i) =>
					writeFileSync(join(dir, `${String(i).padStart(2, '0')}.json`), JSON.stringify(wf)),
				);
			await this.cliOk(['import:workflow', '--separate', `--input=${dir}`]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}

	/** Make a webhook/form workflow active on next start. */
	async activate(id) {
		if (this.hasPublish) await this.cliOk(['publish:workflow', `--id=${id}`]);
		else await this.cliOk(['update:workflow', `--id=${id}`, '--active=true']);
	}

	/** Publish (activate) a workflow in the started n8n, as the editor's Publish button does. */
	async publishNow(id) {
		const wf = await this.rest('GET', `/rest/workflows/${id}`);
		const versionId = (wf.data ?? wf).versionId;
		await this.rest('POST', `/rest/workflows/${id}/activate`, { versionId });
		await this.waitForPublished(id);
	}

	/** Take a workflow off line again in the started n8n. */
	async unpublish(id) {
		await this.rest('POST', `/rest/workflows/${id}/deactivate`, {});
	}

	/**
	 * `n8n execute --id --rawOutput`. Returns { ok, run, stdout, stderr, code } where `run`
	 * is the parsed IRun (also on failure: n8n logs it before the error).
	 */
	async execute(id) {
		const r = await this.cli(['execute', `--id=${id}`, '--rawOutput']);
		const run = parseRun(r.stdout) ?? parseRun(r.stderr);
		return { ok: r.code === 0 && !!run && !run.data?.resultData?.error, run, ...r };
	}

	/**
	 * `n8n start`, then (optionally) the owner set up and the given workflows live.
	 * n8n >= 2.4x activates published workflows in the background after "Editor is now
	 * accessible": their webhooks answer 404 until the publication has settled.
	 */
	async start({ timeoutMs = 120_000, owner = false, waitForActive = [] } = {}) {
		await this.init();
		this.proc = startProcess(this.label, nodeBinFor(this.line), [n8nEntry(this.line), 'start'], {
			env: this.env(),
			cwd: this.userFolder,
			echo: !!process.env.E2E_VERBOSE,
		});
		await this.proc.waitFor(/Editor is now accessible/, timeoutMs);
		if (owner || waitForActive.length) await this.setupOwner();
		for (const id of waitForActive) await this.waitForPublished(id);
		return this;
	}

	async waitForPublished(id, timeoutMs = 60_000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const r = await this.rest('GET', `/rest/workflows/${id}/publication-status`, undefined, {
				raw: true,
			});
			if (r.status === 404 && !/does not exist/.test(r.text))
				return 'activated at start (no publication service)';
			const st = r.json?.data?.status ?? r.json?.status;
			if (st === 'published') return st;
			if (st === 'failed' || st === 'partial')
				throw new Error(
					`workflow ${id} publication ${st}: ${JSON.stringify(r.json?.data?.triggers ?? r.json)}`,
				);
			if (Date.now() > deadline)
				throw new Error(
					`workflow ${id} not live after ${timeoutMs / 1000}s (status ${st ?? r.status})`,
				);
			await new Promise((res) => setTimeout(res, 250));
		}
	}

	/**
	 * n8n 2.x's publication state of a workflow: { status, liveVersionId, pendingVersionId,
	 * triggers }, or undefined when this n8n has no publication service (1.x).
	 */
	async publicationStatus(id) {
		const r = await this.rest('GET', `/rest/workflows/${id}/publication-status`, undefined, {
			raw: true,
		});
		if (r.status === 404 && !/does not exist/.test(r.text)) return undefined;
		return r.json?.data ?? r.json;
	}

	output() {
		return this.proc?.output() ?? '';
	}

	async stop() {
		if (this.proc) await stopProcess(this.proc.pid);
		this.proc = undefined;
	}

	async dispose() {
		await this.stop();
		if (this.ownsFolder && !process.env.E2E_KEEP)
			rmSync(this.userFolder, { recursive: true, force: true });
	}

	/** REST call with the owner's cookie once set up. */
	async rest(method, path, body, { raw = false } = {}) {
		const headers = { accept: 'application/json' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (this.cookie) headers.cookie = this.cookie;
		const res = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		const json = parseJson(text);
		if (raw) return { status: res.status, json, text, headers: res.headers };
		if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 500)}`);
		return json;
	}

	async setupOwner(owner = OWNER) {
		const res = await fetch(`${this.baseUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(owner),
		});
		const text = await res.text();
		if (res.status !== 200) throw new Error(`owner setup -> ${res.status}: ${text.slice(0, 300)}`);
		const setCookie = res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie')];
		const auth = setCookie.map((c) => c?.split(';')[0]).find((c) => c?.startsWith('n8n-auth='));
		if (!auth) throw new Error('owner setup gave no n8n-auth cookie');
		this.cookie = auth;
		return auth.slice('n8n-auth='.length);
	}

	/** Executions of a workflow (REST, newest first), each with its data parsed. */
	async executions(workflowId) {
		const out = [];
		for (const row of await this.executionRows(workflowId)) out.push(await this.execution(row.id));
		return out;
	}

	/** The rows of a workflow's executions (REST list: id, status, …), newest first. */
	async executionRows(workflowId) {
		const list = await this.rest(
			'GET',
			`/rest/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}`,
		);
		return list.data?.results ?? list.data ?? [];
	}

	/** One stored execution: { id, status, mode, text (the REST answer), run: { data } }. */
	async execution(id) {
		const one = await this.rest('GET', `/rest/executions/${id}`, undefined, { raw: true });
		const e = one.json?.data ?? one.json;
		return {
			id,
			status: e?.status,
			mode: e?.mode,
			text: one.text,
			run: { data: this.parseFlatted(e?.data) },
		};
	}

	/**
	 * The workflow's newest execution once it is finished and newer than `previousId`
	 * (undefined: any). A webhook answered by Respond to Webhook has its answer before n8n
	 * has stored the execution, so this polls.
	 */
	async nextExecution(workflowId, previousId, timeoutMs = 30_000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const [row] = await this.executionRows(workflowId);
			const newer = row && (previousId === undefined || Number(row.id) > Number(previousId));
			if (newer && FINISHED.has(row.status)) return this.execution(row.id);
			if (Date.now() > deadline)
				throw new Error(
					`no finished execution of workflow ${workflowId} after ${previousId ?? 'none'} within ${timeoutMs / 1000}s (newest: ${row ? `${row.id} ${row.status}` : 'none'})`,
				);
			await new Promise((res) => setTimeout(res, 200));
		}
	}

	/** The ID of the workflow's newest execution, or undefined. */
	async latestExecutionId(workflowId) {
		const ids = (await this.executionRows(workflowId)).map((row) => Number(row.id));
		return ids.length ? String(Math.max(...ids)) : undefined;
	}

	/** Execution data comes from the REST API serialised with `flatted` (n8n's own copy). */
	parseFlatted(data) {
		if (typeof data !== 'string') return data;
		const req = createRequire(join(lineDir(this.line), 'node_modules', 'n8n', 'package.json'));
		return req('flatted').parse(data);
	}

	/** Every file under the user folder (database, binary data, config, logs). */
	allFiles() {
		const out = [];
		const walk = (d) => {
			for (const e of readdirSync(d, { withFileTypes: true })) {
				const p = join(d, e.name);
				if (e.isDirectory()) {
					if (p === this.packageDir) continue;
					walk(p);
				} else if (e.isFile()) out.push(p);
			}
		};
		walk(this.userFolder);
		return out;
	}

	/** Paths of files in the user folder that contain `needle` (bytes, utf8 and base64). */
	filesContaining(needle) {
		const forms = [
			Buffer.from(needle),
			Buffer.from(Buffer.from(needle).toString('base64').replace(/=+$/, '')),
		];
		return this.allFiles().filter((f) => {
			const buf = readFileSync(f);
			return forms.some((n) => buf.includes(n));
		});
	}
}

/** `text` parsed as JSON, or undefined when it is not JSON. */
export function parseJson(text) {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** Parse the IRun JSON that `n8n execute` prints after its log lines. */
export function parseRun(text) {
	const lines = text.split('\n');
	const start = lines.findIndex((l) => l.trim() === '{');
	if (start < 0) return undefined;
	for (let end = start + 1; end < lines.length; end++) {
		if (lines[end] !== '}' && lines[end].trim() !== '}') continue;
		try {
			return JSON.parse(lines.slice(start, end + 1).join('\n'));
		} catch {
			/* a nested closing brace: keep going */
		}
	}
	return undefined;
}

/** Output items of a node in an IRun: [{ json, binary }]. */
export function nodeOutput(run, nodeName, output = 0) {
	const runs = run?.data?.resultData?.runData?.[nodeName];
	if (!runs?.length) return undefined;
	return runs[runs.length - 1].data?.main?.[output] ?? [];
}

export function nodeError(run, nodeName) {
	const runs = run?.data?.resultData?.runData?.[nodeName];
	return runs?.[runs.length - 1]?.error;
}
