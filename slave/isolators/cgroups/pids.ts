/**
 * `cgroups/pids`: a limit on the number of processes and threads (tasks, in the kernel's sense)
 * of a container, when configured (`pidsMax`, the agent's `--cgroups_pids_max`, maestro's own
 * flag: Mesos has none): `pids.max` on v1 and v2 alike. A fork past the limit fails with EAGAIN in the container; the
 * kernel counts those failures in `pids.events` (`max`). Without a configured limit the
 * isolator writes nothing and only contributes the cgroup's process counts to usage.
 */
import type { CgroupController } from './controller.ts';
import { CgroupError, writeControl } from './hierarchy.ts';

/** Pure: the value of pids.max. */
export function pidsMaxValue(pidsMax: number | undefined): string {
  return pidsMax === undefined ? 'max' : String(pidsMax);
}

export function createPidsController(options: { readonly pidsMax?: number }): CgroupController {
  const max = options.pidsMax;
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) throw new CgroupError(`--cgroups_pids_max: must be a positive integer, got ${max}`);
  return {
    isolator: 'cgroups/pids',
    subsystems: ['pids'],
    prepare(cg) {
      if (max !== undefined) writeControl(cg.dir('pids'), 'pids.max', pidsMaxValue(max));
    },
    recover: () => {},
    update: () => {},
    usage: () => ({}),
    limitation: () => undefined,
    forget: () => {},
  };
}
