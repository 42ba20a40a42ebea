import test from 'ava';
import type { AgentId } from '../../common/ids.ts';
import { createMemoryRegistryStore } from './memory-registry-store.ts';
import { createRegistrar } from './registrar.ts';
import type { RegistryStore } from './registry-store.ts';
import type { RegistryOperation } from './registry.ts';
import { agentInfo } from './registry-store.contract.ts';

/** A memory store that records each batch and can be told to fail or to hold a write. */
function recordingStore() {
  const inner = createMemoryRegistryStore();
  const batches: RegistryOperation['type'][][] = [];
  let failNext = false;
  let hold: Promise<void> | undefined;
  const store: RegistryStore = {
    load: () => inner.load(),
    async apply(ops) {
      batches.push(ops.map((o) => o.type));
      if (hold) await hold;
      if (failNext) {
        failNext = false;
        throw new Error('database gone');
      }
      await inner.apply(ops);
    },
    close: () => inner.close(),
  };
  return { store, batches, failNext: () => { failNext = true; }, holdWith: (p: Promise<void> | undefined) => { hold = p; } };
}

test('operations given in one turn go in one batch; those given during a write go in the next', async (t) => {
  const s = recordingStore();
  const registrar = createRegistrar(s.store);
  let release!: () => void;
  s.holdWith(new Promise((r) => { release = r; }));
  const first = [1, 2, 3].map((i) => registrar.apply({ type: 'ADMIT_AGENT', info: agentInfo(`a${i}`) }));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  // The first batch is being written: these wait for it.
  const second = [registrar.apply({ type: 'UPDATE_WEIGHTS', weights: [['web', 2]] }), registrar.apply({ type: 'MARK_AGENT_UNREACHABLE', agentId: 'a1' as AgentId, sinceMs: 5 })];
  s.holdWith(undefined);
  release();
  await Promise.all([...first, ...second]);
  t.deepEqual(s.batches, [['ADMIT_AGENT', 'ADMIT_AGENT', 'ADMIT_AGENT'], ['UPDATE_WEIGHTS', 'MARK_AGENT_UNREACHABLE']]);
  const r = await s.store.load();
  t.deepEqual([...r.admitted.keys()].sort(), ['a2', 'a3']);
  t.deepEqual([...r.unreachable.keys()], ['a1']);
  t.deepEqual(registrar.stats, { batches: 2, operations: 5, failures: 0 });
});

test('a failed batch rejects each of its operations; the next batch is written', async (t) => {
  const s = recordingStore();
  const registrar = createRegistrar(s.store);
  s.failNext();
  const failed = [registrar.apply({ type: 'ADMIT_AGENT', info: agentInfo('a1') }), registrar.apply({ type: 'ADMIT_AGENT', info: agentInfo('a2') })];
  for (const p of failed) await t.throwsAsync(p, { message: 'database gone' });
  await registrar.apply({ type: 'ADMIT_AGENT', info: agentInfo('a3') });
  t.deepEqual([...(await s.store.load()).admitted.keys()], ['a3']);
  t.is(registrar.stats.failures, 1);
});

test('an operation no store can apply is rejected alone, before it joins a batch', async (t) => {
  const s = recordingStore();
  const registrar = createRegistrar(s.store);
  const good = registrar.apply({ type: 'ADMIT_AGENT', info: agentInfo('a1') });
  await t.throwsAsync(registrar.apply({ type: 'ADMIT_AGENT', info: { ...agentInfo('a2'), hostname: 'nul\u0000' } }), { name: 'UnstorableValueError' });
  await t.throwsAsync(registrar.apply({ type: 'ADMIT_AGENT', info: { hostname: 'no id' } as never }), { name: 'InvalidRegistryOperationError' });
  await good;
  t.deepEqual(s.batches, [['ADMIT_AGENT']]);
});

test('a write queued as the writer finishes is not left behind', async (t) => {
  const s = recordingStore();
  const registrar = createRegistrar(s.store);
  for (let i = 0; i < 20; i++) {
    await registrar.apply({ type: 'ADMIT_AGENT', info: agentInfo(`a${i}`) });
    // Given right after the previous write resolved, while its writer is winding down.
    void registrar.apply({ type: 'UPDATE_WEIGHTS', weights: [['r', i + 1]] });
  }
  await registrar.drain();
  const r = await s.store.load();
  t.is(r.admitted.size, 20);
  t.is(r.weights.get('r'), 20);
});
