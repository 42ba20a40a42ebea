import test from 'ava';
import { createBatchMemoryBacking, createMemoryBatchStore } from './memory-store.ts';
import { batchStoreContract, job } from './store-contract.ts';

batchStoreContract(test, 'memory batch store', async (_t, options) => {
  const backing = createBatchMemoryBacking();
  return { store: createMemoryBatchStore(backing, options), reopen: async () => createMemoryBatchStore(backing, options) };
});

test('memory batch stores on different backings share nothing', async (t) => {
  const a = createMemoryBatchStore();
  const b = createMemoryBatchStore();
  await a.apply([{ op: 'putJob', job: job('j') }, { op: 'putFrameworkId', frameworkId: 'fw-a' }]);
  t.is((await a.load()).frameworkId, 'fw-a');
  t.deepEqual(await b.load(), { jobs: [], schedules: [], activeRuns: [], frameworkId: undefined });
});

test('memory batch store: limits must be positive integers', (t) => {
  t.throws(() => createMemoryBatchStore(undefined, { historyCount: 0 }), { instanceOf: RangeError });
  t.throws(() => createMemoryBatchStore(undefined, { keptTicks: 1.5 }), { instanceOf: RangeError });
});
