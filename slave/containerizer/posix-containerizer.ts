/**
 * The POSIX containerizer: each task runs under `supervisor.sh` (a tiny `/bin/sh` process, its
 * own session), which outlives the agent and records the task's exit in the run directory (see
 * README.md for the protocol). Supervisors are started by one long-lived tiny launcher shell
 * (launcher.ts, launcher.sh) from `task.sh` that the agent writes atomically into the run
 * directory, so the agent never forks its own heap per task. Without isolators (posix isolation,
 * the default) nothing is enforced, usage comes from /proc, and nothing runs per task for
 * isolation. With an isolator chain that holds the cgroups isolator (`--isolation=cgroups/...`,
 * slave/isolators): prepare before `task.sh` is written, the task's subshell joins its cgroups
 * before it execs (task.sh), isolate + watch after the handshake, a limitation (OOM) kills the
 * container and ends it `limited`, SIGKILL and the end-of-container sweep kill the cgroup, usage
 * comes from the isolators, cleanup removes the cgroups, recover re-arms the known containers and
 * destroys orphan cgroups. With `namespaces` the task's exec words are wrapped in `unshare`
 * (slave/isolators/namespaces). A task with an image (container-image.ts) is provisioned (image,
 * bridge, OCI bundle) after the isolators and its task process execs `runc run`; its launch ends
 * once the container's init exists, and cleanup and recovery also release the runtime's state,
 * the rootfs mount and the network.
 *
 * Lifecycle of one container here: launch (checks, task.sh, launcher request, handshake,
 * checkpoint) → watched (the supervisor re-parented to the agent, a child subreaper: its exit is
 * noticed on SIGCHLD; after a recovery, or without a subreaper, polling /proc for the
 * supervisor's pid and start time) → ended (leftover processes of the container killed, orphans
 * re-parented to the agent reaped, `exit_status` read, `wait` resolved once) → cleaned up.
 *
 * Invariants: `wait` resolves exactly once per container; `kill` never signals a supervisor (it
 * must live to write the exit status) but every other process of the container (process-tree.ts);
 * after a SIGKILL and the end of the container, nothing of it is left, zombies included; `cleanup`
 * is idempotent. The factory makes the agent a child subreaper (native.ts) once. With isolators:
 * a container is prepared before its process exists and cleaned up (no cgroup left) by `cleanup`,
 * by a launch that fails after the prepare, or by `recover` when the agent does not know it.
 */
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { chown, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock, Logger, TimerHandle, Timers } from '../../common/ports.ts';
import { createTimers, silentLogger, systemClock } from '../../common/ports.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { ContainerId, Containerizer, LaunchResult, LaunchSpec, RecoverableContainer, Termination } from '../containerizer.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { CgroupsIsolator } from '../isolators/cgroups/cgroups-isolator.ts';
import { cgroupJoinScript } from '../isolators/cgroups/join.ts';
import type { ContainerLimitation, IsolatedContainer, Isolator } from '../isolators/isolator.ts';
import { nativeNamespacesWrap } from '../isolators/namespaces/native-namespaces.ts';
import type { NativeNamespacesOptions } from '../isolators/namespaces/native-namespaces.ts';
import type { NamespaceTools } from '../isolators/namespaces/namespace-tools.ts';
import { ABANDONED, provisionImageContainer, readContainerRequest, releaseImageContainer } from './container-image.ts';
import type { ImageRequest, ImageSupport, NetworkRequest } from './container-image.ts';
import { findTool, isDirectory, lookupUser, resolveCommand } from './launch-check.ts';
import type { UserEntry } from './launch-check.ts';
import { createLauncher } from './launcher.ts';
import type { Launcher } from './launcher.ts';
import { isAgentHelper } from './agent-helpers.ts';
import { reapChild, setChildSubreaper } from './native.ts';
import { createTableReader, hasEnded, parseStat, readChildren, readEnvironSync, readStat, readStatSync, readSubtrees } from './proc-stat.ts';
import type { ProcStat } from './proc-stat.ts';
import { containerMembers } from './process-tree.ts';
import {
  RUN_FILES,
  parseContainerRecord,
  parseExitStatus,
  parsePids,
  readRunFile,
  readRunFileSync,
  writeRunFileAtomic,
} from './run-files.ts';
import type { ContainerRecord } from './run-files.ts';
import { CLAIM_FILE, LEGACY_CLAIM_FILE, TASK_SCRIPT, taskScript } from './task-script.ts';

export const SUPERVISOR_PATH = fileURLToPath(new URL('./supervisor.sh', import.meta.url));
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** How often a recovered container's supervisor is looked at in /proc. */
const RECOVERED_POLL_MS = 500;
/** Clock ticks per second and page size of Linux on the platforms Node supports here. */
const CLOCK_TICKS = 100;
const PAGE_SIZE = 4096;
/** How long a user's passwd entry is reused without asking NSS again. */
const USER_CACHE_MS = 60_000;
/** Rounds of SIGKILL over a container racing with its own forks (or still dying) before giving up, and the pause between them. */
const KILL_ROUNDS = 100;
const KILL_ROUND_MS = 10;
/** Orphans re-parented to the agent are reaped this long after a SIGCHLD (one look at the agent's children for a burst of exits). */
const REAP_DEBOUNCE_MS = 50;

/** Reads of the agent's children, each followed by the subtrees of the new ones, before the whole table is read instead. */
const SUBTREE_ROUNDS = 4;

/** How often the supervisors of containers launched here are looked for in /proc besides SIGCHLD. */
const SUPERVISOR_SWEEP_MS = 1000;
/** How often a launch of a container with an image looks for its init's pid file. */
const CONTAINER_INIT_POLL_MS = 2;
/** How long a launch waits for its supervisor's handshake. */
const HANDSHAKE_TIMEOUT_MS = 60_000;

/** Every live containerizer of this process, for the one SIGCHLD listener. */
const reapers = new Set<() => Promise<void>>();
let sigchldInstalled = false;

function onSigchld(timers: Timers): void {
  if (sigchldInstalled) return;
  sigchldInstalled = true;
  let pending = false;
  process.on('SIGCHLD', () => {
    if (pending) return;
    pending = true;
    timers.setTimeout(() => {
      pending = false;
      for (const reap of reapers) void reap();
    }, REAP_DEBOUNCE_MS);
  });
}

/** Host timers that keep the process alive: a watched container is a reason to stay up (systemTimers are unref'd). */
const watchingTimers: Timers = createTimers({
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
});

export interface PosixContainerizerOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** The subreaper's pid (this process); a test may name another. */
  readonly agentPid?: number;
  /**
   * The isolator chain of `--isolation` (slave/isolators/create-isolators.ts) and its cgroups
   * isolator. Absent under posix isolation: the /proc measurement here is all posix does, so the
   * launch path runs nothing more.
   */
  readonly isolation?: { readonly isolator: Isolator; readonly cgroups: CgroupsIsolator | undefined };
  /** `namespaces/pid` and `filesystem/linux` for tasks without an image (slave/isolators/namespaces). */
  readonly namespaces?: NativeNamespacesOptions & { readonly allowedHostPaths?: readonly string[]; readonly tools?: NamespaceTools };
  /** Containers with images (container-image.ts): the image store, OCI runtime and bridge network; absent = such tasks are refused. */
  readonly images?: ImageSupport;
  /** Why there is no image support (said in the failure of a task with an image). */
  readonly imagesUnavailable?: string;
  /** Reads the whole process table (proc-stat.ts `readProcessTable`; a test counts the reads). */
  readonly readTable?: () => Promise<ProcStat[]>;
}

interface Tracked {
  readonly id: ContainerId;
  readonly runDir: string;
  record: ContainerRecord;
  /** Members seen so far: pid → start time (descendants that left the session are found again by this). */
  readonly known: Map<number, number>;
  readonly termination: Promise<Termination>;
  resolve(t: Termination): void;
  ended: boolean;
  /** False for a recovered container (its orphans went to init while no agent ran). */
  readonly spawnedHere: boolean;
  poll?: TimerHandle;
  /** The isolators know this container (prepared here, or recovered): cleanup must release it. */
  isolated: boolean;
  /** `finish` has reaped the supervisor (or found it gone): its pid may name another process from now on. */
  supervisorReleased: boolean;
  /** The first limit an isolator reported (an OOM kill); it decides the termination. */
  limitation?: ContainerLimitation;
}

const unknownContainer = (id: ContainerId): Termination => ({ kind: 'unknown', message: `Unknown container '${id}'` });

const limited = (l: ContainerLimitation): Termination => ({ kind: 'limited', reason: l.reason, message: l.message, resources: l.resources.toProto() });

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What the isolators need to take a container back after a restart: the cpus and mem its record says it was given. */
function recordResources(record: { readonly cpusLimit?: number; readonly memLimitBytes?: number }): Resources {
  const parts: string[] = [];
  if (record.cpusLimit !== undefined) parts.push(`cpus:${record.cpusLimit}`);
  if (record.memLimitBytes !== undefined) parts.push(`mem:${record.memLimitBytes / (1024 * 1024)}`);
  return parts.length === 0 ? Resources.empty : Resources.parse(parts.join(';'));
}

export function createPosixContainerizer(opts: PosixContainerizerOptions = {}): Containerizer {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const timers = opts.timers ?? watchingTimers;
  const agentPid = opts.agentPid ?? process.pid;
  const containers = new Map<ContainerId, Tracked>();
  const readProcessTable = createTableReader(opts.readTable);
  const isolator = opts.isolation?.isolator;
  const cgroups = opts.isolation?.cgroups;
  /**
   * The isolators have recovered (known containers re-armed, orphan cgroups destroyed). The agent
   * calls `recover` only when its checkpoints hold containers; otherwise the first launch does it
   * with none known, so cgroups left by an earlier agent never outlive this one.
   */
  let recoveredOnce: Promise<void> | undefined;
  /** The last `update` of each container still being applied (updates of one container are applied in order). */
  const updating = new Map<ContainerId, Promise<void>>();

  const subreaper = setChildSubreaper();
  if (!subreaper.ok) logger.error({ reason: subreaper.message }, 'NOT a child subreaper: orphaned task processes re-parent to init and may outlive their container');

  /** Users found recently (`getent` is a process per call; a wave of launches asks for the same user). */
  const users = new Map<string, { entry: Promise<UserEntry | undefined>; at: number }>();
  /** Concurrent launches as one user share one lookup (a wave would otherwise run `getent` per task). */
  async function userEntry(name: string): Promise<UserEntry | undefined> {
    const hit = users.get(name);
    if (hit !== undefined && clock.now() - hit.at < USER_CACHE_MS) return hit.entry;
    const entry = lookupUser(name);
    users.set(name, { entry, at: clock.now() });
    const found = await entry;
    if (found === undefined && users.get(name)?.entry === entry) users.delete(name);
    return found;
  }

  let launcher: Launcher | undefined;
  const tools = (async () => ({
    env: await findTool(['/usr/bin/env', '/bin/env']),
    setpriv: await findTool(['/usr/bin/setpriv', '/bin/setpriv']),
    setsid: await findTool(['/usr/bin/setsid', '/bin/setsid']),
    unshare: await findTool(['/usr/bin/unshare', '/bin/unshare']),
    sh: await findTool(['/bin/sh', '/usr/bin/sh']),
  }))();

  function track(id: ContainerId, runDir: string, record: ContainerRecord, spawnedHere: boolean): Tracked {
    let resolve!: (t: Termination) => void;
    const termination = new Promise<Termination>((r) => (resolve = r));
    const t: Tracked = { id, runDir, record, known: new Map(), termination, resolve, ended: false, spawnedHere, isolated: false, supervisorReleased: false };
    if (record.taskStart !== undefined) t.known.set(record.taskPid, record.taskStart);
    containers.set(id, t);
    return t;
  }

  /** `pid:startTime` → the process's `MESOS_SANDBOX=...` entry ('' without one): an environment is read once per process. */
  const markerOf = new Map<string, string>();

  function markerOfProcess(p: ProcStat): string {
    const key = `${p.pid}:${p.startTime}`;
    let found = markerOf.get(key);
    if (found === undefined) {
      found = readEnvironSync(p.pid).find((e) => e.startsWith('MESOS_SANDBOX=')) ?? '';
      markerOf.set(key, found);
    }
    return found;
  }

  /**
   * Orphans that carry the container's marker: re-parented to the agent, or, for a recovered
   * container (whose orphans went to init while no agent ran), to init.
   */
  async function markedOrphans(t: Tracked, table: readonly ProcStat[]): Promise<Set<number>> {
    const marked = new Set<number>();
    const marker = t.record.marker;
    if (marker === undefined) return marked;
    const supervisors = new Set([...containers.values()].map((c) => c.record.supervisorPid));
    for (const p of table) {
      if ((p.ppid !== agentPid && (t.spawnedHere || p.ppid !== 1)) || supervisors.has(p.pid) || hasEnded(p) || isAgentHelper(p.pid)) continue;
      if (markerOfProcess(p) === marker) marked.add(p.pid);
    }
    if (markerOf.size > 4 * table.length + 1024) {
      const live = new Set(table.map((p) => `${p.pid}:${p.startTime}`));
      for (const key of markerOf.keys()) if (!live.has(key)) markerOf.delete(key);
    }
    return marked;
  }

  /** The kernel lists the agent's children (CONFIG_PROC_CHILDREN): a container launched here is found without reading all of /proc. */
  const childrenListed = readChildren(agentPid) !== undefined;

  /**
   * The processes that can belong to a container launched here, read from the kernel's children
   * lists instead of the whole of /proc (a host may run thousands of processes; a `true` task has
   * none left). Why this holds every member: the agent is the child subreaper of everything the
   * container ever forked (the supervisor re-parented to it, and so does every process of the
   * container whose parent dies), so a live process of the container is either below its
   * supervisor or below a child of the agent that is neither the launcher (its subtree: subshells
   * and supervisors being started) nor the supervisor of another container launched here that
   * `finish` has not reaped yet (alive or a zombie, it holds its pid; below it are only that
   * container's processes, and a zombie has none).
   * So the subtrees of the agent's other children, and of this container's supervisor, hold every
   * member; the membership rules (process-tree.ts) then apply to them as to the whole table. A
   * process re-parented to the agent while the subtrees were read (its parent died meanwhile)
   * shows in the next read of the agent's children, and its subtree is read in turn, until a read
   * shows no new child (a few rounds at most; then the whole table is read, as it is for a
   * recovered container, whose orphans went to init, or without a subreaper or children lists).
   * The first list may be the one the previous call read last: what changed since shows in the
   * fresh read after the subtrees. A children list read while that process reaps one of them may
   * skip a sibling (proc(5)'s caveat); the skipped one is found by the SIGKILL rounds once its
   * parent is dead (it is then the agent's child). `wanted`: the containers asked for (their
   * supervisors are read, the other unreaped supervisors are not).
   */
  function subtreeTable(wanted: ReadonlySet<Tracked>): ProcStat[] | undefined {
    // The last list read serves as the first one: a child added since shows in the fresh read that follows.
    let children = lastChildren ?? readChildren(agentPid);
    lastChildren = undefined;
    if (children === undefined) return undefined;
    const others = new Set<number>();
    for (const c of containers.values()) if (!wanted.has(c) && c.spawnedHere && !c.supervisorReleased) others.add(c.record.supervisorPid);
    const launcherPid = launcher?.pid();
    const listed = new Set<number>();
    // The supervisors asked for are read whoever their parent is now: the launcher's subshell lets go of one right after
    // its fork, but on a loaded host the supervisor may get through its whole handshake (and the agent to a kill) first,
    // and below the launcher (not read) its task would not be found.
    const own = [...wanted].filter((c) => !c.supervisorReleased).map((c) => c.record.supervisorPid);
    for (const pid of own) listed.add(pid);
    const table = readSubtrees(own);
    if (table === undefined) return undefined;
    for (let round = 0; round < SUBTREE_ROUNDS; round++) {
      const fresh = children.filter((pid) => !listed.has(pid));
      if (round > 0 && fresh.length === 0) {
        lastChildren = children;
        return table;
      }
      for (const pid of fresh) listed.add(pid);
      const read = readSubtrees(withoutAttributedZombies(fresh.filter((pid) => !others.has(pid) && pid !== launcherPid)));
      if (read === undefined) return undefined;
      table.push(...read);
      const again = readChildren(agentPid);
      if (again === undefined) return undefined;
      children = again;
    }
    return undefined;
  }

  /** The agent's children as last read by `subtreeTable` (a list of a thousand children costs ~0.1 ms to read). */
  let lastChildren: readonly number[] | undefined;
  /** The containers whose processes were asked for in this turn of the event loop: one subtree read serves them all. */
  let asked: { readonly wanted: Set<Tracked>; readonly table: Promise<ProcStat[] | undefined> } | undefined;

  /**
   * `subtreeTable` for the containers asked for in one turn of the event loop together (those that
   * end together, a kill wave): the union of their subtrees, each container's members then picked
   * from it by the rules, as from the whole table. Undefined where the whole table must be read.
   */
  function sharedSubtreeTable(t: Tracked): Promise<ProcStat[] | undefined> {
    if (!t.spawnedHere || !subreaper.ok || !childrenListed) return Promise.resolve(undefined);
    if (asked === undefined) {
      const wanted = new Set<Tracked>();
      const table = new Promise<ProcStat[] | undefined>((resolve) => queueMicrotask(() => {
        asked = undefined;
        try {
          resolve(subtreeTable(wanted));
        } catch (e) {
          // Not expected (every read answers a value); the whole table is the way that always works.
          logger.warn({ error: messageOf(e) }, 'reading containers from the children lists failed; reading the whole process table');
          resolve(undefined);
        }
      }));
      asked = { wanted, table };
    }
    asked.wanted.add(t);
    return asked.table;
  }

  /**
   * Reaps the zombies among these children of the agent that belong to a container (as the SIGCHLD
   * reaper does; orphans killed in a wave pile up between its runs, and every subtree read would
   * read each of them again) and returns the others.
   */
  function withoutAttributedZombies(pids: readonly number[]): number[] {
    let attributed: ((p: ProcStat) => boolean) | undefined;
    const out: number[] = [];
    for (const pid of pids) {
      const s = readStatSync(pid);
      if (s === undefined) continue;
      if (s.state === 'Z' && s.ppid === agentPid) {
        attributed ??= attribution();
        if (attributed(s) && reapChild(pid) !== undefined) continue;
      }
      out.push(pid);
    }
    return out;
  }

  /** Supervisors whose end was handled while they were still the launcher's subshell's zombie (pid → start time): reaped once re-parented to the agent. */
  const lateSupervisors = new Map<number, number>();

  /** The agent's own session: its helpers that libuv spawned without a session of their own are in it, a container's processes never. */
  const agentSession = readStatSync(agentPid)?.session;

  /**
   * Whether a zombie child of the agent is a container's orphan, to reap: by session, process group or an earlier
   * sighting, or because it is in a session that is neither the agent's nor its own. A child the agent spawned itself
   * is in the agent's session or leads its own (libuv's `detached`), and is libuv's to reap; any other child of the
   * agent was re-parented to it, and nobody else will reap it (a daemon's second fork, whose session leader has exited,
   * is found by no other rule once it is a zombie: no environment to read, its session led by a dead process).
   * Supervisors and the agent's registered helpers excluded.
   */
  function attribution(): (p: ProcStat) => boolean {
    const supervisors = new Set<number>();
    const known = new Map<number, number>();
    for (const c of containers.values()) {
      supervisors.add(c.record.supervisorPid);
      for (const [pid, start] of c.known) known.set(pid, start);
    }
    return (p) => !supervisors.has(p.pid) && !isAgentHelper(p.pid) && (
      supervisors.has(p.session) || supervisors.has(p.pgrp) || known.get(p.pid) === p.startTime ||
      (agentSession !== undefined && p.session !== agentSession && p.session !== p.pid)
    );
  }

  async function members(t: Tracked): Promise<ProcStat[]> {
    const table = (await sharedSubtreeTable(t)) ?? (await readProcessTable());
    const marked = await markedOrphans(t, table);
    const found = containerMembers(
      table,
      { supervisorPid: t.record.supervisorPid, supervisorStart: t.record.supervisorStart, known: t.known },
      agentPid,
      (pid) => marked.has(pid),
    );
    for (const p of found) t.known.set(p.pid, p.startTime);
    return found;
  }

  /** Reaps members that ended as children of the agent (orphans re-parented to the subreaper). */
  async function reapOrphans(t: Tracked): Promise<void> {
    for (const [pid, start] of t.known) {
      const s = await readStat(pid);
      if (s === undefined || s.startTime !== start) {
        t.known.delete(pid);
        continue;
      }
      if (s.state === 'Z' && s.ppid === agentPid && reapChild(pid) !== undefined) t.known.delete(pid);
    }
  }

  function signalAll(procs: readonly ProcStat[], signal: NodeJS.Signals): void {
    for (const p of procs) {
      try {
        process.kill(p.pid, signal);
      } catch {
        // Gone already: nothing to signal.
      }
    }
  }

  /** SIGKILL until no live member is left (a member may fork while it is being killed). */
  async function killAll(t: Tracked): Promise<void> {
    for (let round = 0; round < KILL_ROUNDS; round++) {
      // Not `state !== 'Z'`: a task whose main thread exited alone shows Z while its other threads run (hasEnded).
      const live = (await members(t)).filter((p) => !hasEnded(p));
      if (live.length === 0) break;
      signalAll(live, 'SIGKILL');
      await new Promise<void>((r) => timers.setTimeout(r, round === 0 ? 0 : KILL_ROUND_MS));
    }
    await reapOrphans(t);
  }

  /**
   * SIGKILL of the whole container. Under cgroups the cgroup is the container: it is killed
   * (frozen, killed, thawed, until empty) without a /proc walk; the walk remains the fallback
   * should the cgroup kill fail.
   */
  async function killContainer(t: Tracked): Promise<void> {
    // A cgroup that is not there (removed by hand, or a container from an agent that ran without cgroups) holds nothing: the tree is walked.
    if (cgroups !== undefined && t.isolated && cgroups.hierarchy.exists(t.id)) {
      try {
        await cgroups.hierarchy.kill(t.id);
        await reapOrphans(t);
        return;
      } catch (e) {
        logger.warn({ containerId: t.id, error: messageOf(e) }, 'cgroup kill failed; killing the container by its process tree');
      }
    }
    await killAll(t);
  }

  /** An isolator's limit was hit (an OOM kill): remember it and destroy the container; its end reports the limitation. */
  function onLimitation(t: Tracked, l: ContainerLimitation): void {
    if (t.ended || !containers.has(t.id)) return;
    t.limitation ??= l;
    logger.info({ containerId: t.id, reason: l.reason }, 'Container hit a limit; killing it');
    void killContainer(t);
  }

  /**
   * After a SIGCHLD: reaps zombies re-parented to the agent that belong to a container (by session,
   * process group or an earlier sighting). Supervisors are reaped by `finish`, with their container.
   */
  async function reapAttributedZombies(): Promise<void> {
    for (const [pid, start] of lateSupervisors) {
      const s = readStatSync(pid);
      if (s === undefined || s.startTime !== start || (s.state === 'Z' && s.ppid === agentPid && reapChild(pid) !== undefined)) lateSupervisors.delete(pid);
    }
    if (containers.size === 0 && !childrenListed) return;
    const attributed = attribution();
    const supervisors = new Set([...containers.values()].map((c) => c.record.supervisorPid));
    // A zombie to reap is a child of the agent: its children list (the supervisors and the launcher not even read), else the whole table.
    const children = childrenListed ? readChildren(agentPid) : undefined;
    const launcherPid = launcher?.pid();
    const table = children !== undefined
      ? children.filter((pid) => !supervisors.has(pid) && pid !== launcherPid).map(readStatSync).filter((p): p is ProcStat => p !== undefined)
      : await readProcessTable();
    // Live orphans in a session that is not the agent's, by their container's marker: one that leads its session (setsid,
    // daemon(3)) is remembered now (its zombie will show nothing of its container), and a session a marked orphan is in
    // was led by a process of that container (a daemon's first fork, a zombie as soon as it forked).
    const byMarker = new Map<string, Tracked>();
    for (const c of containers.values()) if (c.spawnedHere && !c.ended && c.record.marker !== undefined) byMarker.set(c.record.marker, c);
    const markedSessions = new Set<number>();
    if (byMarker.size > 0) {
      for (const p of table) {
        if (p.ppid !== agentPid || hasEnded(p) || p.session === agentSession || isAgentHelper(p.pid)) continue;
        const owner = byMarker.get(markerOfProcess(p));
        if (owner === undefined) continue;
        markedSessions.add(p.session);
        if (p.session === p.pid) owner.known.set(p.pid, p.startTime);
      }
    }
    for (const p of table) {
      if (p.state !== 'Z' || p.ppid !== agentPid || supervisors.has(p.pid) || p.pid === launcherPid) continue;
      if (attributed(p) || (markedSessions.has(p.pid) && !isAgentHelper(p.pid))) reapChild(p.pid);
    }
  }
  reapers.add(reapAttributedZombies);

  /** Ended when the supervisor is gone, a zombie, or its pid names another process. */
  const supervisorEnded = (t: Tracked, s: ProcStat | undefined): boolean =>
    s === undefined || s.state === 'Z' || (t.record.supervisorStart !== undefined && s.startTime !== t.record.supervisorStart);

  /**
   * After a SIGCHLD, and on the sweep: containers launched here whose supervisor has ended. Reads
   * each supervisor's own /proc entry (synchronous, microseconds), not the whole process table:
   * a host running a thousand tasks has several thousand processes.
   */
  async function finishEndedSupervisors(): Promise<void> {
    for (const t of containers.values()) {
      if (t.spawnedHere && !t.ended && supervisorGone(t)) void finish(t);
    }
  }

  /**
   * The supervisor has ended for certain: its /proc entry is absent (ENOENT/ESRCH, not any error:
   * a read that failed for want of descriptors must not end a live container), a zombie, or
   * another process.
   */
  function supervisorGone(t: Tracked): boolean {
    try {
      const s = parseStat(readFileSync(`/proc/${t.record.supervisorPid}/stat`, 'utf8'));
      return supervisorEnded(t, s);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ESRCH';
    }
  }
  reapers.add(finishEndedSupervisors);
  onSigchld(timers);

  /**
   * While a container launched here runs, a slow sweep backs up SIGCHLD (a signal is no handle:
   * without this nothing would keep the process up for a `wait`, and a lost SIGCHLD is not fatal).
   */
  let sweep: TimerHandle | undefined;
  /** Containers launched here whose end has not been handled yet. */
  let watchedHere = 0;
  function keepSweeping(): void {
    const watched = watchedHere > 0;
    if (watched && sweep === undefined) {
      sweep = timers.setInterval(() => {
        void finishEndedSupervisors();
        // Also sees orphans that left the session while they live (their zombies are attributed by that sighting).
        void reapAttributedZombies();
        keepSweeping();
      }, SUPERVISOR_SWEEP_MS);
    } else if (!watched && sweep !== undefined) {
      timers.clear(sweep);
      sweep = undefined;
    }
  }

  async function finish(t: Tracked): Promise<void> {
    if (t.ended) return;
    t.ended = true;
    if (t.poll !== undefined) timers.clear(t.poll);
    if (t.spawnedHere) watchedHere--;
    keepSweeping();
    // A limit that ended the task (the OOM killer's SIGKILL) is read before the exit status: it wins.
    if (isolator !== undefined && t.isolated && t.limitation === undefined) t.limitation = isolator.limitation(t.id);
    await killContainer(t);
    // The supervisor re-parented to the agent (a subreaper): its zombie is ours to reap. A very short task on a loaded host
    // can end before the launcher's subshell let go of its supervisor: that zombie is reaped once it is the agent's.
    const sup = readStatSync(t.record.supervisorPid);
    if (sup !== undefined && sup.state === 'Z') {
      if (sup.ppid === agentPid) reapChild(sup.pid);
      else if (t.spawnedHere && sup.startTime === t.record.supervisorStart) lateSupervisors.set(sup.pid, sup.startTime);
    }
    t.supervisorReleased = true;
    const text = readRunFileSync(t.runDir, RUN_FILES.exitStatus);
    const termination = text === undefined ? undefined : parseExitStatus(text);
    if (t.limitation !== undefined) return t.resolve(limited(t.limitation));
    t.resolve(termination ?? { kind: 'unknown', message: 'The container ended without recording an exit status' });
  }

  function watchRecovered(t: Tracked): void {
    let busy = false;
    t.poll = timers.setInterval(() => {
      if (busy || t.ended) return;
      busy = true;
      void readStat(t.record.supervisorPid).then(async (s) => {
        if (supervisorEnded(t, s)) await finish(t);
        busy = false;
      });
    }, RECOVERED_POLL_MS);
  }

  /** Containers whose launch is in flight, and those of them a kill asked to abandon. */
  const launching = new Set<ContainerId>();
  const abandoned = new Set<ContainerId>();

  async function launch(spec: LaunchSpec): Promise<LaunchResult> {
    if (containers.has(spec.containerId) || launching.has(spec.containerId)) return { ok: false, message: `Container '${spec.containerId}' already exists` };
    launching.add(spec.containerId);
    try {
      return await launchOne(spec);
    } finally {
      launching.delete(spec.containerId);
      abandoned.delete(spec.containerId);
    }
  }

  async function launchOne(spec: LaunchSpec): Promise<LaunchResult> {
    const request = readContainerRequest(spec.container, spec.resources);
    if (!request.ok) return request;
    if (request.image !== undefined && opts.images === undefined) return { ok: false, message: `containers with images cannot run on this agent: ${opts.imagesUnavailable ?? 'no image support'}` };
    if (request.network.kind === 'bridge' && opts.images?.network === undefined) return { ok: false, message: 'bridge networking is not available on this agent (iptables or ip missing, see its start log)' };
    const { env: envTool, setpriv, setsid, unshare, sh } = await tools;
    if (envTool === undefined) return { ok: false, message: 'env(1) from coreutils is required to launch tasks' };
    if (setsid === undefined) return { ok: false, message: 'setsid(1) from util-linux is required to launch tasks' };

    if (!isDirectory(spec.sandbox)) return { ok: false, message: `Sandbox '${spec.sandbox}' does not exist` };
    if (!isDirectory(spec.runDir)) return { ok: false, message: `Run directory '${spec.runDir}' does not exist` };
    const workingDirectory = spec.workingDirectory ?? spec.sandbox;
    if (workingDirectory !== spec.sandbox && !isDirectory(workingDirectory)) return { ok: false, message: `Working directory '${workingDirectory}' does not exist` };
    if (request.image !== undefined) return launchImage(spec, request.image, request.network, envTool);
    const environment: Record<string, string> = { ...spec.environment };
    if (environment.PATH === undefined) environment.PATH = DEFAULT_PATH;

    let prefix: readonly string[] = [];
    const ns = opts.namespaces;
    if (ns !== undefined && (ns.pidNamespace || ns.filesystemLinux)) {
      const nsTools = ns.tools ?? (unshare !== undefined && sh !== undefined ? { unshare, sh } : undefined);
      if (nsTools === undefined) return { ok: false, message: 'unshare(1) from util-linux is required by namespaces/pid and filesystem/linux' };
      const wrap = nativeNamespacesWrap(ns, {
        sandbox: spec.sandbox, volumes: spec.container?.volumes ?? [], tools: nsTools,
        ...(ns.allowedHostPaths !== undefined ? { allowedHostPaths: ns.allowedHostPaths } : {}),
      });
      if (!wrap.ok) return wrap;
      prefix = wrap.prefix;
    } else if ((spec.container?.volumes ?? []).length > 0) {
      return { ok: false, message: 'container.volumes: volumes need the filesystem/linux isolator (--isolation=...,filesystem/linux) or a container image' };
    }

    let asUser: string[] = [];
    if (spec.user !== undefined) {
      const user = await userEntry(spec.user);
      if (user === undefined) return { ok: false, message: `Failed to launch as user '${spec.user}': no such user` };
      if (user.uid !== process.getuid?.()) {
        if (setpriv === undefined) return { ok: false, message: `Cannot run as user '${spec.user}': setpriv(1) from util-linux is missing` };
        asUser = [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups'];
        // The task writes its sandbox and output files as that user (Mesos chowns the sandbox too).
        const owned = await giveSandbox(spec.sandbox, user.uid, user.gid);
        if (!owned.ok) return { ok: false, message: `Cannot hand the sandbox to user '${spec.user}': ${owned.message}` };
      }
    }

    let argv: string[];
    if (spec.command.shell) {
      argv = ['/bin/sh', '-c', spec.command.value];
    } else {
      const resolved = await resolveCommand(spec.command.value, environment.PATH, workingDirectory);
      if (!resolved.ok) return resolved;
      argv = [resolved.path, ...spec.command.arguments.slice(1)];
    }

    const prepared = await prepareIsolators(spec);
    if (!prepared.ok) return prepared;
    const join = cgroups !== undefined && isolator !== undefined ? cgroupJoinScript(cgroups.procsFiles(spec.containerId)) : undefined;
    return start(spec, taskScript({ workingDirectory, sandbox: spec.sandbox, environment, envTool, asUser, argv, join, prefix }), {});
  }

  /** The isolators take the container (cgroups made) before its process exists; the first launch after a start recovers them first. */
  async function prepareIsolators(spec: LaunchSpec): Promise<{ ok: true } | { ok: false; message: string }> {
    await (recoveredOnce ??= recoverAll([]));
    if (isolator === undefined) return { ok: true };
    try {
      await isolator.prepare({ containerId: spec.containerId, resources: spec.resources });
      return { ok: true };
    } catch (e) {
      return { ok: false, message: `Failed to prepare the isolators: ${messageOf(e)}` };
    }
  }

  async function unprepareIsolators(id: ContainerId): Promise<void> {
    if (isolator === undefined) return;
    await isolator.cleanup(id).catch((e: unknown) => {
      logger.warn({ containerId: id, error: messageOf(e) }, 'isolator cleanup after a failed launch failed');
    });
  }

  /**
   * A container with an image: provisioned (image, network, OCI bundle) after the isolators made
   * its cgroup; the supervisor's task process execs `runc run`, which puts the container's init into
   * that cgroup itself (no join script: runc stays outside, as the supervisor does).
   */
  async function launchImage(spec: LaunchSpec, image: ImageRequest, network: NetworkRequest, envTool: string): Promise<LaunchResult> {
    const support = opts.images!;
    const prepared = await prepareIsolators(spec);
    if (!prepared.ok) return prepared;
    const provisioned = await provisionImageContainer(spec, image, network, support, () => abandoned.has(spec.containerId)).catch((e: unknown) => ({ ok: false as const, message: messageOf(e) }));
    if (!provisioned.ok || abandoned.has(spec.containerId)) {
      if (provisioned.ok) await releaseImageContainer(spec.containerId, spec.runDir, support, provisioned.bridge);
      await unprepareIsolators(spec.containerId);
      return provisioned.ok ? { ok: false, message: ABANDONED } : provisioned;
    }
    const script = taskScript({ workingDirectory: spec.sandbox, sandbox: spec.sandbox, environment: { PATH: DEFAULT_PATH }, envTool, asUser: [], argv: provisioned.exec });
    const launched = await start(spec, script, { runtime: 'oci', ...(provisioned.bridge ? { bridge: true } : {}), ...(provisioned.ip !== undefined ? { ip: provisioned.ip } : {}) });
    if (!launched.ok) return launched;
    const init = await containerInit(spec, provisioned.pidFile);
    const networkInfos = provisioned.ip !== undefined ? [bridgeNetworkInfo(provisioned.ip, network)] : undefined;
    if (init.ok && networkInfos !== undefined) {
      // Kept in the record, so that a recovered container still reports its network.
      const t = containers.get(spec.containerId);
      if (t !== undefined) {
        t.record = { ...t.record, networkInfos };
        writeRunFileAtomic(spec.runDir, RUN_FILES.container, JSON.stringify(t.record));
      }
    }
    if (init.ok && abandoned.has(spec.containerId)) {
      const t = containers.get(spec.containerId);
      if (t !== undefined) {
        await killContainer(t);
        await t.termination;
      }
      await cleanupContainer(spec.containerId);
      return { ok: false, message: ABANDONED };
    }
    if (!init.ok || networkInfos === undefined) return init;
    return { ...init, networkInfos };
  }

  /**
   * The launch of a container with an image is done once its init exists (the runtime's pid file),
   * not when `runc run` was started: TASK_RUNNING means the task's process runs. A runtime that
   * ends first failed to create the container: the launch fails with what it said, and the
   * container is cleaned up here (the agent does not wait for a container whose launch failed).
   */
  async function containerInit(spec: LaunchSpec, pidFile: string): Promise<LaunchResult> {
    const t = containers.get(spec.containerId);
    if (t === undefined) return { ok: false, message: 'the container went away during its launch' };
    for (let waited = 0, round = 0; ; round++) {
      const pid = existsSync(pidFile) ? Number(readFileIfThere(pidFile)?.trim() || Number.NaN) : Number.NaN;
      if (Number.isInteger(pid) && pid > 0) return { ok: true, pid };
      if (t.ended || waited > HANDSHAKE_TIMEOUT_MS) {
        if (!t.ended) {
          // A runtime stuck before its init joined the cgroup is not in it: the tree walk finds it.
          await killContainer(t);
          await killAll(t);
        }
        const termination = await t.termination;
        const said = (readFileIfThere(join(spec.sandbox, 'stderr')) ?? '').trim().split('\n').slice(-3).join(' ').trim();
        await cleanupContainer(spec.containerId);
        if (abandoned.has(spec.containerId)) return { ok: false, message: ABANDONED };
        return { ok: false, message: `The OCI runtime did not start the container: ${said !== '' ? said : termination.message}` };
      }
      // The runtime takes tens of milliseconds: polled often at first (a stat is a few microseconds), then less.
      const pause = round < 50 ? CONTAINER_INIT_POLL_MS : 25;
      await new Promise<void>((r) => timers.setTimeout(r, pause));
      waited += pause;
    }
  }

  /** task.sh written, the supervisor started through the launcher, the container tracked and watched. Undoes the preparation on failure. */
  async function start(spec: LaunchSpec, script: string, extra: Pick<ContainerRecord, 'runtime' | 'bridge' | 'ip'>): Promise<LaunchResult> {
    const undo = async (): Promise<void> => {
      if (extra.runtime === 'oci' && opts.images !== undefined) await releaseImageContainer(spec.containerId, spec.runDir, opts.images, extra.bridge === true);
      await unprepareIsolators(spec.containerId);
    };
    let started: Awaited<ReturnType<Launcher['start']>>;
    try {
      writeTaskScript(spec.runDir, script);
      launcher ??= createLauncher({ supervisorPath: SUPERVISOR_PATH, timers, logger, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS });
      started = await launcher.start(spec.runDir);
    } catch (e) {
      await undo();
      throw e;
    }
    if (!started.ok) {
      await undo();
      const log = (await readRunFile(spec.runDir, RUN_FILES.supervisorLog)) ?? '';
      return { ok: false, message: `Failed to start the task supervisor: ${log.trim() === '' ? started.message : log.trim()}` };
    }
    const { supervisorPid, taskPid: handshake } = started;

    const supStat = readStatSync(supervisorPid);
    const taskStat = readStatSync(handshake);
    const marker = spec.environment.MESOS_SANDBOX !== undefined ? `MESOS_SANDBOX=${spec.environment.MESOS_SANDBOX}` : undefined;
    const cpus = spec.resources.scalar('cpus');
    const mem = spec.resources.scalar('mem');
    const record: ContainerRecord = {
      supervisorPid,
      supervisorStart: supStat?.startTime,
      taskPid: handshake,
      taskStart: taskStat?.startTime,
      marker,
      cpusLimit: cpus > 0 ? cpus : undefined,
      memLimitBytes: mem > 0 ? Math.round(mem * 1024 * 1024) : undefined,
      ...extra,
    };
    const t = track(spec.containerId, spec.runDir, record, true);
    if (isolator !== undefined) {
      t.isolated = true;
      // The task's subshell joined its cgroups itself before it exec'd; this repeats the move (harmless) and names the pid to posix isolators.
      // Not for `runc run`: it stays outside (its heap is not the task's); runc puts the container's init in the cgroup.
      if (extra.runtime !== 'oci') {
        await isolator.isolate(spec.containerId, handshake).catch((e: unknown) => {
          logger.warn({ containerId: spec.containerId, error: messageOf(e) }, 'isolate of the task process failed');
        });
      }
      void isolator.watch(spec.containerId).then((l) => onLimitation(t, l));
    }
    // The record is on disk before the end can be handled, so that a cleanup after `wait` leaves no record behind.
    writeRunFileAtomic(spec.runDir, RUN_FILES.container, JSON.stringify(record));
    // Its exit shows on SIGCHLD once it re-parented to us; it may have ended already, and without a subreaper there is no SIGCHLD.
    watchedHere++;
    keepSweeping();
    if (supervisorGone(t)) void finish(t);
    else if (!subreaper.ok) watchRecovered(t);
    logger.info({ containerId: spec.containerId, supervisorPid, taskPid: handshake }, 'Launched container');
    return { ok: true, pid: handshake };
  }

  async function recoverOne(c: RecoverableContainer): Promise<'running' | Termination> {
    const tracked = containers.get(c.containerId);
    if (tracked !== undefined) return tracked.ended ? tracked.termination : 'running';
    const fromRecord = parseContainerRecord((await readRunFile(c.runDir, RUN_FILES.container)) ?? '');
    const pids = fromRecord ?? parsePids((await readRunFile(c.runDir, RUN_FILES.pids)) ?? '');
    const statusText = await readRunFile(c.runDir, RUN_FILES.exitStatus);
    if (pids === undefined) {
      // Reported ended: so nothing may start here any more. A launcher that outlived its agent (one started by an agent
      // before 2026-11-23, without the parent-death signal, reads on the requests left in its pipe) would start the task
      // after this answer, untracked. The claims are taken (the launcher's supervisor.log, an older supervisor's `claim`).
      if (statusText === undefined) claimRunDir(c.runDir);
      return statusText !== undefined ? (parseExitStatus(statusText) ?? { kind: 'unknown', message: 'Malformed exit status' }) : { kind: 'unknown', message: 'No record of the container\'s processes' };
    }
    const record: ContainerRecord = fromRecord ?? pids;
    const t = track(c.containerId, c.runDir, record, false);
    // Under cgroups, only a container that has its cgroup (one launched by an agent that ran with cgroups) is the isolators'.
    t.isolated = isolator !== undefined && (cgroups === undefined || cgroups.hierarchy.exists(c.containerId));
    const sup = readStatSync(record.supervisorPid);
    // Without a start time (the agent died before container.json), only the supervisor of this very run directory is ours:
    // any supervisor's command line names supervisor.sh (another agent's on this host too), and a pid is reused.
    const ours = sup !== undefined && (record.supervisorStart !== undefined ? sup.startTime === record.supervisorStart : isSupervisorOf(record.supervisorPid, c.runDir));
    if (sup !== undefined && !ours && record.supervisorStart === undefined) {
      // The pid names another process now: neither its descendants nor its session are this container's (the end's sweep
      // would otherwise kill them, the rules taking an unknown start time for a match).
      t.record = { ...record, supervisorStart: NOT_A_START_TIME };
    }
    const alive = ours && sup.state !== 'Z';
    if (alive) {
      watchRecovered(t);
      if (isolator !== undefined) void isolator.watch(c.containerId).then((l) => onLimitation(t, l));
      return 'running';
    }
    await finish(t);
    return t.termination;
  }

  /**
   * The isolators take back the containers the agent knows (from their records: the cpus and mem
   * they were given) and destroy every other container of theirs (orphan cgroups), once, before
   * the containers are watched again. A failure is logged: the tasks are still recovered.
   */
  async function recoverIsolators(list: readonly RecoverableContainer[]): Promise<void> {
    if (isolator === undefined) return;
    const known: IsolatedContainer[] = [];
    for (const c of list) {
      // A container without a record of its processes is reported ended at once and never tracked: its cgroup is an orphan.
      const record: ContainerRecord | undefined = parseContainerRecord((await readRunFile(c.runDir, RUN_FILES.container)) ?? '') ?? parsePids((await readRunFile(c.runDir, RUN_FILES.pids)) ?? '');
      if (record !== undefined) known.push({ containerId: c.containerId, resources: recordResources(record) });
    }
    await isolator.recover(known).then(
      (r) => {
        if (r.orphans.length > 0) logger.info({ orphans: r.orphans }, 'Destroyed containers the agent does not know');
      },
      (e: unknown) => logger.error({ error: messageOf(e) }, 'the isolators failed to recover'),
    );
  }

  /** The OCI runtime and the bridge keep the containers still running and remove every other one of theirs (a failure is logged). */
  async function recoverRuntimes(running: ReadonlySet<ContainerId>): Promise<void> {
    const images = opts.images;
    if (images === undefined) return;
    await images.runtime.recover(running).then(
      (removed) => {
        if (removed.length > 0) logger.info({ removed }, 'Deleted OCI containers the agent does not run');
      },
      (e: unknown) => logger.error({ error: messageOf(e) }, 'the OCI runtime failed to recover'),
    );
    await images.network?.recover(running).then(
      (removed) => {
        if (removed.length > 0) logger.info({ removed }, 'Removed container networks the agent does not run');
      },
      (e: unknown) => logger.error({ error: messageOf(e) }, 'the container network failed to recover'),
    );
  }

  /** With no container known (a first start, or checkpoints without containers): whatever the isolators, runtime and bridge hold is an orphan. */
  async function recoverAll(list: readonly RecoverableContainer[]): Promise<void> {
    await recoverIsolators(list);
    await recoverRuntimes(new Set());
  }

  return {
    launch,
    wait: (id) => containers.get(id)?.termination ?? Promise.resolve(unknownContainer(id)),
    async kill(id, signal) {
      const t = containers.get(id);
      // A launch in flight is abandoned at its next step (a pull or a runtime start can take long).
      if (launching.has(id) && (t === undefined || t.record.runtime === 'oci')) abandoned.add(id);
      if (t === undefined) return;
      if (signal === 'SIGKILL') return killContainer(t);
      if (cgroups !== undefined && t.isolated && cgroups.hierarchy.exists(id)) {
        for (const pid of cgroups.hierarchy.pids(id)) {
          try {
            process.kill(pid, signal);
          } catch {
            // Gone already.
          }
        }
        return;
      }
      signalAll(await members(t), signal);
    },
    async recover(list) {
      const run = (async () => {
        await recoverIsolators(list);
        const out = new Map<ContainerId, 'running' | Termination>();
        for (const c of list) out.set(c.containerId, await recoverOne(c));
        await recoverRuntimes(new Set([...out].filter(([, r]) => r === 'running').map(([id]) => id)));
        return out;
      })();
      recoveredOnce = run.then(() => undefined, () => undefined);
      return run;
    },
    update(id, resources) {
      // One at a time per container, in the order asked: the last one asked is what stays.
      const previous = updating.get(id) ?? Promise.resolve();
      const next = previous.then(async () => {
        const t = containers.get(id);
        if (t === undefined || t.ended) return;
        if (isolator !== undefined && t.isolated) await isolator.update(id, resources);
        const cpus = resources.scalar('cpus');
        const mem = resources.scalar('mem');
        // The record carries the limits that usage reports and that a recovery re-applies: written once they apply.
        t.record = { ...t.record, cpusLimit: cpus > 0 ? cpus : undefined, memLimitBytes: mem > 0 ? Math.round(mem * 1024 * 1024) : undefined };
        writeRunFileAtomic(t.runDir, RUN_FILES.container, JSON.stringify(t.record));
      });
      const settled = next.catch(() => undefined);
      updating.set(id, settled);
      void settled.then(() => {
        if (updating.get(id) === settled) updating.delete(id);
      });
      return next;
    },
    async usage(id) {
      const t = containers.get(id);
      if (t === undefined || t.ended) return undefined;
      if (isolator !== undefined && t.isolated) {
        // From the isolators (the cgroup's own counters under cgroups), over the limits the record holds.
        const measured = await isolator.usage(id).catch(() => undefined);
        if (measured !== undefined) {
          const { cpusLimit, memLimitBytes } = t.record;
          return {
            ...(cpusLimit !== undefined ? { cpus_limit: cpusLimit } : {}),
            ...(memLimitBytes !== undefined ? { mem_limit_bytes: memLimitBytes } : {}),
            ...measured,
            timestamp: clock.now() / 1000,
          };
        }
      }
      const procs = (await members(t)).filter((p) => !hasEnded(p));
      return usageOf(procs, clock.now(), t.record);
    },
    networkInfos(id) {
      const t = containers.get(id);
      return t === undefined || t.ended ? undefined : t.record.networkInfos;
    },
    execIn(id) {
      const t = containers.get(id);
      if (t === undefined || t.ended || t.record.runtime !== 'oci') return undefined;
      return opts.images?.runtime.execWords?.(id);
    },
    cleanup: cleanupContainer,
  };

  async function cleanupContainer(id: ContainerId): Promise<void> {
    const t = containers.get(id);
    if (t === undefined) return;
    if (t.poll !== undefined) timers.clear(t.poll);
    containers.delete(id);
    // The run files (task.sh, pids, container.json, ...) stay until the sandbox GC removes the run's meta directory whole,
    // as Mesos keeps a run's meta directory: no unlink per task. task.sh holds nothing task.info beside it does not
    // (the command and its environment; SECRET variables are not supported).
    // A container whose record was not written yet when the agent died is known by its bundle; detach is idempotent, so a record without `bridge` still detaches.
    if ((t.record.runtime === 'oci' || existsSync(join(t.runDir, 'bundle'))) && opts.images !== undefined) {
      const errors = await releaseImageContainer(id, t.runDir, opts.images, true);
      for (const error of errors) logger.warn({ containerId: id, error }, 'container cleanup failed');
    }
    // Last, so that a failure (reported to the caller) leaves the runtime files handled: no cgroup is left behind.
    if (isolator !== undefined && t.isolated) await isolator.cleanup(id);
  }
}

/** What Mesos reports of a container on a bridge: its address and port mappings (NetworkInfo). */
function bridgeNetworkInfo(ip: string, network: NetworkRequest): mesos.v1.NetworkInfo {
  return {
    name: 'mesos-bridge',
    ip_addresses: [{ protocol: 'IPv4', ip_address: ip }],
    ...(network.kind === 'bridge' && network.portMappings.length > 0
      ? { port_mappings: network.portMappings.map((m) => ({ host_port: m.hostPort, container_port: m.containerPort, protocol: m.protocol })) }
      : {}),
  };
}

/** Takes a run directory's claims (O_EXCL), so that no supervisor, of this agent's launcher or an older one's, starts there later. */
function claimRunDir(runDir: string): void {
  for (const name of [CLAIM_FILE, LEGACY_CLAIM_FILE]) {
    try {
      closeSync(openSync(join(runDir, name), 'wx', 0o600));
    } catch {
      // Taken already (a supervisor was started, and its record will tell), or no run directory: nothing can start there.
    }
  }
}

/** A start time no process has (they count clock ticks since boot): the record's pid is known to name another process. */
const NOT_A_START_TIME = -1;

/** Whether `pid` runs supervisor.sh for `runDir` (its argv: /bin/sh SUPERVISOR_PATH RUN_DIR ...; the same directory by device and inode). */
function isSupervisorOf(pid: number, runDir: string): boolean {
  const argv = (readFileIfThere(`/proc/${pid}/cmdline`) ?? '').split('\0');
  if (argv[1] !== SUPERVISOR_PATH || argv[2] === undefined || argv[2] === '') return false;
  try {
    const named = statSync(argv[2]);
    const dir = statSync(runDir);
    return named.ino === dir.ino && named.dev === dir.dev;
  } catch {
    return false;
  }
}

function readFileIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * task.sh, written in place: the supervisor reads it only after the launcher got the request, and
 * the request goes only once this write returned, so no reader sees it half-written (an agent that
 * dies mid-write sends no request, and its successor claims the run directory). No temporary name
 * and rename (a rename less per task) and no fsync: it only matters until the supervisor has read
 * it, and a crash before that loses the launch anyway. Synchronous: a small page-cache write costs
 * less than a round trip through the thread pool.
 */
function writeTaskScript(runDir: string, text: string): void {
  writeFileSync(join(runDir, TASK_SCRIPT), text, { mode: 0o600 });
}

/** Chowns the sandbox directory and its stdout and stderr (created when absent) to the task's user. */
async function giveSandbox(sandbox: string, uid: number, gid: number): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    await chown(sandbox, uid, gid);
    for (const name of ['stdout', 'stderr']) {
      const fh = await open(join(sandbox, name), 'a');
      try {
        await fh.chown(uid, gid);
      } finally {
        await fh.close();
      }
    }
    return { ok: true };
  } catch (cause) {
    return { ok: false, message: (cause as Error).message };
  }
}

/** Mesos ResourceStatistics of a set of processes (pure). */
export function usageOf(procs: readonly ProcStat[], now: number, limits: { readonly cpusLimit?: number; readonly memLimitBytes?: number } = {}): mesos.v1.ResourceStatistics {
  let utime = 0;
  let stime = 0;
  let rss = 0;
  let threads = 0;
  for (const p of procs) {
    utime += p.utime;
    stime += p.stime;
    rss += p.rss;
    threads += p.threads;
  }
  const stats: mesos.v1.ResourceStatistics = {
    timestamp: now / 1000,
    processes: procs.length,
    threads,
    cpus_user_time_secs: utime / CLOCK_TICKS,
    cpus_system_time_secs: stime / CLOCK_TICKS,
    mem_rss_bytes: rss * PAGE_SIZE,
  };
  if (limits.cpusLimit !== undefined) stats.cpus_limit = limits.cpusLimit;
  if (limits.memLimitBytes !== undefined) stats.mem_limit_bytes = limits.memLimitBytes;
  return stats;
}
