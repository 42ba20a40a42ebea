/**
 * How the UI feed learns that the master's books changed, without a hook in the core: the
 * composition root (main.ts) hands the HTTP app and the agent link an observed Master (every
 * entry point that can change state notifies after it returns) and gives the Master observed
 * timers (allocation cycles, offer timeouts, failover timeouts notify after they fire). Everything
 * that changes the books enters through one of the two. An agent's Pong changes nothing shown, so
 * it does not notify (10,000 agents pong hundreds of times a second).
 */
import type { Timers } from '../../common/ports.ts';
import type { maestro } from '../../proto/types.generated.ts';

/**
 * The Master's methods that only read. Every other method of the observed Master notifies after it
 * returns (scheduler calls, agent messages, operator mutations, `recover` on election, and any
 * entry point added later: a new method is a change until it is listed here, so none is missed).
 * What a method does after a registry write runs in a timer of the Master's own (master-core.ts
 * `persist`), which the observed timers report.
 */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  'connection', 'masterInfo', 'startTime', 'electedTime', 'flags', 'metrics',
  'getState', 'getAgents', 'getFrameworks', 'getTasks', 'getExecutors', 'getRoles', 'getRoleDetails', 'getWeights', 'getQuota',
  'getMaintenanceSchedule', 'getMaintenanceStatus',
]);

/** Whether calling `method` of the Master may change its books. */
export const mayChange = (method: string): boolean => !READ_ONLY_METHODS.has(method);

/**
 * `target` with each method that `notifies` (a list of names, or a predicate) notifying after it
 * returns (or throws). Every property read of the HTTP layer and the agent link goes through this
 * trap, so it stays small: a method is looked up once and kept (a notifying one wrapped, any other
 * bound to the target, so that its own `this.x` reads do not come back through the trap); other
 * values (getters, fields) are read live.
 */
export function observeCalls<T extends object>(target: T, notifies: readonly string[] | ((method: string) => boolean), notify: (method: string, args: readonly unknown[]) => void): T {
  const names = typeof notifies === 'function' ? undefined : new Set(notifies);
  const wraps = (prop: string) => (names === undefined ? (notifies as (method: string) => boolean)(prop) : names.has(prop));
  const functions = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const known = functions.get(prop);
      if (known !== undefined) return known;
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      const f = typeof prop === 'string' && prop !== 'constructor' && wraps(prop)
        ? (...args: unknown[]) => {
          try {
            return fn.apply(obj, args);
          } finally {
            notify(prop, args);
          }
        }
        : fn.bind(obj);
      functions.set(prop, f);
      return f;
    },
  });
}

/** Timers whose callbacks notify after they run. */
export function observeTimers(timers: Timers, notify: () => void): Timers {
  return {
    clear: (handle) => timers.clear(handle),
    setTimeout: (fn, ms) => timers.setTimeout(() => { try { fn(); } finally { notify(); } }, ms),
    setInterval: (fn, ms) => timers.setInterval(() => { try { fn(); } finally { notify(); } }, ms),
  };
}

/** Whether a Master call can change what the UI shows (a bare Pong cannot). */
export function isVisibleChange(method: string, args: readonly unknown[]): boolean {
  if (method !== 'agentMessage') return true;
  const envelope = args[1] as maestro.agent.Envelope | undefined;
  return !(envelope?.pong && Object.keys(envelope).filter((k) => (envelope as Record<string, unknown>)[k] != null).length === 1);
}
