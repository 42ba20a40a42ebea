/**
 * The isolator seam (DESIGN.md §5, after Mesos' `mesos/slave/isolator.hpp`): what each isolator
 * does for a container, and the chain that runs a list of them in the order `--isolation` named.
 *
 * Lifecycle of one container, driven by the containerizer:
 *   recover (agent start, once) → prepare → isolate(pid) → watch / usage / update … → cleanup
 * - `prepare` runs in list order; if one fails, those already prepared are cleaned up in reverse
 *   and the error names the isolator that failed;
 * - `isolate(pid)` puts the container's first process under the isolators (before it execs the
 *   task when the supervisor joins the cgroup itself, see README);
 * - `watch` resolves when the container hits a limit (an OOM kill); it never rejects and stays
 *   pending otherwise; `limitation` is the same question answered now, for the race where the
 *   task died of the limit before the watcher looked;
 * - `cleanup` runs in reverse list order, tries every isolator even when one fails (the errors
 *   are reported together), and is idempotent: an unknown or already cleaned container is a no-op.
 */
import type { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { ContainerId } from '../containerizer.ts';

/** The ResourceStatistics fields an isolator measured; the containerizer adds `timestamp`. */
export type UsageStatistics = Partial<mesos.v1.ResourceStatistics>;

/** A container exceeded what it was given (Mesos' ContainerLimitation). */
export interface ContainerLimitation {
  readonly reason: mesos.v1.TaskStatus.Reason;
  /** Human text: the limit and the peak, then details. */
  readonly message: string;
  /** The resources whose limit was hit, e.g. `mem:64` (ContainerLimitation.resources). */
  readonly resources: Resources;
}

export interface IsolatedContainer {
  readonly containerId: ContainerId;
  readonly resources: Resources;
}

export interface RecoverResult {
  /** Containers the isolator found (a cgroup) that the agent does not know; they have been destroyed. */
  readonly orphans: readonly ContainerId[];
}

export interface Isolator {
  /** Its `--isolation` name(s), e.g. `cgroups/cpu,cgroups/mem` for the cgroups isolator of both. */
  readonly name: string;
  /** After an agent restart: take the known containers back, destroy what belongs to no known container. */
  recover(known: readonly IsolatedContainer[]): Promise<RecoverResult>;
  prepare(container: IsolatedContainer): Promise<void>;
  isolate(containerId: ContainerId, pid: number): Promise<void>;
  watch(containerId: ContainerId): Promise<ContainerLimitation>;
  limitation(containerId: ContainerId): ContainerLimitation | undefined;
  update(containerId: ContainerId, resources: Resources): Promise<void>;
  usage(containerId: ContainerId): Promise<UsageStatistics>;
  cleanup(containerId: ContainerId): Promise<void>;
}

export class IsolatorError extends Error {
  constructor(readonly isolator: string, message: string, options?: { cause?: unknown }) {
    super(`${isolator}: ${message}`, options);
    this.name = 'IsolatorError';
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs `isolators` as one, with the ordering rules of the module header. */
export function createIsolatorChain(isolators: readonly Isolator[]): Isolator {
  const list = [...isolators];
  const reversed = [...list].reverse();
  async function cleanupAll(chain: readonly Isolator[], containerId: ContainerId): Promise<string[]> {
    const errors: string[] = [];
    for (const iso of chain) {
      try {
        await iso.cleanup(containerId);
      } catch (e) {
        errors.push(e instanceof IsolatorError ? e.message : `${iso.name}: ${messageOf(e)}`);
      }
    }
    return errors;
  }
  return {
    name: list.map((i) => i.name).join(','),
    async recover(known) {
      const orphans: ContainerId[] = [];
      for (const iso of list) {
        try {
          orphans.push(...(await iso.recover(known)).orphans);
        } catch (e) {
          throw new IsolatorError(iso.name, `recover failed: ${messageOf(e)}`, { cause: e });
        }
      }
      return { orphans: [...new Set(orphans)] };
    },
    async prepare(container) {
      const done: Isolator[] = [];
      for (const iso of list) {
        try {
          await iso.prepare(container);
          done.push(iso);
        } catch (e) {
          // The failed one may have half-prepared: it is cleaned up too (cleanup is idempotent).
          const errors = await cleanupAll([iso, ...done.reverse()], container.containerId);
          const also = errors.length > 0 ? ` (cleanup after it: ${errors.join('; ')})` : '';
          throw new IsolatorError(iso.name, `prepare failed: ${messageOf(e)}${also}`, { cause: e });
        }
      }
    },
    async isolate(containerId, pid) {
      for (const iso of list) {
        try {
          await iso.isolate(containerId, pid);
        } catch (e) {
          throw new IsolatorError(iso.name, `isolate of pid ${pid} failed: ${messageOf(e)}`, { cause: e });
        }
      }
    },
    watch(containerId) {
      return Promise.race(list.map((i) => i.watch(containerId)));
    },
    limitation(containerId) {
      for (const iso of list) {
        const l = iso.limitation(containerId);
        if (l !== undefined) return l;
      }
      return undefined;
    },
    async update(containerId, resources) {
      for (const iso of list) {
        try {
          await iso.update(containerId, resources);
        } catch (e) {
          throw new IsolatorError(iso.name, `update failed: ${messageOf(e)}`, { cause: e });
        }
      }
    },
    async usage(containerId) {
      const out: UsageStatistics = {};
      for (const iso of list) Object.assign(out, await iso.usage(containerId));
      return out;
    },
    async cleanup(containerId) {
      const errors = await cleanupAll(reversed, containerId);
      if (errors.length > 0) throw new Error(`cleanup of container ${containerId} failed: ${errors.join('; ')}`);
    },
  };
}
