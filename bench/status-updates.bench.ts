/**
 * Status update throughput through a real `maestro master` child process: SIMULATED agents
 * (slave/simulate/ inside the bench process, via bench/support/simulated-agents.ts: the real
 * agent protocol, launch faked) report TASK_RUNNING again for running tasks through their real
 * status update managers, the master forwards each to the framework as an UPDATE event, the
 * framework ACKNOWLEDGEs each over HTTP (16 keep-alive sockets), and the master sends the
 * acknowledgement to the agent, whose manager then sends that task's next update. Agents and
 * framework share the bench process (one clock: each update is timed from the agent's side),
 * which is why the agents are not the separate `maestro agent --simulate` process here.
 *
 * Setup, per encoding of the framework (JSON, protobuf): 100 agents, a fresh framework that
 * launches 6 tasks per agent (600: more than the largest window, so that the updates in flight
 * are on distinct tasks; an agent keeps one unacknowledged update in flight per task), their
 * STARTING/RUNNING updates acknowledged too, then 1,000 updates of warm-up. Then, per window W
 * (updates sent but not yet acknowledged at their agent: a closed loop that sends the next update
 * when an acknowledgement arrives), K updates, spread round-robin over the tasks:
 *   updates_per_s      K / (first update sent -> last acknowledgement received by its agent)
 *   ack_rtt_p50/p99    per update: agent sends it -> its acknowledgement is back at the agent
 *   forward_p50/p99    per update: agent sends it -> the framework has decoded the UPDATE
 * W = 1 shows the latency of one update alone; larger windows show throughput under load.
 */
import { emit, printTable } from './report.ts';
import type { BenchResult } from './report.ts';
import { startMasterProcess, type MasterProcess } from './support/master-process.ts';
import { collectOffers, expect202, inParallel, type Offer } from './support/offer-cycle.ts';
import { benchFrameworkInfo, subscribeScheduler, type BenchScheduler, type Encoding } from './support/scheduler-client.ts';
import { startSimulatedAgents, type SimulatedAgents } from './support/simulated-agents.ts';
import { msBetween, percentile } from './support/stats.ts';

const AGENTS = 100;
/** Tasks per agent: 0.1 cpus and 16 MB each. */
const TASKS_PER_AGENT = 6;
const ENCODINGS: readonly Encoding[] = ['json', 'protobuf'];
/** [window, updates] */
const RUNS: ReadonlyArray<readonly [number, number]> = [[1, 1000], [64, 10_000], [512, 20_000]];
const WARMUP = 1000;
const ACK_SOCKETS = 16;
const WAIT_MS = 120_000;

const results: BenchResult[] = [];

function record(config: BenchResult['config'], metric: string, value: number, unit: string): void {
  const r: BenchResult = { bench: 'status-updates', config, metric, value, unit };
  emit(r);
  results.push(r);
}

interface RunningTask {
  readonly agentIndex: number;
  readonly taskId: string;
}

/** Per-update timestamps, by status uuid (base64), filled by the agents and the framework. */
interface Tracking {
  readonly sentAt: Map<string, bigint>;
  readonly forwardMs: number[];
}

interface RunResult {
  readonly elapsedMs: number;
  readonly rttMs: number[];
  readonly forwardMs: number[];
}

/** Sends `total` updates keeping `window` unacknowledged; resolves when every one is acknowledged. */
function closedLoop(sim: SimulatedAgents, frameworkId: string, tasks: readonly RunningTask[], tracking: Tracking, window: number, total: number): Promise<RunResult> {
  const rttMs: number[] = [];
  tracking.forwardMs.length = 0;
  tracking.sentAt.clear();
  let sent = 0;
  let acked = 0;
  let first = 0n;
  return new Promise<RunResult>((resolve, reject) => {
    const sendOne = () => {
      const task = tasks[sent % tasks.length];
      sent++;
      const at = process.hrtime.bigint();
      const uuid = sim.sendUpdate(task.agentIndex, frameworkId, task.taskId);
      tracking.sentAt.set(uuid, at);
    };
    const timer = setTimeout(() => { off(); reject(new Error(`${acked} of ${total} updates acknowledged after ${WAIT_MS} ms (window ${window})`)); }, WAIT_MS);
    const off = sim.onAck((ack) => {
      const at = tracking.sentAt.get(ack.uuid);
      if (at === undefined) return;
      tracking.sentAt.delete(ack.uuid);
      rttMs.push(msBetween(at, ack.at));
      acked++;
      if (sent < total) sendOne();
      if (acked === total) {
        clearTimeout(timer);
        off();
        resolve({ elapsedMs: msBetween(first, ack.at), rttMs, forwardMs: [...tracking.forwardMs] });
      }
    });
    first = process.hrtime.bigint();
    for (let i = 0; i < Math.min(window, total); i++) sendOne();
  });
}

/** Acknowledges every UPDATE that carries a uuid; records forward latency of tracked ones. */
function acknowledgeAll(sched: BenchScheduler, tracking: Tracking): { failures: () => string[] } {
  const failures: string[] = [];
  sched.onEvent((e) => {
    if (e.event.type !== 'UPDATE') return;
    const status = e.event.update.status;
    if (status.uuid === undefined) return;
    const at = tracking.sentAt.get(status.uuid);
    if (at !== undefined) tracking.forwardMs.push(msBetween(at, e.at));
    sched.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } }).then(
      (answer) => { if (answer.status !== 202) failures.push(`${answer.status} ${answer.text}`); },
      (error: unknown) => { failures.push(String(error)); },
    );
  });
  return { failures: () => failures };
}

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } });

/** One ACCEPT per offer launching TASKS_PER_AGENT tasks; returns the tasks with their agent's index. */
async function launchTasks(sched: BenchScheduler, sim: SimulatedAgents, offers: readonly Offer[], prefix: string): Promise<RunningTask[]> {
  const tasks: RunningTask[] = [];
  await inParallel(offers, ACK_SOCKETS, async (o, i) => {
    const ids = Array.from({ length: TASKS_PER_AGENT }, (_, k) => `${prefix}-${i}-${k}`);
    for (const taskId of ids) tasks.push({ agentIndex: sim.indexOf(o.agentId)!, taskId });
    expect202('ACCEPT', await sched.call({
      type: 'ACCEPT',
      accept: {
        offer_ids: [o.id],
        operations: [{ type: 'LAUNCH', launch: { task_infos: ids.map((taskId) => ({
          name: taskId, task_id: { value: taskId }, agent_id: { value: o.agentId },
          resources: [scalar('cpus', 0.1), scalar('mem', 16)], command: { value: 'sleep 3600', shell: true },
        })) } }],
        filters: { refuse_seconds: 3600 },
      },
    }));
  });
  return tasks;
}

async function untilAcks(sim: SimulatedAgents, count: number): Promise<void> {
  for (let waited = 0; sim.counters.acks < count; waited += 10) {
    if (waited > WAIT_MS) throw new Error(`${sim.counters.acks} of ${count} acknowledgements after ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function scenario(master: MasterProcess, sim: SimulatedAgents, encoding: Encoding): Promise<void> {
  const sched = await subscribeScheduler(master.url, { encoding, frameworkInfo: benchFrameworkInfo(`bench-updates-${encoding}`), maxSockets: ACK_SOCKETS });
  try {
    const tracking: Tracking = { sentAt: new Map(), forwardMs: [] };
    const acks = acknowledgeAll(sched, tracking);
    const offers = collectOffers(sched, sim.count, WAIT_MS);
    await offers.done;
    const acksBefore = sim.counters.acks;
    const tasks = await launchTasks(sched, sim, offers.offers, `${encoding}-task`);
    // TASK_STARTING and TASK_RUNNING of every task, acknowledged.
    await untilAcks(sim, acksBefore + 2 * tasks.length);

    await closedLoop(sim, sched.frameworkId, tasks, tracking, 64, WARMUP);
    for (const [window, total] of RUNS) {
      const r = await closedLoop(sim, sched.frameworkId, tasks, tracking, window, total);
      const config = { agents: sim.count, agents_kind: 'simulated', tasks: tasks.length, encoding, window, updates: total, harness: 'master child process' };
      record(config, 'updates_per_s', Math.round(total / (r.elapsedMs / 1000)), 'updates/s');
      record(config, 'ack_rtt_p50', percentile(r.rttMs, 50), 'ms');
      record(config, 'ack_rtt_p99', percentile(r.rttMs, 99), 'ms');
      record(config, 'forward_p50', percentile(r.forwardMs, 50), 'ms');
      record(config, 'forward_p99', percentile(r.forwardMs, 99), 'ms');
    }
    const failed = acks.failures();
    if (failed.length > 0) throw new Error(`${failed.length} ACKNOWLEDGE calls failed, first: ${failed[0]}`);
  } finally {
    await sched.teardown();
  }
}

async function main(): Promise<void> {
  let master: MasterProcess | undefined;
  let sim: SimulatedAgents | undefined;
  try {
    master = await startMasterProcess({ allocator_seed: 42 });
    sim = await startSimulatedAgents({ masterUrl: master.url, count: AGENTS });
    for (const encoding of ENCODINGS) await scenario(master, sim, encoding);
  } finally {
    await sim?.close();
    await master?.stop();
  }
}

// The table shows what was measured, also when a later step failed.
main().finally(() => printTable(results)).catch((error: unknown) => {
  process.stderr.write(`status-updates: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
