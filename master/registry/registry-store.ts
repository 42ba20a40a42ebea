/**
 * The port in front of wherever the registry lives (registry.ts for what it holds):
 * memory-registry-store.ts (no `--database`: one master, nothing survives it) and
 * postgres-registry-store.ts (`--database`: several masters share it). One contract suite
 * (registry-store.contract.ts) runs against both.
 *
 * Invariants every store keeps:
 * - `apply(ops)` is atomic: after it resolves every operation is durable, in order; after it
 *   rejects none is;
 * - `load()` returns what all resolved `apply` calls built, as a copy the caller may change;
 * - operations that do not apply to the current state are no-ops (see registry.ts).
 */
import type { RegistryOperation, RegistrySnapshot } from './registry.ts';

export interface RegistryStore {
  load(): Promise<RegistrySnapshot>;
  apply(ops: readonly RegistryOperation[]): Promise<void>;
  close(): Promise<void>;
}
