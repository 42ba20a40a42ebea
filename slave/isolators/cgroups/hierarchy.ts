/**
 * The agent's cgroup hierarchy: which cgroup version the host runs (detected once from
 * /proc/self/mountinfo), where each container's cgroup lives, and the cgroupfs operations on it
 * (create, move a pid in, list pids, kill everything, remove, list what exists for recovery).
 *
 * Layout, with `root` the `--cgroups_root` flag (Mesos' default `mesos`, ours `maestro`):
 *   v1: <mount of SUBSYSTEM>/<root>/<container_id>   one directory per subsystem used
 *   v2: <cgroup2 mount>/<root>/<container_id>         one directory, controllers enabled through
 *                                                     cgroup.subtree_control of the mount and root
 * Detection: a host with v1 hierarchies carrying controllers (legacy or hybrid) is driven as v1,
 * even when a cgroup2 mount also exists (hybrid hosts mount it without controllers); otherwise a
 * cgroup2 mount (preferring /sys/fs/cgroup) is v2; neither means no cgroups.
 *
 * Invariants: every container cgroup is a direct child of `<root>`, named by its container id,
 * so `list()` finds all of them (orphans included) after an agent restart; `remove` never leaves
 * a directory behind unless a process is still inside (then it throws, naming the path); `kill`
 * ends with no process left in the cgroup or throws. cgroupfs is read and written synchronously:
 * its files are kernel memory and never wait for a disk (as /proc, see proc-stat.ts).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdList } from './stats.ts';

/** The v1 subsystems we use. cpuacct carries cpu usage; freezer, when mounted, makes kills atomic. */
export type Subsystem = 'cpu' | 'cpuacct' | 'memory' | 'pids' | 'freezer';

export interface MountInfoEntry {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly superOptions: readonly string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/self/mountinfo (proc(5)): fields up to " - ", then fstype, source, super options. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 3) continue;
    out.push({ mountPoint: unescapeMount(left[4]), fsType: right[0], superOptions: right[2].split(',') });
  }
  return out;
}

export type CgroupLayout =
  | { readonly version: 1; readonly mounts: ReadonlyMap<Subsystem, string> }
  | { readonly version: 2; readonly mount: string; readonly controllers: ReadonlySet<string> };

const SUBSYSTEMS: readonly Subsystem[] = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'];

/**
 * The host's cgroup layout from mountinfo, or undefined when no cgroup filesystem is mounted.
 * `readControllers(mount)` returns the text of `<mount>/cgroup.controllers` (v2), or undefined.
 */
export function detectLayout(entries: readonly MountInfoEntry[], readControllers: (mount: string) => string | undefined): CgroupLayout | undefined {
  const mounts = new Map<Subsystem, string>();
  for (const e of entries) {
    if (e.fsType !== 'cgroup') continue;
    for (const s of SUBSYSTEMS) if (e.superOptions.includes(s) && !mounts.has(s)) mounts.set(s, e.mountPoint);
  }
  if (mounts.size > 0) return { version: 1, mounts };
  const v2 = entries.filter((e) => e.fsType === 'cgroup2');
  if (v2.length === 0) return undefined;
  const mount = (v2.find((e) => e.mountPoint === '/sys/fs/cgroup') ?? v2[0]).mountPoint;
  const controllers = new Set((readControllers(mount) ?? '').trim().split(/\s+/).filter((c) => c !== ''));
  return { version: 2, mount, controllers };
}

/** The layout of this host now. */
export function detectHostLayout(): CgroupLayout | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  return detectLayout(parseMountInfo(text), (mount) => {
    try {
      return readFileSync(join(mount, 'cgroup.controllers'), 'utf8');
    } catch {
      return undefined;
    }
  });
}

/** The v2 controller that provides what a v1 subsystem does (cpuacct's usage is in v2's cpu.stat). */
export function v2Controller(s: Subsystem): string | undefined {
  return s === 'cpuacct' || s === 'freezer' ? undefined : s;
}

export class CgroupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CgroupError';
  }
}

/** A container id becomes a directory name: it must be one path segment. */
export function isValidCgroupName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0') && !name.startsWith('cgroup.');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

export interface HierarchyOptions {
  readonly layout: CgroupLayout;
  /** `--cgroups_root`: one path segment (maestro). */
  readonly root: string;
  /** The subsystems the enabled isolators need; freezer is added on v1 when mounted. */
  readonly subsystems: readonly Subsystem[];
}

/** One container's cgroup: where each subsystem's files are. */
export interface ContainerCgroup {
  readonly version: 1 | 2;
  readonly containerId: string;
  /** The directory holding SUBSYSTEM's files (v2: the same directory for every subsystem). */
  dir(subsystem: Subsystem): string;
}

export class CgroupHierarchy {
  readonly version: 1 | 2;
  readonly root: string;
  /** Distinct directories that hold our root, one per v1 hierarchy used (v2: one). */
  private readonly bases: ReadonlyMap<Subsystem, string>;
  private readonly layout: CgroupLayout;
  private readonly subsystems: readonly Subsystem[];

  constructor(options: HierarchyOptions) {
    if (!isValidCgroupName(options.root)) throw new CgroupError(`--cgroups_root: '${options.root}' must be one path segment`);
    this.layout = options.layout;
    this.version = options.layout.version;
    this.root = options.root;
    const subs = new Set(options.subsystems);
    const bases = new Map<Subsystem, string>();
    if (options.layout.version === 1) {
      const mounts = options.layout.mounts;
      if (mounts.has('freezer')) subs.add('freezer');
      for (const s of subs) {
        const m = mounts.get(s);
        if (m === undefined) throw new CgroupError(`cgroup v1 subsystem '${s}' is not mounted (see /proc/self/mountinfo)`);
        bases.set(s, join(m, options.root));
      }
    } else {
      for (const s of subs) {
        const c = v2Controller(s);
        if (c !== undefined && !options.layout.controllers.has(c)) {
          throw new CgroupError(`cgroup v2 controller '${c}' is not available in ${join(options.layout.mount, 'cgroup.controllers')}`);
        }
        bases.set(s, join(options.layout.mount, options.root));
      }
    }
    this.bases = bases;
    this.subsystems = [...subs];
  }

  /** The distinct root directories (v1: one per hierarchy; cpu and cpuacct may share one). */
  rootDirs(): string[] {
    return [...new Set(this.bases.values())];
  }

  hasFreezer(): boolean {
    return this.version === 1 && this.bases.has('freezer');
  }

  /** Creates the root directories and, on v2, enables the needed controllers for the container cgroups. */
  ensureRoot(): void {
    for (const d of this.rootDirs()) mkdirSync(d, { recursive: true });
    if (this.layout.version === 2) {
      const wanted = [...new Set(this.subsystems.map(v2Controller).filter((c): c is string => c !== undefined))];
      for (const dir of [this.layout.mount, join(this.layout.mount, this.root)]) {
        const file = join(dir, 'cgroup.subtree_control');
        const enabled = new Set((readText(file) ?? '').trim().split(/\s+/));
        const missing = wanted.filter((c) => !enabled.has(c));
        if (missing.length === 0) continue;
        try {
          writeFileSync(file, missing.map((c) => `+${c}`).join(' '));
        } catch (cause) {
          throw new CgroupError(`cannot enable cgroup v2 controllers ${missing.join(', ')} in ${file}: ${(cause as Error).message}`, { cause });
        }
      }
    }
  }

  cgroup(containerId: string): ContainerCgroup {
    if (!isValidCgroupName(containerId)) throw new CgroupError(`container id '${containerId}' cannot name a cgroup`);
    const bases = this.bases;
    return {
      version: this.version,
      containerId,
      dir(subsystem) {
        const b = bases.get(subsystem);
        if (b === undefined) throw new CgroupError(`subsystem '${subsystem}' is not in use`);
        return join(b, containerId);
      },
    };
  }

  /** The container's directories, one per distinct hierarchy. */
  dirs(containerId: string): string[] {
    if (!isValidCgroupName(containerId)) throw new CgroupError(`container id '${containerId}' cannot name a cgroup`);
    return this.rootDirs().map((b) => join(b, containerId));
  }

  /** Creates the container's cgroup in every hierarchy (an existing one is kept). */
  create(containerId: string): ContainerCgroup {
    const cg = this.cgroup(containerId);
    for (const d of this.dirs(containerId)) {
      try {
        mkdirSync(d);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw new CgroupError(`cannot create cgroup ${d}: ${(e as Error).message}`, { cause: e });
      }
    }
    return cg;
  }

  exists(containerId: string): boolean {
    return this.dirs(containerId).some((d) => existsSync(d));
  }

  /** The `cgroup.procs` files a process writes its own pid into to join the container (the supervisor's way in). */
  procsFiles(containerId: string): string[] {
    return this.dirs(containerId).map((d) => join(d, 'cgroup.procs'));
  }

  /**
   * Moves `pid` (the whole process: all its threads) into the container's cgroup in every
   * hierarchy. A process that has already exited (ESRCH) has nothing left to isolate: not an error.
   */
  enter(containerId: string, pid: number): void {
    for (const f of this.procsFiles(containerId)) {
      try {
        writeFileSync(f, String(pid));
      } catch (cause) {
        if (errno(cause) === 'ESRCH') return;
        throw new CgroupError(`cannot move pid ${pid} into ${f}: ${(cause as Error).message}`, { cause });
      }
    }
  }

  /** Every process in the container's cgroup (union over hierarchies; a gone cgroup has none). */
  pids(containerId: string): number[] {
    const all = new Set<number>();
    for (const f of this.procsFiles(containerId)) for (const p of parseIdList(readText(f) ?? '')) all.add(p);
    return [...all];
  }

  /** Threads of the container (v1 `tasks`, v2 `cgroup.threads`) in the first hierarchy. */
  threads(containerId: string): number[] {
    const d = this.dirs(containerId)[0];
    return parseIdList(readText(join(d, this.version === 1 ? 'tasks' : 'cgroup.threads')) ?? '');
  }

  /** The container cgroups that exist now (recovery: those the agent does not know are orphans). */
  list(): string[] {
    const names = new Set<string>();
    for (const b of this.rootDirs()) {
      let entries: string[];
      try {
        entries = readdirSync(b, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      } catch {
        continue;
      }
      for (const n of entries) names.add(n);
    }
    return [...names].sort();
  }

  /**
   * SIGKILLs every process of the container until none is left. v2 with `cgroup.kill` (Linux
   * 5.14): one write kills the whole cgroup at once. Otherwise the cgroup is frozen first (v1
   * freezer, v2 `cgroup.freeze`) so nothing can fork between the listing and the kill, then
   * thawed so the signals are delivered; repeated until empty.
   */
  async kill(containerId: string, options: { readonly rounds?: number; readonly intervalMs?: number } = {}): Promise<void> {
    const rounds = options.rounds ?? 200;
    const interval = options.intervalMs ?? 10;
    const cg = this.cgroup(containerId);
    const v2dir = this.version === 2 ? this.dirs(containerId)[0] : undefined;
    const killFile = v2dir === undefined ? undefined : join(v2dir, 'cgroup.kill');
    const useKillFile = killFile !== undefined && existsSync(killFile);
    for (let round = 0; round < rounds; round++) {
      const before = this.pids(containerId);
      if (before.length === 0) return;
      if (useKillFile) {
        try {
          writeFileSync(killFile, '1');
        } catch (e) {
          if (errno(e) !== 'ENOENT') throw new CgroupError(`cannot write ${killFile}: ${(e as Error).message}`, { cause: e });
        }
      } else {
        const frozen = await this.freeze(cg, true);
        for (const pid of this.pids(containerId)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
        if (frozen) await this.freeze(cg, false);
      }
      await sleep(round === 0 ? 1 : interval);
    }
    const left = this.pids(containerId);
    if (left.length > 0) throw new CgroupError(`processes ${left.join(', ')} of cgroup ${this.dirs(containerId).join(', ')} survived SIGKILL`);
  }

  /** Freezes or thaws; false when the host has no freezer for this cgroup. */
  private async freeze(cg: ContainerCgroup, on: boolean): Promise<boolean> {
    if (this.version === 1) {
      if (!this.hasFreezer()) return false;
      const file = join(cg.dir('freezer'), 'freezer.state');
      try {
        writeFileSync(file, on ? 'FROZEN' : 'THAWED');
      } catch {
        return false;
      }
      // FREEZING until every task is stopped; bounded, then the kill goes on regardless.
      for (let i = 0; on && i < 100 && (readText(file) ?? '').trim() === 'FREEZING'; i++) await sleep(1);
      return true;
    }
    const file = join(this.dirs(cg.containerId)[0], 'cgroup.freeze');
    if (!existsSync(file)) return false;
    try {
      writeFileSync(file, on ? '1' : '0');
    } catch {
      return false;
    }
    return true;
  }

  /**
   * Removes the container's cgroup from every hierarchy. EBUSY (a process still exiting) is
   * retried briefly; a cgroup already gone is fine (idempotent).
   */
  async remove(containerId: string, options: { readonly attempts?: number; readonly intervalMs?: number } = {}): Promise<void> {
    const attempts = options.attempts ?? 50;
    const interval = options.intervalMs ?? 10;
    for (const d of this.dirs(containerId)) {
      for (let i = 0; ; i++) {
        try {
          rmdirSync(d);
          break;
        } catch (e) {
          const code = errno(e);
          if (code === 'ENOENT') break;
          if ((code === 'EBUSY' || code === 'ENOTEMPTY') && i + 1 < attempts) {
            await sleep(interval);
            continue;
          }
          throw new CgroupError(`cannot remove cgroup ${d}: ${(e as Error).message}`, { cause: e });
        }
      }
    }
  }

  /** Kills and removes every container cgroup and then the root itself (tests' teardown, and an operator's reset). */
  async destroyAll(): Promise<void> {
    for (const id of this.list()) {
      await this.kill(id);
      await this.remove(id);
    }
    for (const d of this.rootDirs()) {
      try {
        rmdirSync(d);
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw new CgroupError(`cannot remove cgroup root ${d}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
}

/** Writes one control file of a cgroup; the error names the file and the value. */
export function writeControl(dir: string, name: string, value: string | number): void {
  const file = join(dir, name);
  try {
    writeFileSync(file, String(value));
  } catch (cause) {
    throw new CgroupError(`cannot write '${value}' to ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Reads one control file of a cgroup; undefined when it does not exist or cannot be read. */
export function readControl(dir: string, name: string): string | undefined {
  return readText(join(dir, name));
}
