/**
 * End-to-end offer cycle of a real `maestro master` child process with {100, 1000, 5000, 10000}
 * SIMULATED agents and one framework over the real scheduler HTTP API, in JSON and in protobuf.
 * Three processes: the master, `maestro agent --simulate=N` (slave/simulate/: the real agent
 * protocol over one WebSocket per agent, launch faked; bench/support/simulated-agents.ts starts
 * it), and the bench process as the framework.
 *
 * Per agent count (one master, agents registered once) and per encoding (a fresh framework each,
 * torn down after):
 *   register          agents connected and registered (64 at a time), timed by the simulator:
 *                     registration_ms, agents/s; the simulator's RSS then (simulator_rss_mb)
 *   subscribe         SUBSCRIBE sent -> offers for every agent received: subscribe_to_offers_ms;
 *                     the OFFERS events: count, bytes (total and per offer), framework decode ms,
 *                     and master-side encode ms (the same events encoded again here with the
 *                     master's codec, proto/codec.ts, as master/http/wire-codec.ts does)
 *   decline/revive    one DECLINE of every offer (refuse_seconds 3600): decline_call_ms; then
 *                     REVIVE sent -> offers for every agent again: revive_to_offers_ms
 *   launch            one ACCEPT per offer with one LAUNCH (cpus:1;mem:128), 16 calls in flight,
 *                     every UPDATE acknowledged (the agents send TASK_RUNNING once TASK_STARTING
 *                     is acknowledged, as a real agent): accept_calls_ms (every call answered
 *                     202), first ACCEPT sent -> TASK_STARTING of every task at the framework:
 *                     launch_to_starting_ms, -> TASK_RUNNING of every task: launch_to_running_ms,
 *                     tasks/s; the simulator's RSS with the N tasks
 *                     running (simulator_rss_running_mb)
 * `node --import=tsx bench/master-offers.bench.ts 100 1000` runs the given agent counts only.
 */
import { codec } from '../proto/codec.ts';
import { emit, median, printTable } from './report.ts';
import type { BenchResult } from './report.ts';
import { startMasterProcess, type MasterProcess } from './support/master-process.ts';
import { benchFrameworkInfo, subscribeScheduler, type Encoding, type Json, type ReceivedEvent } from './support/scheduler-client.ts';
import { startSimulatedAgentsProcess, SIMULATED_AGENT_RESOURCES, type SimulatedAgentsProcess } from './support/simulated-agents.ts';
import { msBetween, sum } from './support/stats.ts';
import { collectOffers, expect202, launchOnePerOffer } from './support/offer-cycle.ts';

const AGENT_COUNTS = process.argv.slice(2).map(Number).filter((n) => n > 0);
const AGENTS = AGENT_COUNTS.length > 0 ? AGENT_COUNTS : [100, 1000, 5000, 10000];
const ENCODINGS: readonly Encoding[] = ['json', 'protobuf'];
const CALLS_IN_FLIGHT = 16;
const WAIT_MS = 120_000;
const HARNESS = 'master and simulator child processes';

const results: BenchResult[] = [];
const eventCodec = codec<Json>('mesos.v1.scheduler.Event');

function record(config: BenchResult['config'], metric: string, value: number, unit: string): void {
  const r: BenchResult = { bench: 'master-offers', config, metric, value, unit };
  emit(r);
  results.push(r);
}

/** Master-side encode cost of these events: median of 5 encodings of all of them, after one warm-up. */
function encodeMs(encoding: Encoding, events: readonly ReceivedEvent[]): number {
  const canonical = events.map((e) => encoding === 'json' ? eventCodec.fromJson(e.event) : e.event);
  const runs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = process.hrtime.bigint();
    for (const ev of canonical) {
      if (encoding === 'json') Buffer.from(JSON.stringify(eventCodec.toJson(ev)), 'utf8');
      else eventCodec.encode(ev);
    }
    runs.push(msBetween(t0, process.hrtime.bigint()));
  }
  return median(runs.slice(1));
}

async function scenario(master: MasterProcess, sim: SimulatedAgentsProcess, encoding: Encoding): Promise<void> {
  const n = sim.count;
  const config = { agents: n, agents_kind: 'simulated', encoding, harness: HARNESS };
  const t0 = process.hrtime.bigint();
  const sched = await subscribeScheduler(master.url, { encoding, frameworkInfo: benchFrameworkInfo(`bench-offers-${encoding}`), maxSockets: CALLS_IN_FLIGHT });
  try {
    // SUBSCRIBED is the first event: the collector armed now sees every OFFERS event.
    const first = collectOffers(sched, n, WAIT_MS);
    await first.done;
    const bytes = sum(first.events.map((e) => e.bytes));
    record(config, 'subscribe_to_offers_ms', msBetween(t0, first.events[first.events.length - 1].at), 'ms');
    record(config, 'offers_events', first.events.length, 'events');
    record(config, 'offers_event_bytes', bytes, 'B');
    record(config, 'bytes_per_offer', Math.round(bytes / first.offers.length), 'B');
    record(config, 'offers_decode_ms', sum(first.events.map((e) => e.decodeMs)), 'ms');
    record(config, 'offers_encode_ms', encodeMs(encoding, first.events), 'ms');

    const d0 = process.hrtime.bigint();
    expect202('DECLINE', await sched.call({ type: 'DECLINE', decline: { offer_ids: first.offers.map((o) => o.id), filters: { refuse_seconds: 3600 } } }));
    record(config, 'decline_call_ms', msBetween(d0, process.hrtime.bigint()), 'ms');
    const again = collectOffers(sched, n, WAIT_MS);
    const r0 = process.hrtime.bigint();
    expect202('REVIVE', await sched.call({ type: 'REVIVE' }));
    await again.done;
    record(config, 'revive_to_offers_ms', msBetween(r0, again.events[again.events.length - 1].at), 'ms');

    // As a real framework: every update is acknowledged (an agent sends a task's TASK_RUNNING only
    // once its TASK_STARTING is acknowledged: one update in flight per task).
    const ackFailures: string[] = [];
    const stopAcking = sched.onEvent((e) => {
      if (e.event.type !== 'UPDATE' || e.event.update.status.uuid === undefined) return;
      const s = e.event.update.status;
      sched.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } }).then(
        (answer) => { if (answer.status !== 202) ackFailures.push(`${answer.status} ${answer.text}`); },
        (error: unknown) => { ackFailures.push(String(error)); },
      );
    });
    const starting = new Set<string>();
    let lastStarting = 0n;
    const stopStarting = sched.onEvent((e) => {
      if (e.event.type !== 'UPDATE' || e.event.update.status.state !== 'TASK_STARTING') return;
      starting.add(e.event.update.status.task_id.value);
      lastStarting = e.at;
    });
    const running = new Set<string>();
    let lastRunning = 0n;
    const allRunning = sched.until((e) => {
      if (e.event.type !== 'UPDATE' || e.event.update.status.state !== 'TASK_RUNNING') return false;
      running.add(e.event.update.status.task_id.value);
      lastRunning = e.at;
      return running.size >= n;
    }, WAIT_MS, `TASK_RUNNING of ${n} tasks`);
    // Awaited below; this only keeps a failed launch from also reporting an unhandled rejection.
    allRunning.catch(() => undefined);
    const l0 = process.hrtime.bigint();
    await launchOnePerOffer(sched, again.offers, `${encoding}-task`, CALLS_IN_FLIGHT);
    record(config, 'accept_calls_ms', msBetween(l0, process.hrtime.bigint()), 'ms');
    await allRunning;
    stopStarting();
    record(config, 'launch_to_starting_ms', msBetween(l0, lastStarting), 'ms');
    const launchMs = msBetween(l0, lastRunning);
    record(config, 'launch_to_running_ms', launchMs, 'ms');
    record(config, 'tasks_per_s', Math.round(n / (launchMs / 1000)), 'tasks/s');
    const snapshot = await (await fetch(`${sim.url}/metrics/snapshot`)).json() as Record<string, number>;
    record(config, 'simulator_rss_running_mb', Math.round(snapshot['simulator/rss_bytes'] / 1048576), 'MB');
    stopAcking();
    if (ackFailures.length > 0) throw new Error(`${ackFailures.length} ACKNOWLEDGE calls failed, first: ${ackFailures[0]}`);
  } finally {
    await sched.teardown();
  }
}

async function main(): Promise<void> {
  for (const agents of AGENTS) {
    let master: MasterProcess | undefined;
    let sim: SimulatedAgentsProcess | undefined;
    try {
      master = await startMasterProcess({ allocator_seed: 42 });
      sim = await startSimulatedAgentsProcess({ masterUrl: master.url, count: agents, resources: SIMULATED_AGENT_RESOURCES, timeoutMs: WAIT_MS });
      const config = { agents, agents_kind: 'simulated', harness: HARNESS };
      record(config, 'registration_ms', sim.registrationMs, 'ms');
      record(config, 'registrations_per_s', Math.round(agents / (sim.registrationMs / 1000)), 'agents/s');
      record(config, 'simulator_rss_mb', Math.round(sim.rssBytes / 1048576), 'MB');
      for (const encoding of ENCODINGS) await scenario(master, sim, encoding);
    } finally {
      await sim?.stop();
      await master?.stop();
    }
  }
}

// The table shows what was measured, also when a later step failed.
main().finally(() => printTable(results)).catch((error: unknown) => {
  process.stderr.write(`master-offers: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
