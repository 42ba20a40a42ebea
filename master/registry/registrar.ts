/**
 * The registrar: the master's one writer of the registry. `apply(op)` resolves once the
 * operation is durable in the store; the master acts on a change (admits an agent, marks it
 * unreachable, answers an operator) only then — Mesos' registrar semantics.
 *
 * Operations are written in the order they were given. Those that arrive while a write is in
 * flight (or in the same turn of the event loop) wait and go together in the next batch, one
 * store transaction for all of them: a wave of agents registering costs a few transactions, not
 * one each. An operation that no store could apply (checkOperation) is rejected alone, before it
 * joins a batch; a batch the store fails rejects every operation in it.
 *
 * States: idle -apply-> scheduled (setImmediate) -> writing -(queue empty)-> idle
 *                                                       └-(more queued)-> writing (next batch)
 */
import type { RegistryStore } from './registry-store.ts';
import { checkOperation, type RegistryOperation } from './registry.ts';

export interface Registrar {
  apply(op: RegistryOperation): Promise<void>;
  /** Resolves once everything given so far is written (or failed). */
  drain(): Promise<void>;
  /** Batches written so far and operations in them (metrics `registrar/...`). */
  readonly stats: { readonly batches: number; readonly operations: number; readonly failures: number };
}

interface Pending {
  readonly op: RegistryOperation;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export function createRegistrar(store: RegistryStore, opts: { readonly maxBatch?: number } = {}): Registrar {
  const maxBatch = opts.maxBatch ?? 1000;
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;
  const stats = { batches: 0, operations: 0, failures: 0 };

  /** Starts a writer unless one runs; a writer that ends with work queued behind it starts the next. */
  function kick(): void {
    running ??= run().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
  }

  async function run(): Promise<void> {
    // Let the rest of this turn's operations join the first batch.
    await new Promise<void>((r) => setImmediate(r));
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        await store.apply(batch.map((p) => p.op));
        stats.batches += 1;
        stats.operations += batch.length;
        for (const p of batch) p.resolve();
      } catch (err) {
        stats.failures += 1;
        const e = err instanceof Error ? err : new Error(String(err));
        for (const p of batch) p.reject(e);
      }
    }
  }

  return {
    stats,
    apply(op) {
      try {
        checkOperation(op);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ op, resolve, reject });
        kick();
      });
    },
    async drain() {
      while (running !== undefined) await running;
    },
  };
}
