/**
 * The files of one container's run directory (`LaunchSpec.runDir`, from slave/paths.ts) and who
 * writes them:
 *   supervisor.log   the supervisor's own stderr (opened by the containerizer before the spawn)
 *   pids             "SUPERVISOR_PID TASK_PID", by the supervisor once the task is started
 *   container.json   pids, their start times and the reap marker, by the containerizer after the
 *                    launch handshake (the start times defeat pid reuse at recovery)
 *   jobs             the supervisor's `jobs -l` line, when the wait status was over 128
 *   exit_status      "exited N" or "signaled N", by the supervisor when the task has ended
 * Every file is written whole to a `.tmp` sibling and renamed, so a reader sees all or nothing.
 * They stay when the container ends (with `task.sh`, containerizer README): the run directory is
 * removed whole by the sandbox GC (slave/gc) with the sandbox, as Mesos keeps a run's meta
 * directory until it collects the run. One `rm -r` later costs less than unlinks per task, each
 * a TRIM on a file system mounted with `discard`.
 * None is fsynced: they describe processes, which do not outlive the machine, and an agent that
 * is killed (even with -9) leaves what it wrote in the page cache for its successor. After a
 * power loss a record may be missing or cut short; the supervisor it names is gone then anyway,
 * and recovery says `unknown` for it, as it would for that record intact.
 * The parsers here are pure.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Termination } from '../containerizer.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { signalDescription } from '../signal-text.ts';

/** The agent's one signal table (slave/signal-text.ts), re-exported for the containerizer's callers. */
export { signalDescription };

export const RUN_FILES = {
  supervisorLog: 'supervisor.log',
  pids: 'pids',
  container: 'container.json',
  jobs: 'jobs',
  exitStatus: 'exit_status',
} as const;

export interface ContainerRecord {
  readonly supervisorPid: number;
  readonly supervisorStart?: number;
  readonly taskPid: number;
  readonly taskStart?: number;
  /** `NAME=value` found in the environment of every process of the container, when there is one. */
  readonly marker?: string;
  /** From the launch's resources, so that usage after a recovery still carries the limits. */
  readonly cpusLimit?: number;
  readonly memLimitBytes?: number;
  /** 'oci': a container with an image, run by `runc run --keep` under the supervisor (cleanup deletes its runtime state and rootfs). */
  readonly runtime?: 'oci';
  /** On the agent's bridge (its network namespace, veth and NAT rules go at cleanup). */
  readonly bridge?: boolean;
  /** Its address on the bridge. */
  readonly ip?: string;
  /** What its launch reported of its networks (TaskStatus.container_status.network_infos), for after a recovery. */
  readonly networkInfos?: readonly mesos.v1.NetworkInfo[];
}

/** "exited N" / "signaled N" → termination; undefined when malformed. */
export function parseExitStatus(text: string): Termination | undefined {
  const m = /^(exited|signaled) (\d+)\s*$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[2]);
  if (m[1] === 'exited') return { kind: 'exited', exitCode: n, message: `Command exited with status ${n}` };
  return { kind: 'signaled', signal: n, message: `Command terminated with signal ${signalDescription(n)}` };
}

/** "SUPERVISOR_PID TASK_PID" → pids; undefined when malformed. */
export function parsePids(text: string): { supervisorPid: number; taskPid: number } | undefined {
  const m = /^(\d+) (\d+)\s*$/.exec(text);
  return m === null ? undefined : { supervisorPid: Number(m[1]), taskPid: Number(m[2]) };
}

export function parseContainerRecord(text: string): ContainerRecord | undefined {
  try {
    const v = JSON.parse(text) as Partial<ContainerRecord>;
    return typeof v.supervisorPid === 'number' && typeof v.taskPid === 'number' ? (v as ContainerRecord) : undefined;
  } catch {
    return undefined;
  }
}

export async function readRunFile(runDir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(runDir, name), 'utf8');
  } catch {
    return undefined;
  }
}

/** `readRunFile` without the thread pool: a small file in the page cache is read in microseconds, where the pool takes four round trips. */
export function readRunFileSync(runDir: string, name: string): string | undefined {
  try {
    return readFileSync(join(runDir, name), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Write to a temporary sibling, rename (no fsync: see the header). Synchronous: two small
 * page-cache operations cost less than one round trip through libuv's thread pool.
 */
export function writeRunFileAtomic(runDir: string, name: string, content: string): void {
  const tmp = join(runDir, `${name}.tmp`);
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, join(runDir, name));
}

/** Whether a path exists (any type); false on any error. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
