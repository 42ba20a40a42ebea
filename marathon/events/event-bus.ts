/**
 * The in-process bus that carries Marathon events from the core to `/v2/events` streams (and
 * anything else that listens). Synchronous fan-out in subscription order.
 *
 * Invariants: a listener that throws does not stop the others from receiving the event (the
 * error goes to `onListenerError`); unsubscribing is idempotent, and a listener removed while an
 * event is being delivered still receives that event but no later one.
 */
import type { MarathonEvent } from '../model.ts';

export type EventListener = (event: MarathonEvent) => void;

export interface EventBus {
  publish(event: MarathonEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Number of current listeners (for metrics). */
  listenerCount(): number;
}

export function createEventBus(options: { readonly onListenerError?: (error: unknown, event: MarathonEvent) => void } = {}): EventBus {
  const listeners = new Set<EventListener>();
  return {
    publish(event) {
      // A copy: a listener may unsubscribe (itself or another) while we deliver.
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          options.onListenerError?.(error, event);
        }
      }
    },
    subscribe(listener) {
      // Wrapped so the same function subscribed twice gets two independent subscriptions.
      const entry: EventListener = (event) => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    listenerCount: () => listeners.size,
  };
}
