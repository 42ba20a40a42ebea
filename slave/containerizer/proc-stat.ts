/**
 * Reading processes from Linux /proc: `/proc/<pid>/stat` parsed (pure `parseStat`), the whole
 * process table, and one process's environment. Fields follow proc(5); `startTime` (field 22,
 * clock ticks since boot) together with the pid names a process uniquely, which is what defeats
 * pid reuse when a checkpointed pid is looked at again after an agent restart.
 *
 * /proc is read with synchronous calls: its files are made by the kernel on read and never wait
 * for a disk, so a read costs a few microseconds, while the same read through libuv's thread pool
 * (open, fstat, read, close: four round trips) costs over ten times the CPU and queues behind
 * the checkpoints' fsyncs. A whole-table scan yields to the event loop between slices.
 *
 * The kernel also lists each thread's children (`/proc/<pid>/task/<tid>/children`, Linux's
 * CONFIG_PROC_CHILDREN): `readSubtrees` reads the processes below some roots from those lists, a
 * few reads where the whole table is one per process on the host.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** R, S, D, Z, T, ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** Clock ticks. */
  readonly utime: number;
  readonly stime: number;
  readonly threads: number;
  /** Clock ticks since boot. */
  readonly startTime: number;
  /** Pages. */
  readonly rss: number;
}

/** Parses one `/proc/<pid>/stat` line; undefined when malformed. The command name may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[k - 3] is field k of proc(5).
  const field = (k: number) => Number(rest[k - 3]);
  if (!Number.isInteger(pid) || rest.length < 22) return undefined;
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    utime: field(14),
    stime: field(15),
    threads: field(20),
    startTime: field(22),
    rss: field(24),
  };
  return Number.isFinite(stat.startTime) && Number.isFinite(stat.ppid) ? stat : undefined;
}

/**
 * Whether a process has ended for good: a zombie (or dead) with no thread left. A process whose
 * main thread exited alone (exit(2), pthread_exit in main) shows `Z` while its other threads run
 * and fork (ps calls it defunct): it is alive, it can be killed, and it must be.
 */
export function hasEnded(p: ProcStat): boolean {
  return (p.state === 'Z' && p.threads <= 1) || p.state === 'X';
}

/** One process's stat now; undefined when it is gone or unreadable. */
export function readStatSync(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export async function readStat(pid: number): Promise<ProcStat | undefined> {
  return readStatSync(pid);
}

/** Processes read between two yields to the event loop during a table scan. */
const SCAN_SLICE = 256;

/** Every process now; processes that vanish while being read are left out. */
export async function readProcessTable(): Promise<ProcStat[]> {
  let names: string[];
  try {
    names = readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57);
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (let i = 0; i < names.length; i += SCAN_SLICE) {
    if (i > 0) await new Promise<void>((r) => setImmediate(r));
    for (const n of names.slice(i, i + SCAN_SLICE)) {
      const s = readStatSync(Number(n));
      if (s !== undefined) out.push(s);
    }
  }
  return out;
}

/**
 * A process-table reader for many concurrent callers (a kill of many containers at once): a call
 * gets a scan that started after the call, and every call waiting meanwhile shares the same one.
 */
export function createTableReader(scan: () => Promise<ProcStat[]> = readProcessTable): () => Promise<ProcStat[]> {
  let running: Promise<ProcStat[]> | undefined;
  let queued: Promise<ProcStat[]> | undefined;
  const start = (): Promise<ProcStat[]> => {
    const p = scan().finally(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };
  return () => {
    if (running === undefined) return start();
    if (queued === undefined) {
      queued = running.then(
        () => {
          queued = undefined;
          return start();
        },
        () => {
          queued = undefined;
          return start();
        },
      );
    }
    return queued;
  };
}

/**
 * The children of one thread of a process (`/proc/<pid>/task/<tid>/children`; a process forked by a
 * thread, or re-parented to it, is that thread's child). Undefined when the list cannot be read:
 * the process is gone, or the kernel does not list children (no CONFIG_PROC_CHILDREN).
 */
export function readChildren(pid: number, tid: number = pid): number[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (const word of text.split(' ')) if (word !== '') out.push(Number(word));
  return out;
}

/** The children of every thread of `p` (one list for a single-threaded process); undefined when one cannot be read. */
function childrenOf(p: ProcStat): number[] | undefined {
  if (p.threads <= 1) return readChildren(p.pid);
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${p.pid}/task`);
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (const tid of tids) {
    const list = readChildren(p.pid, Number(tid));
    // A thread that ended meanwhile: its children went to another thread, listed too (or not yet: the caller's re-check).
    if (list !== undefined) out.push(...list);
  }
  return out;
}

/**
 * The processes of the subtrees rooted at `roots`, roots included, through the kernel's children
 * lists (synchronous: a handful of /proc reads). A process that is gone (or has ended: a zombie
 * has no children; `hasEnded`) when it is read is left out; its children, if it had any, were re-parented: to find
 * them, the caller compares its own children before and after. Undefined when the children of a
 * live process cannot be read (a kernel without children lists).
 */
export function readSubtrees(roots: Iterable<number>): ProcStat[] | undefined {
  const out: ProcStat[] = [];
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const s = readStatSync(pid);
    if (s === undefined) continue;
    out.push(s);
    if (hasEnded(s)) continue;
    const children = childrenOf(s);
    if (children === undefined) {
      const now = readStatSync(pid);
      if (now === undefined || hasEnded(now) || now.startTime !== s.startTime) continue;
      return undefined;
    }
    stack.push(...children);
  }
  return out;
}

/** The process's environment as `NAME=value` strings (empty when unreadable). */
export function readEnvironSync(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter((s) => s !== '');
  } catch {
    return [];
  }
}

export async function readEnviron(pid: number): Promise<string[]> {
  return readEnvironSync(pid);
}
