// Child processes of the e2e harness: every process started here is tracked by PID
// and stopped on exit (normal end, failure, Ctrl+C, SIGTERM), each by its own id.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** @type {Map<number, { name: string, child: import('node:child_process').ChildProcess }>} */
const live = new Map();
let hooked = false;

function killGroup(pid, signal) {
	// Our children are started detached (own process group, PGID = their PID), so
	// the signal reaches n8n and the task runner it forks, and nothing else.
	try {
		process.kill(-pid, signal);
		return true;
	} catch {
		try {
			process.kill(pid, signal);
			return true;
		} catch {
			return false;
		}
	}
}

function hookExit() {
	if (hooked) return;
	hooked = true;
	process.on('exit', () => {
		for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
	});
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.on(sig, async () => {
			process.stderr.write(`\n[e2e] ${sig}: stopping ${live.size} child process(es)\n`);
			await stopAll();
			process.exit(sig === 'SIGINT' ? 130 : 143);
		});
	}
}

/**
 * Spawn a tracked, long-running process (own process group).
 * @returns {{ child: import('node:child_process').ChildProcess, pid: number, output: () => string, waitFor: (re: RegExp, ms: number) => Promise<string>, exited: Promise<number|null> }}
 */
export function startProcess(name, cmd, args, { env, cwd, echo = false } = {}) {
	hookExit();
	const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	const pid = child.pid;
	if (!pid) throw new Error(`${name}: could not start ${cmd}`);
	live.set(pid, { name, child });
	let out = '';
	const waiters = new Set();
	const onData = (d) => {
		const s = d.toString();
		out += s;
		if (out.length > 2_000_000) out = out.slice(-1_000_000);
		if (echo) process.stdout.write(s.replace(/^/gm, `[${name}] `));
		for (const w of waiters) w();
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);
	const exited = new Promise((resolve) => {
		child.on('exit', (code, signal) => {
			live.delete(pid);
			for (const w of waiters) w();
			resolve(code ?? (signal ? `signal ${signal}` : null));
		});
	});
	const waitFor = (re, ms) =>
		new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				waiters.delete(check);
				reject(
					new Error(
						`${name}: did not print ${re} within ${ms / 1000}s. Last output:\n${out.slice(-3000)}`,
					),
				);
			}, ms);
			const check = () => {
				const m = re.exec(out);
				if (m) {
					clearTimeout(timer);
					waiters.delete(check);
					resolve(m[0]);
				} else if (child.exitCode !== null || child.signalCode !== null) {
					clearTimeout(timer);
					waiters.delete(check);
					reject(
						new Error(
							`${name}: exited (${child.exitCode ?? child.signalCode}) before printing ${re}. Output:\n${out.slice(-3000)}`,
						),
					);
				}
			};
			waiters.add(check);
			check();
		});
	return { child, pid, output: () => out, waitFor, exited };
}

/** Stop one tracked process by PID: SIGTERM to its group, SIGKILL after `graceMs`. */
export async function stopProcess(pid, graceMs = 15_000) {
	const entry = live.get(pid);
	if (!entry) return;
	const { child } = entry;
	const done = new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve();
		else child.once('exit', resolve);
	});
	killGroup(pid, 'SIGTERM');
	const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
	await done;
	clearTimeout(timer);
	// The group may still hold a task runner that outlived its parent.
	killGroup(pid, 'SIGKILL');
	live.delete(pid);
}

export async function stopAll() {
	await Promise.all([...live.keys()].map((pid) => stopProcess(pid, 10_000)));
}

export function liveProcesses() {
	return [...live.entries()].map(([pid, { name }]) => ({ pid, name }));
}

/** Run a command to completion; resolves { code, signal, stdout, stderr }. Tracked while it runs. */
export function runCommand(cmd, args, { env, cwd, timeoutMs = 300_000, input } = {}) {
	hookExit();
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, {
			env,
			cwd,
			stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
			detached: true,
		});
		live.set(child.pid, { name: `${cmd} ${args[0] ?? ''}`, child });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		if (input) child.stdin.end(input);
		const timer = setTimeout(() => {
			killGroup(child.pid, 'SIGKILL');
			reject(
				new Error(
					`${cmd} ${args.join(' ')} timed out after ${timeoutMs / 1000}s\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`,
				),
			);
		}, timeoutMs);
		child.on('error', (e) => {
			clearTimeout(timer);
			live.delete(child.pid);
			reject(e);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			live.delete(child.pid);
			resolve({ code, signal, stdout, stderr });
		});
	});
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(preferred = 0) {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.once('error', (e) => {
			if (preferred) freePort(0).then(resolve, reject);
			else reject(e);
		});
		srv.listen(preferred, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}
