/**
 * The contract every RegistryStore keeps, one ava suite run against each implementation
 * (memory-registry-store.test.ts, postgres-registry-store.test.ts). `open` gives a fresh, empty
 * store and a way to open another store on the same data (a new leader); it registers its own
 * cleanup with `t.teardown`.
 *
 * What it pins down: AgentInfo and FrameworkInfo come back deep-equal; unreachable agents come
 * back oldest first; the agent state machine of registry.ts (gone is final, operations that do
 * not apply are no-ops); weights and quota replace by role; a removed framework stays removed; a
 * batch is all or nothing; data outlives the store object; and, for random operation sequences,
 * the store holds exactly what `applyOperation` (the model) computes.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { RegistryStore } from './registry-store.ts';
import { applyOperation, emptyRegistry, type RegistryOperation, type RegistrySnapshot } from './registry.ts';

export interface RegistryStoreUnderTest {
  readonly store: RegistryStore;
  /** Another store on the same data, as a newly elected master opens it. */
  reopen(): Promise<RegistryStore>;
}

export type OpenRegistryStore = (t: ExecutionContext) => Promise<RegistryStoreUnderTest>;

const aid = (s: string) => s as AgentId;
const fid = (s: string) => s as FrameworkId;

export function agentInfo(id: string, hostname = `host-${id}`): mesos.v1.AgentInfo {
  return {
    id: { value: id },
    hostname,
    port: 5051,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 4 } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } },
    ],
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }],
  } as mesos.v1.AgentInfo;
}

export function frameworkInfo(id: string, name = `fw-${id}`): mesos.v1.FrameworkInfo {
  return {
    id: { value: id }, name, user: 'root', failover_timeout: 3600, roles: ['web'],
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }],
  } as mesos.v1.FrameworkInfo;
}

/** A snapshot as plain, order-insensitive data where order means nothing (unreachable keeps its order). */
export function plain(r: RegistrySnapshot): unknown {
  const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    admitted: sorted(r.admitted),
    unreachable: [...r.unreachable],
    gone: sorted(r.gone),
    weights: sorted(r.weights),
    quotas: sorted(r.quotas),
    frameworks: sorted(r.frameworks),
  };
}

function model(ops: readonly RegistryOperation[]): RegistrySnapshot {
  const r = emptyRegistry();
  for (const op of ops) applyOperation(r, op);
  return r;
}

const opArb = (): fc.Arbitrary<RegistryOperation> => {
  const agent = fc.constantFrom('a1', 'a2', 'a3', 'a4').map(aid);
  const fw = fc.constantFrom('f1', 'f2', 'f3').map(fid);
  const role = fc.constantFrom('web', 'batch', 'dev/team');
  const ms = fc.integer({ min: 0, max: 2_000_000_000_000 });
  return fc.oneof(
    fc.tuple(agent, fc.constantFrom('h1', 'h2')).map(([id, h]): RegistryOperation => ({ type: 'ADMIT_AGENT', info: agentInfo(id, h) })),
    fc.tuple(agent, ms).map(([agentId, sinceMs]): RegistryOperation => ({ type: 'MARK_AGENT_UNREACHABLE', agentId, sinceMs })),
    fc.tuple(agent, fc.constantFrom('h1', 'h3')).map(([id, h]): RegistryOperation => ({ type: 'MARK_AGENT_REACHABLE', info: agentInfo(id, h) })),
    fc.tuple(agent, ms).map(([agentId, sinceMs]): RegistryOperation => ({ type: 'MARK_AGENT_GONE', agentId, sinceMs })),
    fc.tuple(agent, fc.constantFrom('h2', 'h4')).map(([id, h]): RegistryOperation => ({ type: 'UPDATE_AGENT_INFO', info: agentInfo(id, h) })),
    agent.map((agentId): RegistryOperation => ({ type: 'REMOVE_AGENT', agentId })),
    fc.uniqueArray(agent, { maxLength: 3 }).map((agentIds): RegistryOperation => ({ type: 'PRUNE_UNREACHABLE', agentIds })),
    fc.uniqueArray(agent, { maxLength: 3 }).map((agentIds): RegistryOperation => ({ type: 'PRUNE_GONE', agentIds })),
    fc.uniqueArray(fc.tuple(role, fc.double({ min: 0.1, max: 10, noNaN: true })), { selector: ([r]) => r, maxLength: 3 })
      .map((weights): RegistryOperation => ({ type: 'UPDATE_WEIGHTS', weights })),
    fc.tuple(role, fc.option(fc.record({ guarantees: fc.record({ cpus: fc.integer({ min: 0, max: 8 }) }), limits: fc.record({ mem: fc.integer({ min: 0, max: 4096 }) }) }), { nil: undefined }))
      .map(([r, quota]): RegistryOperation => ({ type: 'UPDATE_QUOTA', role: r, quota })),
    fc.tuple(fw, fc.constantFrom('n1', 'n2')).map(([id, n]): RegistryOperation => ({ type: 'ADD_FRAMEWORK', frameworkId: id, info: frameworkInfo(id, n) })),
    fc.tuple(fw, ms).map(([frameworkId, removedMs]): RegistryOperation => ({ type: 'REMOVE_FRAMEWORK', frameworkId, removedMs })),
  );
};

export function registryStoreContract(test: TestFn, name: string, open: OpenRegistryStore, opts: { readonly propertyRuns?: number } = {}): void {
  test(`${name}: a new registry is empty`, async (t) => {
    const { store } = await open(t);
    t.deepEqual(plain(await store.load()), plain(emptyRegistry()));
  });

  test(`${name}: agents are admitted, become unreachable oldest first, come back, and gone is final`, async (t) => {
    const { store } = await open(t);
    await store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a1') }, { type: 'ADMIT_AGENT', info: agentInfo('a2') }, { type: 'ADMIT_AGENT', info: agentInfo('a3') }]);
    let r = await store.load();
    t.deepEqual(r.admitted.get(aid('a1')), agentInfo('a1'));
    t.is(r.admitted.size, 3);

    // a3 first, a1 later (at an earlier time): the order is the order of marking.
    await store.apply([{ type: 'MARK_AGENT_UNREACHABLE', agentId: aid('a3'), sinceMs: 2000 }]);
    await store.apply([{ type: 'MARK_AGENT_UNREACHABLE', agentId: aid('a1'), sinceMs: 1000 }]);
    r = await store.load();
    t.deepEqual([...r.unreachable.keys()], ['a3', 'a1']);
    t.deepEqual(r.unreachable.get(aid('a1')), { info: agentInfo('a1'), sinceMs: 1000 });
    t.deepEqual([...r.admitted.keys()], ['a2']);

    await store.apply([{ type: 'MARK_AGENT_REACHABLE', info: agentInfo('a3', 'new-host') }, { type: 'MARK_AGENT_GONE', agentId: aid('a2'), sinceMs: 3000 }]);
    r = await store.load();
    t.deepEqual(r.admitted.get(aid('a3'))?.hostname, 'new-host');
    t.deepEqual([...r.unreachable.keys()], ['a1']);
    t.deepEqual([...r.gone], [['a2', 3000]]);

    // Gone is final: admitting or marking it again changes nothing.
    await store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a2') }, { type: 'MARK_AGENT_REACHABLE', info: agentInfo('a2') }, { type: 'MARK_AGENT_GONE', agentId: aid('a2'), sinceMs: 9000 }]);
    r = await store.load();
    t.false(r.admitted.has(aid('a2')));
    t.deepEqual([...r.gone], [['a2', 3000]]);

    // Pruning removes unreachable agents only.
    await store.apply([{ type: 'PRUNE_UNREACHABLE', agentIds: [aid('a1'), aid('a3'), aid('a2')] }]);
    r = await store.load();
    t.is(r.unreachable.size, 0);
    t.true(r.admitted.has(aid('a3')));
    t.true(r.gone.has(aid('a2')));

    // PRUNE_GONE forgets gone agents only.
    await store.apply([{ type: 'MARK_AGENT_UNREACHABLE', agentId: aid('a3'), sinceMs: 4000 }]);
    await store.apply([{ type: 'PRUNE_GONE', agentIds: [aid('a2'), aid('a3'), aid('nobody')] }]);
    r = await store.load();
    t.is(r.gone.size, 0);
    t.true(r.unreachable.has(aid('a3')));
  });

  test(`${name}: UPDATE_AGENT_INFO replaces an admitted agent's info and touches no other state`, async (t) => {
    const { store } = await open(t);
    await store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a1') }, { type: 'ADMIT_AGENT', info: agentInfo('a2') }, { type: 'ADMIT_AGENT', info: agentInfo('a3') }]);
    await store.apply([{ type: 'MARK_AGENT_UNREACHABLE', agentId: aid('a2'), sinceMs: 1000 }, { type: 'MARK_AGENT_GONE', agentId: aid('a3'), sinceMs: 2000 }]);
    await store.apply([
      { type: 'UPDATE_AGENT_INFO', info: agentInfo('a1', 'renamed') },
      { type: 'UPDATE_AGENT_INFO', info: agentInfo('a2', 'renamed') },
      { type: 'UPDATE_AGENT_INFO', info: agentInfo('a3', 'renamed') },
      { type: 'UPDATE_AGENT_INFO', info: agentInfo('nobody', 'renamed') },
    ]);
    const r = await store.load();
    t.deepEqual([...r.admitted], [[aid('a1'), agentInfo('a1', 'renamed')]]);
    t.deepEqual(r.unreachable.get(aid('a2')), { info: agentInfo('a2'), sinceMs: 1000 });
    t.deepEqual([...r.gone], [[aid('a3'), 2000]]);
  });

  test(`${name}: REMOVE_AGENT forgets an admitted agent only; the id may be admitted again`, async (t) => {
    const { store, reopen } = await open(t);
    await store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a1') }, { type: 'ADMIT_AGENT', info: agentInfo('a2') }, { type: 'ADMIT_AGENT', info: agentInfo('a3') }]);
    await store.apply([{ type: 'MARK_AGENT_UNREACHABLE', agentId: aid('a2'), sinceMs: 1000 }, { type: 'MARK_AGENT_GONE', agentId: aid('a3'), sinceMs: 2000 }]);
    await store.apply([
      { type: 'REMOVE_AGENT', agentId: aid('a1') },
      { type: 'REMOVE_AGENT', agentId: aid('a2') },
      { type: 'REMOVE_AGENT', agentId: aid('a3') },
      { type: 'REMOVE_AGENT', agentId: aid('nobody') },
    ]);
    let r = await (await reopen()).load();
    t.deepEqual([...r.admitted.keys()], []);
    t.deepEqual(r.unreachable.get(aid('a2')), { info: agentInfo('a2'), sinceMs: 1000 }, 'an unreachable agent stays');
    t.deepEqual([...r.gone], [[aid('a3'), 2000]], 'a gone agent stays');
    // Removed is not gone: the same id is admitted again (Mesos: only gone agents are refused for good).
    await store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a1', 'back') }]);
    r = await store.load();
    t.is(r.admitted.get(aid('a1'))?.hostname, 'back');
  });

  test(`${name}: operations that do not apply are no-ops`, async (t) => {
    const { store } = await open(t);
    await store.apply([
      { type: 'MARK_AGENT_UNREACHABLE', agentId: aid('nobody'), sinceMs: 1 },
      { type: 'PRUNE_UNREACHABLE', agentIds: [aid('nobody')] },
      { type: 'UPDATE_QUOTA', role: 'none', quota: undefined },
    ]);
    t.deepEqual(plain(await store.load()), plain(emptyRegistry()));
  });

  test(`${name}: weights and quota are set by role, replaced and removed`, async (t) => {
    const { store } = await open(t);
    await store.apply([{ type: 'UPDATE_WEIGHTS', weights: [['web', 2], ['batch', 0.5]] }]);
    await store.apply([{ type: 'UPDATE_WEIGHTS', weights: [['web', 3]] }]);
    await store.apply([
      { type: 'UPDATE_QUOTA', role: 'web', quota: { guarantees: { cpus: 2 }, limits: { cpus: 4, mem: 1024 } } },
      { type: 'UPDATE_QUOTA', role: 'batch', quota: { guarantees: { mem: 512 }, limits: {} } },
    ]);
    await store.apply([{ type: 'UPDATE_QUOTA', role: 'batch', quota: undefined }]);
    const r = await store.load();
    t.deepEqual([...r.weights].sort(), [['batch', 0.5], ['web', 3]]);
    t.deepEqual([...r.quotas], [['web', { guarantees: { cpus: 2 }, limits: { cpus: 4, mem: 1024 } }]]);
  });

  test(`${name}: frameworks are remembered with their info; a removed one stays removed`, async (t) => {
    const { store } = await open(t);
    await store.apply([{ type: 'ADD_FRAMEWORK', frameworkId: fid('f1'), info: frameworkInfo('f1') }, { type: 'ADD_FRAMEWORK', frameworkId: fid('f2'), info: frameworkInfo('f2') }]);
    await store.apply([{ type: 'ADD_FRAMEWORK', frameworkId: fid('f1'), info: frameworkInfo('f1', 'renamed') }]);
    await store.apply([{ type: 'REMOVE_FRAMEWORK', frameworkId: fid('f2'), removedMs: 5000 }]);
    await store.apply([{ type: 'ADD_FRAMEWORK', frameworkId: fid('f2'), info: frameworkInfo('f2', 'back') }, { type: 'REMOVE_FRAMEWORK', frameworkId: fid('f2'), removedMs: 6000 }]);
    const r = await store.load();
    t.deepEqual(r.frameworks.get(fid('f1')), { info: frameworkInfo('f1', 'renamed') });
    t.deepEqual(r.frameworks.get(fid('f2')), { info: frameworkInfo('f2'), removedMs: 5000 });
  });

  test(`${name}: a batch with an operation no store can apply changes nothing`, async (t) => {
    const { store } = await open(t);
    await t.throwsAsync(store.apply([
      { type: 'ADMIT_AGENT', info: agentInfo('a1') },
      { type: 'UPDATE_WEIGHTS', weights: [['web', -1]] },
    ]));
    await t.throwsAsync(store.apply([
      { type: 'ADD_FRAMEWORK', frameworkId: fid('f1'), info: frameworkInfo('f1') },
      { type: 'ADMIT_AGENT', info: { ...agentInfo('a2'), hostname: 'bad\u0000host' } },
    ]));
    t.deepEqual(plain(await store.load()), plain(emptyRegistry()));
  });

  test(`${name}: what was written outlives the store object, and load hands out copies`, async (t) => {
    const { store, reopen } = await open(t);
    await store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a1') }, { type: 'UPDATE_WEIGHTS', weights: [['web', 2]] }]);
    const first = await store.load();
    first.admitted.get(aid('a1'))!.hostname = 'changed by the caller';
    first.weights.clear();
    const again = await reopen();
    const r = await again.load();
    t.is(r.admitted.get(aid('a1'))?.hostname, 'host-a1');
    t.deepEqual([...r.weights], [['web', 2]]);
  });

  test(`${name}: random operation batches leave exactly what the model computes`, async (t) => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(opArb(), { minLength: 1, maxLength: 6 }), { maxLength: 6 }), async (batches) => {
      const { store } = await open(t);
      for (const b of batches) await store.apply(b);
      // jsonb orders an object's keys its own way: compared as values, not as text.
      return isDeepStrictEqual(plain(await store.load()), plain(model(batches.flat())));
    }), { numRuns: opts.propertyRuns ?? 50 });
    t.pass();
  });
}
