/**
 * A benchmark's master (master-process.ts) runs alone whatever DATABASE_URL the bench process
 * has: with an inherited url it would open that database at start (and, given a reachable one,
 * compete for leadership with every other master on it).
 */
import test from 'ava';
import { startMasterProcess } from './master-process.ts';

test('a benchmark\'s master does not inherit DATABASE_URL: it starts alone and leads', async (t) => {
  // Nothing listens on port 9 of loopback: a master that took this url would fail to start.
  process.env.DATABASE_URL = 'postgres://bench@127.0.0.1:9/none';
  const master = await startMasterProcess();
  t.teardown(() => master.stop());
  const metrics = await (await fetch(`${master.url}/metrics/snapshot`)).json() as Record<string, number>;
  t.is(metrics['master/elected'], 1);
  const redirect = await fetch(`${master.url}/master/redirect`, { redirect: 'manual' });
  t.is(redirect.status, 307);
  t.regex(redirect.headers.get('location') ?? '', new RegExp(`:${new URL(master.url).port}$`), 'it names itself the leader');
});
