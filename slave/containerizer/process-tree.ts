/**
 * Which processes belong to a container: the pure rule the kill, usage and reaping of the POSIX
 * containerizer share. A container is rooted at its supervisor (a session leader: the
 * containerizer spawns it with setsid), and a process is a member when
 *   - its parent chain reaches the supervisor (the task and everything it forked), or
 *   - its session or process group is the supervisor's (a descendant whose parent died and that
 *     did not leave the session), unless the supervisor's pid now names another process, or
 *   - it was seen as a member before (pid and start time recorded in `known`: a descendant that
 *     called setsid and was orphaned, re-parented to the agent as child subreaper), or
 *   - it is an orphan re-parented to the agent and `marked` (its environment carries the
 *     container's marker), or
 *   - its parent chain reaches any member above.
 * The supervisor itself is never a member: it must live to record the exit status.
 */
import type { ProcStat } from './proc-stat.ts';

export interface ContainerRoots {
  readonly supervisorPid: number;
  /** The supervisor's start time when known (checkpointed); used to tell a reused pid. */
  readonly supervisorStart?: number;
  /** pid → start time of processes seen as members before. */
  readonly known: ReadonlyMap<number, number>;
}

/**
 * Members of the container among `table`. `agentPid` is the subreaper; `marked(pid)` says whether
 * an orphan re-parented to the agent carries the container's marker.
 */
export function containerMembers(table: readonly ProcStat[], roots: ContainerRoots, agentPid: number, marked: (pid: number) => boolean = () => false): ProcStat[] {
  const byPid = new Map<number, ProcStat>();
  const children = new Map<number, ProcStat[]>();
  for (const p of table) {
    byPid.set(p.pid, p);
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p]);
    else list.push(p);
  }
  const sup = roots.supervisorPid;
  const supNow = byPid.get(sup);
  const supervisorIsOurs = supNow !== undefined && (roots.supervisorStart === undefined || supNow.startTime === roots.supervisorStart);
  const sessionIsOurs = supNow === undefined || supervisorIsOurs;

  const members = new Map<number, ProcStat>();
  const seeds: ProcStat[] = [];
  for (const p of table) {
    if (p.pid === sup) continue;
    const bySession = sessionIsOurs && (p.session === sup || p.pgrp === sup);
    const byKnown = roots.known.get(p.pid) === p.startTime;
    const byMarker = p.ppid === agentPid && marked(p.pid);
    if (bySession || byKnown || byMarker) seeds.push(p);
  }
  if (supervisorIsOurs) seeds.push(...(children.get(sup) ?? []));
  const stack = [...seeds];
  while (stack.length > 0) {
    const p = stack.pop() as ProcStat;
    if (p.pid === sup || members.has(p.pid)) continue;
    members.set(p.pid, p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return [...members.values()];
}
