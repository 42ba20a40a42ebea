import test, { type ExecutionContext } from 'ava';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { silentLogger } from '../../../common/ports.ts';
import { createTestRedis, startRedisServer, type TestRedis } from '../../../test/support/redis.ts';
import { createBullRunQueue, type BullRunQueueOptions } from './bull-run-queue.ts';
import { toBullPriority } from './queue-order.ts';
import { queued, runQueueContract, T0 } from './run-queue-contract.ts';

async function testRedis(t: ExecutionContext, privateServer = false): Promise<TestRedis> {
  const redis = await createTestRedis({ privateServer });
  t.teardown(() => redis.close());
  return redis;
}

async function open(t: ExecutionContext, redis: TestRedis, over: Partial<BullRunQueueOptions> = {}) {
  const q = await createBullRunQueue({ connection: redis.url, prefix: redis.prefix, name: 'runs', logger: silentLogger, ...over });
  t.teardown(() => q.close());
  return q;
}

/** A plain Redis client on the test's server, closed at teardown. */
function client(t: ExecutionContext, url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 3 });
  c.on('error', () => {});
  t.teardown(() => c.disconnect());
  return c;
}

runQueueContract(test, 'BullMQ run queue', async (t) => open(t, await testRedis(t)));

test('BullMQ run queue: runs are BullMQ jobs: id = run id, name = job id, delayed when held back, priority mapped', async (t) => {
  const redis = await testRedis(t);
  const q = await open(t, redis);
  await q.enqueue(queued('r1', { jobId: 'nightly.report', priority: 3 }));
  await q.enqueue(queued('r2', { priority: -2, notBefore: Date.now() + 60_000 }));
  const bull = new Queue('runs', { connection: client(t, redis.url), prefix: redis.prefix });
  t.teardown(() => bull.close());
  const r1 = await bull.getJob('r1');
  t.is(r1?.name, 'nightly.report');
  t.is(r1?.priority, toBullPriority(3)); // 2^20 - 3 = 1048573
  t.is(r1?.priority, 1_048_573);
  t.is(await bull.getJobState('r1'), 'prioritized');
  t.is(await bull.getJobState('r2'), 'delayed');
  t.is((await bull.getJob('r2'))?.priority, 1_048_578);
  t.deepEqual(await bull.getJobCounts('prioritized', 'delayed', 'wait', 'active'), { prioritized: 1, delayed: 1, wait: 0, active: 0 });
  // every key it wrote is under the queue's prefix
  const keys = await client(t, redis.url).keys(`${redis.prefix}*`);
  t.true(keys.length > 0);
  t.true(keys.every((k) => k.startsWith(`${redis.prefix}:runs:`)), keys.join(' '));
});

test('BullMQ run queue: a second queue object on the same Redis reads the same runs (a batch restart)', async (t) => {
  const redis = await testRedis(t);
  const a = await open(t, redis);
  await a.enqueue(queued('r1', { priority: 1 }));
  await a.enqueue(queued('r2', { priority: 2, notBefore: T0 + 60_000 }));
  await a.close();
  const b = await open(t, redis);
  t.is(await b.size(), 2);
  t.deepEqual(await b.ready(T0 + 60_000, 10), [queued('r2', { priority: 2, notBefore: T0 + 60_000 }), queued('r1', { priority: 1 })]);
});

test('BullMQ run queue: FLUSHALL loses the queue; rebuild from the store restores it exactly', async (t) => {
  const redis = await testRedis(t, true); // a server of its own: FLUSHALL
  const q = await open(t, redis);
  const store = [
    queued('r1', { priority: 0 }),
    queued('r2', { priority: 4 }),
    queued('r3', { priority: 4, notBefore: T0 + 30_000 }),
    queued('r4', { priority: 0 }),
  ];
  for (const r of store) await q.enqueue(r);
  const before = await q.ready(T0 + 30_000, 10);
  t.deepEqual(before.map((r) => r.runId), ['r2', 'r3', 'r1', 'r4']);
  t.is(await client(t, redis.url).flushall(), 'OK');
  t.is(await q.size(), 0);
  t.deepEqual(await q.ready(T0 + 30_000, 10), []);
  await q.rebuild(store);
  t.is(await q.size(), 4);
  t.deepEqual(await q.ready(T0 + 30_000, 10), before);
  t.deepEqual((await q.ready(T0, 10)).map((r) => r.runId), ['r2', 'r1', 'r4']);
  await q.enqueue(queued('r5', { priority: 4 }));
  t.deepEqual((await q.ready(T0, 10)).map((r) => r.runId), ['r2', 'r5', 'r1', 'r4']);
});

test('BullMQ run queue: a Redis restart (empty) is reported by onReconnect; calls work again and rebuild restores', async (t) => {
  const first = await startRedisServer();
  let server = first;
  t.teardown(() => server.stop());
  let reconnects = 0;
  const q = await createBullRunQueue({
    connection: first.url, name: 'runs', logger: silentLogger, onReconnect: () => reconnects++,
  });
  t.teardown(() => q.close());
  const store = [queued('r1'), queued('r2', { priority: 2 })];
  for (const r of store) await q.enqueue(r);
  await first.stop();
  server = await startRedisServer({ port: first.port });
  const until = Date.now() + 15_000;
  while (reconnects === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.is(reconnects, 1);
  t.is(await q.size(), 0); // the new server is empty
  await q.rebuild(store);
  t.deepEqual((await q.ready(T0, 10)).map((r) => r.runId), ['r2', 'r1']);
});

test('BullMQ run queue: no Redis at the url: createBullRunQueue rejects within its timeout', async (t) => {
  const server = await startRedisServer();
  await server.stop(); // a port nothing listens on now
  const started = Date.now();
  await t.throwsAsync(
    createBullRunQueue({ connection: `redis://:secret@127.0.0.1:${server.port}`, name: 'runs', logger: silentLogger, connectTimeoutMs: 1_000 }),
    { message: /did not answer|ECONNREFUSED|Connection is closed/ },
  );
  t.true(Date.now() - started < 5_000);
});

test('BullMQ run queue: many runs page correctly (more than one page of each kind)', async (t) => {
  const redis = await testRedis(t);
  const q = await open(t, redis);
  const runs = Array.from({ length: 450 }, (_, i) => queued(`r${String(i).padStart(3, '0')}`, {
    priority: i % 3, // 0,1,2
    notBefore: i % 2 === 0 ? T0 - 1_000 : T0 + 1_000 + i, // odd ones held back (delayed), due in index order
  }));
  await q.rebuild(runs);
  t.is(await q.size(), 450);
  const expected = (now: number, limit: number) => runs
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.notBefore <= now)
    .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i)
    .slice(0, limit)
    .map(({ r }) => r);
  for (const [now, limit] of [[T0, 10], [T0, 300], [T0 + 1_300, 250], [T0 + 10_000, 500]] as const) {
    t.deepEqual(await q.ready(now, limit), expected(now, limit), `now=T0+${now - T0} limit=${limit}`);
  }
});
