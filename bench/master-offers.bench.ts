/**
 * End-to-end offer cycle of a real `maestro master` child process with {100, 1000, 5000}
 * SIMULATED agents (bench/support/simulated-agents.ts: the real agent protocol over one WebSocket
 * each, launch faked) and one framework over the real scheduler HTTP API, in JSON and in protobuf.
 * The agents and the framework share the bench process; the master has its own.
 *
 * Per agent count (one master, agents registered once) and per encoding (a fresh framework each,
 * torn down after):
 *   register          agents connected and registered (64 at a time): registration_ms, agents/s
 *   subscribe         SUBSCRIBE sent -> offers for every agent received: subscribe_to_offers_ms;
 *                     the OFFERS events: count, bytes (total and per offer), framework decode ms,
 *                     and master-side encode ms (the same events encoded again here with the
 *                     master's codec, proto/codec.ts, as master/http/wire-codec.ts does)
 *   decline/revive    one DECLINE of every offer (refuse_seconds 3600): decline_call_ms; then
 *                     REVIVE sent -> offers for every agent again: revive_to_offers_ms
 *   launch            one ACCEPT per offer with one LAUNCH (cpus:1;mem:128), 16 calls in flight:
 *                     accept_calls_ms (every call answered 202), first ACCEPT sent -> TASK_RUNNING
 *                     of every task at the framework: launch_to_running_ms, tasks/s
 * `node --import=tsx bench/master-offers.bench.ts 100 1000` runs the given agent counts only.
 */
import { codec } from '../proto/codec.ts';
import { emit, median, printTable } from './report.ts';
import type { BenchResult } from './report.ts';
import { startMasterProcess, type MasterProcess } from './support/master-process.ts';
import { benchFrameworkInfo, subscribeScheduler, type Encoding, type Json, type ReceivedEvent } from './support/scheduler-client.ts';
import { startSimulatedAgents, SIMULATED_AGENT_RESOURCES, type SimulatedAgents } from './support/simulated-agents.ts';
import { msBetween, sum } from './support/stats.ts';
import { collectOffers, expect202, launchOnePerOffer } from './support/offer-cycle.ts';

const AGENT_COUNTS = process.argv.slice(2).map(Number).filter((n) => n > 0);
const AGENTS = AGENT_COUNTS.length > 0 ? AGENT_COUNTS : [100, 1000, 5000, 10000];
const ENCODINGS: readonly Encoding[] = ['json', 'protobuf'];
const CALLS_IN_FLIGHT = 16;
const WAIT_MS = 120_000;

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

async function scenario(master: MasterProcess, sim: SimulatedAgents, encoding: Encoding): Promise<void> {
  const n = sim.count;
  const config = { agents: n, agents_kind: 'simulated', encoding, harness: 'master child process' };
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
    const launchMs = msBetween(l0, lastRunning);
    record(config, 'launch_to_running_ms', launchMs, 'ms');
    record(config, 'tasks_per_s', Math.round(n / (launchMs / 1000)), 'tasks/s');
  } finally {
    await sched.teardown();
  }
}

async function main(): Promise<void> {
  for (const agents of AGENTS) {
    let master: MasterProcess | undefined;
    let sim: SimulatedAgents | undefined;
    try {
      master = await startMasterProcess({ allocator_seed: 42 });
      sim = await startSimulatedAgents({ masterUrl: master.url, count: agents, resources: SIMULATED_AGENT_RESOURCES });
      const config = { agents, agents_kind: 'simulated', harness: 'master child process' };
      record(config, 'registration_ms', sim.registrationMs, 'ms');
      record(config, 'registrations_per_s', Math.round(agents / (sim.registrationMs / 1000)), 'agents/s');
      for (const encoding of ENCODINGS) await scenario(master, sim, encoding);
    } finally {
      await sim?.close();
      await master?.stop();
    }
  }
}

// The table shows what was measured, also when a later step failed.
main().finally(() => printTable(results)).catch((error: unknown) => {
  process.stderr.write(`master-offers: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
