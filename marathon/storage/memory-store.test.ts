import test from 'ava';
import { createMemoryBacking, createMemoryMarathonStore } from './memory-store.ts';
import { storeContract } from './store-contract.ts';

storeContract(test, 'memory store', async () => {
  const backing = createMemoryBacking();
  return { store: createMemoryMarathonStore(backing), reopen: async () => createMemoryMarathonStore(backing) };
});

test('memory stores on different backings share nothing', async (t) => {
  const a = createMemoryMarathonStore();
  const b = createMemoryMarathonStore();
  await a.apply([{ op: 'putFrameworkId', frameworkId: 'fw-a' }]);
  t.is((await a.load()).frameworkId, 'fw-a');
  t.is((await b.load()).frameworkId, undefined);
});
