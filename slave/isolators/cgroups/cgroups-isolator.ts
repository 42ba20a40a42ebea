/**
 * The cgroups isolator: one Isolator for the `cgroups/*` names of `--isolation`, as in Mesos,
 * because on v2 the controllers share one cgroup per container and on v1 the container's
 * cgroups must be created, entered, killed and removed together. It owns the container cgroups
 * (hierarchy.ts) and lets each enabled controller (cpu.ts, mem.ts, pids.ts) configure them.
 *
 * Per container: prepare = create the cgroup(s) + every controller's limits; isolate(pid) = move
 * the pid in; watch = resolved by a poll of the OOM watchers every `oomPollMs` while someone
 * waits (the timer is unref'd and stops when nobody waits); usage = the controllers' statistics
 * plus `processes` and `threads` counted in the cgroup; cleanup = kill everything in the cgroup,
 * remove it, forget it (idempotent). recover = re-arm the known containers that still have a
 * cgroup, and kill and remove every other container cgroup under the root (orphans).
 *
 * Invariant: after `cleanup(id)` returns, no cgroup of `id` exists in any hierarchy.
 */
import type { Resources } from '../../../common/resources/resources.ts';
import { asContainerId, type ContainerId } from '../../containerizer.ts';
import type { ContainerLimitation, IsolatedContainer, Isolator, UsageStatistics } from '../isolator.ts';
import type { CgroupController } from './controller.ts';
import { CgroupError, type CgroupHierarchy, type ContainerCgroup } from './hierarchy.ts';

export interface CgroupsIsolatorOptions {
  readonly hierarchy: CgroupHierarchy;
  /** In `--isolation` order. */
  readonly controllers: readonly CgroupController[];
  /** How often pending `watch`es look at the OOM watchers (default 200 ms). */
  readonly oomPollMs?: number;
}

interface Tracked {
  readonly cg: ContainerCgroup;
  readonly waiters: Array<(l: ContainerLimitation) => void>;
}

export interface CgroupsIsolator extends Isolator {
  readonly hierarchy: CgroupHierarchy;
  /** The `cgroup.procs` files the task's process writes `0` (itself) into before it execs the task, to join the container (join.ts). */
  procsFiles(containerId: ContainerId): string[];
}

export function createCgroupsIsolator(options: CgroupsIsolatorOptions): CgroupsIsolator {
  const { hierarchy, controllers } = options;
  const pollMs = options.oomPollMs ?? 200;
  const tracked = new Map<string, Tracked>();
  let rootReady = false;
  let timer: NodeJS.Timeout | undefined;

  const ensureRoot = () => {
    if (rootReady) return;
    hierarchy.ensureRoot();
    rootReady = true;
  };

  const limitationOf = (t: Tracked, now: boolean): ContainerLimitation | undefined => {
    for (const c of controllers) {
      const l = c.limitation(t.cg, now);
      if (l !== undefined) return l;
    }
    return undefined;
  };

  const settle = (t: Tracked): boolean => {
    const l = limitationOf(t, false);
    if (l === undefined) return false;
    for (const w of t.waiters.splice(0)) w(l);
    return true;
  };

  const pollAll = () => {
    let waiting = false;
    for (const t of tracked.values()) {
      if (t.waiters.length === 0) continue;
      if (!settle(t)) waiting = true;
    }
    if (!waiting && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const forget = (id: string) => {
    for (const c of controllers) c.forget(id);
    tracked.delete(id);
  };

  const get = (id: ContainerId): Tracked => {
    const t = tracked.get(id);
    if (t === undefined) throw new CgroupError(`unknown container ${id}`);
    return t;
  };

  return {
    name: controllers.map((c) => c.isolator).join(','),
    hierarchy,
    procsFiles: (id) => hierarchy.procsFiles(id),

    async recover(known: readonly IsolatedContainer[]) {
      ensureRoot();
      const knownIds = new Map(known.map((k) => [k.containerId as string, k.resources]));
      const orphans: ContainerId[] = [];
      for (const name of hierarchy.list()) {
        const resources = knownIds.get(name);
        if (resources === undefined) {
          await hierarchy.kill(name);
          await hierarchy.remove(name);
          orphans.push(asContainerId(name));
          continue;
        }
        const cg = hierarchy.cgroup(name);
        for (const c of controllers) c.recover(cg, resources);
        tracked.set(name, { cg, waiters: [] });
      }
      return { orphans };
    },

    async prepare(container) {
      ensureRoot();
      const id = container.containerId;
      if (tracked.has(id)) throw new CgroupError(`container ${id} is already prepared`);
      try {
        // Inside the try: a hierarchy that refuses the mkdir must not leave the others' directories behind.
        const cg = hierarchy.create(id);
        tracked.set(id, { cg, waiters: [] });
        for (const c of controllers) c.prepare(cg, container.resources);
      } catch (e) {
        forget(id);
        await hierarchy.remove(id);
        throw e;
      }
    },

    async isolate(containerId, pid) {
      get(containerId);
      hierarchy.enter(containerId, pid);
    },

    watch(containerId) {
      return new Promise<ContainerLimitation>((resolve) => {
        const t = tracked.get(containerId);
        if (t === undefined) return; // Unknown: nothing can be hit; stays pending, as the contract says.
        t.waiters.push(resolve);
        if (settle(t)) return;
        if (timer === undefined) {
          timer = setInterval(pollAll, pollMs);
          timer.unref();
        }
      });
    },

    limitation(containerId) {
      const t = tracked.get(containerId);
      if (t === undefined) return undefined;
      const l = limitationOf(t, true);
      if (l !== undefined) for (const w of t.waiters.splice(0)) w(l);
      return l;
    },

    async update(containerId: ContainerId, resources: Resources) {
      const t = get(containerId);
      for (const c of controllers) c.update(t.cg, resources);
    },

    async usage(containerId) {
      const t = get(containerId);
      const out: UsageStatistics = {};
      for (const c of controllers) Object.assign(out, c.usage(t.cg));
      out.processes = hierarchy.pids(containerId).length;
      out.threads = hierarchy.threads(containerId).length;
      return out;
    },

    async cleanup(containerId) {
      const known = tracked.has(containerId);
      if (!known && !hierarchy.exists(containerId)) return;
      forget(containerId);
      await hierarchy.kill(containerId);
      await hierarchy.remove(containerId);
    },
  };
}
