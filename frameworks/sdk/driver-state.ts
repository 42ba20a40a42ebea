/**
 * The scheduler driver's connection state machine. One `transition()` applies a typed event to a
 * state and refuses moves the table does not list (the driver treats a refusal as a bug and
 * logs it; it never changes state then).
 *
 *   DISCONNECTED --connect--> SUBSCRIBING --subscribed--> SUBSCRIBED
 *        ^                        |                           |
 *        +--------- lost ---------+------------ lost ---------+
 *   any state but STOPPED --stop--> STOPPED   (stop(), teardown, ERROR event: terminal)
 *
 * `connect`: an attempt to subscribe starts (after the backoff delay). `subscribed`: the master
 * sent SUBSCRIBED on the stream. `lost`: the connection failed, the stream ended, or the
 * heartbeat watchdog fired. `stop`: the caller stopped the driver or the master removed the
 * framework; nothing reconnects from STOPPED.
 */

export type DriverState = 'DISCONNECTED' | 'SUBSCRIBING' | 'SUBSCRIBED' | 'STOPPED';
export type DriverEvent = 'connect' | 'subscribed' | 'lost' | 'stop';

export const DRIVER_TRANSITIONS: Readonly<Record<DriverState, Partial<Record<DriverEvent, DriverState>>>> = {
  DISCONNECTED: { connect: 'SUBSCRIBING', stop: 'STOPPED' },
  SUBSCRIBING: { subscribed: 'SUBSCRIBED', lost: 'DISCONNECTED', stop: 'STOPPED' },
  SUBSCRIBED: { lost: 'DISCONNECTED', stop: 'STOPPED' },
  STOPPED: {},
};

export type TransitionResult =
  | { readonly ok: true; readonly state: DriverState }
  | { readonly ok: false; readonly message: string };

export function transition(from: DriverState, event: DriverEvent): TransitionResult {
  const to = DRIVER_TRANSITIONS[from][event];
  if (to === undefined) return { ok: false, message: `illegal driver transition: ${event} in ${from}` };
  return { ok: true, state: to };
}
