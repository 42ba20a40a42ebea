import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreLock } from './store-lock.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('two locks on one file (two flock holders, as two processes) never overlap; a throw releases', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-lock-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const a = createStoreLock(join(dir, 'lock'));
  const b = createStoreLock(join(dir, 'lock'));
  const events: string[] = [];
  const section = (name: string) => async () => {
    events.push(`${name}+`);
    await sleep(60);
    events.push(`${name}-`);
    return name;
  };
  const failing = a.run(async () => {
    events.push('x+');
    await sleep(20);
    events.push('x-');
    throw new Error('boom');
  });
  const results = await Promise.all([failing.catch((e: Error) => e.message), a.run(section('a1')), b.run(section('b1')), a.run(section('a2')), b.run(section('b2'))]);
  t.deepEqual(results, ['boom', 'a1', 'b1', 'a2', 'b2']);
  t.is(events.length, 10);
  for (let i = 0; i < events.length; i += 2) {
    t.true(events[i].endsWith('+') && events[i + 1] === `${events[i].slice(0, -1)}-`, events.join(' '));
  }
});
