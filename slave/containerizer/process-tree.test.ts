/**
 * Container membership (process-tree.ts) over hand-built process tables, and invariants over
 * random ones: the supervisor is never a member, membership is closed under children, and
 * processes of other sessions with no link to the container stay out.
 */
import test from 'ava';
import fc from 'fast-check';
import type { ProcStat } from './proc-stat.ts';
import { containerMembers } from './process-tree.ts';

const AGENT = 50;
const SUP = 100;

function proc(pid: number, ppid: number, session: number, startTime = 1000 + pid, pgrp = session): ProcStat {
  return { pid, comm: 'p', state: 'S', ppid, pgrp, session, utime: 0, stime: 0, threads: 1, startTime, rss: 0 };
}

const base: ProcStat[] = [
  proc(1, 0, 1),
  proc(AGENT, 1, 50),
  proc(SUP, AGENT, SUP, 7),
  proc(101, SUP, SUP), // the task
  proc(102, 101, SUP), // its child
  proc(103, 101, 103), // a grandchild that called setsid, parent still alive
  proc(104, 103, 103), // its child
  proc(200, AGENT, 200), // another container's supervisor
  proc(201, 200, 200),
  proc(300, 1, 300), // an unrelated daemon
];

const cases: Array<[string, ProcStat[], { supervisorStart?: number; known?: Array<[number, number]>; marked?: number[] }, number[]]> = [
  ['task, child, setsid grandchild and its child', base, { supervisorStart: 7 }, [101, 102, 103, 104]],
  [
    'parent died: the session keeps the child, the setsid orphan is found by an earlier sighting',
    [proc(1, 0, 1), proc(AGENT, 1, 50), proc(SUP, AGENT, SUP, 7), proc(102, AGENT, SUP), proc(103, AGENT, 103), proc(300, 1, 300)],
    { supervisorStart: 7, known: [[103, 1103]] },
    [102, 103],
  ],
  [
    'a known pid with another start time is a reused pid, not ours',
    [proc(1, 0, 1), proc(AGENT, 1, 50), proc(SUP, AGENT, SUP, 7), proc(103, AGENT, 103, 5)],
    { supervisorStart: 7, known: [[103, 1103]] },
    [],
  ],
  [
    'supervisor gone: its session still names the container',
    [proc(1, 0, 1), proc(AGENT, 1, 50), proc(102, 1, SUP), proc(300, 1, 300)],
    { supervisorStart: 7 },
    [102],
  ],
  [
    'supervisor pid reused by another session leader: its session is not ours',
    [proc(1, 0, 1), proc(SUP, 1, SUP, 99), proc(102, SUP, SUP)],
    { supervisorStart: 7 },
    [],
  ],
  [
    'a marked orphan re-parented to the agent, and its children',
    [proc(1, 0, 1), proc(AGENT, 1, 50), proc(SUP, AGENT, SUP, 7), proc(400, AGENT, 400), proc(401, 400, 400), proc(500, AGENT, 500)],
    { supervisorStart: 7, marked: [400] },
    [400, 401],
  ],
  ['a process group of the supervisor in another session', [proc(1, 0, 1), proc(SUP, AGENT, SUP, 7), proc(600, 1, 600, 1, SUP)], { supervisorStart: 7 }, [600]],
];

for (const [name, table, roots, expected] of cases) {
  test(`members: ${name}`, (t) => {
    const marked = new Set(roots.marked ?? []);
    const got = containerMembers(table, { supervisorPid: SUP, supervisorStart: roots.supervisorStart, known: new Map(roots.known ?? []) }, AGENT, (pid) => marked.has(pid));
    t.deepEqual(
      got.map((p) => p.pid).sort((a, b) => a - b),
      expected,
    );
  });
}

const tableArb = fc
  .array(fc.record({ parent: fc.nat(30), ownSession: fc.boolean() }), { minLength: 1, maxLength: 30 })
  .map((rows) => {
    // pid = 1000 + index; parents point to earlier rows (a forest), some rows hang off the supervisor.
    const table: ProcStat[] = [proc(SUP, AGENT, SUP, 7)];
    rows.forEach((r, i) => {
      const pid = 1000 + i;
      const ppid = i === 0 || r.parent % (i + 1) === i ? (r.parent % 2 === 0 ? SUP : 1) : 1000 + (r.parent % i);
      const parent = table.find((p) => p.pid === ppid);
      const session = r.ownSession ? pid : (parent?.session ?? 1);
      table.push(proc(pid, ppid, session));
    });
    return table;
  });

test('property: the supervisor is never a member, members are closed under children, unlinked processes stay out', (t) => {
  fc.assert(
    fc.property(tableArb, (table) => {
      const members = containerMembers(table, { supervisorPid: SUP, supervisorStart: 7, known: new Map() }, AGENT);
      const ids = new Set(members.map((p) => p.pid));
      if (ids.has(SUP)) return false;
      for (const p of table) if (ids.has(p.ppid) && !ids.has(p.pid)) return false;
      // A member descends from the supervisor, or from a process in its session or process group.
      const byPid = new Map(table.map((p) => [p.pid, p]));
      for (const p of members) {
        let q: ProcStat | undefined = p;
        let linked = false;
        while (q !== undefined && !linked) {
          linked = q.ppid === SUP || q.session === SUP || q.pgrp === SUP;
          q = byPid.get(q.ppid);
        }
        if (!linked) return false;
      }
      return true;
    }),
  );
  t.pass();
});
