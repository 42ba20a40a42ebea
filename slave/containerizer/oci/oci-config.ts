/**
 * The OCI runtime spec (config.json, ociVersion 1.0.2) of one task's container, built from what
 * prepare resolved (argv by oci-command.ts, user by oci-user.ts, binds by oci-volumes.ts):
 *
 *   process   args; env = image Env, then the task's environment (wins; but the agent's
 *             default PATH does not replace the image's), then MESOS_SANDBOX=/mnt/mesos/sandbox,
 *             PATH and HOME defaulted; cwd = the task's
 *             working directory, else the image's WorkingDir, else `/`; terminal off;
 *             noNewPrivileges; Docker's default capabilities. No rlimits and no oomScoreAdj: the
 *             container inherits the runtime's (DESIGN.md §5: without CAP_SYS_RESOURCE a config
 *             may not raise a hard limit, and oom_score_adj may only be raised).
 *   root      `rootfs` in the bundle (the overlay), writable.
 *   mounts    runc's defaults (/proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys ro,
 *             /sys/fs/cgroup ro), the sandbox rw at /mnt/mesos/sandbox, /etc/hosts,
 *             /etc/hostname and /etc/resolv.conf ro from files in the bundle, then the volumes.
 *   linux     namespaces pid, ipc, uts, mount, and network only for a namespace the network
 *             module made (joined by path); cgroupsPath as given; resources: devices only (deny
 *             all, allow the usual character devices); the cgroups isolator owns every limit.
 *             maskedPaths and readonlyPaths as runc's default spec.
 *
 * Pure: every input is an argument.
 */
import { DEFAULT_PATH } from '../../task-environment.ts';
import type { OciLaunchInput } from './oci-runtime.ts';
import type { ContainerUser } from './oci-user.ts';
import { SANDBOX_MOUNT, type VolumeBind } from './oci-volumes.ts';


/** Docker's default capability set. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** runc's default spec. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];
export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface DeviceRule {
  readonly allow: boolean;
  readonly type?: 'c' | 'b' | 'a';
  readonly major?: number;
  readonly minor?: number;
  readonly access: string;
}

/** Deny everything, then the devices runc and Docker allow by default (mknod of any, and the usual character devices). */
export const DEVICE_RULES: readonly DeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' }, // mknod of any character device
  { allow: true, type: 'b', access: 'm' }, // mknod of any block device
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

export interface OciMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options?: readonly string[];
}

export interface OciConfig {
  readonly ociVersion: '1.0.2';
  readonly process: {
    readonly terminal: false;
    readonly user: { readonly uid: number; readonly gid: number; readonly additionalGids?: readonly number[] };
    readonly args: readonly string[];
    readonly env: readonly string[];
    readonly cwd: string;
    readonly capabilities: { readonly bounding: readonly string[]; readonly effective: readonly string[]; readonly permitted: readonly string[] };
    readonly noNewPrivileges: true;
  };
  readonly root: { readonly path: 'rootfs'; readonly readonly: false };
  readonly hostname: string;
  readonly mounts: readonly OciMount[];
  readonly linux: {
    readonly namespaces: readonly { readonly type: string; readonly path?: string }[];
    readonly cgroupsPath: string;
    readonly resources: { readonly devices: readonly DeviceRule[] };
    readonly maskedPaths: readonly string[];
    readonly readonlyPaths: readonly string[];
  };
}

/** Host files bound read-only over the container's /etc entries. */
export interface EtcFiles {
  readonly hosts: string;
  readonly hostname: string;
  readonly resolvConf: string;
}

export interface OciConfigInput {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly user: ContainerUser;
  readonly hostname: string;
  readonly cgroupsPath: string;
  readonly network: OciLaunchInput['network'];
  /** Host path of the sandbox. */
  readonly sandbox: string;
  readonly etc: EtcFiles;
  readonly binds: readonly VolumeBind[];
}

/**
 * `KEY=value` list: the image's entries, then the task's (same key: the task wins, in the image's
 * place), MESOS_SANDBOX set to the container's view of the sandbox, PATH and HOME when absent.
 * One exception, as in Mesos, where the agent's default PATH ranks below the image's: a task PATH
 * that is one of `agentPaths` (what the agent core puts in when CommandInfo sets none) does not
 * replace a PATH the image sets; the host's PATH means nothing inside an image.
 */
export function containerEnvironment(imageEnv: readonly string[], taskEnv: Readonly<Record<string, string>>, home: string, agentPaths: readonly string[] = []): string[] {
  const env = new Map<string, string>();
  for (const e of imageEnv) {
    const eq = e.indexOf('=');
    if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1));
    else if (eq < 0 && e !== '') env.set(e, '');
  }
  for (const [k, v] of Object.entries(taskEnv)) {
    if (k === 'PATH' && env.has('PATH') && agentPaths.includes(v)) continue;
    env.set(k, v);
  }
  env.set('MESOS_SANDBOX', SANDBOX_MOUNT);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  if (!env.has('HOME')) env.set('HOME', home);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/**
 * The working directory: the task's, else the image's WorkingDir, else the sandbox
 * (`/mnt/mesos/sandbox`), as Mesos runs a task with an image (fetched files are there, so `./app`
 * works); relative ones are under `/`.
 */
export function containerCwd(taskWorkingDirectory: string | undefined, imageWorkingDir: string | undefined): string {
  const pick = [taskWorkingDirectory, imageWorkingDir].find((d) => d !== undefined && d !== '') ?? SANDBOX_MOUNT;
  return pick.startsWith('/') ? pick : `/${pick}`;
}

/**
 * /etc/hosts of the container. Host networking (`hostEntries` = the host's file): the host's file,
 * as Docker copies it, and a line for `hostname` only when one was given (a ContainerInfo
 * hostname the host does not know). Own network namespace: localhost, and the hostname on
 * 127.0.1.1.
 */
export function hostsFile(hostname: string | undefined, hostEntries: string | undefined): string {
  const own = hostname === undefined ? [] : [`127.0.1.1\t${hostname}`];
  if (hostEntries !== undefined) return `${hostEntries === '' ? '' : hostEntries.replace(/\n?$/, '\n')}${own.map((l) => `${l}\n`).join('')}`;
  return `${['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...own].join('\n')}\n`;
}

export function buildOciConfig(input: OciConfigInput): OciConfig {
  const caps = [...DEFAULT_CAPABILITIES];
  const user = input.user.additionalGids.length > 0
    ? { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids }
    : { uid: input.user.uid, gid: input.user.gid };
  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (input.network.kind === 'namespace') namespaces.push({ type: 'network', path: input.network.netnsPath });
  const bindRo = (destination: string, source: string): OciMount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', 'ro'] });
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: SANDBOX_MOUNT, type: 'bind', source: input.sandbox, options: ['rbind', 'rprivate', 'rw'] },
    bindRo('/etc/hosts', input.etc.hosts),
    bindRo('/etc/hostname', input.etc.hostname),
    bindRo('/etc/resolv.conf', input.etc.resolvConf),
    ...input.binds.map((b): OciMount => ({ destination: b.destination, type: 'bind', source: b.source, options: ['rbind', 'rprivate', b.readonly ? 'ro' : 'rw'] })),
  ];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user,
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: input.hostname,
    mounts,
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources: { devices: DEVICE_RULES },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
