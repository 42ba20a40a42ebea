/**
 * A real `maestro master` child process for the end-to-end benchmarks, so that the master's event
 * loop is not shared with the simulated agents and the framework (they run in the bench process).
 * Started by test/support/maestro-process.ts (ephemeral loopback port, private work dir) with
 * `--quiet`, and stopped by `stop()` (SIGTERM, SIGKILL after 5 s) or, should the bench die first,
 * by a synchronous SIGKILL from the bench process's `exit` handler (SIGINT and SIGTERM exit
 * through it too): no master and no work dir outlive their benchmark. `BENCH_MASTER_NODE_ARGS`
 * adds node flags to the master (`BENCH_MASTER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`
 * profiles it).
 */
import { rmSync } from 'node:fs';
import { startMaestro, type MaestroProcess } from '../../test/support/maestro-process.ts';

export interface MasterProcess {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly pid: number;
  /** What the master printed (warnings and errors; it runs with --quiet). */
  output(): string;
  /** Stops the master and removes its work dir. Idempotent. */
  stop(): Promise<void>;
}

/** Running masters, for the exit hook. */
const live = new Set<MaestroProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const m of live) {
      m.child.kill('SIGKILL');
      rmSync(m.workDir, { recursive: true, force: true });
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
}

/** Starts `maestro master` with `flags` (Mesos names, without dashes) and waits for `master started`. */
export async function startMasterProcess(flags: Readonly<Record<string, string | number | boolean>> = {}, timeoutMs = 30_000): Promise<MasterProcess> {
  installExitHook();
  const nodeArgs = (process.env.BENCH_MASTER_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const m = await startMaestro('master', { quiet: true, ...flags }, 'master started', timeoutMs, { nodeArgs });
  live.add(m);
  m.child.once('exit', () => live.delete(m));
  return {
    url: m.url,
    pid: m.child.pid!,
    output: m.output,
    stop: m.stop,
  };
}
