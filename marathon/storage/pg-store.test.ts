import test from 'ava';
import pg from 'pg';
import { migrate } from '../../common/db/migrations.ts';
import { openTestPools } from '../../test/support/postgres.ts';
import { createPgMarathonStore } from './pg-store.ts';
import { MARATHON_COMPONENT, marathonMigrations } from './schema.ts';
import { appDefinition, podDefinition, storeContract, stored, version } from './store-contract.ts';

async function freshPool(t: import('ava').ExecutionContext): Promise<pg.Pool> {
  return (await openTestPools(t)).pool;
}

storeContract(test, 'pg store', async (t) => {
  const pool = await freshPool(t);
  const store = await createPgMarathonStore(pool);
  return { store, reopen: () => createPgMarathonStore(pool) };
});

test('pg store: the schema is migrated once and recorded', async (t) => {
  const pool = await freshPool(t);
  await createPgMarathonStore(pool);
  await createPgMarathonStore(pool); // a restart: nothing to do
  const { rows } = await pool.query('SELECT version FROM schema_migrations WHERE component = $1', [MARATHON_COMPONENT]);
  t.deepEqual(rows, marathonMigrations.map((m) => ({ version: m.version })));
  t.deepEqual(await migrate(pool, MARATHON_COMPONENT, marathonMigrations), { applied: [], version: marathonMigrations.length });
});

test('pg store: a database at migration 1 (apps, no pods) is brought up to date with its data kept', async (t) => {
  const pool = await freshPool(t);
  await migrate(pool, MARATHON_COMPONENT, marathonMigrations.slice(0, 1)); // as an older maestro left it
  await pool.query("INSERT INTO marathon.apps (id, version, def) VALUES ('/old', $1, $2::jsonb)",
    [version(1), JSON.stringify(appDefinition('/old', version(1)))]);
  const store = await createPgMarathonStore(pool);
  const state = await store.load();
  t.deepEqual(state.apps, [stored(appDefinition('/old', version(1)))]);
  t.deepEqual(state.pods, []);
  await store.apply([{ op: 'putPod', pod: podDefinition('/pod', version(2)) }]);
  const { rows } = await pool.query("SELECT id, version, def->'scaling'->>'instances' AS n FROM marathon.pods");
  t.deepEqual(rows, [{ id: '/pod', version: version(2), n: '2' }]);
  t.deepEqual(await store.podVersions(podDefinition('/pod').id), [version(2)]);
});

test('pg store: definitions are jsonb documents, queryable in SQL', async (t) => {
  const pool = await freshPool(t);
  const store = await createPgMarathonStore(pool);
  await store.apply([{ op: 'putApp', app: appDefinition('/prod/web', version(7), { instances: 3 }) }]);
  const { rows } = await pool.query("SELECT def->>'id' AS id, (def->>'instances')::int AS n, jsonb_typeof(def) AS t FROM marathon.apps");
  t.deepEqual(rows, [{ id: '/prod/web', n: 3, t: 'object' }]);
});

test('pg store: a database error rolls back the whole apply, and the store goes on working', async (t) => {
  const pool = await freshPool(t);
  const store = await createPgMarathonStore(pool);
  await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-1' }]);
  // Make the next apply fail in the database itself (not in our pre-check): a constraint on instances.
  await pool.query("ALTER TABLE marathon.instances ADD CONSTRAINT no_bad CHECK (instance_id <> 'bad')");
  const bad = { op: 'putInstance' as const, instance: { ...(await import('./store-contract.ts')).instance('bad') } };
  await t.throwsAsync(store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-2' }, bad]), { message: /no_bad/ });
  t.is((await store.load()).frameworkId, 'fw-1');
  await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-3' }]);
  t.is((await store.load()).frameworkId, 'fw-3');
  t.is(pool.totalCount <= 4, true);
});
