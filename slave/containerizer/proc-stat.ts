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

/** Every process now; processes that vanish while being read are left out. */
export async function readProcessTable(): Promise<ProcStat[]> {
  const names = await readdir('/proc');
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/** The process's environment as `NAME=value` strings (empty when unreadable). */
export async function readEnviron(pid: number): Promise<string[]> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'latin1')).split('\0').filter((s) => s !== '');
  } catch {
    return [];
  }
}
