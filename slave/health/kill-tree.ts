/**
 * Kills a probe's process and every descendant, as Mesos' os::killtree does for a probe that ran
 * past its timeout, and reaps what the agent inherits. The tree (parent chain from the root, and
 * the root's process group: probes start as group leaders) is frozen with SIGSTOP first so
 * nothing forks in between, then every member gets the signal. /proc is read through the
 * containerizer's reader (slave/containerizer/proc-stat.ts).
 *
 * When the agent is a child subreaper (the POSIX containerizer makes it one), a killed
 * grandchild whose parent died re-parents to the agent and would stay a zombie: libuv reaps only
 * the children it spawned. `reapOrphans` waits for those and reaps them (never the root, which
 * is libuv's child).
 */
import { reapChild } from '../containerizer/native.ts';
import { readProcessTable, readStat, type ProcStat } from '../containerizer/proc-stat.ts';

/** Members of `root`'s tree in `table` (pure): its descendants and its process group, the root excluded. */
export function descendantsOf(table: readonly ProcStat[], root: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p]);
    else list.push(p);
  }
  const found = new Map<number, ProcStat>();
  for (const p of table) if (p.pgrp === root && p.pid !== root) found.set(p.pid, p);
  const queue = [root, ...found.keys()];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      if (child.pid === root || found.has(child.pid)) continue;
      found.set(child.pid, child);
      queue.push(child.pid);
    }
  }
  return [...found.values()];
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export interface KilledProcess {
  readonly pid: number;
  /** From /proc (clock ticks since boot); tells a reused pid. */
  readonly startTime?: number;
}

/** Signals the root and its tree; returns the processes signalled (the root first when it was alive). */
export async function killTree(root: number, sig: NodeJS.Signals = 'SIGKILL'): Promise<KilledProcess[]> {
  const first = descendantsOf(await readProcessTable(), root);
  signal(root, 'SIGSTOP');
  for (const p of first) signal(p.pid, 'SIGSTOP');
  const known = new Set(first.map((p) => p.pid));
  const late = descendantsOf(await readProcessTable(), root).filter((p) => !known.has(p.pid));
  const members = [...first, ...late];
  const killed: KilledProcess[] = [];
  if (signal(root, sig)) killed.push({ pid: root });
  for (const p of members) if (signal(p.pid, sig)) killed.push({ pid: p.pid, startTime: p.startTime });
  signal(-root, sig);
  if (sig !== 'SIGKILL') for (const pid of [root, ...members.map((p) => p.pid)]) signal(pid, 'SIGCONT');
  return killed;
}

/**
 * Reaps the killed processes (not `root`) that end up as zombies of this process, polling through
 * `pause` until each is gone, reaped, or `attempts` run out. Returns the pids reaped.
 */
export async function reapOrphans(root: number, killed: readonly KilledProcess[], pause: () => Promise<void>, attempts = 50): Promise<number[]> {
  let pending = killed.filter((p) => p.pid !== root);
  const reaped: number[] = [];
  for (let i = 0; i < attempts && pending.length > 0; i++) {
    const next: KilledProcess[] = [];
    for (const p of pending) {
      const stat = await readStat(p.pid);
      if (stat === undefined || (p.startTime !== undefined && stat.startTime !== p.startTime)) continue;
      if (stat.state === 'Z' && stat.ppid === process.pid) {
        if (reapChild(p.pid) !== undefined) reaped.push(p.pid);
        continue;
      }
      next.push(p);
    }
    pending = next;
    if (pending.length > 0) await pause();
  }
  return reaped;
}
