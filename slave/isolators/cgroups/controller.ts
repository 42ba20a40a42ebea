/**
 * What one cgroups isolator (`cgroups/cpu`, `cgroups/mem`, `cgroups/pids`) does to a container's
 * cgroup. The cgroups isolator (cgroups-isolator.ts) owns the cgroup itself (create, enter, kill,
 * remove) and asks each enabled controller to configure it, report usage and watch limits.
 *
 * Invariants: a controller only writes files of its own subsystems; `prepare` and `update` are
 * synchronous cgroupfs writes that throw a message naming the file on failure; `forget` drops
 * whatever the controller holds for the container (descriptors, remembered limits), idempotently.
 */
import type { Resources } from '../../../common/resources/resources.ts';
import type { ContainerLimitation, UsageStatistics } from '../isolator.ts';
import type { ContainerCgroup, Subsystem } from './hierarchy.ts';

export type CgroupsIsolatorName = 'cgroups/cpu' | 'cgroups/mem' | 'cgroups/pids';

export interface CgroupController {
  readonly isolator: CgroupsIsolatorName;
  /** The v1 subsystems it needs (v2: the matching controllers). */
  readonly subsystems: readonly Subsystem[];
  prepare(cg: ContainerCgroup, resources: Resources): void;
  /** After an agent restart: take a container that still has its cgroup back (re-arm watchers, remember limits). */
  recover(cg: ContainerCgroup, resources: Resources): void;
  update(cg: ContainerCgroup, resources: Resources): void;
  usage(cg: ContainerCgroup): UsageStatistics;
  /**
   * The limit the container has hit (only cgroups/mem has one). `now`: an authoritative check that
   * reads the kernel's counters; otherwise the cheap check of a poll (an eventfd read on v1).
   */
  limitation(cg: ContainerCgroup, now: boolean): ContainerLimitation | undefined;
  forget(containerId: string): void;
}
