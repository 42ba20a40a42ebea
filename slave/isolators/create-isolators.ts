/**
 * Builds the isolator chain from the agent's flags: `--isolation` (parsed by isolation-flag.ts),
 * `--cgroups_root` (default `maestro`; Mesos' default is `mesos`), `--cgroups_enable_cfs`, and
 * the pids limit (`--cgroups_pids_max`, maestro's own flag). The cgroup version is detected once, here, unless a layout is passed in (tests).
 *
 * Order: the chain keeps the order of `--isolation`; the `cgroups/*` names become one cgroups
 * isolator at the place of the first of them, with its controllers in the order given.
 * No silent downgrade: `cgroups/*` on a host without cgroups, or without root, is an error that
 * says so and names the posix alternative; `posix/*` comes with `warnings` to log loudly.
 */
import { createCgroupsIsolator, type CgroupsIsolator } from './cgroups/cgroups-isolator.ts';
import type { CgroupController } from './cgroups/controller.ts';
import { createCpuController } from './cgroups/cpu.ts';
import { CgroupHierarchy, detectHostLayout, type CgroupLayout, type Subsystem } from './cgroups/hierarchy.ts';
import { createMemController } from './cgroups/mem.ts';
import { createPidsController } from './cgroups/pids.ts';
import { createIsolatorChain, type Isolator } from './isolator.ts';
import { parseIsolation } from './isolation-flag.ts';
import { createPosixIsolator, posixIsolationWarning } from './posix.ts';

export const DEFAULT_CGROUPS_ROOT = 'maestro';

export interface IsolationOptions {
  readonly isolation: string;
  readonly cgroupsRoot?: string;
  readonly enableCfs?: boolean;
  /** `--cgroups_pids_max`: the most processes and threads a container may have (cgroups/pids); none when absent. */
  readonly pidsMax?: number;
  readonly oomPollMs?: number;
  /** The host's layout; detected when absent, `null` = no cgroups. */
  readonly layout?: CgroupLayout | null;
  /** Whether the agent runs as root (cgroupfs is root's); `process.getuid() === 0` when absent. */
  readonly isRoot?: boolean;
}

export type Isolation =
  | {
      readonly ok: true;
      readonly isolator: Isolator;
      readonly cgroups: CgroupsIsolator | undefined;
      /** `namespaces/pid`, `filesystem/linux`: done by the launch path of tasks without an image (slave/isolators/namespaces), not by an isolator of the chain. */
      readonly namespaces: { readonly pidNamespace: boolean; readonly filesystemLinux: boolean };
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly message: string };

export function createIsolation(options: IsolationOptions): Isolation {
  const parsed = parseIsolation(options.isolation);
  if (!parsed.ok) return parsed;
  const cgroupNames = parsed.isolators.filter((n) => n.startsWith('cgroups/'));
  const warnings: string[] = [];
  let cgroups: CgroupsIsolator | undefined;
  if (cgroupNames.length > 0) {
    const isRoot = options.isRoot ?? process.getuid?.() === 0;
    const layout = options.layout === undefined ? detectHostLayout() : options.layout;
    const posixHint = "use --isolation=posix/cpu,posix/mem to run without enforcement";
    if (!isRoot) return { ok: false, message: `--isolation: ${cgroupNames.join(', ')} need root (cgroupfs is writable by root only); ${posixHint}` };
    if (layout === undefined || layout === null) return { ok: false, message: `--isolation: ${cgroupNames.join(', ')} need cgroups, and no cgroup filesystem is mounted; ${posixHint}` };
    const controllers: CgroupController[] = [];
    try {
      for (const n of cgroupNames) {
        if (n === 'cgroups/cpu') controllers.push(createCpuController({ enableCfs: options.enableCfs ?? false }));
        else if (n === 'cgroups/mem') controllers.push(createMemController());
        else controllers.push(createPidsController({ pidsMax: options.pidsMax }));
      }
      const subsystems: Subsystem[] = controllers.flatMap((c) => [...c.subsystems]);
      const hierarchy = new CgroupHierarchy({ layout, root: options.cgroupsRoot ?? DEFAULT_CGROUPS_ROOT, subsystems });
      cgroups = createCgroupsIsolator({ hierarchy, controllers, oomPollMs: options.oomPollMs });
    } catch (e) {
      const message = (e as Error).message;
      return { ok: false, message: message.startsWith('--') ? message : `--isolation: ${message}` };
    }
  }
  const chain: Isolator[] = [];
  const posixCpu = parsed.isolators.includes('posix/cpu');
  const posixMem = parsed.isolators.includes('posix/mem');
  let posixPlaced = false;
  let cgroupsPlaced = false;
  for (const n of parsed.isolators) {
    if (n.startsWith('cgroups/') && !cgroupsPlaced && cgroups !== undefined) {
      chain.push(cgroups);
      cgroupsPlaced = true;
    } else if (n.startsWith('posix/') && !posixPlaced) {
      chain.push(createPosixIsolator({ cpu: posixCpu, mem: posixMem }));
      posixPlaced = true;
    }
  }
  const missing = ['cgroups/cpu', 'cgroups/mem'].filter((n) => !(cgroupNames as readonly string[]).includes(n));
  if (missing.length > 0) warnings.push(posixIsolationWarning(missing));
  const namespaces = { pidNamespace: parsed.isolators.includes('namespaces/pid'), filesystemLinux: parsed.isolators.includes('filesystem/linux') };
  return { ok: true, isolator: createIsolatorChain(chain), cgroups, namespaces, warnings };
}
