/**
 * The agent's resources when `--resources` does not say, as Mesos' `Containerizer::resources`
 * computes them: cpus = the host's CPU count; mem = total memory minus what Mesos leaves to the
 * host (half of it when the host has less than 2 GiB, else 1 GiB), in MB; disk = the size of
 * the filesystem of `--work_dir` minus the same headroom rule applied to 5 GiB (half below
 * 10 GiB), in MB; ports = [31000-32000]. Resources given in `--resources` win, name by name;
 * the detected ones fill in the rest.
 *
 * `detectResources` is pure over a `HostFacts` port; `readHostFacts` is the adapter.
 */
import { availableParallelism, totalmem } from 'node:os';
import { statfsSync } from 'node:fs';
import { Resources } from '../common/resources/resources.ts';

export interface HostFacts {
  readonly cpus: number;
  readonly memBytes: number;
  readonly diskBytes: number;
}

export const DEFAULT_PORTS = '[31000-32000]';

const MB = 1024 * 1024;
const GB = 1024 * MB;

export function detectedMemMb(memBytes: number): number {
  const headroom = memBytes < 2 * GB ? memBytes / 2 : GB;
  return Math.floor((memBytes - headroom) / MB);
}

export function detectedDiskMb(diskBytes: number): number {
  const headroom = diskBytes < 10 * GB ? diskBytes / 2 : 5 * GB;
  return Math.floor((diskBytes - headroom) / MB);
}

export type DetectOutcome = { readonly ok: true; readonly resources: Resources } | { readonly ok: false; readonly message: string };

/** `flagText`: `--resources` (Mesos text `cpus:2;mem:1024` or a JSON list of Resource), or undefined. */
export function detectResources(flagText: string | undefined, host: HostFacts): DetectOutcome {
  let given = Resources.of([]);
  if (flagText !== undefined && flagText.trim() !== '') {
    const trimmed = flagText.trim();
    if (trimmed.startsWith('[')) {
      try {
        given = Resources.fromProto(JSON.parse(trimmed));
      } catch (e) {
        return { ok: false, message: `--resources: invalid JSON resources: ${(e as Error).message}` };
      }
    } else {
      const parsed = Resources.tryParse(trimmed);
      if (!parsed.ok) return { ok: false, message: `--resources: ${parsed.error.message}` };
      given = parsed.resources;
    }
  }
  const names = new Set(given.names());
  const fill: string[] = [];
  if (!names.has('cpus')) fill.push(`cpus:${host.cpus}`);
  if (!names.has('mem')) fill.push(`mem:${detectedMemMb(host.memBytes)}`);
  if (!names.has('disk')) fill.push(`disk:${detectedDiskMb(host.diskBytes)}`);
  if (!names.has('ports')) fill.push(`ports:${DEFAULT_PORTS}`);
  return { ok: true, resources: fill.length === 0 ? given : given.plus(Resources.parse(fill.join(';'))) };
}

export function readHostFacts(workDir: string): HostFacts {
  const fs = statfsSync(workDir);
  return { cpus: availableParallelism(), memBytes: totalmem(), diskBytes: fs.blocks * fs.bsize };
}
