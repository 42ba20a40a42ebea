import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oomKillCount, v1SignalMeansOom, watchOomV1, watchOomV2 } from './oom.ts';

function dir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'maestro-oom-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a v1 eventfd signal is an OOM when the counter says so, or (old kernels without the counter) while the cgroup exists', (t) => {
  t.true(v1SignalMeansOom(1, true));
  t.false(v1SignalMeansOom(0, true), 'a signal without a kill: the cgroup went away or an OOM without a kill');
  t.false(v1SignalMeansOom(0, false));
  t.true(v1SignalMeansOom(undefined, true));
  t.false(v1SignalMeansOom(undefined, false), 'the signal of the cgroup removal');
});

test('v1 registration writes "<eventfd> <oom_control fd>" to cgroup.event_control; a counter already above zero is reported', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  const w = watchOomV1(d);
  t.is(w.mechanism, 'eventfd');
  t.regex(readFileSync(join(d, 'cgroup.event_control'), 'utf8'), /^\d+ \d+$/);
  t.true(w.poll(), 'an OOM kill that no agent saw (recovery) is reported');
  w.close();
  w.close();
  t.is(oomKillCount(1, d), 2);
});

test('v1: without an event the eventfd read is EAGAIN and poll stays false', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
  const w = watchOomV1(d);
  t.false(w.poll());
  writeFileSync(join(d, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
  t.false(w.poll(), 'no eventfd signal, so the counter is not read (the real kernel signals; see test/isolators-cgroups.test.ts)');
  t.true(w.poll(true), 'a forced check reads the counter');
  w.close();
});

test('v1: the kernel signals when an OOM begins, before the kill; polls after the signal read the counter until the kill shows', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 1\noom_kill 0\n');
  const w = watchOomV1(d);
  // Play the kernel: signal the registered eventfd (its number is the first field of the registration).
  const efd = Number(readFileSync(join(d, 'cgroup.event_control'), 'utf8').split(' ')[0]);
  const one = Buffer.alloc(8);
  one.writeBigUInt64LE(1n);
  writeSync(efd, one);
  t.false(w.poll(), 'signalled, but nothing killed yet');
  writeFileSync(join(d, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
  t.true(w.poll(), 'no second signal is needed');
  w.close();
});

test('v1: a memory cgroup that cannot be registered is an error naming the file', (t) => {
  const d = dir(t);
  t.throws(() => watchOomV1(join(d, 'missing')), { message: /^cannot register OOM notification on .*missing\/memory\.oom_control: ENOENT/ });
});

test('v2: the oom_kill counter of memory.events, sticky once seen', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n');
  const w = watchOomV2(d);
  t.false(w.poll());
  writeFileSync(join(d, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n');
  t.true(w.poll());
  rmSync(join(d, 'memory.events'));
  t.true(w.poll(), 'sticky');
  t.is(oomKillCount(2, d), undefined);
});
