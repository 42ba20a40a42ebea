import test from 'ava';
import pg from 'pg';
import { openTestPools } from '../../test/support/postgres.ts';
import { migrate, SchemaMismatchError, type Migration } from './migrations.ts';

const v1: Migration = { version: 1, name: 'widgets', sql: 'CREATE TABLE widgets (id text PRIMARY KEY)' };
const v2: Migration = { version: 2, name: 'widget colour', sql: 'ALTER TABLE widgets ADD COLUMN colour text' };
const v3: Migration = { version: 3, name: 'gadgets', sql: 'CREATE TABLE gadgets (id text PRIMARY KEY)' };

async function freshPool(t: import('ava').ExecutionContext): Promise<pg.Pool & { url: string; newPool: (max: number) => pg.Pool }> {
  // openTestPools hears the pools' errors (the drop's FORCE ends idle sessions) and ends them before the drop.
  const db = await openTestPools(t);
  return Object.assign(db.pool, { url: db.url, newPool: (max: number) => db.newPool(max) });
}

async function recorded(pool: pg.Pool, component: string): Promise<[number, string][]> {
  const { rows } = await pool.query<{ version: number; name: string }>(
    'SELECT version, name FROM schema_migrations WHERE component = $1 ORDER BY version', [component]);
  return rows.map((r) => [r.version, r.name]);
}

test('migrations apply in order once; a later start applies only the new ones', async (t) => {
  const pool = await freshPool(t);
  t.deepEqual(await migrate(pool, 'thing', [v1, v2]), { applied: [1, 2], version: 2 });
  t.deepEqual(await migrate(pool, 'thing', [v1, v2]), { applied: [], version: 2 });
  t.deepEqual(await migrate(pool, 'thing', [v1, v2, v3]), { applied: [3], version: 3 });
  t.deepEqual(await recorded(pool, 'thing'), [[1, 'widgets'], [2, 'widget colour'], [3, 'gadgets']]);
  await pool.query("INSERT INTO widgets (id, colour) VALUES ('a', 'red')");
  t.is((await pool.query('SELECT count(*)::int AS n FROM gadgets')).rows[0].n, 0);
});

test('components keep their own versions', async (t) => {
  const pool = await freshPool(t);
  await migrate(pool, 'one', [v1]);
  t.deepEqual(await migrate(pool, 'two', [{ version: 1, name: 'other', sql: 'CREATE TABLE others (x int)' }]), { applied: [1], version: 1 });
  t.deepEqual(await recorded(pool, 'one'), [[1, 'widgets']]);
  t.deepEqual(await recorded(pool, 'two'), [[1, 'other']]);
});

test('a database migrated by a newer maestro is refused, untouched', async (t) => {
  const pool = await freshPool(t);
  await migrate(pool, 'thing', [v1, v2, v3]);
  const err = await t.throwsAsync(migrate(pool, 'thing', [v1, v2]), { instanceOf: SchemaMismatchError });
  t.regex(err.message, /thing schema is at version 3, newer than this maestro knows \(2\)/);
  t.deepEqual(await recorded(pool, 'thing'), [[1, 'widgets'], [2, 'widget colour'], [3, 'gadgets']]);
});

test('an applied migration under another name is refused', async (t) => {
  const pool = await freshPool(t);
  await migrate(pool, 'thing', [v1]);
  const err = await t.throwsAsync(migrate(pool, 'thing', [{ ...v1, name: 'renamed' }, v2]), { instanceOf: SchemaMismatchError });
  t.regex(err.message, /applied as "widgets" but this maestro calls it "renamed"/);
  t.deepEqual(await recorded(pool, 'thing'), [[1, 'widgets']]);
});

test('a failing migration leaves nothing behind and stops the run; a fixed one applies next time', async (t) => {
  const pool = await freshPool(t);
  const broken: Migration = { version: 2, name: 'half', sql: 'CREATE TABLE half (x int); SELECT no_such_function()' };
  const err = await t.throwsAsync(migrate(pool, 'thing', [v1, broken, v3]));
  t.regex(err.message, /migration thing 2 \(half\) failed/);
  t.deepEqual(await recorded(pool, 'thing'), [[1, 'widgets']]);
  t.is((await pool.query("SELECT to_regclass('half') AS r")).rows[0].r, null); // rolled back
  t.is((await pool.query("SELECT to_regclass('gadgets') AS r")).rows[0].r, null); // not reached
  t.deepEqual(await migrate(pool, 'thing', [v1, { ...broken, sql: 'CREATE TABLE half (x int)' }, v3]), { applied: [2, 3], version: 3 });
});

test('concurrent starters are serialised: each migration runs once', async (t) => {
  const pool = await freshPool(t);
  // CREATE TABLE without IF NOT EXISTS: a second run of v1 would fail.
  const pools = Array.from({ length: 5 }, () => pool.newPool(1));
  const results = await Promise.all(pools.map((p) => migrate(p, 'thing', [v1, v2, v3])));
  t.deepEqual(results.flatMap((r) => r.applied).sort(), [1, 2, 3]);
  t.true(results.every((r) => r.version === 3));
});

test('a migration list must have increasing positive versions', async (t) => {
  const pool = await freshPool(t);
  await t.throwsAsync(migrate(pool, 'thing', [v2, v1]), { message: /increasing positive integer versions/ });
  await t.throwsAsync(migrate(pool, 'thing', [{ ...v1, version: 0 }]), { message: /increasing positive integer versions/ });
});
