/**
 * `cgroups/cpu`: CPU shares from the container's `cpus`, and with `--cgroups_enable_cfs` a hard
 * CFS bandwidth limit; usage from cpuacct (v1) or cpu.stat (v2).
 *
 * Numbers follow Mesos: shares = 1024 × cpus, at least 2 (MIN_CPU_SHARES); CFS period 100 ms,
 * quota = cpus × period, at least 1 ms. On v2, `cpu.weight` (1..10000) comes from the shares with
 * the conversion runc, systemd and Kubernetes use, which maps the v1 range 2..262144 onto
 * 1..10000: weight = 1 + ((shares − 2) × 9999) / 262142, integer division
 * (1 cpu → 1024 shares → weight 39; 0.1 cpu → 102 → 4; 8 cpus → 8192 → 313).
 * `cpu.max` is "QUOTA PERIOD", or "max PERIOD" without CFS.
 * A container without a `cpus` resource is refused (Mesos: "no cpus resource given").
 */
import type { Resources } from '../../../common/resources/resources.ts';
import type { CgroupController } from './controller.ts';
import { CgroupError, readControl, writeControl, type ContainerCgroup } from './hierarchy.ts';
import { cpuStatisticsV1, cpuStatisticsV2 } from './stats.ts';

export const CPU_SHARES_PER_CPU = 1024;
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262144;
export const CPU_CFS_PERIOD_US = 100_000;
export const MIN_CPU_CFS_QUOTA_US = 1_000;

export function cpuShares(cpus: number): number {
  return Math.max(MIN_CPU_SHARES, Math.floor(cpus * CPU_SHARES_PER_CPU));
}

/** v1 shares → v2 weight (see the module header). */
export function sharesToWeight(shares: number): number {
  const s = Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, Math.floor(shares)));
  return 1 + Math.floor(((s - MIN_CPU_SHARES) * 9999) / (MAX_CPU_SHARES - MIN_CPU_SHARES));
}

export function cfsQuotaUs(cpus: number): number {
  return Math.max(MIN_CPU_CFS_QUOTA_US, Math.floor(cpus * CPU_CFS_PERIOD_US));
}

/** Pure: the control files to write, in order, for `cpus` (v1 files are in the cpu subsystem). */
export function cpuSettings(version: 1 | 2, cpus: number, enableCfs: boolean): Array<readonly [string, string]> {
  const shares = cpuShares(cpus);
  if (version === 1) {
    // The period first: a quota is checked against the period in force.
    return [
      ['cpu.shares', String(shares)],
      ['cpu.cfs_period_us', String(CPU_CFS_PERIOD_US)],
      ['cpu.cfs_quota_us', enableCfs ? String(cfsQuotaUs(cpus)) : '-1'],
    ];
  }
  return [
    ['cpu.weight', String(sharesToWeight(shares))],
    ['cpu.max', `${enableCfs ? cfsQuotaUs(cpus) : 'max'} ${CPU_CFS_PERIOD_US}`],
  ];
}

function cpusOf(resources: Resources): number {
  const cpus = resources.scalar('cpus');
  if (!(cpus > 0)) throw new CgroupError('no cpus resource given');
  return cpus;
}

export function createCpuController(options: { readonly enableCfs: boolean }): CgroupController {
  const cpusById = new Map<string, number>();
  const apply = (cg: ContainerCgroup, resources: Resources) => {
    const cpus = cpusOf(resources);
    for (const [file, value] of cpuSettings(cg.version, cpus, options.enableCfs)) writeControl(cg.dir('cpu'), file, value);
    cpusById.set(cg.containerId, cpus);
  };
  return {
    isolator: 'cgroups/cpu',
    subsystems: ['cpu', 'cpuacct'],
    prepare: apply,
    update: apply,
    recover(cg, resources) {
      const cpus = resources.scalar('cpus');
      if (cpus > 0) cpusById.set(cg.containerId, cpus);
    },
    usage(cg) {
      const stats = cg.version === 1
        ? cpuStatisticsV1(readControl(cg.dir('cpuacct'), 'cpuacct.stat'), readControl(cg.dir('cpu'), 'cpu.stat'))
        : cpuStatisticsV2(readControl(cg.dir('cpu'), 'cpu.stat') ?? '');
      const cpus = cpusById.get(cg.containerId);
      if (cpus !== undefined) stats.cpus_limit = cpus;
      return stats;
    },
    limitation: () => undefined,
    forget(containerId) {
      cpusById.delete(containerId);
    },
  };
}
