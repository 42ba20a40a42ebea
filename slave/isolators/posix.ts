/**
 * The `posix/cpu` and `posix/mem` isolators: the fallback without root or without cgroups. They
 * enforce nothing; they measure. Usage is read from /proc for the container's first process (the
 * pid given to `isolate`) and its descendants: user and system CPU time, RSS, process and thread
 * counts, and the container's `cpus` and `mem` as `cpus_limit` and `mem_limit_bytes` (what it
 * was given, not what is enforced). `posixIsolationWarning` is what the agent logs at start.
 *
 * Invariants: never throws for a process that is gone (usage of it is empty); cleanup is
 * idempotent and forgets the container.
 */
import type { Resources } from '../../common/resources/resources.ts';
import type { ContainerId } from '../containerizer.ts';
import { readProcessTable, type ProcStat } from '../containerizer/proc-stat.ts';
import type { Isolator, UsageStatistics } from './isolator.ts';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ) and the page size of its RSS. */
const CLOCK_TICKS = 100;
const PAGE_SIZE = 4096;
const MIB = 1024 * 1024;

/** What the agent logs at start when some resource is not enforced: `missing` lists the cgroups isolators not in use. */
export function posixIsolationWarning(missing: readonly string[]): string {
  const what: Readonly<Record<string, string>> = {
    'cgroups/cpu': 'cpu shares and CFS quota (cgroups/cpu)',
    'cgroups/mem': 'the memory limit and OOM reporting (cgroups/mem)',
    'cgroups/pids': 'the process-count limit (cgroups/pids)',
  };
  return `POSIX isolation: NOT ENFORCED: ${missing.map((m) => what[m] ?? m).join(', ')}; a task can use more than it was given. Usage is measured from /proc.`;
}

/** Pure: `root` and every process descending from it in `table`. */
export function descendantsOf(table: readonly ProcStat[], root: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  let rootStat: ProcStat | undefined;
  for (const p of table) {
    if (p.pid === root) rootStat = p;
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p]);
    else list.push(p);
  }
  if (rootStat === undefined) return [];
  const out: ProcStat[] = [];
  const queue = [rootStat];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift() as ProcStat;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** Pure: the statistics of a set of processes. */
export function posixUsage(procs: readonly ProcStat[], resources: Resources | undefined, measure: { readonly cpu: boolean; readonly mem: boolean }): UsageStatistics {
  const out: UsageStatistics = { processes: procs.length, threads: procs.reduce((n, p) => n + p.threads, 0) };
  if (measure.cpu) {
    out.cpus_user_time_secs = procs.reduce((n, p) => n + p.utime, 0) / CLOCK_TICKS;
    out.cpus_system_time_secs = procs.reduce((n, p) => n + p.stime, 0) / CLOCK_TICKS;
    const cpus = resources?.scalar('cpus') ?? 0;
    if (cpus > 0) out.cpus_limit = cpus;
  }
  if (measure.mem) {
    out.mem_rss_bytes = procs.reduce((n, p) => n + p.rss, 0) * PAGE_SIZE;
    const mem = resources?.scalar('mem') ?? 0;
    if (mem > 0) out.mem_limit_bytes = Math.floor(mem * MIB);
  }
  return out;
}

export function createPosixIsolator(options: { readonly cpu: boolean; readonly mem: boolean; readonly readTable?: () => Promise<ProcStat[]> }): Isolator {
  const readTable = options.readTable ?? readProcessTable;
  const containers = new Map<ContainerId, { resources: Resources; pid: number | undefined }>();
  const name = [options.cpu ? 'posix/cpu' : undefined, options.mem ? 'posix/mem' : undefined].filter((n) => n !== undefined).join(',');
  return {
    name,
    async recover(known) {
      for (const k of known) containers.set(k.containerId, { resources: k.resources, pid: undefined });
      return { orphans: [] };
    },
    async prepare(c) {
      containers.set(c.containerId, { resources: c.resources, pid: undefined });
    },
    async isolate(id, pid) {
      const c = containers.get(id);
      if (c !== undefined) c.pid = pid;
    },
    watch: () => new Promise(() => {}),
    limitation: () => undefined,
    async update(id, resources) {
      const c = containers.get(id);
      if (c !== undefined) c.resources = resources;
    },
    async usage(id) {
      const c = containers.get(id);
      if (c === undefined || c.pid === undefined) return {};
      return posixUsage(descendantsOf(await readTable(), c.pid), c.resources, options);
    },
    async cleanup(id) {
      containers.delete(id);
    },
  };
}
