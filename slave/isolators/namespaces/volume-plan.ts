/**
 * The volumes of a task without an image, checked and turned into bind mounts (filesystem/linux).
 * Pure: paths are resolved as text, nothing is looked at on disk; whether a host path exists is
 * the script's business at run time (native-namespaces.ts).
 *
 * Mesos semantics (ContainerInfo.volumes, `volume/host_path` on a container without a rootfs):
 *   - the source is the legacy `host_path` field or `source { type: HOST_PATH, host_path.path }`,
 *     never both; a relative host path is relative to the sandbox and must stay inside it;
 *   - `container_path` relative: a path inside the sandbox, created (a directory, or an empty file
 *     when the source is not a directory); absolute: that host path, which must already exist, is
 *     covered inside the task's mount namespace only;
 *   - `mode` RW or RO.
 * Refused, each with a message naming the volume by index and container path: no container path,
 * a container path or relative host path that leaves the sandbox (`..`) or names it, a host path
 * outside `allowedHostPaths` (when given), an image volume or any source type but HOST_PATH
 * (DOCKER_VOLUME, SANDBOX_PATH, SECRET, CSI_VOLUME: not for native tasks), BIDIRECTIONAL mount
 * propagation, an absolute container path under /tmp (the private /tmp would hide it), a NUL byte
 * in a path (no shell word can carry it).
 *
 * Invariant: a plan is all or nothing; every path in it is absolute and normalized.
 */
import { posix } from 'node:path';
import type { mesos } from '../../../proto/types.generated.ts';

export interface VolumeMount {
  /** Index in ContainerInfo.volumes (for messages). */
  readonly index: number;
  /** Absolute host path that is bound. */
  readonly source: string;
  /** Absolute path that is covered. */
  readonly target: string;
  /** `create`: a relative container path, made in the sandbox; `existing`: must exist already. */
  readonly targetKind: 'create' | 'existing';
  readonly readOnly: boolean;
}

export type VolumePlan = { readonly ok: true; readonly mounts: readonly VolumeMount[] } | { readonly ok: false; readonly message: string };

/** The private /tmp covers this path inside the task's mount namespace. */
export const PRIVATE_TMP = '/tmp';

/** `p` is `dir` itself or below it (path segments, not string prefixes: /data2 is not under /data). */
export function isAtOrUnder(dir: string, p: string): boolean {
  return dir === '/' || p === dir || p.startsWith(`${dir}/`);
}

function isStrictlyUnder(dir: string, p: string): boolean {
  return p !== dir && isAtOrUnder(dir, p);
}

function hostPathOf(v: mesos.v1.Volume): { ok: true; path: string } | { ok: false; reason: string } {
  if (v.image !== undefined) return { ok: false, reason: 'image volumes are not supported for tasks without an image' };
  const legacy = v.host_path !== undefined && v.host_path !== '';
  if (v.source === undefined) {
    return legacy ? { ok: true, path: v.host_path as string } : { ok: false, reason: 'no host path (host_path or source.host_path.path)' };
  }
  if (legacy) return { ok: false, reason: 'both host_path and source are set' };
  const type = v.source.type ?? 'UNKNOWN';
  if (type !== 'HOST_PATH') return { ok: false, reason: `source type ${type} is not supported for tasks without an image (only HOST_PATH)` };
  const hp = v.source.host_path;
  if (hp === undefined || hp.path === '') return { ok: false, reason: 'source type HOST_PATH without host_path.path' };
  if (hp.mount_propagation?.mode === 'BIDIRECTIONAL') return { ok: false, reason: 'BIDIRECTIONAL mount propagation is not supported (the task\'s mounts are private)' };
  return { ok: true, path: hp.path };
}

/**
 * The bind mounts of `volumes` for a task whose sandbox is `sandbox` (absolute, normalized), or
 * the first refusal. `allowedHostPaths`: absolute prefixes an absolute host path must be at or
 * under; undefined = any. Host paths inside the sandbox are always allowed (the task's own files).
 */
export function planVolumes(sandbox: string, volumes: readonly mesos.v1.Volume[], allowedHostPaths?: readonly string[]): VolumePlan {
  const allowed = allowedHostPaths?.map((a) => posix.normalize(a).replace(/(.)\/$/, '$1'));
  const mounts: VolumeMount[] = [];
  for (const [index, v] of volumes.entries()) {
    const cp = v.container_path ?? '';
    const fail = (reason: string): VolumePlan => ({ ok: false, message: `volume ${index} '${cp}': ${reason}` });
    if (cp === '') return { ok: false, message: `volume ${index}: no container_path` };
    const host = hostPathOf(v);
    if (!host.ok) return fail(host.reason);
    if (cp.includes('\0') || host.path.includes('\0')) return fail('a path holds a NUL byte');
    if (v.mode !== 'RW' && v.mode !== 'RO') return fail(`unknown mode '${String(v.mode)}' (RW or RO)`);

    let target: string;
    if (posix.isAbsolute(cp)) {
      target = posix.normalize(cp).replace(/(.)\/$/, '$1');
      if (isAtOrUnder(PRIVATE_TMP, target)) return fail(`an absolute container path under ${PRIVATE_TMP} is hidden by the task's private ${PRIVATE_TMP}; use a path relative to the sandbox`);
      if (target === '/') return fail('the container path is /');
    } else {
      target = posix.resolve(sandbox, cp);
      if (!isStrictlyUnder(sandbox, target)) return fail(target === sandbox ? 'the container path names the sandbox itself' : 'the container path leaves the sandbox');
    }

    let source: string;
    if (posix.isAbsolute(host.path)) {
      source = posix.normalize(host.path).replace(/(.)\/$/, '$1');
      if (allowed !== undefined && !isAtOrUnder(sandbox, source) && !allowed.some((a) => isAtOrUnder(a, source))) {
        return fail(`host path '${host.path}' is not under an allowed host path (${allowed.length === 0 ? 'none allowed' : allowed.join(', ')})`);
      }
    } else {
      source = posix.resolve(sandbox, host.path);
      if (!isStrictlyUnder(sandbox, source)) return fail(`host path '${host.path}' ${source === sandbox ? 'names the sandbox itself' : 'leaves the sandbox'}`);
    }
    mounts.push({ index, source, target, targetKind: posix.isAbsolute(cp) ? 'existing' : 'create', readOnly: v.mode === 'RO' });
  }
  return { ok: true, mounts };
}
