/**
 * A real `maestro master` child process for the end-to-end benchmarks, so that the master's event
 * loop is not shared with the simulated agents and the framework (they run in the bench process).
 * Started by test/support/maestro-process.ts (ephemeral loopback port, private work dir) with
 * `--quiet`, and stopped by `stop()` (SIGTERM, SIGKILL after 5 s) or, should the bench die first,
 * by a synchronous SIGKILL from the bench process's `exit` handler (SIGINT and SIGTERM exit
 * through it too): no master and no work dir outlive their benchmark. `BENCH_MASTER_NODE_ARGS`
 * adds node flags to the master (`BENCH_MASTER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`
 * profiles it).
 *
 * A benchmark's master is alone, with its registry in memory: it never inherits DATABASE_URL
 * (startMaestro gives every master an empty one; a url meant for the test server would put the
 * benchmark's master into a leader election with other processes' masters). Only a `database`
 * flag passed here gives it one. master-process.test.ts checks it.
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

/** Processes a benchmark started, killed and their work dirs removed when the bench process exits (also on an error). */
const live = new Set<MaestroProcess>();
let exitHookInstalled = false;

/** Kills `p` and removes its work dir if the bench process exits while it runs. */
export function killOnExit(p: MaestroProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const q of live) {
        q.child.kill('SIGKILL');
        rmSync(q.workDir, { recursive: true, force: true });
      }
    });
  }
  live.add(p);
  p.child.once('exit', () => live.delete(p));
}

/** Starts `maestro master` with `flags` (Mesos names, without dashes) and waits for `master started`. */
export async function startMasterProcess(flags: Readonly<Record<string, string | number | boolean>> = {}, timeoutMs = 30_000): Promise<MasterProcess> {
  const nodeArgs = (process.env.BENCH_MASTER_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const m = await startMaestro('master', { quiet: true, ...flags }, 'master started', timeoutMs, { nodeArgs });
  killOnExit(m);
  return {
    url: m.url,
    pid: m.child.pid!,
    output: m.output,
    stop: m.stop,
  };
}
