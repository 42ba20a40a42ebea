/**
 * A real `maestro master` child process for the end-to-end benchmarks, so that the master's event
 * loop is not shared with the simulated agents and the framework (they run in the bench process).
 * It listens on an ephemeral loopback port with a private work dir and `--quiet`, and is stopped
 * by `stop()` (SIGTERM, SIGKILL after 5 s) or, should the bench die first, by a synchronous
 * SIGKILL from the bench process's `exit` handler (SIGINT and SIGTERM exit through it too): no
 * master and no work dir outlive their benchmark. `BENCH_MASTER_NODE_ARGS` adds node flags to the
 * master (`BENCH_MASTER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` profiles it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface MasterProcess {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly pid: number;
  /** What the master printed (warnings and errors; it runs with --quiet). */
  output(): string;
  /** Stops the master and removes its work dir. Idempotent. */
  stop(): Promise<void>;
}

/** Running masters and their work dirs, for the exit hook. */
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, workDir] of live) {
      child.kill('SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
}

/** Starts `maestro master` with `flags` (Mesos names, without dashes) and waits for `master started`. */
export async function startMasterProcess(flags: Readonly<Record<string, string | number | boolean>> = {}, timeoutMs = 30_000): Promise<MasterProcess> {
  installExitHook();
  const workDir = mkdtempSync(join(tmpdir(), 'maestro-bench-master-'));
  const nodeArgs = (process.env.BENCH_MASTER_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const args = [
    ...nodeArgs, '--import=tsx', join(root, 'bin', 'cli.ts'), 'master', '--ip=127.0.0.1', '--port=0', `--work_dir=${workDir}`, '--quiet=true',
    ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`),
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  live.set(child, workDir);
  let out = '';
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => { exited = true; live.delete(child); resolve(); }));
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const remove = () => rmSync(workDir, { recursive: true, force: true });
  const url = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`master did not start within ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('master started')) continue;
        const rec = JSON.parse(line) as { msg?: string; address?: string };
        if (rec.msg === 'master started' && rec.address !== undefined) {
          clearTimeout(timer);
          resolve(rec.address);
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      remove();
      reject(new Error(`master exited (code ${code}, signal ${signal}) before starting:\n${out}`));
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    url,
    pid: child.pid!,
    output: () => out,
    stop() {
      stopped ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exitPromise;
          clearTimeout(t);
        }
        remove();
      })();
      return stopped;
    },
  };
}
