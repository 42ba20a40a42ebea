import test from 'ava';
import { cfsQuotaUs, cpuSettings, cpuShares, sharesToWeight } from './cpu.ts';
import { formatMb, memoryLimitBytes, memorySettings, oomMessage } from './mem.ts';
import { pidsMaxValue } from './pids.ts';

const MB = 1024 * 1024;

test('cpu.shares = 1024 × cpus, at least 2 (Mesos MIN_CPU_SHARES)', (t) => {
  for (const [cpus, shares] of [[1, 1024], [0.1, 102], [0.5, 512], [2.5, 2560], [0.001, 2], [0, 2]] as const) t.is(cpuShares(cpus), shares, `cpus ${cpus}`);
});

test('cpu.weight = 1 + ((shares − 2) × 9999) / 262142, within 1..10000', (t) => {
  for (const [shares, weight] of [[2, 1], [102, 4], [1024, 39], [8192, 313], [262144, 10000], [1, 1], [1_000_000, 10000]] as const) {
    t.is(sharesToWeight(shares), weight, `shares ${shares}`);
  }
});

test('CFS quota = cpus × 100 ms, at least 1 ms', (t) => {
  for (const [cpus, quota] of [[1, 100000], [0.1, 10000], [0.25, 25000], [4, 400000], [0.001, 1000], [0.005, 1000]] as const) t.is(cfsQuotaUs(cpus), quota, `cpus ${cpus}`);
});

test('cpu settings per version, with and without --cgroups_enable_cfs', (t) => {
  t.deepEqual(cpuSettings(1, 0.5, true), [['cpu.shares', '512'], ['cpu.cfs_period_us', '100000'], ['cpu.cfs_quota_us', '50000']]);
  t.deepEqual(cpuSettings(1, 0.5, false), [['cpu.shares', '512'], ['cpu.cfs_period_us', '100000'], ['cpu.cfs_quota_us', '-1']]);
  t.deepEqual(cpuSettings(2, 0.5, true), [['cpu.weight', '20'], ['cpu.max', '50000 100000']]);
  t.deepEqual(cpuSettings(2, 0.5, false), [['cpu.weight', '20'], ['cpu.max', 'max 100000']]);
});

test('memory limit = mem MB, at least 32 MB (Mesos MIN_MEMORY)', (t) => {
  for (const [mem, bytes] of [[64, 64 * MB], [32, 32 * MB], [16, 32 * MB], [128.5, 128.5 * MB]] as const) t.is(memoryLimitBytes(mem), bytes, `mem ${mem}`);
});

test('memory settings: first and raising set the hard limit; lowering only the soft limit (v1) or nothing (v2)', (t) => {
  t.deepEqual(memorySettings(1, 64 * MB, undefined), [['memory.limit_in_bytes', String(64 * MB)], ['memory.soft_limit_in_bytes', String(64 * MB)]]);
  t.deepEqual(memorySettings(1, 128 * MB, 64 * MB), [['memory.limit_in_bytes', String(128 * MB)], ['memory.soft_limit_in_bytes', String(128 * MB)]]);
  t.deepEqual(memorySettings(1, 48 * MB, 64 * MB), [['memory.soft_limit_in_bytes', String(48 * MB)]]);
  t.deepEqual(memorySettings(2, 64 * MB, undefined), [['memory.max', String(64 * MB)]]);
  t.deepEqual(memorySettings(2, 48 * MB, 64 * MB), []);
});

test('the OOM message gives the limit and the peak, then the statistics', (t) => {
  t.is(formatMb(64 * MB), '64 MB');
  t.is(formatMb(33226752), '31.7 MB');
  t.is(
    oomMessage(64 * MB, 63 * MB, 'total_rss 1'),
    "Memory limit exceeded: limit 64 MB (67108864 bytes), peak usage 63 MB (66060288 bytes); the kernel's OOM killer ended a process of the container\n\nMemory statistics:\ntotal_rss 1",
  );
  t.is(oomMessage(32 * MB, undefined, ''), "Memory limit exceeded: limit 32 MB (33554432 bytes), peak usage unknown; the kernel's OOM killer ended a process of the container");
});

test('pids.max', (t) => {
  t.is(pidsMaxValue(10), '10');
  t.is(pidsMaxValue(undefined), 'max');
});
