import test from 'ava';
import {
  cpuStatisticsV1, cpuStatisticsV2, memoryStatLines, memoryStatisticsV1, memoryStatisticsV2, parseFlatKeyed, parseIdList,
  parseSingleValue,
} from './stats.ts';

// Fixture text as the kernel writes it (v1 from this machine's 6.18 kernel, v2 from the cgroup-v2 documentation's keys).
const V1_CPUACCT_STAT = 'user 250\nsystem 37\n';
const V1_CPU_STAT = 'nr_periods 120\nnr_throttled 87\nthrottled_time 8123456789\nnr_bursts 0\nburst_time 0\n';
const V1_MEMORY_STAT = [
  'cache 8192', 'rss 1048576', 'rss_huge 0', 'shmem 0', 'mapped_file 4096', 'swap 0', 'unevictable 0',
  'hierarchical_memory_limit 33554432', 'total_cache 12288', 'total_rss 33226752', 'total_mapped_file 8192',
  'total_swap 0', 'total_unevictable 0', '',
].join('\n');
const V2_CPU_STAT = 'usage_usec 2870000\nuser_usec 2500000\nsystem_usec 370000\nnr_periods 120\nnr_throttled 87\nthrottled_usec 8123456\nnr_bursts 0\nburst_usec 0\n';
const V2_MEMORY_STAT = 'anon 33226752\nfile 12288\nkernel 262144\nkernel_stack 16384\nsock 0\nshmem 0\nfile_mapped 8192\nunevictable 0\n';

test('flat keyed files: key value per line, others skipped', (t) => {
  t.deepEqual([...parseFlatKeyed('a 1\nb 2\n\nbroken\nc x\nd 4 5\n')], [['a', 1], ['b', 2]]);
  t.deepEqual([...parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')], [['oom_kill_disable', 0], ['under_oom', 0], ['oom_kill', 3]]);
});

test('single values: numbers, max, malformed', (t) => {
  t.is(parseSingleValue('33554432\n'), 33554432);
  t.is(parseSingleValue('max\n'), 'max');
  t.is(parseSingleValue('-1\n'), -1); // v1 cfs_quota_us without a quota
  t.is(parseSingleValue('12 34'), undefined);
  t.is(parseSingleValue(''), undefined);
});

test('id lists (cgroup.procs, tasks, cgroup.threads)', (t) => {
  t.deepEqual(parseIdList('12\n345\n\n'), [12, 345]);
  t.deepEqual(parseIdList(''), []);
});

test('v1 cpu: ticks of cpuacct.stat to seconds, throttling from cpu.stat (ns)', (t) => {
  t.deepEqual(cpuStatisticsV1(V1_CPUACCT_STAT, V1_CPU_STAT), {
    cpus_user_time_secs: 2.5, // 250 ticks / 100
    cpus_system_time_secs: 0.37,
    cpus_nr_periods: 120,
    cpus_nr_throttled: 87,
    cpus_throttled_time_secs: 8.123456789,
  });
  t.deepEqual(cpuStatisticsV1(undefined, undefined), {}, 'missing files leave fields out');
});

test('v2 cpu: cpu.stat in microseconds', (t) => {
  t.deepEqual(cpuStatisticsV2(V2_CPU_STAT), {
    cpus_user_time_secs: 2.5,
    cpus_system_time_secs: 0.37,
    cpus_nr_periods: 120,
    cpus_nr_throttled: 87,
    cpus_throttled_time_secs: 8.123456,
  });
  // Without the cpu controller enabled, cpu.stat has only the usage keys.
  t.deepEqual(cpuStatisticsV2('usage_usec 10\nuser_usec 6\nsystem_usec 4\n'), { cpus_user_time_secs: 0.000006, cpus_system_time_secs: 0.000004 });
});

test('v1 memory: total_* keys, usage and limit; the unlimited limit is left out', (t) => {
  t.deepEqual(memoryStatisticsV1(V1_MEMORY_STAT, '33300000\n', '33554432\n'), {
    mem_total_bytes: 33300000,
    mem_limit_bytes: 33554432,
    mem_rss_bytes: 33226752,
    mem_anon_bytes: 33226752,
    mem_cache_bytes: 12288,
    mem_file_bytes: 12288,
    mem_mapped_file_bytes: 8192,
    mem_swap_bytes: 0,
    mem_unevictable_bytes: 0,
  });
  t.is(memoryStatisticsV1(V1_MEMORY_STAT, '1', '9223372036854771712\n').mem_limit_bytes, undefined);
  t.is(memoryStatisticsV1('rss 5\n', undefined, undefined).mem_rss_bytes, 5, 'local keys when there is no total_*');
});

test('v2 memory: anon is rss; memory.max "max" is no limit', (t) => {
  t.deepEqual(memoryStatisticsV2(V2_MEMORY_STAT, '33554432\n', '33554432\n'), {
    mem_total_bytes: 33554432,
    mem_limit_bytes: 33554432,
    mem_rss_bytes: 33226752,
    mem_anon_bytes: 33226752,
    mem_file_bytes: 12288,
    mem_cache_bytes: 12288,
    mem_mapped_file_bytes: 8192,
    mem_unevictable_bytes: 0,
  });
  t.is(memoryStatisticsV2(V2_MEMORY_STAT, '1', 'max\n').mem_limit_bytes, undefined);
});

test('the statistics quoted in an OOM message: v1 totals only, or the v2 names', (t) => {
  t.is(memoryStatLines(V1_MEMORY_STAT), 'total_rss 33226752\ntotal_cache 12288\ntotal_mapped_file 8192\ntotal_swap 0\ntotal_unevictable 0');
  t.is(memoryStatLines(V2_MEMORY_STAT), 'anon 33226752\nfile 12288\nfile_mapped 8192\nkernel 262144\nsock 0\nshmem 0\nunevictable 0');
  t.is(memoryStatLines(''), '');
});
