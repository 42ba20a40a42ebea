/**
 * Pure parsers of cgroupfs statistics files, v1 and v2, and their mapping to Mesos
 * ResourceStatistics fields. Nothing here reads a file: callers pass the text.
 *
 * Units, from the kernel's cgroup documentation:
 * - v1 `cpuacct.stat` `user`/`system`: USER_HZ clock ticks (100 per second on Linux);
 * - v1 `cpu.stat` `throttled_time`: nanoseconds; v2 `cpu.stat` `*_usec`: microseconds;
 * - memory files: bytes; `max` (v2) means no limit, and v1 reports "no limit" as a huge number
 *   (PAGE_COUNTER_MAX pages, 9223372036854771712 on x86-64), which is shown as no limit too.
 * Invariant: a field the kernel did not report is left out of the result, never set to 0.
 */
import type { mesos } from '../../../proto/types.generated.ts';
import type { UsageStatistics } from '../isolator.ts';

type Statistics = UsageStatistics;

/** Linux's USER_HZ: the unit of cpuacct.stat (sysconf(_SC_CLK_TCK), 100 on every Linux ABI). */
export const USER_HZ = 100;

/** v1 memory limits at or above this are "unlimited" (the kernel's PAGE_COUNTER_MAX rounded, 2^62). */
const V1_UNLIMITED = 2 ** 62;

/** `key value` lines (cpu.stat, cpuacct.stat, memory.stat, memory.events, pids.events, memory.oom_control). */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2) continue;
    const n = Number(parts[1]);
    if (Number.isFinite(n)) out.set(parts[0], n);
  }
  return out;
}

/** A one-value file (memory.max, pids.max, memory.limit_in_bytes, pids.current): a number or 'max'; undefined when malformed. */
export function parseSingleValue(text: string): number | 'max' | undefined {
  const t = text.trim();
  if (t === 'max') return 'max';
  if (!/^-?\d+$/.test(t)) return undefined;
  return Number(t);
}

/** Lines of `cgroup.procs`, `tasks`, `cgroup.threads`: one decimal id per line. */
export function parseIdList(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (/^\d+$/.test(t)) out.push(Number(t));
  }
  return out;
}

function set(out: Statistics, key: keyof mesos.v1.ResourceStatistics, value: number | undefined): void {
  if (value !== undefined && Number.isFinite(value)) (out as Record<string, number>)[key] = value;
}

/** v1: `cpuacct.stat` (ticks) and the cpu controller's `cpu.stat` (throttling; either may be absent). */
export function cpuStatisticsV1(cpuacctStat: string | undefined, cpuStat: string | undefined): Statistics {
  const out: Statistics = {};
  if (cpuacctStat !== undefined) {
    const acct = parseFlatKeyed(cpuacctStat);
    const user = acct.get('user');
    const system = acct.get('system');
    set(out, 'cpus_user_time_secs', user === undefined ? undefined : user / USER_HZ);
    set(out, 'cpus_system_time_secs', system === undefined ? undefined : system / USER_HZ);
  }
  if (cpuStat !== undefined) {
    const s = parseFlatKeyed(cpuStat);
    set(out, 'cpus_nr_periods', s.get('nr_periods'));
    set(out, 'cpus_nr_throttled', s.get('nr_throttled'));
    const ns = s.get('throttled_time');
    set(out, 'cpus_throttled_time_secs', ns === undefined ? undefined : ns / 1e9);
  }
  return out;
}

/** v2: `cpu.stat` holds usage (always) and throttling (with the cpu controller enabled). */
export function cpuStatisticsV2(cpuStat: string): Statistics {
  const s = parseFlatKeyed(cpuStat);
  const out: Statistics = {};
  const usec = (k: string) => {
    const v = s.get(k);
    return v === undefined ? undefined : v / 1e6;
  };
  set(out, 'cpus_user_time_secs', usec('user_usec'));
  set(out, 'cpus_system_time_secs', usec('system_usec'));
  set(out, 'cpus_nr_periods', s.get('nr_periods'));
  set(out, 'cpus_nr_throttled', s.get('nr_throttled'));
  set(out, 'cpus_throttled_time_secs', usec('throttled_usec'));
  return out;
}

/**
 * v1: `memory.stat` (the hierarchical `total_*` keys when present, as a container cgroup has no
 * children of ours they equal the local ones), `memory.usage_in_bytes`, `memory.limit_in_bytes`.
 */
export function memoryStatisticsV1(memoryStat: string, usageInBytes: string | undefined, limitInBytes: string | undefined): Statistics {
  const s = parseFlatKeyed(memoryStat);
  const get = (k: string) => s.get(`total_${k}`) ?? s.get(k);
  const out: Statistics = {};
  const usage = usageInBytes === undefined ? undefined : parseSingleValue(usageInBytes);
  set(out, 'mem_total_bytes', typeof usage === 'number' ? usage : undefined);
  const limit = limitInBytes === undefined ? undefined : parseSingleValue(limitInBytes);
  set(out, 'mem_limit_bytes', typeof limit === 'number' && limit < V1_UNLIMITED ? limit : undefined);
  set(out, 'mem_rss_bytes', get('rss'));
  set(out, 'mem_anon_bytes', get('rss'));
  set(out, 'mem_cache_bytes', get('cache'));
  set(out, 'mem_file_bytes', get('cache'));
  set(out, 'mem_mapped_file_bytes', get('mapped_file'));
  set(out, 'mem_swap_bytes', get('swap'));
  set(out, 'mem_unevictable_bytes', get('unevictable'));
  return out;
}

/** v2: `memory.stat`, `memory.current`, `memory.max`. The v2 `anon` is what v1 called rss. */
export function memoryStatisticsV2(memoryStat: string, current: string | undefined, max: string | undefined): Statistics {
  const s = parseFlatKeyed(memoryStat);
  const out: Statistics = {};
  const cur = current === undefined ? undefined : parseSingleValue(current);
  set(out, 'mem_total_bytes', typeof cur === 'number' ? cur : undefined);
  const limit = max === undefined ? undefined : parseSingleValue(max);
  set(out, 'mem_limit_bytes', typeof limit === 'number' ? limit : undefined);
  set(out, 'mem_rss_bytes', s.get('anon'));
  set(out, 'mem_anon_bytes', s.get('anon'));
  set(out, 'mem_file_bytes', s.get('file'));
  set(out, 'mem_cache_bytes', s.get('file'));
  set(out, 'mem_mapped_file_bytes', s.get('file_mapped'));
  set(out, 'mem_unevictable_bytes', s.get('unevictable'));
  return out;
}

/** The memory statistics worth quoting in an OOM message, as "key value" lines (v1: the hierarchical total_* keys; v2: its own names). */
export function memoryStatLines(memoryStat: string): string {
  const stats = parseFlatKeyed(memoryStat);
  const v1 = stats.has('total_rss');
  const keep = v1
    ? ['total_rss', 'total_cache', 'total_mapped_file', 'total_swap', 'total_unevictable']
    : ['anon', 'file', 'file_mapped', 'kernel', 'sock', 'shmem', 'unevictable'];
  return keep.filter((k) => stats.has(k)).map((k) => `${k} ${stats.get(k)}`).join('\n');
}
