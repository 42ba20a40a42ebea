/**
 * The ports every component reads time, schedules and logs through (master, agent, frameworks):
 * `Clock`, `Timers` and `Logger`, and their real implementations. Cores use only these, tests
 * drive them with fakes (master/test-fixtures.ts `ManualTime`). The master's own ports (ids,
 * agent connections) are in master/ports.ts.
 */

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

/** The subset of pino the core logs through. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
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
