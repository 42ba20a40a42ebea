/**
 * Host reboot detection, as Mesos does it: the kernel's boot id (`/proc/sys/kernel/random/boot_id`,
 * new at every boot) is checkpointed in `<work_dir>/meta/boot_id`; an agent that starts with a
 * different one knows the host rebooted while it was down, so no process it recorded can still
 * run (a recorded pid may even belong to another process now). The recovery then reports every
 * task that was running as gone instead of looking for its processes.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAtomic } from './checkpoint.ts';

export const KERNEL_BOOT_ID = '/proc/sys/kernel/random/boot_id';

function readTrimmed(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

export interface BootCheck {
  /** This boot's id; undefined where the kernel does not tell (then nothing is concluded). */
  readonly current: string | undefined;
  /** True when a boot id was checkpointed and differs from this boot's. */
  readonly rebooted: boolean;
  /** Checkpoints this boot's id (after a successful recovery). */
  save(): void;
}

export function checkBoot(checkpointPath: string, kernelPath = KERNEL_BOOT_ID): BootCheck {
  const current = readTrimmed(kernelPath);
  const previous = readTrimmed(checkpointPath);
  return {
    current,
    rebooted: current !== undefined && previous !== undefined && previous !== current,
    save: () => {
      if (current === undefined) return;
      mkdirSync(dirname(checkpointPath), { recursive: true });
      writeAtomic(checkpointPath, `${current}\n`);
    },
  };
}
