/**
 * The coalescing process-table reader: concurrent callers share one scan that started after they
 * asked, and a caller never gets a scan that started before its call.
 */
import test from 'ava';
import type { ProcStat } from './proc-stat.ts';
import { createTableReader, readProcessTable } from './proc-stat.ts';

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
