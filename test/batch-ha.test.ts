/**
 * Several `maestro batch` processes on one database: one leads (PostgreSQL advisory lock), the
 * other refuses changes with 503 naming it, and takes over when the leader is killed; a schedule
 * keeps firing through the takeover, once per tick (the tick is claimed in PostgreSQL).
 */
import test from 'ava';
import { call, eventually, type Json } from './support/marathon-cluster.ts';
import { startBatchCluster } from './support/batch-cluster.ts';

test('two batch processes: the follower refuses changes naming the leader, takes over when it dies, and the schedule fires once per tick throughout', async (t) => {
  const c = await startBatchCluster(t);
  const leader = c.batch;
  const follower = await c.startAnotherBatch();
  const refused = await call(follower.url, 'POST', '/v1/jobs', { id: 'nope', run: { cmd: 'true', cpus: 0.1, mem: 32 } });
  t.is(refused.status, 503, refused.text);
  t.regex(refused.text, new RegExp(leader.url.replace(/^http:\/\//, '').replace(/\./g, '\\.')));

  t.is((await call(leader.url, 'POST', '/v1/jobs', { id: 'tick', run: { cmd: 'true', cpus: 0.1, mem: 32 } })).status, 201);
  t.is((await call(leader.url, 'POST', '/v1/jobs/tick/schedules', { id: 'two-seconds', cron: '*/2 * * * * *' })).status, 201);
  await eventually(async () => ((await call(leader.url, 'GET', '/v1/jobs/tick?embed=history')).body.history.successCount >= 2), 'two scheduled runs on the leader');

  await leader.kill();
  await eventually(async () => (await call(follower.url, 'GET', '/v1/jobs/tick')).status === 200, 'the follower to take over', 60_000);
  const before = (await call(follower.url, 'GET', '/v1/jobs/tick?embed=history')).body.history.successCount as number;
  await eventually(async () => ((await call(follower.url, 'GET', '/v1/jobs/tick?embed=history')).body.history.successCount >= before + 2), 'the schedule to go on firing after the takeover', 60_000);

  // Once per tick: a run is created at the first schedule check after its tick (checks every
  // second, late by what the machine's load delays them), so each even-second tick's run falls in
  // its own 2-second window: two runs in one window would be one tick fired twice.
  const h = (await call(follower.url, 'GET', '/v1/jobs/tick?embed=history')).body.history;
  const created = [...h.successfulFinishedRuns, ...h.failedFinishedRuns].map((r: Json) => Date.parse(r.createdAt)).sort((a: number, b: number) => a - b);
  const windows = created.map((ms: number) => Math.floor(ms / 2000));
  t.is(new Set(windows).size, windows.length, `runs created at ${created.map((ms: number) => new Date(ms).toISOString()).join(', ')}`);
});
