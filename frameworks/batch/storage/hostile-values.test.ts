/**
 * Hostile values through the REST API, the batch core and the PostgreSQL store, whose
 * transactions are SQL text with escaped literals (pg-store.ts `asOneQuery`): quotes,
 * backslashes, `$n` placeholders, dollar quotes, comment starts and statement separators come
 * back byte for byte and touch no other row; what `jsonb` cannot hold (U+0000, an unpaired
 * surrogate) is a 422 at its path, stored nowhere, and does not fail the requests committed with it.
 */
import test, { type ExecutionContext } from 'ava';
import { ManualTime } from '../../../master/test-fixtures.ts';
import { silentLogger } from '../../../common/ports.ts';
import { openTestPools } from '../../../test/support/postgres.ts';
import { createBatchApp } from '../http/app.ts';
import { createBatchCore } from '../core/batch-core.ts';
import { createMemoryRunQueue } from '../queue/memory-run-queue.ts';
import { asOneQuery, createPgBatchStore } from './pg-store.ts';
import { job, run } from './store-contract.ts';

/** Strings that end a literal, start a comment, a placeholder or a dollar quote, or hide a backslash escape. */
const HOSTILE = [
  "it's",
  "'); DROP TABLE batch.jobs; --",
  "\\'; DELETE FROM batch.active_runs; --",
  'E\'\\x27\' || chr(39)',
  '$1 $2::jsonb $$ $tag$ ;',
  'back\\slash \\\\ \\n "double" `tick`',
  '/* unclosed comment',
  'ünïcödé 🚀 \u2028',
];

async function api(t: ExecutionContext) {
  const { pool, newPool } = await openTestPools(t);
  const store = await createPgBatchStore(pool);
  const time = new ManualTime();
  const core = createBatchCore({
    store, queue: createMemoryRunQueue(), state: await store.load(), clock: time, timers: time, logger: silentLogger,
    random: () => 0.5, role: '*',
  });
  t.teardown(() => core.stop());
  const app = createBatchApp({ service: core, logger: false, clock: time });
  t.teardown(() => app.close());
  const send = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
    const r = await app.inject({ method, url, ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    return { status: r.statusCode, body: r.body === '' ? undefined : JSON.parse(r.body) as Record<string, unknown> };
  };
  return { core, send, pool, newPool };
}

const hostileJob = (id: string) => ({
  id,
  description: HOSTILE.join(' | '),
  labels: Object.fromEntries(HOSTILE.map((s, i) => [`${s}#${i}`, s])),
  run: {
    cmd: HOSTILE.join(' && echo '),
    cpus: 0.1,
    mem: 32,
    env: Object.fromEntries(HOSTILE.map((s, i) => [`K${i}${s}`, s])),
    placement: { constraints: [{ attribute: HOSTILE[1], operator: 'EQ', value: HOSTILE[2] }] },
  },
});

test('hostile strings in a job come back byte for byte through the API, the store and a restart, and touch no other row', async (t) => {
  const { send, pool, newPool } = await api(t);
  t.is((await send('POST', '/v1/jobs', { id: 'plain', run: { cmd: 'true', cpus: 0.1, mem: 32 } })).status, 201);
  const posted = hostileJob('hostile');
  const created = await send('POST', '/v1/jobs', posted);
  t.is(created.status, 201, JSON.stringify(created.body));
  const updated = await send('PUT', '/v1/jobs/hostile', { ...posted, description: HOSTILE.slice().reverse().join(' ') });
  t.is(updated.status, 200, JSON.stringify(updated.body));
  const started = await send('POST', '/v1/jobs/hostile/runs');
  t.is(started.status, 201);
  const read = (await send('GET', '/v1/jobs/hostile')).body!;
  t.is(read.description, HOSTILE.slice().reverse().join(' '));
  t.deepEqual(read.labels, posted.labels);
  const runSpec = read.run as Record<string, unknown>;
  t.is(runSpec.cmd, posted.run.cmd);
  t.deepEqual(runSpec.env, posted.run.env);
  t.deepEqual(runSpec.placement, posted.run.placement);

  // Another process's connections see exactly what was written, and nothing else changed.
  const reloaded = await (await createPgBatchStore(newPool())).load();
  t.deepEqual(reloaded.jobs.map((j) => j.id), ['hostile', 'plain']);
  const stored = reloaded.jobs.find((j) => j.id === 'hostile')!;
  t.deepEqual(stored.labels, posted.labels);
  t.is(stored.run.cmd, posted.run.cmd);
  t.deepEqual(stored.run.env, posted.run.env);
  t.deepEqual(reloaded.activeRuns.map((r) => [r.jobId, r.status, r.spec.run.cmd]), [['hostile', 'INITIAL', posted.run.cmd]]);
  const tables = await pool.query<{ n: string }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'batch'");
  t.is(Number(tables.rows[0].n), 7, 'every batch table is still there');
});

test('a string PostgreSQL cannot store (U+0000, an unpaired surrogate) is a 422 at its path, stored nowhere, and fails no request committed with it', async (t) => {
  const { send, core, newPool } = await api(t);
  const cases: [body: unknown, path: string][] = [
    [{ id: 'nul-label', labels: { owner: 'a\u0000b' }, run: { cmd: 'true' } }, '/labels/owner'],
    [{ id: 'nul-key', labels: { 'a\u0000b': 'x' }, run: { cmd: 'true' } }, '/labels/a\u0000b'],
    [{ id: 'surrogate-cmd', run: { cmd: 'echo \ud800' } }, '/run/cmd'],
    [{ id: 'nul-env', run: { cmd: 'true', env: { A: 'x\u0000' } } }, '/run/env/A'],
    [{ id: 'nul-schedule', run: { cmd: 'true' }, schedules: [{ id: 'nightly', cron: '0 0 * * *', timezone: 'UTC\u0000' }] }, '/schedules(0)/timezone'],
  ];
  // Sent together with good jobs: one group commit may hold them all.
  const goods = ['good', 'good2', 'good3'].map((id) => ({ id, run: { cmd: 'true', cpus: 0.1, mem: 32 } }));
  const all = await Promise.all([goods[0], ...cases.map(([body]) => body), goods[1], goods[2]].map((body) => send('POST', '/v1/jobs', body)));
  const answers = all.slice(1, -2);
  t.deepEqual([all[0], ...all.slice(-2)].map((a) => a.status), [201, 201, 201], 'the good jobs are created');
  for (const [i, a] of answers.entries()) {
    t.is(a.status, 422, `${cases[i][1]}: ${JSON.stringify(a.body)}`);
    const paths = (a.body?.details as { path: string }[] | undefined)?.map((d) => d.path) ?? [];
    t.true(paths.includes(cases[i][1]), `${cases[i][1]} in ${JSON.stringify(paths)}`);
  }
  t.deepEqual(core.jobs().map((j) => j.id), ['good', 'good2', 'good3']);
  t.deepEqual((await (await createPgBatchStore(newPool())).load()).jobs.map((j) => j.id), ['good', 'good2', 'good3']);
  // A schedule alone, and an update.
  t.is((await send('POST', '/v1/jobs/good/schedules', { id: 'nightly', cron: '0 0 * * *', timezone: 'UTC\ud800' })).status, 422);
  t.is((await send('PUT', '/v1/jobs/good', { id: 'good', description: '\u0000', run: { cmd: 'true' } })).status, 422);
  t.is(core.job('good')?.description, undefined);
});

test('the store writes hostile ids and documents as literals, and refuses numbers SQL cannot hold before sending anything', async (t) => {
  const store = await createPgBatchStore((await openTestPools(t)).pool);
  // The store does not check id syntax (the API does): an id that is SQL is only a value.
  const evil = "x'); DELETE FROM batch.jobs; --\\";
  await store.apply([{ op: 'putJob', job: job('kept') }, { op: 'putJob', job: { ...job(evil), description: HOSTILE.join('') } }]);
  await store.apply([{ op: 'putRun', run: { ...run(evil, `r'1\\`, 'INITIAL'), reason: HOSTILE.join('') } }]);
  await store.apply([{ op: 'finishRun', run: { ...run(evil, `r'1\\`, 'FAILED', 5), reason: HOSTILE.join('') } }]);
  const state = await store.load();
  t.deepEqual(state.jobs.map((j) => j.id).sort(), ['kept', evil].sort());
  t.is(state.jobs.find((j) => j.id === evil)?.description, HOSTILE.join(''));
  t.is((await store.finishedRun(evil, `r'1\\`))?.reason, HOSTILE.join(''));
  t.is((await store.history(evil)).failureCount, 1);
  for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    t.throws(() => asOneQuery([['SELECT $1', [n]]]), { instanceOf: RangeError });
  }
  // A negative number after a minus sign must not become a comment (`1 - -1`, never `1 --1`).
  t.is(asOneQuery([['SELECT 1 -$1', [-1]]]).includes('--'), false);
  t.throws(() => asOneQuery([['SELECT $1', [{ a: 1 }]]]), { instanceOf: TypeError });
});
