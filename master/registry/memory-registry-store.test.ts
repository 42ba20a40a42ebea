import test from 'ava';
import { createMemoryRegistryStore } from './memory-registry-store.ts';
import { registryStoreContract } from './registry-store.contract.ts';

registryStoreContract(test, 'memory registry', async () => {
  const store = createMemoryRegistryStore();
  // One process's memory: the "other store on the same data" is the same object.
  return { store, reopen: async () => store };
});
