/**
 * The master core's ports: everything it needs from the outside world, as interfaces. The core
 * (master.ts and the modules it uses) reads time only through `Clock`, schedules only through
 * `Timers`, names things only through `IdGenerator` and reaches agents only through the
 * `AgentConnection` each agent arrives on (master/agent-link.ts makes them from WebSockets);
 * tests drive all four with fakes, `main.ts` wires the real ones below.
 *
 * Id formats follow Mesos: the master has a UUID id; a framework id is `<master>-NNNN` (four
 * digits, zero padded), an agent id `<master>-S<n>`, an offer id `<master>-O<n>`.
 */
import { randomUUID } from 'node:crypto';
import type { AgentId, FrameworkId, OfferId } from '../common/ids.ts';
import { asAgentId, asFrameworkId, asOfferId } from '../common/ids.ts';
import type { maestro } from '../proto/types.generated.ts';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** An opaque handle returned by `Timers`. */
export type TimerHandle = { readonly timer: unknown };

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or an interval; unknown or fired handles are ignored. */
  clear(handle: TimerHandle): void;
}

export interface IdGenerator {
  readonly masterId: string;
  frameworkId(): FrameworkId;
  agentId(): AgentId;
  offerId(): OfferId;
}

export type AgentEnvelope = maestro.agent.Envelope;

/**
 * One agent's link to the master (master/agent-link.ts: a WebSocket). The master binds it to an
 * agent id when the agent registers; an agent that is not connected simply misses messages (it
 * re-registers and the master reconciles).
 */
export interface AgentConnection {
  /** Distinguishes connections in logs. */
  readonly id: number;
  /** The peer's IP address, when the transport knows it (for the agent's Mesos-style pid). */
  readonly remoteAddress?: string;
  send(envelope: AgentEnvelope): void;
  /** Drops the connection (refused registration, a newer connection of the same agent, shutdown). Idempotent. */
  close(reason: string): void;
}

/** The subset of pino the core logs through. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export function createIdGenerator(masterId: string = randomUUID()): IdGenerator {
  let frameworks = 0;
  let agents = 0;
  let offers = 0;
  return {
    masterId,
    frameworkId: () => asFrameworkId(`${masterId}-${String(frameworks++).padStart(4, '0')}`),
    agentId: () => asAgentId(`${masterId}-S${agents++}`),
    offerId: () => asOfferId(`${masterId}-O${offers++}`),
  };
}

export const systemClock: Clock = { now: () => Date.now() };

/** The Node timer calls the `Timers` adapter is built on (a port, so the adapter is testable). */
export interface HostTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  setInterval(fn: () => void, ms: number): unknown;
  /** Cancels a timeout or an interval. */
  clearTimeout(handle: unknown): void;
}

/** Node runs any delay above this (about 24.8 days) after 1 ms instead; longer waits are chained. */
export const MAX_HOST_DELAY_MS = 2 ** 31 - 1;

/**
 * `Timers` over host timers. Delays Node can hold go straight to it; longer ones (a
 * failover_timeout of a month, say) are chained host timeouts, so they fire when due and not at
 * once. A long interval re-arms before it runs, so clearing it from its own callback stops it.
 */
export function createTimers(host: HostTimers): Timers {
  type Box = { current: unknown };
  const after = (box: Box, ms: number, fn: () => void): void => {
    const step = Math.min(ms, MAX_HOST_DELAY_MS);
    box.current = host.setTimeout(() => (ms > step ? after(box, ms - step, fn) : fn()), step);
  };
  const delay = (ms: number) => (ms > 0 ? ms : 0);
  return {
    setTimeout: (fn, ms) => {
      const box: Box = { current: undefined };
      if (delay(ms) <= MAX_HOST_DELAY_MS) box.current = host.setTimeout(fn, delay(ms));
      else after(box, delay(ms), fn);
      return { timer: box };
    },
    setInterval: (fn, ms) => {
      const box: Box = { current: undefined };
      const every = Math.max(1, delay(ms));
      if (every <= MAX_HOST_DELAY_MS) {
        box.current = host.setInterval(fn, every);
      } else {
        const tick = () => {
          after(box, every, tick);
          fn();
        };
        after(box, every, tick);
      }
      return { timer: box };
    },
    clear: (h) => host.clearTimeout((h.timer as Box).current),
  };
}

export const systemTimers: Timers = createTimers({
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
});

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
