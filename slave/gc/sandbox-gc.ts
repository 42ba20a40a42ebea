/**
 * Sandbox garbage collection for the agent: the adapter around the pure GcSchedule
 * (gc-schedule.ts). The agent core calls `schedule(sandbox, completedAt)` when a container's
 * run is over (its task terminal and its status updates acknowledged, as Mesos schedules a
 * completed executor run); one timer fires at the earliest removal time and removes what is
 * due; every `diskWatchIntervalSeconds` (Mesos `--disk_watch_interval`, 60 s) the work dir's
 * file system is measured (statfs) and everything older than Mesos' maximum allowed age under
 * that usage is removed (`prune()` does the same on demand). Each removal takes the sandbox
 * and its checkpoint twin under `meta/`, both path-jailed (sandbox-jail.ts).
 *
 * Invariants: nothing outside `<work_dir>/slaves/` and `<work_dir>/meta/slaves/` is ever
 * removed; a directory is removed at most once per schedule call; `stop()` leaves no timer.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Logger, TimerHandle, Timers } from '../../common/ports.ts';
import { GcSchedule } from './gc-schedule.ts';
import { gcTargets, removeJailed } from './sandbox-jail.ts';

/** The two statfs fields the disk usage is computed from (Mesos: used = blocks - bfree). */
export interface DiskBlocks {
  readonly blocks: number;
  readonly bfree: number;
}

export interface SandboxGcOptions {
  readonly workDir: string;
  /** Mesos `--gc_delay` (default 1 week). */
  readonly gcDelaySeconds: number;
  /** Mesos `--gc_disk_headroom` (default 0.1). */
  readonly diskHeadroom: number;
  readonly timers: Timers;
  readonly clock: Clock;
  /** Mesos `--disk_watch_interval` (default 60 s). */
  readonly diskWatchIntervalSeconds?: number;
  /** Measures the work dir's file system; node's statfs by default. */
  readonly statfs?: (path: string) => Promise<DiskBlocks>;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface SandboxGc {
  /** Schedules a completed sandbox (absolute, below `<work_dir>/slaves/`) for removal `gc_delay` after `completedAt` (ms). */
  schedule(directory: string, completedAt: number): void;
  /**
   * Schedules a sandbox by its last modification time, as Mesos does for what it finds on disk:
   * for completed runs found at recovery, so an agent restart does not restart their clock.
   * A missing directory whose meta twin is left is aged by the twin's mtime; with neither, nothing to do.
   * `alsoAgedBy` (paths inside it) count too: it is aged by the newest of their mtimes (a framework's
   * directory, made with its first task, by its `executors` directories, changed by every executor made or removed).
   */
  scheduleFromMtime(directory: string, alsoAgedBy?: readonly string[]): Promise<void>;
  /**
   * Keeps a sandbox (an executor's directory whose executor id launches again, say). Resolves once
   * a removal of it already under way has finished, so what is written there afterwards stays
   * (Mesos' agent waits for its unschedule before it creates a run's directories).
   */
  unschedule(directory: string): Promise<void>;
  /** Measures the disk and removes what Mesos' rule allows now; the removed sandboxes. */
  prune(): Promise<string[]>;
  /** Mesos' GC metrics: `gc/path_removals_succeeded`, `gc/path_removals_failed`, `gc/path_removals_pending`. */
  metrics(): Record<string, number>;
  /** Resolves once every removal started so far has finished (tests, orderly shutdown). */
  settled(): Promise<void>;
  stop(): void;
}

export const DEFAULT_GC_DELAY_SECONDS = 7 * 24 * 3600;
export const DEFAULT_DISK_WATCH_INTERVAL_SECONDS = 60;
export const DEFAULT_GC_DISK_HEADROOM = 0.1;

async function nodeStatfs(path: string): Promise<DiskBlocks> {
  const s = await fs.statfs(path);
  return { blocks: s.blocks, bfree: s.bfree };
}

export function diskUsage(blocks: DiskBlocks): number {
  return blocks.blocks > 0 ? (blocks.blocks - blocks.bfree) / blocks.blocks : 0;
}

export function createSandboxGc(opts: SandboxGcOptions): SandboxGc {
  const schedule = new GcSchedule(opts.gcDelaySeconds * 1000);
  const statfs = opts.statfs ?? nodeStatfs;
  const slavesRoot = join(opts.workDir, 'slaves');
  const metaRoot = join(opts.workDir, 'meta', 'slaves');
  let timer: TimerHandle | undefined;
  let armedFor: number | undefined;
  let stopped = false;
  let succeeded = 0;
  let failed = 0;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };

  /** The directories whose removal is under way, and its end (what `unschedule` waits for). */
  const removing = new Map<string, Promise<void>>();

  const remove = async (directories: readonly string[]): Promise<string[]> => {
    const removed: string[] = [];
    // Each taken from the schedule only when its own removal starts: one unscheduled while those
    // before it are removed (its executor id launched again) stays.
    for (const directory of directories) {
      if (schedule.take([directory]).length === 0) continue;
      const targets = gcTargets(opts.workDir, directory);
      if (targets === undefined) continue;
      let finished!: () => void;
      removing.set(directory, new Promise<void>((resolve) => { finished = resolve; }));
      try {
        if (await removeJailed(slavesRoot, targets.sandbox)) removed.push(directory);
        await removeJailed(metaRoot, targets.meta);
        succeeded += 1;
      } catch (error) {
        failed += 1;
        opts.logger?.warn({ directory, err: (error as Error).message }, 'failed to garbage-collect sandbox');
      } finally {
        removing.delete(directory);
        finished();
      }
    }
    if (removed.length > 0) opts.logger?.info({ removed: removed.length }, 'garbage-collected sandboxes');
    return removed;
  };

  const arm = (): void => {
    if (stopped) return;
    const next = schedule.nextRemovalTime();
    if (next === armedFor) return;
    if (timer !== undefined) opts.timers.clear(timer);
    timer = undefined;
    armedFor = next;
    if (next === undefined) return;
    timer = opts.timers.setTimeout(() => {
      timer = undefined;
      armedFor = undefined;
      void track(remove(schedule.due(opts.clock.now())).finally(arm));
    }, Math.max(1, next - opts.clock.now()));
  };

  const prune = async (): Promise<string[]> => {
    let usage: number;
    try {
      usage = diskUsage(await statfs(opts.workDir));
    } catch (error) {
      opts.logger?.warn({ err: (error as Error).message }, 'failed to measure disk usage for sandbox garbage collection');
      return [];
    }
    const removed = await remove(schedule.prunable(opts.clock.now(), usage, opts.diskHeadroom));
    arm();
    return removed;
  };

  const watch = opts.timers.setInterval(() => {
    void track(prune());
  }, (opts.diskWatchIntervalSeconds ?? DEFAULT_DISK_WATCH_INTERVAL_SECONDS) * 1000);

  return {
    schedule(directory, completedAt) {
      if (gcTargets(opts.workDir, directory) === undefined) {
        opts.logger?.warn({ directory }, 'not garbage-collecting a directory outside the sandboxes');
        return;
      }
      schedule.schedule(directory, completedAt);
      arm();
    },
    async scheduleFromMtime(directory, alsoAgedBy = []) {
      let mtimeMs: number | undefined;
      try {
        mtimeMs = (await fs.stat(directory)).mtimeMs;
      } catch {
        // Gone with its twin under meta/ left (a kill -9 between the two removals): the twin ages,
        // else its checkpoints stayed for good and every restart read them again.
        const meta = gcTargets(opts.workDir, directory)?.meta;
        if (meta !== undefined) mtimeMs = await fs.stat(meta).then((st) => st.mtimeMs, () => undefined);
      }
      if (mtimeMs === undefined) return;
      const others = await Promise.all(alsoAgedBy.map((p) => fs.stat(p).then((st) => st.mtimeMs, () => undefined)));
      for (const m of others) if (m !== undefined && m > mtimeMs) mtimeMs = m;
      this.schedule(directory, mtimeMs);
    },
    unschedule(directory) {
      if (schedule.unschedule(directory)) arm();
      return removing.get(directory) ?? Promise.resolve();
    },
    prune: () => track(prune()),
    metrics: () => ({
      'gc/path_removals_succeeded': succeeded,
      'gc/path_removals_failed': failed,
      'gc/path_removals_pending': schedule.size,
    }),
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    stop() {
      stopped = true;
      opts.timers.clear(watch);
      if (timer !== undefined) opts.timers.clear(timer);
      timer = undefined;
    },
  };
}
