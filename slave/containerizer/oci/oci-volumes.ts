/**
 * A container's volumes (ContainerInfo.volumes, mesos.v1.Volume) as bind mounts, by Mesos'
 * filesystem/linux rules:
 *   - the host side is `host_path` (or `source` HOST_PATH, or `source` SANDBOX_PATH of type SELF);
 *     a relative host path is inside the sandbox (created there when missing, as Mesos does), and
 *     may not climb out of it; an absolute one must exist (checked by the runtime, not here);
 *   - the container side is `container_path`; a relative one is under the sandbox mount
 *     (/mnt/mesos/sandbox); no `..` segment anywhere; not `/` nor the sandbox mount itself;
 *   - mode RO → a read-only bind, RW (or none) → read-write;
 *   - other sources (Docker volumes, secrets, CSI, images) are refused.
 * Binds come out parents first (by depth of the container path), so a nested volume is mounted
 * over its parent, not under it.
 *
 * Pure.
 */
import { isAbsolute, posix } from 'node:path';
import type { mesos } from '../../../proto/types.generated.ts';

export const SANDBOX_MOUNT = '/mnt/mesos/sandbox';

export interface VolumeBind {
  /** For messages: how the task named it. */
  readonly name: string;
  /** Absolute host path. */
  readonly source: string;
  /** Absolute container path, normalized. */
  readonly destination: string;
  readonly readonly: boolean;
  /** A relative host path: a directory in the sandbox, created when missing. */
  readonly inSandbox: boolean;
}

export type VolumePlan = { readonly ok: true; readonly binds: readonly VolumeBind[] } | { readonly ok: false; readonly message: string };

const hasDotDot = (p: string): boolean => p.split('/').includes('..');

export function planVolumes(volumes: readonly mesos.v1.Volume[], sandbox: string): VolumePlan {
  const binds: VolumeBind[] = [];
  for (const v of volumes) {
    const name = `volume '${v.container_path ?? ''}'`;
    const fail = (why: string): VolumePlan => ({ ok: false, message: `Invalid ${name}: ${why}` });
    let hostPath: string | undefined;
    let mustBeRelative = false;
    if (v.image !== undefined) return fail('image volumes are not supported');
    if (v.host_path !== undefined && v.host_path !== '') hostPath = v.host_path;
    else if (v.source?.type === 'HOST_PATH') hostPath = v.source.host_path?.path;
    else if (v.source?.type === 'SANDBOX_PATH') {
      if ((v.source.sandbox_path?.type ?? 'SELF') !== 'SELF') return fail('only SELF sandbox paths are supported');
      hostPath = v.source.sandbox_path?.path;
      mustBeRelative = true;
    } else if (v.source !== undefined) return fail(`volume source ${v.source.type ?? 'UNKNOWN'} is not supported`);
    if (hostPath === undefined || hostPath === '') return fail('no host path');
    if (hasDotDot(hostPath)) return fail(`host path '${hostPath}' has a '..' segment`);
    if (mustBeRelative && isAbsolute(hostPath)) return fail(`sandbox path '${hostPath}' must be relative`);

    const cp = v.container_path ?? '';
    if (cp === '') return fail('no container path');
    if (hasDotDot(cp)) return fail(`container path '${cp}' has a '..' segment`);
    const destination = isAbsolute(cp) ? posix.normalize(cp).replace(/(.)\/$/, '$1') : posix.join(SANDBOX_MOUNT, posix.normalize(cp)).replace(/\/$/, '');
    if (destination === '/' || destination === SANDBOX_MOUNT) return fail(`container path '${cp}' would hide the ${destination === '/' ? 'root' : 'sandbox'}`);

    const inSandbox = !isAbsolute(hostPath);
    const source = inSandbox ? posix.join(sandbox, posix.normalize(hostPath)) : posix.normalize(hostPath);
    binds.push({ name, source, destination, readonly: v.mode === 'RO', inSandbox });
  }
  const depth = (p: string): number => p.split('/').length;
  return { ok: true, binds: binds.map((b, i) => ({ b, i })).sort((x, y) => depth(x.b.destination) - depth(y.b.destination) || x.i - y.i).map((x) => x.b) };
}
