import test, { type ExecutionContext } from 'ava';
import pg from 'pg';
import { migrate } from '../../../common/db/migrations.ts';
import { openTestPools } from '../../../test/support/postgres.ts';
import { createPgBatchStore } from './pg-store.ts';
import { BATCH_COMPONENT, batchMigrations } from './schema.ts';
import { at, batchStoreContract, job, run, schedule, stored } from './store-contract.ts';
import { UnknownJobError } from './store-rules.ts';

/** A fresh database, and a way to open pools on it (each pool as another batch process's connections). */
async function freshDatabase(t: ExecutionContext): Promise<() => pg.Pool> {
  return (await openTestPools(t)).newPool;
}

batchStoreContract(test, 'pg batch store', async (t, options) => {
  const newPool = await freshDatabase(t);
  const store = await createPgBatchStore(newPool(), options);
  // The second store has its own pool: another process's connections.
  return { store, reopen: () => createPgBatchStore(newPool(), options) };
});

test('pg batch store: the schema is migrated once and recorded', async (t) => {
  const newPool = await freshDatabase(t);
  const pool = newPool();
  await createPgBatchStore(pool);
  await createPgBatchStore(pool); // a restart: nothing to do
  const { rows } = await pool.query('SELECT version FROM schema_migrations WHERE component = $1', [BATCH_COMPONENT]);
  t.deepEqual(rows, batchMigrations.map((m) => ({ version: m.version })));
  t.deepEqual(await migrate(pool, BATCH_COMPONENT, batchMigrations), { applied: [], version: batchMigrations.length });
});

test('pg batch store: a restart on new connections keeps everything', async (t) => {
  const newPool = await freshDatabase(t);
  const first = newPool();
  const store = await createPgBatchStore(first);
  await store.apply([
    { op: 'putJob', job: job('nightly.report') },
    { op: 'putSchedule', jobId: 'nightly.report', schedule: schedule('s') },
    { op: 'putRun', run: run('nightly.report', 'r3', 'STARTING', 30) },
    { op: 'finishRun', run: run('nightly.report', 'r1', 'SUCCESS', 0) },
    { op: 'finishRun', run: run('nightly.report', 'r2', 'FAILED', 10) },
    { op: 'putFrameworkId', frameworkId: 'fw-1' },
  ]);
  t.true(await store.claimTick('nightly.report', 's', at(0)));
  const state = await store.load();
  const history = await store.history('nightly.report');
  await store.close();
  await first.end(); // every connection of the first process gone

  const again = await createPgBatchStore(newPool());
  t.deepEqual(await again.load(), state);
  t.deepEqual(await again.history('nightly.report'), history);
  t.deepEqual(history, {
    successCount: 1, failureCount: 1, lastSuccessAt: at(10), lastFailureAt: at(20),
    successfulFinishedRuns: [{ id: 'r1', createdAt: at(0), finishedAt: at(10) }],
    failedFinishedRuns: [{ id: 'r2', createdAt: at(10), finishedAt: at(20) }],
  });
  t.deepEqual(await again.finishedRun('nightly.report', 'r2'), stored(run('nightly.report', 'r2', 'FAILED', 10)));
  t.false(await again.claimTick('nightly.report', 's', at(0)));
});

test('pg batch store: four processes racing for 100 ticks of two schedules while old ticks are pruned: no tick won twice, the newest 10 once each', async (t) => {
  const newPool = await freshDatabase(t);
  const stores = await Promise.all([1, 2, 3, 4].map(() => createPgBatchStore(newPool(), { keptTicks: 10 })));
  await stores[0]!.apply([{ op: 'putJob', job: job('j') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('a') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('b') }]);
  const ticks = Array.from({ length: 50 }, (_, i) => at(i));
  // Every store tries every tick of both schedules at once; pruning (10 kept) runs during the race.
  const attempts = ticks.flatMap((tick) => ['a', 'b'].flatMap((s) => stores.map(async (store) => ({ key: `${s} ${tick}`, won: await store.claimTick('j', s, tick) }))));
  const results = await Promise.all(attempts);
  const wins = new Map<string, number>();
  for (const { key, won } of results) wins.set(key, (wins.get(key) ?? 0) + (won ? 1 : 0));
  const pool = newPool();
  const { rows } = await pool.query('SELECT schedule_id, count(*)::int AS n FROM batch.fired_ticks GROUP BY schedule_id ORDER BY schedule_id');
  // Claims of one tick race with claims of later ones: a tick pruned before its turn counts as
  // claimed, so it is won at most once; never twice.
  t.true([...wins.values()].every((n) => n <= 1), JSON.stringify([...wins].filter(([, n]) => n > 1)));
  // The 10 newest ticks of each schedule are above any pruning (a pruned tick has 10 newer ones
  // claimed): each won exactly once.
  for (const s of ['a', 'b']) t.deepEqual(ticks.slice(40).map((tick) => wins.get(`${s} ${tick}`)), Array(10).fill(1), s);
  t.deepEqual(rows, [{ schedule_id: 'a', n: 10 }, { schedule_id: 'b', n: 10 }]);
});

test('pg batch store: without pruning in the way, every tick is won exactly once across four processes', async (t) => {
  const newPool = await freshDatabase(t);
  const stores = await Promise.all([1, 2, 3, 4].map(() => createPgBatchStore(newPool())));
  await stores[0]!.apply([{ op: 'putJob', job: job('j') }, { op: 'putSchedule', jobId: 'j', schedule: schedule('s') }]);
  const ticks = Array.from({ length: 100 }, (_, i) => at(i));
  const results = await Promise.all(ticks.map(async (tick) => (await Promise.all(stores.map((s) => s.claimTick('j', 's', tick)))).filter(Boolean).length));
  t.deepEqual(results, ticks.map(() => 1));
});

test('pg batch store: documents are jsonb, queryable in SQL; history is a row of counts', async (t) => {
  const newPool = await freshDatabase(t);
  const pool = newPool();
  const store = await createPgBatchStore(pool);
  await store.apply([{ op: 'putJob', job: job('j') }, { op: 'finishRun', run: run('j', 'r1', 'SUCCESS') }]);
  const jobs = await pool.query("SELECT def->>'id' AS id, (def->'run'->>'cpus')::float AS cpus, jsonb_typeof(def) AS t FROM batch.jobs");
  t.deepEqual(jobs.rows, [{ id: 'j', cpus: 0.5, t: 'object' }]);
  const history = await pool.query('SELECT job_id, success_count::int AS s, failure_count::int AS f, last_success_at, last_failure_at FROM batch.job_history');
  t.deepEqual(history.rows, [{ job_id: 'j', s: 1, f: 0, last_success_at: at(10), last_failure_at: null }]);
});

test('pg batch store: a database error rolls back the whole apply, and the store goes on working', async (t) => {
  const newPool = await freshDatabase(t);
  const pool = newPool();
  const store = await createPgBatchStore(pool);
  await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-1' }, { op: 'putJob', job: job('j') }]);
  await pool.query("ALTER TABLE batch.active_runs ADD CONSTRAINT no_bad CHECK (run_id <> 'bad')");
  await t.throwsAsync(store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-2' }, { op: 'putRun', run: run('j', 'bad') }]), { message: /no_bad/ });
  await t.throwsAsync(store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-2' }, { op: 'putRun', run: run('x', 'r') }]), { instanceOf: UnknownJobError });
  t.deepEqual(await store.load(), { jobs: [stored(job('j'))], schedules: [], activeRuns: [], frameworkId: 'fw-1' });
  await store.apply([{ op: 'putFrameworkId', frameworkId: 'fw-3' }]);
  t.is((await store.load()).frameworkId, 'fw-3');
});
