/**
 * The registry in this process's memory: what a master without `--database` uses (today's one
 * master; a restart forgets it). Batches apply to a copy that replaces the state only when every
 * operation applied, so a batch is all or nothing as in PostgreSQL.
 */
import type { RegistryStore } from './registry-store.ts';
import { applyOperation, checkOperation, cloneRegistry, emptyRegistry, type RegistryOperation, type RegistrySnapshot } from './registry.ts';

export function createMemoryRegistryStore(initial: RegistrySnapshot = emptyRegistry()): RegistryStore {
  let state = cloneRegistry(initial);
  let closed = false;
  return {
    async load() {
      if (closed) throw new Error('registry store closed');
      return cloneRegistry(state);
    },
    async apply(ops: readonly RegistryOperation[]) {
      if (closed) throw new Error('registry store closed');
      const next = cloneRegistry(state);
      for (const op of ops) {
        checkOperation(op);
        applyOperation(next, op);
      }
      state = next;
    },
    async close() {
      closed = true;
    },
  };
}
