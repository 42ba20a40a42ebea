/**
 * One scheduler subscription's event stream: the EventSink the master core writes to, in front of
 * the HTTP response that carries it.
 *
 * States: pending -> open -> closed, or pending -> discarded.
 *  - pending: SUBSCRIBE is being decided; the core may already send events (SUBSCRIBED, OFFERS).
 *    They are kept, in order, and a close() request is remembered (later events are dropped).
 *  - open: the 200 headers are out; buffered events are written first, then each event is
 *    written as it comes. Every event becomes exactly one `write` call (one RecordIO record, one
 *    HTTP chunk); nothing is merged. HEARTBEAT events are sent every interval while open.
 *  - closed: by the core (`sink.close()`, the response is ended) or by the client going away
 *    (`detach()`, nothing more is written). Later events are dropped. Idempotent.
 *  - discarded: SUBSCRIBE was rejected; the buffered events are dropped, nothing is written.
 */
import type { EventSink, SchedulerEvent } from '../scheduler-endpoint.ts';

/** Where framed records go: the HTTP response. */
export interface RecordWriter {
  write(record: Buffer): void;
  end(): void;
}

/** A repeating timer, a port so that tests can drive heartbeats by hand. Returns a cancel function. */
export interface Ticker {
  every(intervalMs: number, tick: () => void): () => void;
}

export const realTicker: Ticker = {
  every(intervalMs, tick) {
    const handle = setInterval(tick, intervalMs);
    handle.unref();
    return () => clearInterval(handle);
  },
};

export type EventStreamState = 'pending' | 'open' | 'closed' | 'discarded';

export interface EventStream {
  readonly sink: EventSink;
  state(): EventStreamState;
  /** Whether the core ended the stream (as opposed to the client). */
  closedByCore(): boolean;
  open(writer: RecordWriter): void;
  discard(): void;
  /** The client went away: stop heartbeats, write nothing more. */
  detach(): void;
}

export interface EventStreamOptions {
  /** Encodes one event into one framed record (`<length>\n<bytes>`). */
  readonly frame: (event: SchedulerEvent) => Buffer;
  readonly heartbeatIntervalSeconds: number;
  readonly ticker: Ticker;
  /** Called once when the stream reaches `closed` for any reason. */
  readonly onClosed?: (byCore: boolean) => void;
}

const HEARTBEAT: SchedulerEvent = { type: 'HEARTBEAT' } as SchedulerEvent;

export function createEventStream(options: EventStreamOptions): EventStream {
  let state: EventStreamState = 'pending';
  let byCore = false;
  let closeRequested = false;
  const buffered: SchedulerEvent[] = [];
  let writer: RecordWriter | undefined;
  let cancelHeartbeat: (() => void) | undefined;

  const finish = (core: boolean): void => {
    if (state === 'closed' || state === 'discarded') return;
    state = 'closed';
    byCore = core;
    cancelHeartbeat?.();
    cancelHeartbeat = undefined;
    if (core) writer?.end();
    options.onClosed?.(core);
  };

  const write = (event: SchedulerEvent): void => {
    writer!.write(options.frame(event));
  };

  const sink: EventSink = {
    send(event) {
      if (state === 'pending' && !closeRequested) buffered.push(event);
      else if (state === 'open') write(event);
    },
    close() {
      if (state === 'pending') closeRequested = true;
      else finish(true);
    },
  };

  return {
    sink,
    state: () => state,
    closedByCore: () => byCore,
    open(w) {
      if (state !== 'pending') return;
      state = 'open';
      writer = w;
      for (const event of buffered.splice(0)) write(event);
      if (closeRequested) {
        finish(true);
        return;
      }
      const intervalMs = options.heartbeatIntervalSeconds * 1000;
      if (intervalMs > 0) cancelHeartbeat = options.ticker.every(intervalMs, () => sink.send(HEARTBEAT));
    },
    discard() {
      if (state !== 'pending') return;
      state = 'discarded';
      buffered.length = 0;
    },
    detach() {
      finish(false);
    },
  };
}
