/**
 * What one one-shot run costs PostgreSQL through the core and the real PostgreSQL store: the
 * bench's flow (create a job, start a run, launch, STARTING/RUNNING/FINISHED), with every request
 * and update arriving on its own (the least grouping: each commit carries one run's writes).
 * Counted at the pool: round trips (queries sent), statements, transactions.
 *
 * Pinned: one round trip per transaction (a group commit is one multi-statement query), and the
 * statements of a run: putJob, putRun INITIAL, its share of the STARTING upsert, ACTIVE, and the
 * finish (history row, pruning): 5 and a share (before group commit: 6 statements, and a BEGIN
 * and a COMMIT around each transaction: 12 round trips per run). Grouping (requests and updates
 * that arrive together) only lowers these: ACTIVE then vanishes into the finish, putRuns share rows.
 */
import test from 'ava';
import pg from 'pg';
import { openTestPools } from '../../../test/support/postgres.ts';
import { silentLogger, systemClock, systemTimers } from '../../../common/ports.ts';
import { offer } from '../../../marathon/placement/test-builders.ts';
import type { mesos } from '../../../proto/types.generated.ts';
import type { JobSpec } from '../model.ts';
import { createMemoryRunQueue } from '../queue/memory-run-queue.ts';
import { createPgBatchStore } from '../storage/pg-store.ts';
import { createBatchCore, type BatchDriver } from './batch-core.ts';

const RUNS = 40;
const OK = { ok: true } as const;

interface Counts { roundTrips: number; statements: number; transactions: number }

/** The pool, counting what is sent through it (pool.query and checked-out clients alike). */
function countingPool(pool: pg.Pool, c: Counts): pg.Pool {
  const inTx = new WeakSet<object>();
  const count = (owner: object, q: unknown) => {
    const text = (typeof q === 'string' ? q : (q as { text?: string })?.text ?? '').trim();
    c.roundTrips++;
    const upper = text.toUpperCase();
    if (upper === 'BEGIN') {
      c.transactions++;
      inTx.add(owner);
    } else if (upper === 'COMMIT' || upper === 'ROLLBACK') {
      inTx.delete(owner);
    } else {
      c.statements += text.split(";\n").length;
      if (!inTx.has(owner)) c.transactions++;
    }
  };
  const wrapQuery = <T extends { query: (...a: never[]) => unknown }>(target: T): T => new Proxy(target, {
    get(obj, key, receiver) {
      const v = Reflect.get(obj, key, receiver);
      if (key !== 'query' || typeof v !== 'function') return typeof v === 'function' ? v.bind(obj) : v;
      return (q: unknown, ...rest: unknown[]) => {
        count(obj, q);
        return (v as (...a: unknown[]) => unknown).call(obj, q, ...rest);
      };
    },
  });
  return new Proxy(pool, {
    get(obj, key, receiver) {
      if (key === 'query') return wrapQuery(obj).query;
      if (key === 'connect') return async () => wrapQuery(await obj.connect());
      const v = Reflect.get(obj, key, receiver);
      return typeof v === 'function' ? v.bind(obj) : v;
    },
  });
}

const job = (id: string): JobSpec => ({
  id, labels: {},
  run: { cmd: 'true', cpus: 0.01, mem: 32, disk: 0, gpus: 0, env: {}, placement: { constraints: [] }, artifacts: [], volumes: [], maxLaunchDelay: 3600, restart: { policy: 'NEVER' }, secrets: {} },
});
const nextEvent = () => new Promise((r) => setTimeout(r, 1));

test('one round trip per transaction, and 5 statements per one-shot run plus its share of a launch', async (t) => {
  const { pool } = await openTestPools(t);
  const c: Counts = { roundTrips: 0, statements: 0, transactions: 0 };
  const store = await createPgBatchStore(countingPool(pool, c));
  const launched: string[] = [];
  const driver: BatchDriver = {
    state: 'SUBSCRIBED',
    accept: async (_ids, ops) => {
      for (const op of ops) for (const ti of op.launch?.task_infos ?? []) launched.push(ti.task_id.value);
      return OK;
    },
    decline: async () => OK, kill: async () => OK, reconcile: async () => OK, revive: async () => OK, setDemand: async () => OK, acknowledge: async () => OK,
  };
  const core = createBatchCore({
    store, queue: createMemoryRunQueue(), state: await store.load(), clock: systemClock, timers: systemTimers, logger: silentLogger, random: Math.random, role: '*',
  });
  t.teardown(() => core.stop());
  await core.start(driver);
  await core.subscribed('fw');
  await core.idle();
  Object.assign(c, { roundTrips: 0, statements: 0, transactions: 0 });
  for (let i = 0; i < RUNS; i++) {
    t.true((await core.createJob(job(`j${i}`))).ok);
    await nextEvent();
    t.true((await core.startRun(`j${i}`)).ok);
    await nextEvent();
  }
  let uuid = 0;
  for (let round = 0; launched.length < RUNS; round++) {
    const before = launched.length;
    await core.offers([offer().offerId(`o${round}`).agentId('a1').hostname('h1').cpus(0.08).mem(8 * 32).ports(31000, 31007).build()]);
    for (const state of ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']) {
      for (const id of launched.slice(before)) {
        await core.update({ task_id: { value: id }, agent_id: { value: 'a1' }, state, uuid: `u${++uuid}`, source: 'SOURCE_EXECUTOR' } as mesos.v1.TaskStatus);
        await nextEvent();
      }
    }
  }
  await core.idle();
  const counted = { ...c };
  t.is((await core.history('j0')).successCount, 1);
  t.log(`per run: ${counted.roundTrips / RUNS} round trips, ${counted.statements / RUNS} statements, ${counted.transactions / RUNS} transactions`);
  t.is(counted.roundTrips, counted.transactions, 'every transaction is one round trip');
  // putJob 1, putRun INITIAL 1, ACTIVE 1, finish 2 (history row, pruning); one STARTING upsert per offer of 8 runs.
  t.true(counted.statements <= 5 * RUNS + RUNS / 8, `${counted.statements / RUNS} statements per run`);
});
