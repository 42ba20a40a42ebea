/**
 * `cgroups/mem`: a hard memory limit from the container's `mem` (MB), OOM-kill detection, and
 * memory usage.
 *
 * Limit: max(mem, 32 MB) bytes (Mesos' MIN_MEMORY). v1 writes `memory.limit_in_bytes` and
 * `memory.soft_limit_in_bytes`; v2 writes `memory.max`. Lowering a running container's limit
 * below what it uses would make the kernel OOM-kill it at once, so, as Mesos does, a decrease on
 * `update` only lowers the soft limit (v1) and leaves the hard limit (v1 and v2) where it is;
 * an increase raises both. Swap (`memory.memsw.*`) is not limited.
 *
 * OOM: oom.ts watches the cgroup (v1 eventfd, v2 memory.events). An OOM kill becomes a
 * ContainerLimitation with REASON_CONTAINER_LIMITATION_MEMORY, the `mem` resource, and a message
 * giving the limit and the peak usage (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`, or
 * `memory.current` on kernels before 5.19), then the memory statistics.
 * A container without a `mem` resource is refused (Mesos: "no memory resource given").
 */
import { Resources } from '../../../common/resources/resources.ts';
import type { ContainerLimitation } from '../isolator.ts';
import type { CgroupController } from './controller.ts';
import { CgroupError, readControl, writeControl, type ContainerCgroup } from './hierarchy.ts';
import { oomKillCount, watchOomV1, watchOomV2, type OomWatcher } from './oom.ts';
import { memoryStatLines, memoryStatisticsV1, memoryStatisticsV2, parseSingleValue } from './stats.ts';

export const MIB = 1024 * 1024;
export const MIN_MEMORY_BYTES = 32 * MIB;

export function memoryLimitBytes(memMb: number): number {
  return Math.max(MIN_MEMORY_BYTES, Math.floor(memMb * MIB));
}

/** Pure: the control files to write for a new limit, given the limit in force (undefined at prepare). */
export function memorySettings(version: 1 | 2, limitBytes: number, currentLimitBytes: number | undefined): Array<readonly [string, string]> {
  const raise = currentLimitBytes === undefined || limitBytes >= currentLimitBytes;
  if (version === 1) {
    return raise
      ? [['memory.limit_in_bytes', String(limitBytes)], ['memory.soft_limit_in_bytes', String(limitBytes)]]
      : [['memory.soft_limit_in_bytes', String(limitBytes)]];
  }
  return raise ? [['memory.max', String(limitBytes)]] : [];
}

/** "64 MB", or "64.5 MB" when not a whole number of MB. */
export function formatMb(bytes: number): string {
  const mb = bytes / MIB;
  return Number.isInteger(mb) ? `${mb} MB` : `${mb.toFixed(1)} MB`;
}

/** The text of a memory limitation (our own wording of Mesos' facts: the limit, the peak, the statistics). */
export function oomMessage(limitBytes: number, peakBytes: number | undefined, statLines: string): string {
  const peak = peakBytes === undefined ? 'unknown' : `${formatMb(peakBytes)} (${peakBytes} bytes)`;
  const head = `Memory limit exceeded: limit ${formatMb(limitBytes)} (${limitBytes} bytes), peak usage ${peak}; the kernel's OOM killer ended a process of the container`;
  return statLines === '' ? head : `${head}\n\nMemory statistics:\n${statLines}`;
}

function memMbOf(resources: Resources): number {
  const mem = resources.scalar('mem');
  if (!(mem > 0)) throw new CgroupError('no memory resource given');
  return mem;
}

interface MemState {
  memMb: number;
  limitBytes: number;
  watcher: OomWatcher | undefined;
  limitation: ContainerLimitation | undefined;
}

export function createMemController(): CgroupController & { oomMechanism(containerId: string): string | undefined } {
  const states = new Map<string, MemState>();
  const startWatcher = (cg: ContainerCgroup): OomWatcher => (cg.version === 1 ? watchOomV1(cg.dir('memory')) : watchOomV2(cg.dir('memory')));
  const peakOf = (cg: ContainerCgroup): number | undefined => {
    const dir = cg.dir('memory');
    const text = cg.version === 1 ? readControl(dir, 'memory.max_usage_in_bytes') : readControl(dir, 'memory.peak') ?? readControl(dir, 'memory.current');
    const v = text === undefined ? undefined : parseSingleValue(text);
    return typeof v === 'number' ? v : undefined;
  };
  return {
    isolator: 'cgroups/mem',
    subsystems: ['memory'],
    prepare(cg, resources) {
      const memMb = memMbOf(resources);
      const limitBytes = memoryLimitBytes(memMb);
      for (const [file, value] of memorySettings(cg.version, limitBytes, undefined)) writeControl(cg.dir('memory'), file, value);
      states.get(cg.containerId)?.watcher?.close();
      states.set(cg.containerId, { memMb, limitBytes, watcher: startWatcher(cg), limitation: undefined });
    },
    recover(cg, resources) {
      const memMb = resources.scalar('mem');
      const text = readControl(cg.dir('memory'), cg.version === 1 ? 'memory.limit_in_bytes' : 'memory.max');
      const current = text === undefined ? undefined : parseSingleValue(text);
      const limitBytes = typeof current === 'number' ? current : memoryLimitBytes(memMb);
      states.set(cg.containerId, { memMb, limitBytes, watcher: startWatcher(cg), limitation: undefined });
    },
    update(cg, resources) {
      const memMb = memMbOf(resources);
      const limitBytes = memoryLimitBytes(memMb);
      const state = states.get(cg.containerId);
      for (const [file, value] of memorySettings(cg.version, limitBytes, state?.limitBytes)) writeControl(cg.dir('memory'), file, value);
      if (state !== undefined) {
        state.memMb = memMb;
        if (limitBytes >= state.limitBytes) state.limitBytes = limitBytes;
      }
    },
    usage(cg) {
      const dir = cg.dir('memory');
      return cg.version === 1
        ? memoryStatisticsV1(readControl(dir, 'memory.stat') ?? '', readControl(dir, 'memory.usage_in_bytes'), readControl(dir, 'memory.limit_in_bytes'))
        : memoryStatisticsV2(readControl(dir, 'memory.stat') ?? '', readControl(dir, 'memory.current'), readControl(dir, 'memory.max'));
    },
    limitation(cg, now) {
      const state = states.get(cg.containerId);
      if (state === undefined) return undefined;
      if (state.limitation !== undefined) return state.limitation;
      const oom = state.watcher !== undefined ? state.watcher.poll(now) : (oomKillCount(cg.version, cg.dir('memory')) ?? 0) > 0;
      if (!oom) return undefined;
      state.limitation = {
        reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
        message: oomMessage(state.limitBytes, peakOf(cg), memoryStatLines(readControl(cg.dir('memory'), 'memory.stat') ?? '')),
        resources: Resources.parse(`mem:${state.memMb}`),
      };
      return state.limitation;
    },
    forget(containerId) {
      states.get(containerId)?.watcher?.close();
      states.delete(containerId);
    },
    oomMechanism(containerId) {
      return states.get(containerId)?.watcher?.mechanism;
    },
  };
}
