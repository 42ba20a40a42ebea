import test from 'ava';
import pg from 'pg';
import { migrate } from '../../common/db/migrations.ts';
import { openTestPools } from '../../test/support/postgres.ts';
import { openPostgresRegistryStore } from './postgres-registry-store.ts';
import { fencedMasters } from '../../common/db/leader-fence-fixture.ts';
import { agentInfo, registryStoreContract } from './registry-store.contract.ts';
import { REGISTRY_COMPONENT, registryMigrations } from './schema.ts';

async function freshPool(t: import('ava').ExecutionContext): Promise<pg.Pool> {
  return (await openTestPools(t)).pool;
}

// The property test opens a database per run: fewer runs than in memory.
registryStoreContract(test, 'postgres registry', async (t) => {
  const pool = await freshPool(t);
  const store = await openPostgresRegistryStore(pool);
  return { store, reopen: () => openPostgresRegistryStore(pool) };
}, { propertyRuns: 12 });

test('postgres registry: the schema is migrated once; two masters migrating at once both succeed', async (t) => {
  const pool = await freshPool(t);
  await Promise.all([openPostgresRegistryStore(pool), openPostgresRegistryStore(pool)]);
  const { rows } = await pool.query('SELECT version FROM schema_migrations WHERE component = $1', [REGISTRY_COMPONENT]);
  t.deepEqual(rows, registryMigrations.map((m) => ({ version: m.version })));
  t.deepEqual(await migrate(pool, REGISTRY_COMPONENT, registryMigrations), { applied: [], version: registryMigrations.length });
});

test('postgres registry: a wave of 500 admissions (one multi-row INSERT) is stored, the last info of a repeated id winning', async (t) => {
  const pool = await freshPool(t);
  const store = await openPostgresRegistryStore(pool);
  const ids = Array.from({ length: 500 }, (_, i) => `agent-${i}`);
  await store.apply([
    ...ids.map((id) => ({ type: 'ADMIT_AGENT' as const, info: agentInfo(id) })),
    { type: 'ADMIT_AGENT' as const, info: agentInfo('agent-7', 'again') },
  ]);
  const r = await store.load();
  t.is(r.admitted.size, 500);
  t.deepEqual(r.admitted.get('agent-499' as never), agentInfo('agent-499'));
  t.is(r.admitted.get('agent-7' as never)?.hostname, 'again');
});

test('postgres registry: a fenced store writes only while its master holds the leader lock', async (t) => {
  const { pool, url } = await openTestPools(t);
  const masters = fencedMasters(t, url);
  const { election } = masters;
  const store = await openPostgresRegistryStore(pool, { fence: masters.leader });
  const other = await openPostgresRegistryStore(pool, { fence: masters.other });
  // Nobody leads yet (no leaders table even).
  await t.throwsAsync(store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a0') }]));
  await election.start();
  t.true(election.isLeader());
  await store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a1') }]);
  await t.throwsAsync(other.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a2') }]), { name: 'NotLeaderError' });
  // Deposed: the lock session ends; the row stays behind but names nobody.
  await election.stop();
  await pool.query(`INSERT INTO leaders (component, address, elected_at, backend_pid, lock_key) VALUES ('master', '127.0.0.1:5050', now(), pg_backend_pid(), 0)
                    ON CONFLICT (component) DO UPDATE SET backend_pid = excluded.backend_pid`);
  await t.throwsAsync(store.apply([{ type: 'ADMIT_AGENT', info: agentInfo('a3') }]), { name: 'NotLeaderError' });
  t.deepEqual([...(await store.load()).admitted.keys()], ['a1']);
});
