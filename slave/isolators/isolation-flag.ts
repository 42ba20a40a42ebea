/**
 * `--isolation`: the comma-separated isolator names of Mesos, validated. Pure.
 *
 * - implemented here: `cgroups/cpu`, `cgroups/mem`, `cgroups/pids`, `posix/cpu`, `posix/mem`,
 *   `namespaces/pid` and `filesystem/linux` (for tasks without an image: slave/isolators/namespaces;
 *   a container with an image always gets both from the OCI runtime);
 * - accepted and handled elsewhere (no isolator of this module): `posix/disk`, `filesystem/posix`;
 *   `docker/runtime`, `volume/host_path`, `volume/sandbox_path` (what they do in Mesos, the image
 *   config, host and sandbox volumes, the OCI runtime and filesystem/linux do for every task);
 * - other Mesos isolator names are refused as "not implemented yet", anything else as unknown;
 * - a name given twice, or a cgroups and a posix isolator of the same resource, is refused.
 * Every error message starts with `--isolation:` and names the offending entry.
 */

export const IMPLEMENTED_ISOLATORS = ['cgroups/cpu', 'cgroups/mem', 'cgroups/pids', 'posix/cpu', 'posix/mem', 'namespaces/pid', 'filesystem/linux'] as const;
export type IsolatorName = (typeof IMPLEMENTED_ISOLATORS)[number];

/** Names the agent accepts without an isolator of this module doing anything for them. */
export const PASSIVE_ISOLATORS = ['posix/disk', 'filesystem/posix', 'docker/runtime', 'volume/host_path', 'volume/sandbox_path'] as const;

/** Mesos 1.x isolator names that maestro does not implement (yet). */
const MESOS_ONLY = new Set([
  'cgroups/all', 'cgroups/blkio', 'cgroups/cpuset', 'cgroups/devices', 'cgroups/hugetlb', 'cgroups/net_cls',
  'cgroups/net_prio', 'cgroups/perf_event', 'appc/runtime', 'disk/du', 'disk/xfs', 'docker/volume',
  'environment_secret', 'filesystem/shared', 'filesystem/windows', 'gpu/nvidia', 'linux/capabilities',
  'linux/devices', 'linux/nnp', 'linux/seccomp', 'namespaces/ipc', 'network/cni', 'network/port_mapping',
  'posix/rlimits', 'volume/csi', 'volume/image', 'volume/secret', 'windows/cpu', 'windows/mem',
]);

export type IsolationParse =
  | { readonly ok: true; readonly isolators: readonly IsolatorName[]; readonly passive: readonly string[] }
  | { readonly ok: false; readonly message: string };

const isImplemented = (s: string): s is IsolatorName => (IMPLEMENTED_ISOLATORS as readonly string[]).includes(s);

export function parseIsolation(text: string): IsolationParse {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const isolators: IsolatorName[] = [];
  const passive: string[] = [];
  const seen = new Set<string>();
  const available = [...IMPLEMENTED_ISOLATORS, ...PASSIVE_ISOLATORS].join(', ');
  for (const name of names) {
    if (seen.has(name)) return { ok: false, message: `--isolation: '${name}' is given twice` };
    seen.add(name);
    if (isImplemented(name)) isolators.push(name);
    else if ((PASSIVE_ISOLATORS as readonly string[]).includes(name)) passive.push(name);
    else if (MESOS_ONLY.has(name)) return { ok: false, message: `--isolation: '${name}' is a Mesos isolator that maestro does not implement yet (available: ${available})` };
    else return { ok: false, message: `--isolation: unknown isolator '${name}' (available: ${available})` };
  }
  for (const resource of ['cpu', 'mem']) {
    if (seen.has(`cgroups/${resource}`) && seen.has(`posix/${resource}`)) {
      return { ok: false, message: `--isolation: 'cgroups/${resource}' and 'posix/${resource}' both isolate ${resource}; give one of them` };
    }
  }
  return { ok: true, isolators, passive };
}
