/**
 * OOM-kill detection for one container's memory cgroup.
 *
 * v1: an eventfd (native.ts) registered on `memory.oom_control` by writing
 * "<eventfd> <fd of memory.oom_control>" to `cgroup.event_control`. The kernel signals the eventfd
 * when an OOM begins in the cgroup (before the OOM killer has picked and killed a process), and
 * also when the cgroup is removed, so a signal is only a reason to look: from the first signal
 * on, every poll reads the `oom_kill` counter of `memory.oom_control` (Linux ≥ 4.13) until it is
 * above zero; without that counter, a signal while the cgroup still exists counts. The eventfd
 * is non-blocking and read with `fs.readSync` (EAGAIN = nothing yet): polling it costs one
 * syscall and never blocks the event loop or holds a libuv pool thread. Without koffi the
 * counter alone is polled. `poll(true)` reads the counter whatever the eventfd says: the
 * authoritative answer when the task has just died and the question is whether it was the OOM
 * killer.
 * v2: the `oom_kill` counter of `memory.events`.
 *
 * Invariants: `poll()` is sticky (once true, always true) and never throws; `close()` releases
 * both descriptors once, and is idempotent. A counter already above zero when watching starts
 * (a container recovered after an agent restart, OOM-killed while no agent ran) is reported: no
 * agent saw it, and the container cannot have been reported for it before.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventFd } from './native.ts';
import { parseFlatKeyed } from './stats.ts';

export interface OomWatcher {
  /** Whether the kernel's OOM killer has acted in the cgroup (sticky). `force`: read the kernel's counter now, not only on a notification. */
  poll(force?: boolean): boolean;
  /** How it listens: 'eventfd' (v1), 'counter' (v1 without koffi, or v2 memory.events). */
  readonly mechanism: 'eventfd' | 'counter';
  close(): void;
}

function readCounter(file: string, key: string): number | undefined {
  try {
    return parseFlatKeyed(readFileSync(file, 'utf8')).get(key);
  } catch {
    return undefined;
  }
}

/** Pure: what a v1 eventfd signal means, given the `memory.oom_control` counter and whether the cgroup still exists. */
export function v1SignalMeansOom(oomKillCounter: number | undefined, cgroupExists: boolean): boolean {
  if (oomKillCounter !== undefined) return oomKillCounter > 0;
  return cgroupExists;
}

/** v1: eventfd + cgroup.event_control on `memoryDir` (the container's memory cgroup directory). */
export function watchOomV1(memoryDir: string): OomWatcher {
  const controlFile = join(memoryDir, 'memory.oom_control');
  const counter = () => readCounter(controlFile, 'oom_kill');
  let fired = (counter() ?? 0) > 0;
  const efd = createEventFd();
  if (!efd.ok) {
    return {
      mechanism: 'counter',
      poll: () => (fired ||= (counter() ?? 0) > 0),
      close: () => {},
    };
  }
  let controlFd: number | undefined;
  try {
    controlFd = openSync(controlFile, 'r');
    writeFileSync(join(memoryDir, 'cgroup.event_control'), `${efd.fd} ${controlFd}`);
  } catch (e) {
    if (controlFd !== undefined) closeSync(controlFd);
    closeSync(efd.fd);
    throw new Error(`cannot register OOM notification on ${controlFile}: ${(e as Error).message}`, { cause: e });
  }
  let open = true;
  // Set by the first notification and kept: the kill that follows it raises the counter later.
  let signalled = false;
  const buf = Buffer.alloc(8);
  return {
    mechanism: 'eventfd',
    poll(force = false) {
      if (fired) return fired;
      if (open) {
        try {
          if (readSync(efd.fd, buf, 0, 8, null) === 8) signalled = true;
        } catch {
          // EAGAIN: no event since the last read.
        }
      }
      if (signalled) fired = v1SignalMeansOom(counter(), existsSync(memoryDir));
      else if (force) fired = (counter() ?? 0) > 0;
      return fired;
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(efd.fd);
      if (controlFd !== undefined) closeSync(controlFd);
    },
  };
}

/** v2: the `oom_kill` counter of `<dir>/memory.events`. */
export function watchOomV2(dir: string): OomWatcher {
  const file = join(dir, 'memory.events');
  let fired = false;
  return {
    mechanism: 'counter',
    poll: () => (fired ||= (readCounter(file, 'oom_kill') ?? 0) > 0),
    close: () => {},
  };
}

/** The kernel's count of OOM kills in the cgroup (v1 memory.oom_control, v2 memory.events); undefined when unreadable. */
export function oomKillCount(version: 1 | 2, memoryDir: string): number | undefined {
  return version === 1 ? readCounter(join(memoryDir, 'memory.oom_control'), 'oom_kill') : readCounter(join(memoryDir, 'memory.events'), 'oom_kill');
}
