/**
 * One-shot jobs through `maestro batch` and through Slurm on this host, same count, same command.
 *
 *   maestro   a real master and ONE REAL agent (cpus 16, mem 16384), `maestro batch` (PostgreSQL:
 *             the test server or an embedded one; Redis: the test server or a redis-server of its
 *             own), the bench a REST client: N jobs `true` (cpus 0.01, mem 32), each created and
 *             started (POST /v1/jobs, POST /v1/jobs/{id}/runs, 16 in flight): submit_ms and
 *             submissions/s; first POST -> no run active (the metrics gauge, polled every
 *             100 ms; every run then checked SUCCESS): complete_ms and completions/s; CPU ms
 *             per run of batch, the agent and the master over that time (/proc/<pid>/stat)
 *   slurm     Debian's slurm-wlm, slurmctld and slurmd on this host (bench/support/slurm.ts installs
 *             and configures them; 64 job slots, batch_sched_delay off: Slurm at its best here):
 *             N × `sbatch --wrap true` (32 in flight), the same two figures
 *
 * Batch's writes per run: PostgreSQL transactions (pg_stat_database xact_commit + xact_rollback of
 * the bench's own database, read after batch exited so every backend flushed its counts; start-up
 * included) and Redis commands (INFO commandstats of a redis-server private to the bench; a Lua
 * script is one command), each divided by the number of runs.
 *
 * `node --import=tsx bench/batch-vs-slurm.bench.ts [jobs=1000] [skip-slurm]`; BENCH_BATCH_NODE_ARGS and
 * BENCH_AGENTS_NODE_ARGS (`--cpu-prof --cpu-prof-dir=...`) profile batch and the agent. The goal: at
 * least 2× Slurm's completion rate.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emit, printTable, type BenchResult } from './report.ts';
import { startMasterProcess, killOnExit } from './support/master-process.ts';
import { startMaestro, killTaskProcesses } from '../test/support/maestro-process.ts';
import { call, eventually, type Json } from '../test/support/marathon-cluster.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { createTestRedis } from '../test/support/redis.ts';
import { deleteQueueKeys } from '../test/support/batch-cluster.ts';
import { inParallel } from './support/offer-cycle.ts';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startLocalSlurm } from './support/slurm.ts';

const JOBS = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 1000;
const WITH_SLURM = !process.argv.includes('skip-slurm');
const IN_FLIGHT = 16;
const SLURM_CPUS = 64;
const WAIT_MS = 600_000;

const results: BenchResult[] = [];
function record(config: BenchResult['config'], metric: string, value: number, unit: string): void {
  const r: BenchResult = { bench: 'batch-vs-slurm', config, metric, value, unit };
  emit(r);
  results.push(r);
}

async function maestroBatch(): Promise<void> {
  const db = await createTestDatabase();
  const redis = await createTestRedis({ privateServer: true });
  const master = await startMasterProcess({ allocation_interval: '100ms' });
  const agent = await startMaestro('agent', { master: master.url.replace(/^https?:\/\//, ''), quiet: true, resources: 'cpus:16;mem:16384;disk:4096;ports:[31000-32000]' }, 'agent started', 30_000, {
    nodeArgs: (process.env.BENCH_AGENTS_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== ''),
  });
  killOnExit(agent);
  const batch = await startMaestro('batch', {
    master: master.url.replace(/^https?:\/\//, ''), database: db.url, redis: redis.url, queue_name: `bench-${process.pid}`, logging_level: 'WARNING',
  }, 'batch started', 60_000, {
    listenFlags: { http_address: '127.0.0.1', http_port: 0 },
    nodeArgs: (process.env.BENCH_BATCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== ''),
  });
  killOnExit(batch);
  const config = { system: 'maestro batch', jobs: JOBS, agents: 1, agents_kind: 'real' };
  try {
    const b = batch.url;
    const ids = Array.from({ length: JOBS }, (_, i) => `bench-${i}`);
    const cpu0 = [cpuMs(batch.child.pid), cpuMs(agent.child.pid), cpuMs(master.pid)];
    const t0 = performance.now();
    await inParallel(ids, IN_FLIGHT, async (id) => {
      const j = await call(b, 'POST', '/v1/jobs', { id, run: { cmd: 'true', cpus: 0.01, mem: 32, disk: 0 } });
      if (j.status !== 201) throw new Error(`POST /v1/jobs: ${j.status} ${j.text}`);
      const r = await call(b, 'POST', `/v1/jobs/${id}/runs`);
      if (r.status !== 201) throw new Error(`POST runs: ${r.status} ${r.text}`);
    });
    const submitted = performance.now();
    // Done when no run is active any more (polled through the cheap metrics gauge; the history of
    // every job is checked once at the end, so the polling does not load the batch process).
    await eventually(async () => {
      const m = (await call(b, 'GET', '/v1/metrics')).body as Json;
      return m.gauges['metronome.runs.active.gauge'].value === 0;
    }, `${JOBS} runs to finish`, WAIT_MS);
    const completed = performance.now();
    const cpu = [cpuMs(batch.child.pid), cpuMs(agent.child.pid), cpuMs(master.pid)].map((ms, i) => ms - cpu0[i]);
    const jobs = (await call(b, 'GET', '/v1/jobs?embed=historySummary')).body as Json[];
    const succeeded = jobs.reduce((sum, j) => sum + (j.historySummary?.successCount ?? 0), 0);
    if (succeeded !== JOBS) throw new Error(`${succeeded} of ${JOBS} runs succeeded`);
    record(config, 'submit_ms', submitted - t0, 'ms');
    record(config, 'submissions_per_s', JOBS / ((submitted - t0) / 1000), '1/s');
    record(config, 'complete_ms', completed - t0, 'ms');
    record(config, 'completions_per_s', JOBS / ((completed - t0) / 1000), '1/s');
    record(config, 'batch_cpu_ms_per_run', cpu[0] / JOBS, 'ms');
    record(config, 'agent_cpu_ms_per_run', cpu[1] / JOBS, 'ms');
    record(config, 'master_cpu_ms_per_run', cpu[2] / JOBS, 'ms');
    await batch.stop();
    record(config, 'pg_transactions_per_run', (await pgTransactions(db.url)) / JOBS, '1');
    record(config, 'redis_commands_per_run', (await redisCommands(redis.url)) / JOBS, '1');
  } finally {
    await batch.stop();
    await deleteQueueKeys(redis.url, `bench-${process.pid}`);
    killTaskProcesses(agent.workDir);
    await agent.stop();
    await master.stop();
    await redis.close();
    await db.drop();
  }
}

/** CPU time (user + system, ms) a process used so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime: fields 14 and 15 of stat
}

/** Transactions committed or rolled back in the database at `url` so far (less this query's own). */
async function pgTransactions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(r.rows[0].n);
  } finally {
    await client.end();
  }
}

/** Commands the Redis at `url` ran so far, less INFO and the connection's own HELLO/CLIENT/SELECT. */
async function redisCommands(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const info = await redis.info('commandstats');
    let n = 0;
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!['info', 'hello', 'client', 'select'].includes(m[1])) n += Number(m[2]);
    return n;
  } finally {
    redis.disconnect();
  }
}

async function slurm(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'maestro-bench-slurm-'));
  // Slurm at its best here: 64 job slots on the one node and the batch scheduling delay off
  // (stock Slurm waits batch_sched_delay = 3 s between scheduling passes).
  const s = await startLocalSlurm({ workDir, cpus: SLURM_CPUS, extraConf: ['SchedulerParameters=batch_sched_delay=0,sched_min_interval=0'] });
  const config = { system: 'slurm', jobs: JOBS, agents: 1, agents_kind: 'real', slurm_cpus: SLURM_CPUS };
  try {
    const t0 = performance.now();
    const { submitMs, jobIds } = await s.submit(JOBS, 'true');
    const { doneMs, failed } = await s.waitAllDone(jobIds, WAIT_MS);
    if (failed > 0) throw new Error(`${failed} Slurm jobs failed`);
    const completed = performance.now();
    record(config, 'submit_ms', submitMs, 'ms');
    record(config, 'submissions_per_s', JOBS / (submitMs / 1000), '1/s');
    record(config, 'complete_ms', completed - t0, 'ms');
    record(config, 'completions_per_s', JOBS / ((completed - t0) / 1000), '1/s');
    void doneMs;
  } finally {
    await s.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await maestroBatch();
if (WITH_SLURM) await slurm();
printTable(results);
