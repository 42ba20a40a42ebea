import test from 'ava';
import { createMemoryRunQueue } from './memory-run-queue.ts';
import { queued, runQueueContract, T0 } from './run-queue-contract.ts';

runQueueContract(test, 'memory run queue', async (t) => {
  const q = createMemoryRunQueue();
  t.teardown(() => q.close());
  return q;
});

test('memory run queues share nothing', async (t) => {
  const a = createMemoryRunQueue();
  const b = createMemoryRunQueue();
  await a.enqueue(queued('r1'));
  t.is(await a.size(), 1);
  t.is(await b.size(), 0);
  t.deepEqual(await b.ready(T0, 10), []);
});

test('memory run queue: a returned run is a copy, changing it changes nothing queued', async (t) => {
  const q = createMemoryRunQueue();
  const r = { ...queued('r1'), extra: 'not a port field' };
  await q.enqueue(r);
  const [got] = await q.ready(T0, 1);
  t.deepEqual(got, queued('r1'));
  (got as { priority: number }).priority = 99;
  t.deepEqual(await q.ready(T0, 1), [queued('r1')]);
});
