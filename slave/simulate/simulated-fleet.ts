/**
 * A fleet of simulated agents in one process (simulated-agent.ts), each with its own MasterLink:
 * its own WebSocket to the master, following the leader and reconnecting with backoff exactly as
 * the real agent does (slave/master-link.ts), answering pings there.
 *
 * Agents are started `concurrency` at a time (64 by default): the next one starts when one of
 * those registers for the first time, is refused, or has tried for `gateMs` (then it goes on
 * retrying with its own backoff, and the fleet moves on). `registered` resolves once every agent
 * has registered at least once, with the milliseconds from the first connection attempt to the
 * last first registration.
 *
 * Invariant: per agent the fleet holds the agent, its link and a few closures; everything the
 * agents share (resources, counters, clock, timers, logger) is one object.
 */
import type { Logger, TimerHandle } from '../../common/ports.ts';
import type { maestro, mesos } from '../../proto/types.generated.ts';
import { MasterLink } from '../master-link.ts';
import { SimulatedAgent, type SimulationShared } from './simulated-agent.ts';

export interface SimulatedFleetOptions {
  /** `host:port` of each master (the links follow the leader among them). */
  readonly masters: readonly string[];
  readonly count: number;
  /** Agent i registers as `sim-NNNN.<hostnameBase>` (NNNN: i zero-padded to at least 4 digits). */
  readonly hostnameBase: string;
  /** AgentInfo.port of every agent (the simulator's HTTP port, or 0). */
  readonly port: number;
  /** Attributes of every agent; `sim_index:i` is added. */
  readonly attributes: readonly mesos.v1.Attribute[];
  readonly shared: SimulationShared;
  /** A number in [0, 1) for the links' backoff jitter. */
  random(): number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly concurrency?: number;
  readonly gateMs?: number;
}

/**
 * Prefixes the agent's hostname to what its link logs (one small object per agent, no pino
 * child); silent once the fleet stops (N "lost the master connection" lines say nothing then).
 */
class AgentLogger implements Logger {
  constructor(private readonly base: Logger, private readonly agent: string, private readonly fleet: { readonly stopping: boolean }) {}
  debug(obj: object, msg?: string): void { if (!this.fleet.stopping) this.base.debug({ agent: this.agent, ...obj }, msg); }
  info(obj: object, msg?: string): void { if (!this.fleet.stopping) this.base.info({ agent: this.agent, ...obj }, msg); }
  warn(obj: object, msg?: string): void { if (!this.fleet.stopping) this.base.warn({ agent: this.agent, ...obj }, msg); }
  error(obj: object, msg?: string): void { if (!this.fleet.stopping) this.base.error({ agent: this.agent, ...obj }, msg); }
}

interface Slot {
  readonly agent: SimulatedAgent;
  readonly link: MasterLink;
  /** Set while the agent holds a start slot. */
  gate?: TimerHandle;
  everRegistered: boolean;
}

export function simulatedHostname(index: number, count: number, base: string): string {
  const width = Math.max(4, String(count - 1).length);
  return `sim-${String(index).padStart(width, '0')}.${base}`;
}

export class SimulatedFleet {
  readonly agents: readonly SimulatedAgent[];
  /** Resolves with the registration time once every agent has registered once. */
  readonly registered: Promise<number>;
  private readonly slots: Slot[] = [];
  private readonly byId = new Map<string, number>();
  private next = 0;
  private starting = 0;
  private registeredCount = 0;
  private startedAt = 0n;
  private stopped = false;
  private resolveRegistered!: (ms: number) => void;

  constructor(private readonly o: SimulatedFleetOptions) {
    if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`a fleet needs a positive whole number of agents, got ${o.count}`);
    this.registered = new Promise((resolve) => { this.resolveRegistered = resolve; });
    for (let i = 0; i < o.count; i++) {
      const hostname = simulatedHostname(i, o.count, o.hostnameBase);
      const attributes: mesos.v1.Attribute[] = [...o.attributes, { name: 'sim_index', type: 'SCALAR', scalar: { value: i } }];
      const agent = new SimulatedAgent({ index: i, hostname, port: o.port, attributes }, o.shared);
      const link: MasterLink = new MasterLink({
        masters: o.masters,
        timers: o.shared.timers,
        logger: new AgentLogger(o.shared.logger, hostname, this),
        random: o.random,
        backoff: o.backoff,
        hello: () => agent.hello(),
        onRegistered: (e) => this.onRegistered(i, e),
        onMessage: (e) => agent.handle(e),
        onDisconnected: () => undefined,
        onRefused: () => this.release(i),
      });
      agent.attach(link);
      this.slots.push({ agent, link, everRegistered: false });
    }
    this.agents = this.slots.map((s) => s.agent);
  }

  get count(): number {
    return this.slots.length;
  }

  get stopping(): boolean {
    return this.stopped;
  }

  /** Agents registered at least once so far. */
  get registeredAgents(): number {
    return this.registeredCount;
  }

  /** Agents whose link is registered now. */
  connectedAgents(): number {
    let n = 0;
    for (const s of this.slots) if (s.link.registered) n++;
    return n;
  }

  /** The index of the agent the master gave this id. */
  indexOf(agentId: string): number | undefined {
    return this.byId.get(agentId);
  }

  start(): void {
    this.startedAt = process.hrtime.bigint();
    this.startMore();
  }

  /** Closes every connection and clears every timer; resolves when all are closed. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.slots) {
      if (s.gate !== undefined) this.o.shared.timers.clear(s.gate);
      s.agent.stop();
    }
    await Promise.all(this.slots.map((s) => s.link.stop()));
  }

  private startMore(): void {
    const width = Math.max(1, this.o.concurrency ?? 64);
    while (!this.stopped && this.starting < width && this.next < this.slots.length) {
      const i = this.next++;
      const slot = this.slots[i];
      this.starting++;
      slot.gate = this.o.shared.timers.setTimeout(() => this.release(i), this.o.gateMs ?? 10_000);
      slot.link.start();
    }
  }

  /** The agent gives its start slot back (registered, refused, or slow): the next one starts. */
  private release(i: number): void {
    const slot = this.slots[i];
    if (slot.gate === undefined) return;
    this.o.shared.timers.clear(slot.gate);
    slot.gate = undefined;
    this.starting--;
    this.startMore();
  }

  private onRegistered(i: number, envelope: maestro.agent.Envelope): void {
    const slot = this.slots[i];
    slot.agent.registered(envelope);
    const id = slot.agent.id;
    if (id !== undefined) this.byId.set(id, i);
    this.release(i);
    if (slot.everRegistered) return;
    slot.everRegistered = true;
    this.registeredCount++;
    if (this.registeredCount === this.slots.length) this.resolveRegistered(Number(process.hrtime.bigint() - this.startedAt) / 1e6);
  }
}
