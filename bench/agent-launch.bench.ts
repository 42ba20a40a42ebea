/**
 * Task launch on one REAL agent (issue 3, "Benchmark"): a real `maestro master` and a real
 * `maestro agent` (child processes, private temp work dirs) and a plain-HTTP framework in this
 * process (bench/support/scheduler-client.ts) that acknowledges every status update.
 *
 * `node --import tsx bench/agent-launch.bench.ts [N]` (default 1000). The agent is started as
 * `maestro agent` is (bin/maestro.mjs: its thread pool of 16 for the checkpoints' fsyncs), in a
 * work dir under `workParent` (below). The framework launches N
 * tasks (`sleep 600`, 0.01 cpus, 4 MB each) with as few ACCEPTs as the offers allow (the agent is
 * given room for all of them, so normally one), then measures:
 *   launch_ms        first ACCEPT sent -> last TASK_RUNNING received by the framework
 *   first_starting_ms, last_starting_ms
 *                    first ACCEPT sent -> first / last TASK_STARTING received (the rest of launch_ms
 *                    is the STARTING acknowledgement round trip and TASK_RUNNING)
 *   agent_rss_mb     the agent's VmRSS (/proc/<pid>/status) once all run
 *   agent_cpu_ms     the agent's user + system CPU time (/proc/<pid>/stat) during the launch wave,
 *                    a figure that other load on the machine moves less than wall time
 *   master_cpu_ms, framework_cpu_ms
 *                    the same for the master and for this process (the framework), which share the
 *                    machine's cores with the agent during the wave
 *   kill_ms          first KILL sent -> last TASK_KILLED received
 *   agent_kill_cpu_ms
 *                    the agent's user + system CPU time during the kill wave (each task's tree found,
 *                    killed, its end handled)
 *   floor_spawn_ms   the same N `sleep 600` through a plain `child_process.spawn` loop in this
 *                    process, until every one has spawned (the floor)
 *   launch_vs_floor  launch_ms / floor_spawn_ms
 * The goal of the issue: launch_ms <= 5 s for 1,000 tasks, within 3x of the floor.
 *
 * Nothing outlives the run, also on a failure or SIGINT: the exit hook SIGKILLs the floor's
 * children, every process whose environment names a sandbox of the agent's work dir (its tasks),
 * the agent (and the master, bench/support/master-process.ts), and removes the work dirs.
 * `BENCH_AGENT_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` profiles the agent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, printTable } from './report.ts';
import type { BenchResult } from './report.ts';
import { spawnAgent } from './support/agent-process.ts';
import { startMasterProcess, type MasterProcess } from './support/master-process.ts';
import { collectOffers, expect202, inParallel } from './support/offer-cycle.ts';
import { benchFrameworkInfo, subscribeScheduler, type BenchScheduler, type Json } from './support/scheduler-client.ts';
import { msBetween } from './support/stats.ts';
import { killTaskProcesses, taskProcesses } from '../test/support/maestro-process.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 1000);
if (!Number.isInteger(N) || N <= 0) throw new Error(`task count must be a positive integer, got '${process.argv[2]}'`);
const TASK_CPUS = 0.01;
const TASK_MEM = 4;
const WAIT_MS = 300_000;
const CALLS_IN_FLIGHT = 16;

const results: BenchResult[] = [];

/**
 * Where the agent's work dir is made: `BENCH_WORK_DIR`, else `.work/bench` in the checkout
 * (gitignored) with ext4's TOPDIR attribute (`chattr +T`, best effort), so that the Orlov
 * allocator puts each run's work dir in a block group of its own. Why: on a journal-less ext4
 * (this machine's root) every inode allocation steps over the inodes of its group freed in the
 * last 60 to 360 s one at a time (the kernel's `recently_deleted`), so a work dir in a group that
 * test suites or the previous run just emptied (the system temp dir) pays up to ~0.8 ms of CPU
 * for each of the ~20 files and directories a task makes: the machine's churn, not the agent.
 * `BENCH_WORK_DIR=/tmp` measures there all the same.
 */
function workParent(): string {
  const given = process.env.BENCH_WORK_DIR;
  if (given !== undefined && given !== '') return given;
  const dir = join(root, '.work', 'bench');
  mkdirSync(dir, { recursive: true });
  spawnSync('chattr', ['+T', dir], { stdio: 'ignore' });
  return dir;
}
const WORK_PARENT = workParent();

const config = { tasks: N, agents_kind: 'real', command: 'sleep 600', work_dir_parent: WORK_PARENT };

function record(metric: string, value: number, unit: string): void {
  const r: BenchResult = { bench: 'agent-launch', config, metric, value, unit };
  emit(r);
  results.push(r);
}

/** What the exit hook must not leave behind. */
const cleanup = {
  agent: undefined as ChildProcess | undefined,
  agentWorkDir: undefined as string | undefined,
  floor: [] as ChildProcess[],
};

function killFloor(): void {
  for (const c of cleanup.floor) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

process.on('exit', () => {
  killFloor();
  if (cleanup.agentWorkDir !== undefined) killTaskProcesses(cleanup.agentWorkDir);
  cleanup.agent?.kill('SIGKILL');
  if (cleanup.agentWorkDir !== undefined) rmSync(cleanup.agentWorkDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

interface AgentProcess {
  readonly pid: number;
  readonly workDir: string;
  stop(): Promise<void>;
}

/** A real `maestro agent` with room for every task; resolves on `agent started`. */
async function startAgentProcess(masterUrl: string, resources: string): Promise<AgentProcess> {
  const workDir = mkdtempSync(join(WORK_PARENT, 'maestro-bench-agent-'));
  cleanup.agentWorkDir = workDir;
  const nodeArgs = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const master = masterUrl.replace(/^https?:\/\//, '');
  const child = await spawnAgent([
    '--ip=127.0.0.1', '--port=0', `--work_dir=${workDir}`, `--master=${master}`, `--resources=${resources}`, '--quiet=true',
  ], nodeArgs, (c) => { cleanup.agent = c; });
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  return {
    pid: child.pid!,
    workDir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/** utime + stime of a process in ms (clock ticks of 1/100 s). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

const scalar = (name: string, value: number): Json => ({ name, type: 'SCALAR', scalar: { value } });

/** Set once the framework tears down: calls still in flight may then fail without failing the run. */
let closing = false;

/** Acknowledges every update that carries a uuid; calls `onState` with every task state. */
function acknowledgeAll(sched: BenchScheduler, onState: (taskId: string, state: string, at: bigint) => void): void {
  sched.onEvent((e) => {
    if (e.event.type !== 'UPDATE') return;
    const status = e.event.update.status as Json;
    if (['TASK_FAILED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED'].includes(status.state as string)) {
      process.stderr.write(`agent-launch: ${status.task_id.value} ${status.state} ${status.reason ?? ''}: ${status.message ?? ''}\n`);
    }
    onState(status.task_id.value as string, status.state as string, e.at);
    if (status.uuid === undefined || status.uuid === null || status.uuid === '') return;
    void sched.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
      .then((a) => { if (!closing) expect202('ACKNOWLEDGE', a); }, (e: unknown) => { if (!closing) throw e; });
  });
}

/** Resolves with the time of the `count`-th task to reach `state` (each task counted once). */
function reached(state: string, count: number, what: string): { readonly see: (taskId: string, s: string, at: bigint) => void; readonly done: Promise<bigint> } {
  const seen = new Set<string>();
  const failed: string[] = [];
  let resolve!: (at: bigint) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<bigint>((res, rej) => { resolve = res; reject = rej; });
  const timer = setTimeout(() => reject(new Error(`${what}: ${seen.size} of ${count} after ${WAIT_MS} ms`)), WAIT_MS);
  return {
    see(taskId, s, at) {
      if (s === state && !seen.has(taskId)) {
        seen.add(taskId);
        if (seen.size === count) {
          clearTimeout(timer);
          resolve(at);
        }
      } else if (['TASK_FAILED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED'].includes(s) && failed.length === 0) {
        failed.push(`${taskId} ${s}`);
        clearTimeout(timer);
        reject(new Error(`${what}: ${taskId} ended ${s}`));
      }
    },
    done,
  };
}

/** Launches every task, in as few ACCEPTs as the offers allow; returns when the last is RUNNING. */
async function launchWave(sched: BenchScheduler): Promise<{
  readonly taskIds: string[]; readonly agentId: string; readonly accepts: number; readonly ms: number;
  readonly firstStartingMs: number; readonly lastStartingMs: number;
}> {
  const taskIds = Array.from({ length: N }, (_, i) => `sleep-${i}`);
  const running = reached('TASK_RUNNING', N, 'TASK_RUNNING');
  const starting = reached('TASK_STARTING', N, 'TASK_STARTING');
  let firstStarting: bigint | undefined;
  let observer: (taskId: string, s: string, at: bigint) => void = () => undefined;
  acknowledgeAll(sched, (id, s, at) => observer(id, s, at));
  observer = (id, s, at) => {
    if (s === 'TASK_STARTING') firstStarting ??= at;
    starting.see(id, s, at);
    running.see(id, s, at);
  };
  void running.done.catch(() => undefined);
  void starting.done.catch(() => undefined);

  let next = 0;
  let accepts = 0;
  let agentId = '';
  let first: bigint | undefined;
  const acceptCalls: Promise<void>[] = [];
  const allOffered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`offers for only ${next} of ${N} tasks after ${WAIT_MS} ms`)), WAIT_MS);
    const onOffers = (offers: Json[]) => {
      for (const o of offers) {
        const cpus = (o.resources as Json[]).find((r) => r.name === 'cpus')?.scalar.value as number ?? 0;
        const mem = (o.resources as Json[]).find((r) => r.name === 'mem')?.scalar.value as number ?? 0;
        const fit = Math.min(N - next, Math.floor(cpus / TASK_CPUS + 1e-9), Math.floor(mem / TASK_MEM));
        const batch = taskIds.slice(next, next + fit);
        next += batch.length;
        agentId = o.agent_id.value as string;
        accepts++;
        first ??= process.hrtime.bigint();
        acceptCalls.push(sched.call({
          type: 'ACCEPT',
          accept: {
            offer_ids: [o.id],
            operations: batch.length === 0 ? [] : [{
              type: 'LAUNCH',
              launch: {
                task_infos: batch.map((id) => ({
                  name: id, task_id: { value: id }, agent_id: o.agent_id,
                  resources: [scalar('cpus', TASK_CPUS), scalar('mem', TASK_MEM)],
                  command: { value: 'sleep 600', shell: true },
                })),
              },
            }],
            filters: { refuse_seconds: batch.length === 0 ? 3600 : 0 },
          },
        }).then((a) => expect202('ACCEPT', a)));
      }
      if (next >= N) {
        clearTimeout(timer);
        off();
        resolve();
      }
    };
    const off = sched.onEvent((e) => { if (e.event.type === 'OFFERS') onOffers(e.event.offers.offers as Json[]); });
  });
  await sched.call({ type: 'REVIVE' }).then((a) => expect202('REVIVE', a));
  await allOffered;
  await Promise.all(acceptCalls);
  const last = await running.done;
  const lastStarting = await starting.done;
  return {
    taskIds, agentId, accepts, ms: msBetween(first!, last),
    firstStartingMs: msBetween(first!, firstStarting!), lastStartingMs: msBetween(first!, lastStarting),
  };
}

async function killWave(sched: BenchScheduler, taskIds: readonly string[], agentId: string): Promise<number> {
  const killed = reached('TASK_KILLED', taskIds.length, 'TASK_KILLED');
  void killed.done.catch(() => undefined);
  const off = sched.onEvent((e) => {
    if (e.event.type !== 'UPDATE') return;
    const s = e.event.update.status as Json;
    killed.see(s.task_id.value as string, s.state as string, e.at);
  });
  const first = process.hrtime.bigint();
  await inParallel(taskIds, CALLS_IN_FLIGHT, async (id) => {
    expect202('KILL', await sched.call({ type: 'KILL', kill: { task_id: { value: id }, agent_id: { value: agentId } } }));
  });
  const last = await killed.done;
  off();
  return msBetween(first, last);
}

/** The floor: N `sleep 600` through a plain spawn loop, until every one has spawned; then killed. */
async function floor(): Promise<number> {
  const t0 = process.hrtime.bigint();
  const spawned: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const c = spawn('sleep', ['600'], { stdio: 'ignore' });
    cleanup.floor.push(c);
    spawned.push(new Promise<void>((resolve, reject) => {
      c.once('spawn', () => resolve());
      c.once('error', reject);
    }));
  }
  await Promise.all(spawned);
  const ms = msBetween(t0, process.hrtime.bigint());
  const exits = cleanup.floor.map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()))));
  killFloor();
  await Promise.all(exits);
  cleanup.floor = [];
  return ms;
}

async function main(): Promise<void> {
  let master: MasterProcess | undefined;
  let agent: AgentProcess | undefined;
  let sched: BenchScheduler | undefined;
  try {
    master = await startMasterProcess();
    const resources = `cpus:${Math.ceil(N * TASK_CPUS) + 1};mem:${N * TASK_MEM + 1024};disk:${N + 1024}`;
    sched = await subscribeScheduler(master.url, { encoding: 'json', frameworkInfo: benchFrameworkInfo('agent-launch-bench'), maxSockets: CALLS_IN_FLIGHT });
    const firstOffers = collectOffers(sched, 1, 60_000);
    agent = await startAgentProcess(master.url, resources);
    await firstOffers.done;
    // The offers that came before the wave are declined (filter 0 s), so the wave starts from a fresh offer.
    for (const o of firstOffers.offers) {
      expect202('DECLINE', await sched.call({ type: 'DECLINE', decline: { offer_ids: [o.id], filters: { refuse_seconds: 0 } } }));
    }

    const cpuBefore = { agent: cpuMs(agent.pid), master: cpuMs(master.pid), bench: cpuMs(process.pid) };
    const wave = await launchWave(sched);
    const cpuAfter = { agent: cpuMs(agent.pid), master: cpuMs(master.pid), bench: cpuMs(process.pid) };
    record('accepts', wave.accepts, 'calls');
    record('launch_ms', wave.ms, 'ms');
    record('first_starting_ms', wave.firstStartingMs, 'ms');
    record('last_starting_ms', wave.lastStartingMs, 'ms');
    record('agent_cpu_ms', cpuAfter.agent - cpuBefore.agent, 'ms');
    record('master_cpu_ms', cpuAfter.master - cpuBefore.master, 'ms');
    record('framework_cpu_ms', cpuAfter.bench - cpuBefore.bench, 'ms');
    record('agent_rss_mb', rssMb(agent.pid), 'MB');
    const agentBeforeKill = cpuMs(agent.pid);
    record('kill_ms', await killWave(sched, wave.taskIds, wave.agentId), 'ms');
    record('agent_kill_cpu_ms', cpuMs(agent.pid) - agentBeforeKill, 'ms');

    const floorMs = await floor();
    record('floor_spawn_ms', floorMs, 'ms');
    record('launch_vs_floor', wave.ms / floorMs, 'x');

    const left = taskProcesses(agent.workDir).length;
    if (left !== 0) throw new Error(`${left} task processes still alive after every TASK_KILLED`);
  } finally {
    closing = true;
    await sched?.teardown();
    killFloor();
    if (agent !== undefined) {
      killTaskProcesses(agent.workDir);
      await agent.stop();
      rmSync(agent.workDir, { recursive: true, force: true });
      cleanup.agentWorkDir = undefined;
    }
    await master?.stop();
    printTable(results);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`agent-launch: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
