/**
 * The coalescing process-table reader: concurrent callers share one scan that started after they
 * asked, and a caller never gets a scan that started before its call.
 */
import test from 'ava';
import type { ProcStat } from './proc-stat.ts';
import { createTableReader, hasEnded, parseStat, readChildren, readProcessTable, readSubtrees } from './proc-stat.ts';

test('concurrent reads share scans; each gets a scan that started after it asked', async (t) => {
  const started: number[] = [];
  const finishers: Array<() => void> = [];
  let scans = 0;
  const read = createTableReader(() => {
    const n = ++scans;
    started.push(n);
    return new Promise<ProcStat[]>((resolve) => finishers.push(() => resolve([{ pid: n } as ProcStat])));
  });
  const a = read(); // starts scan 1
  const b = read(); // scan 1 began before b: b waits for scan 2
  const c = read(); // shares scan 2 with b
  t.is(scans, 1);
  finishers[0]();
  t.deepEqual((await a).map((p) => p.pid), [1]);
  await new Promise((r) => setImmediate(r));
  t.is(scans, 2);
  const d = read(); // scan 2 is running: d waits for scan 3
  finishers[1]();
  t.deepEqual([(await b)[0].pid, (await c)[0].pid], [2, 2]);
  await new Promise((r) => setImmediate(r));
  t.is(scans, 3);
  finishers[2]();
  t.is((await d)[0].pid, 3);
  t.deepEqual(started, [1, 2, 3]);
});

test('the real table holds this process with its parent', async (t) => {
  const me = (await readProcessTable()).find((p) => p.pid === process.pid);
  t.is(me?.ppid, process.ppid);
  t.true((me?.threads ?? 0) >= 1);
});

test('readSubtrees: a shell and its two children, from the children lists; a process that is gone is left out', async (t) => {
  const { spawn } = await import('node:child_process');
  const child = spawn('/bin/sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
  t.teardown(() => {
    for (const p of readSubtrees([child.pid!]) ?? []) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
  let tree: ProcStat[] | undefined = [];
  // Until both children exec'd sleep: a forked child is still `sh` until its exec (seen on a loaded host).
  while ((tree ?? []).filter((p) => p.comm === 'sleep').length < 2) {
    await new Promise((r) => setTimeout(r, 10));
    tree = readSubtrees([child.pid!]);
  }
  t.deepEqual(tree!.map((p) => p.comm).sort(), ['sh', 'sleep', 'sleep']);
  t.true(tree!.filter((p) => p.comm === 'sleep').every((p) => p.ppid === child.pid));
  t.deepEqual(readChildren(child.pid!)?.sort(), tree!.filter((p) => p.comm === 'sleep').map((p) => p.pid).sort());
  t.deepEqual(readSubtrees([2 ** 22 + 1]), [], 'no such process');
});

test('hasEnded: a zombie with no thread left has ended; one whose main thread exited while others run has not', (t) => {
  const stat = (state: string, threads: number) => parseStat(`42 (python3) ${state} 1 42 42 0 -1 4227084 0 0 0 0 1 1 0 0 20 0 ${threads} 0 312930 0 0`)!;
  t.true(hasEnded(stat('Z', 1))); // a real zombie (threads 1, as /proc shows it)
  t.false(hasEnded(stat('Z', 2))); // main thread gone, a second thread alive: ps says defunct, it runs
  t.false(hasEnded(stat('S', 1)));
  t.true(hasEnded(stat('X', 0)));
});
