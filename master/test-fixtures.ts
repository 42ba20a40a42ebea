/**
 * Test fixtures for the master core: fakes at its ports only (a manual clock and timer queue, a
 * recording event sink per subscription, a recording agent connection) and a `harness()` that
 * wires them to a real Master and the real allocator. Used by master/*.test.ts.
 */
import { createAllocator } from './allocator/index.ts';
import { asStreamId, type FrameworkId } from '../common/ids.ts';
import { Resources } from '../common/resources/resources.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import { Master, type MasterConfig } from './master.ts';
import { silentLogger, type Clock, type TimerHandle, type Timers } from '../common/ports.ts';
import { createIdGenerator, type AgentConnection } from './ports.ts';
import type { EventSink, SchedulerEvent } from './scheduler-endpoint.ts';
import type { Registrar } from './registry/registrar.ts';

type Envelope = maestro.agent.Envelope;

/** A clock and timer queue that move only when the test says so. */
export class ManualTime implements Clock, Timers {
  private current = 1_700_000_000_000;
  private seq = 0;
  private readonly queue = new Map<number, { due: number; fn: () => void; every?: number }>();

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.seq++;
    this.queue.set(id, { due: this.current + ms, fn });
    return { timer: id };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.seq++;
    this.queue.set(id, { due: this.current + ms, fn, every: ms });
    return { timer: id };
  }

  clear(handle: TimerHandle): void {
    this.queue.delete(handle.timer as number);
  }

  /** Timers still queued (one-shot and periodic). */
  pending(): number {
    return this.queue.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due, in due order. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let nextId = -1;
      let next: { due: number; fn: () => void; every?: number } | undefined;
      for (const [id, t] of this.queue) if (t.due <= end && (next === undefined || t.due < next.due || (t.due === next.due && id < nextId))) { next = t; nextId = id; }
      if (next === undefined) break;
      this.current = next.due;
      if (next.every !== undefined) next.due += Math.max(1, next.every);
      else this.queue.delete(nextId);
      next.fn();
    }
    this.current = end;
  }
}

export class RecordingSink implements EventSink {
  readonly events: SchedulerEvent[] = [];
  closed = false;
  send(event: SchedulerEvent): void {
    this.events.push(event);
  }
  close(): void {
    this.closed = true;
  }
  of<T extends NonNullable<SchedulerEvent['type']>>(type: T): SchedulerEvent[] {
    return this.events.filter((e) => e.type === type);
  }
  offers(): mesos.v1.Offer[] {
    return this.of('OFFERS').flatMap((e) => e.offers?.offers ?? []);
  }
  updates(): mesos.v1.TaskStatus[] {
    return this.of('UPDATE').map((e) => e.update!.status);
  }
}

let nextConnection = 1;
export class RecordingAgent implements AgentConnection {
  readonly id = nextConnection++;
  constructor(readonly remoteAddress?: string) {}
  readonly sent: Envelope[] = [];
  closedWith: string | undefined;
  send(envelope: Envelope): void {
    this.sent.push(envelope);
  }
  close(reason: string): void {
    this.closedWith ??= reason;
  }
  of<K extends keyof Envelope>(kind: K): NonNullable<Envelope[K]>[] {
    return this.sent.map((e) => e[kind]).filter((m): m is NonNullable<Envelope[K]> => m !== undefined);
  }
}

export const TEST_CONFIG: MasterConfig = {
  hostname: 'master.test', ip: '127.0.0.1', port: 5050, version: '0.1.0-test',
  agentPingTimeoutMs: 15_000, maxAgentPingTimeouts: 5, offerTimeoutMs: undefined, allocationIntervalMs: 1000,
  heartbeatIntervalSeconds: 15, weights: new Map(), flags: {},
};

export const wire = (text: string) => Resources.parse(text).toProto();

/**
 * A real Master over the fakes, started (unless `awaitElection`). With `registrar` (say over the in-memory store) it
 * stores before it acts; `flush()` lets the registry writes land and their continuations run.
 */
export function harness(config: Partial<MasterConfig> = {}, deps: {
  readonly registrar?: Registrar;
  /** A master that waits to be elected (not started: recover() and start() are the test's). */
  readonly awaitElection?: boolean;
  /** The id generator's prefix (masters sharing one store need distinct ones). */
  readonly idPrefix?: string;
} = {}) {
  const time = new ManualTime();
  const allocator = createAllocator({ seed: 7 });
  const registrar = deps.registrar;
  const master = new Master({
    clock: time, timers: time, ids: createIdGenerator(deps.idPrefix ?? 'M'), logger: silentLogger, allocator, config: { ...TEST_CONFIG, ...config }, registrar,
    ...(deps.awaitElection === true ? { awaitElection: true } : {}),
  });
  if (deps.awaitElection !== true) master.start();
  const flush = async () => {
    for (let i = 0; i < 3; i++) {
      await registrar?.drain();
      await new Promise((r) => setImmediate(r));
      time.advance(0);
    }
  };
  let streams = 0;

  const subscribe = (info: Partial<mesos.v1.FrameworkInfo> = {}, suppressed?: string[]) => {
    const sink = new RecordingSink();
    const streamId = asStreamId(`stream-${streams++}`);
    const framework_info: mesos.v1.FrameworkInfo = { user: 'root', name: 'test', ...info };
    const out = master.subscribe({ type: 'SUBSCRIBE', subscribe: { framework_info, suppressed_roles: suppressed } }, sink, streamId, undefined);
    return { out, sink, streamId, id: (out.ok ? out.frameworkId : '') as FrameworkId };
  };

  const registerAgent = (hostname: string, resources: string, extra: Partial<maestro.agent.RegisterAgent> = {}, remoteAddress?: string) => {
    const conn = new RecordingAgent(remoteAddress);
    master.agentMessage(conn, { register_agent: { agent_info: { hostname, resources: wire(resources) }, version: 'test', endpoint: `${hostname}:5051`, ...extra } });
    const registered = conn.of('agent_registered')[0];
    return { conn, id: registered?.agent_id.value ?? '' };
  };

  /** Lets event-triggered allocation run (timers due now). */
  const settle = () => time.advance(0);

  /** A framework subscribed with `info`, one agent `h1` with `resources`, and the first offer the framework got. */
  const subscribeWithOffer = (info: Partial<mesos.v1.FrameworkInfo>, resources: string) => {
    const fw = subscribe(info);
    const agent = registerAgent('h1', resources);
    settle();
    const [offer] = fw.sink.offers();
    return { fw, agent, offer: offer! };
  };
  return { time, master, allocator, subscribe, registerAgent, settle, subscribeWithOffer, flush };
}
