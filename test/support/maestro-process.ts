/**
 * Starts real `maestro` processes for integration tests: `node --import tsx bin/cli.ts <sub>` on
 * an ephemeral loopback port with a private work dir, waits for its "started" log line, and stops
 * it (SIGTERM, then SIGKILL) — registered with the test's teardown so it also happens on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface MaestroProcess {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly workDir: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, SIGKILL after 5 s; removes the work dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL at once (crash simulation); keeps the work dir. */
  kill(): Promise<void>;
}

export type Flags = Readonly<Record<string, string | number | boolean>>;

export function flagArgs(flags: Flags): string[] {
  return Object.entries(flags).map(([k, v]) => `--${k}=${v}`);
}

export interface StartOptions {
  /** Use this work dir (say, the one of a killed process, to restart it) instead of a fresh one; `stop` removes it. */
  readonly workDir?: string;
  readonly timeoutMs?: number;
  /** Node flags for the process (`--cpu-prof`, say), before the script. */
  readonly nodeArgs?: readonly string[];
  /** The flags that make it listen on an ephemeral loopback port (default `--ip=127.0.0.1 --port=0`). */
  readonly listenFlags?: Flags;
}

/** Starts `maestro <subcommand>` and resolves once it logs `startedMessage` with an `address` field. */
export async function startMaestro(subcommand: string, flags: Flags, startedMessage: string, timeoutMs = 30_000, options: StartOptions = {}): Promise<MaestroProcess> {
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), `maestro-${subcommand}-`));
  const args = [...(options.nodeArgs ?? []), '--import=tsx', join(root, 'bin', 'cli.ts'), subcommand, ...flagArgs(options.listenFlags ?? { ip: '127.0.0.1', port: 0 }), `--work_dir=${workDir}`, ...flagArgs(flags)];
  // A DATABASE_URL meant for the test server (test/support/postgres.ts) would put every master on one
  // database, electing one leader among unrelated tests: a master gets a database only through --database.
  const env = subcommand === 'master' ? { ...process.env, DATABASE_URL: '' } : { ...process.env };
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  let up = false;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a process that did not start behind, nor the work dir made for it.
      child.kill('SIGKILL');
      if (options.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
      reject(new Error(`${subcommand} did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes(startedMessage)) continue;
        try {
          const rec = JSON.parse(line) as { msg?: string; address?: string };
          if (rec.msg === startedMessage && rec.address) {
            up = true;
            clearTimeout(timer);
            resolve(rec.address);
            return;
          }
        } catch { /* a partial line: wait for more */ }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // A process that exited before it started (bad flags, say) leaves no work dir made for it
      // either; once started, the dir outlives it (a test may restart over it after a kill -9).
      if (!up && options.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
      reject(new Error(`${subcommand} exited (code ${code}, signal ${signal}) before starting:\n${out}`));
    });
  });
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  let stopped: Promise<void> | undefined;
  const proc: MaestroProcess = {
    url,
    workDir,
    child,
    output: () => out,
    stop() {
      stopped ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exitPromise;
          clearTimeout(t);
        }
        rmSync(workDir, { recursive: true, force: true });
      })();
      return stopped;
    },
    async kill() {
      if (!exited) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    },
  };
  return proc;
}

/** `maestro master` on an ephemeral port; the caller registers `stop` with `t.teardown`. */
export function startMaster(flags: Flags = {}): Promise<MaestroProcess> {
  return startMaestro('master', flags, 'master started');
}

/**
 * `maestro agent` registered with the master at `masterUrl` (`http://host:port`), on an ephemeral
 * port with a private work dir (or `options.workDir`, to restart a killed agent over its
 * checkpoints; pass `port` in `flags` then, since a changed port is an incompatible AgentInfo).
 * The caller registers `stop` (and `killTaskProcesses(workDir)`) with `t.teardown`.
 */
export function startAgent(masterUrl: string, flags: Flags = {}, options: StartOptions = {}): Promise<MaestroProcess> {
  const master = masterUrl.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return startMaestro('agent', { master, quiet: true, ...flags }, 'agent started', options.timeoutMs ?? 30_000, options);
}

/** Pids of live processes whose environment names a sandbox under `workDir` (task processes of an agent). */
export function taskProcesses(workDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /s.test(stat)) continue;
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (environ.split('\0').some((v) => v.startsWith('MESOS_SANDBOX=') && v.slice('MESOS_SANDBOX='.length).startsWith(workDir))) pids.push(Number(name));
    } catch {
      // The process exited meanwhile, or is not ours to read.
    }
  }
  return pids;
}

/** SIGKILLs every task process of the agent whose work dir is `workDir` (test teardown: no task is left behind). */
export function killTaskProcesses(workDir: string): void {
  for (const pid of taskProcesses(workDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
