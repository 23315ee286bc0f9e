// The servers n8n's queue mode needs, on loopback, started by the test itself:
// Debian's redis-server and PostgreSQL (installed with apt when missing), each a
// child process tracked by PID in proc.mjs (its own data folder in a temp dir,
// a free port), plus `n8n worker` processes. Used by e2e/scale.mjs.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { n8nEntry, nodeBinFor } from '../prepare.mjs';
import { refusalPattern } from './account.mjs';
import { freePort, runCommand, startProcess, stopProcess } from './proc.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// Data folders of the servers started here: removed by stop(), and on any exit (Ctrl+C
// included: proc.mjs stops the processes first, then the process exits).
const tempDirs = new Set();
process.on('exit', () => {
	if (process.env.E2E_KEEP) return;
	for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix) {
	const d = mkdtempSync(join(tmpdir(), prefix));
	tempDirs.add(d);
	return d;
}
function removeDir(d) {
	if (!process.env.E2E_KEEP) rmSync(d, { recursive: true, force: true });
	tempDirs.delete(d);
}

/** The bin folder of the newest PostgreSQL under /usr/lib/postgresql (Debian's layout), if any. */
export function findPgBin() {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter(
			(v) =>
				existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')),
		)
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? join(root, versions[0], 'bin') : undefined;
}

export function findRedisServer() {
	return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
}

/**
 * Make sure redis-server and PostgreSQL are installed; install what is missing with
 * apt-get (Debian's packages). Returns { redisServer, pgBin, installed: string[] }.
 */
export async function ensureServers({ log = () => {} } = {}) {
	const missing = [];
	if (!findRedisServer()) missing.push('redis-server');
	if (!findPgBin()) missing.push('postgresql');
	if (missing.length) {
		const opts = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 900_000 };
		// As root apt-get directly; otherwise through passwordless sudo (fails clearly if there is none).
		const apt = (args) =>
			isRoot
				? runCommand('apt-get', args, opts)
				: runCommand('sudo', ['-n', 'apt-get', ...args], opts);
		log(`apt-get install ${missing.join(' ')} (missing on this machine)`);
		let r = await apt(['update']);
		if (r.code !== 0)
			throw new Error(`apt-get update failed (${r.code}):\n${r.stderr.slice(-2000)}`);
		r = await apt(['install', '-y', '--no-install-recommends', ...missing]);
		if (r.code !== 0)
			throw new Error(
				`apt-get install ${missing.join(' ')} failed (${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`,
			);
	}
	const redisServer = findRedisServer();
	const pgBin = findPgBin();
	if (!redisServer) throw new Error('redis-server not found after apt-get install redis-server');
	if (!pgBin)
		throw new Error(
			'PostgreSQL binaries not found under /usr/lib/postgresql/*/bin after apt-get install postgresql',
		);
	return { redisServer, pgBin, installed: missing };
}

/** Redis on 127.0.0.1:<free port>, no persistence, its own folder. */
export async function startRedis({ redisServer = findRedisServer(), timeoutMs = 30_000 } = {}) {
	const dir = tempDir('stepfun-scale-redis-');
	const port = await freePort();
	const conf = join(dir, 'redis.conf');
	writeFileSync(
		conf,
		[
			`port ${port}`,
			'bind 127.0.0.1',
			'protected-mode yes',
			`dir ${dir}`,
			'save ""',
			'appendonly no',
			'daemonize no',
			'logfile ""',
			'databases 4',
		].join('\n') + '\n',
	);
	const proc = startProcess('redis', redisServer, [conf], {
		cwd: dir,
		echo: !!process.env.E2E_VERBOSE,
	});
	await proc.waitFor(/Ready to accept connections/, timeoutMs);
	return {
		host: '127.0.0.1',
		port,
		pid: proc.pid,
		proc,
		async stop() {
			await stopProcess(proc.pid, 5_000);
			removeDir(dir);
		},
	};
}

/** Command prefix that runs a PostgreSQL binary as the `postgres` user when we are root (postgres refuses root). */
async function asPgUser() {
	if (!isRoot) return { prefix: [], uid: undefined, gid: undefined };
	const id = await runCommand('id', ['-u', 'postgres']);
	const gid = await runCommand('id', ['-g', 'postgres']);
	if (id.code !== 0)
		throw new Error(
			'running as root and there is no "postgres" user (apt-get install postgresql creates it)',
		);
	// setpriv execs (no extra process): the PID we track is the postmaster's own.
	return {
		prefix: ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'],
		uid: Number(id.stdout.trim()),
		gid: Number(gid.stdout.trim()),
	};
}

/**
 * PostgreSQL: `initdb` into a temp folder (trust auth, superuser `n8n`), the postmaster
 * on 127.0.0.1:<free port> as a tracked child process. Tuned for a throw-away test
 * database (no fsync). Returns { host, port, user, psql(sql, db), createDatabase(name), stop() }.
 */
export async function startPostgres({
	pgBin = findPgBin(),
	timeoutMs = 60_000,
	user = 'n8n',
} = {}) {
	const { prefix, uid, gid } = await asPgUser();
	const dir = tempDir('stepfun-scale-pg-');
	const data = join(dir, 'data');
	const sock = join(dir, 'sock');
	mkdirSync(sock);
	if (uid !== undefined) {
		const r = await runCommand('chown', ['-R', `${uid}:${gid}`, dir]);
		if (r.code !== 0) throw new Error(`chown ${dir} failed: ${r.stderr}`);
	}
	const env = { ...process.env, HOME: dir, LC_ALL: 'C', LANG: 'C' };
	const wrap = (bin, args) =>
		prefix.length
			? [prefix[0], [...prefix.slice(1), join(pgBin, bin), ...args]]
			: [join(pgBin, bin), args];
	const [initCmd, initArgs] = wrap('initdb', [
		'-D',
		data,
		'-U',
		user,
		'-A',
		'trust',
		'-E',
		'UTF8',
		'--locale=C',
		'--no-sync',
	]);
	const init = await runCommand(initCmd, initArgs, { env, cwd: dir, timeoutMs: 120_000 });
	if (init.code !== 0)
		throw new Error(
			`initdb failed (${init.code}):\n${init.stdout.slice(-2000)}\n${init.stderr.slice(-2000)}`,
		);
	const port = await freePort();
	const [pgCmd, pgArgs] = wrap('postgres', [
		'-D',
		data,
		'-p',
		String(port),
		'-h',
		'127.0.0.1',
		'-k',
		sock,
		'-c',
		'fsync=off',
		'-c',
		'synchronous_commit=off',
		'-c',
		'full_page_writes=off',
		'-c',
		'max_connections=200',
		'-c',
		'shared_buffers=128MB',
	]);
	const proc = startProcess('postgres', pgCmd, pgArgs, {
		env,
		cwd: dir,
		echo: !!process.env.E2E_VERBOSE,
	});
	await proc.waitFor(/database system is ready to accept connections/, timeoutMs);
	const psqlBin = join(pgBin, 'psql');
	const pg = {
		host: '127.0.0.1',
		port,
		user,
		pid: proc.pid,
		proc,
		dir,
		/** Run SQL with psql; resolves the rows as arrays of strings (unaligned, tab-separated). */
		async psql(sql, db = 'postgres') {
			const r = await runCommand(
				psqlBin,
				[
					'-h',
					'127.0.0.1',
					'-p',
					String(port),
					'-U',
					user,
					'-d',
					db,
					'-v',
					'ON_ERROR_STOP=1',
					'-X',
					'-A',
					'-t',
					'-F',
					'\t',
					'-c',
					sql,
				],
				{
					env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
					timeoutMs: 60_000,
				},
			);
			if (r.code !== 0)
				throw new Error(
					`psql failed (${r.code}) for ${sql.slice(0, 200)}:\n${r.stderr.slice(-2000)}`,
				);
			return r.stdout
				.split('\n')
				.filter((l) => l.length)
				.map((l) => l.split('\t'));
		},
		async createDatabase(name) {
			await pg.psql(`CREATE DATABASE ${name}`);
			return name;
		},
		/** DB_* env for n8n pointing at database `db`. */
		n8nEnv(db) {
			return {
				DB_TYPE: 'postgresdb',
				DB_POSTGRESDB_HOST: '127.0.0.1',
				DB_POSTGRESDB_PORT: String(port),
				DB_POSTGRESDB_DATABASE: db,
				DB_POSTGRESDB_USER: user,
				DB_POSTGRESDB_PASSWORD: '',
				DB_POSTGRESDB_POOL_SIZE: '4',
			};
		},
		async stop() {
			await stopProcess(proc.pid, 10_000);
			removeDir(dir);
		},
	};
	return pg;
}

/**
 * `n8n worker` for an N8n instance (its own user folder with the package installed,
 * its env incl. queue/DB settings). Tracked by PID; resolves once the worker says it is ready.
 */
export async function startWorker(n8n, { concurrency = 10, timeoutMs = 120_000 } = {}) {
	await n8n.init();
	const proc = startProcess(
		n8n.label,
		nodeBinFor(n8n.line),
		[n8nEntry(n8n.line), 'worker', `--concurrency=${concurrency}`],
		{
			env: n8n.env(),
			cwd: n8n.userFolder,
			echo: !!process.env.E2E_VERBOSE,
		},
	);
	n8n.proc = proc; // so n8n.stop()/dispose() stop it by PID
	await proc.waitFor(/n8n worker is now ready/, timeoutMs);
	return proc;
}

/** Execution ids a worker's log says it started ("Worker started execution 12 (job 34)"). */
export function executionsStartedBy(output) {
	return new Set([...output.matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]));
}

/**
 * Which worker ran the execution carrying each of `prompts`: the executions after `afterId`
 * in `db` whose stored data holds the prompt (Postgres execution_data), and the worker whose
 * log since `logStarts[i]` says it started that execution. Resolves a Map prompt → "worker N"
 * ("no worker" when no worker's log names the execution).
 */
export async function promptWorkers({ pg, db, afterId, workers, logStarts, prompts }) {
	const started = workers.map((w, i) => executionsStartedBy(w.output().slice(logStarts[i])));
	const rows = await pg.psql(
		`SELECT "executionId", data FROM execution_data WHERE "executionId" > ${afterId}`,
		db,
	);
	const byPrompt = new Map();
	for (const [id, data] of rows) {
		const w = started.findIndex((s) => s.has(id));
		for (const p of prompts)
			if (data.includes(JSON.stringify(p).slice(1, -1)))
				byPrompt.set(p, w < 0 ? 'no worker' : `worker ${w + 1}`);
	}
	return byPrompt;
}

/**
 * The 429 pattern of a queue-mode case (see refusalPattern in account.mjs), each refused
 * request put down to the worker that sent it: the prompt in its body names the execution,
 * promptWorkers() the worker. Empty when nothing was refused. Call once the executions are stored.
 */
export async function refusalsByWorker(
	{ standIn, pg, cluster },
	{ startedAt, afterId, logStarts, prompts, db = 'n8n_queue' },
) {
	if (!standIn.requests.some((r) => r.rateLimited)) return '';
	const who = await promptWorkers({
		pg,
		db,
		afterId,
		workers: cluster.workers,
		logStarts,
		prompts,
	});
	const sourceOf = (r) => {
		const p = prompts.find((each) => r.rawBody.includes(each));
		return p === undefined ? 'unknown' : (who.get(p) ?? 'no execution');
	};
	return refusalPattern(standIn, startedAt, sourceOf);
}

/**
 * Waits until the workers' logs since `logStarts` say `count` executions started in all;
 * resolves the started execution ids per worker.
 */
export async function executionsStarted(workers, logStarts, count, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const started = workers.map((w, i) => executionsStartedBy(w.output().slice(logStarts[i])));
		if (started.reduce((n, s) => n + s.size, 0) >= count) return started;
		if (Date.now() > deadline)
			throw new Error(
				`only ${started.reduce((n, s) => n + s.size, 0)} of ${count} executions started within ${timeoutMs / 1000} s`,
			);
		await new Promise((r) => setTimeout(r, 50));
	}
}
