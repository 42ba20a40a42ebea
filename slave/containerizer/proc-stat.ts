/**
 * Reading processes from Linux /proc: `/proc/<pid>/stat` parsed (pure `parseStat`), the whole
 * process table, and one process's environment. Fields follow proc(5); `startTime` (field 22,
 * clock ticks since boot) together with the pid names a process uniquely, which is what defeats
 * pid reuse when a checkpointed pid is looked at again after an agent restart.
 */
import { readFile, readdir } from 'node:fs/promises';

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

export async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Files read at once by a table scan: enough to overlap the reads, few enough to leave descriptors to others. */
const SCAN_PARALLELISM = 32;

/** Every process now; processes that vanish while being read are left out. */
export async function readProcessTable(): Promise<ProcStat[]> {
  let names: string[];
  try {
    names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (let i = 0; i < names.length; i += SCAN_PARALLELISM) {
    const stats = await Promise.all(names.slice(i, i + SCAN_PARALLELISM).map((n) => readStat(Number(n))));
    for (const s of stats) if (s !== undefined) out.push(s);
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

/** The process's environment as `NAME=value` strings (empty when unreadable). */
export async function readEnviron(pid: number): Promise<string[]> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'latin1')).split('\0').filter((s) => s !== '');
  } catch {
    return [];
  }
}
