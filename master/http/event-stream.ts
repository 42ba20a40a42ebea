/**
 * One subscription's event stream: the sink a core writes to (the master's EventSink for a
 * scheduler, the agent's ExecutorSink for an executor), in front of the HTTP response that
 * carries it. `createRecordStream` is the one state machine; `createEventStream` is the
 * scheduler's (with HEARTBEAT events), slave/http/executor-event-stream.ts the executor's.
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
import type { ServerResponse } from 'node:http';
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

/** Where a stream's events go: what the core writes to. */
export interface Sink<E> {
  send(event: E): void;
  close(): void;
}

/** One subscription's stream of events of type E (scheduler or executor events). */
export interface RecordStream<E> {
  readonly sink: Sink<E>;
  state(): EventStreamState;
  /** Whether the core ended the stream (as opposed to the client). */
  closedByCore(): boolean;
  open(writer: RecordWriter): void;
  discard(): void;
  /** The client went away: stop heartbeats, write nothing more. */
  detach(): void;
}

export interface RecordStreamOptions<E> {
  /** Encodes one event into one framed record (`<length>\n<bytes>`). */
  readonly frame: (event: E) => Buffer;
  /** Sent every `intervalSeconds` while open (scheduler streams); none when absent or 0. */
  readonly heartbeat?: { readonly event: E; readonly intervalSeconds: number; readonly ticker: Ticker };
  /** Called once when the stream reaches `closed` for any reason. */
  readonly onClosed?: (byCore: boolean) => void;
  /**
   * `frame` threw for this event: nothing is written for it and the error does not reach the
   * core's `send`. Without this option the error is thrown to the caller of `send`.
   */
  readonly onFrameError?: (error: unknown, event: E) => void;
}

export function createRecordStream<E>(options: RecordStreamOptions<E>): RecordStream<E> {
  let state: EventStreamState = 'pending';
  let byCore = false;
  let closeRequested = false;
  const buffered: E[] = [];
  let writer: RecordWriter | undefined;
  let cancelHeartbeat: (() => void) | undefined;

  const finish = (core: boolean): void => {
    if (state === 'closed' || state === 'discarded') return;
    state = 'closed';
    byCore = core;
    buffered.length = 0;
    cancelHeartbeat?.();
    cancelHeartbeat = undefined;
    if (core) writer?.end();
    options.onClosed?.(core);
  };

  const write = (event: E): void => {
    if (options.onFrameError === undefined) {
      writer!.write(options.frame(event));
      return;
    }
    let record: Buffer;
    try {
      record = options.frame(event);
    } catch (error) {
      options.onFrameError(error, event);
      return;
    }
    writer!.write(record);
  };

  const sink: Sink<E> = {
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
      for (const event of buffered.splice(0)) {
        // A frame error may have broken the stream meanwhile.
        if (state !== 'open') return;
        write(event);
      }
      if (closeRequested) {
        finish(true);
        return;
      }
      const hb = options.heartbeat;
      const intervalMs = (hb?.intervalSeconds ?? 0) * 1000;
      if (hb !== undefined && intervalMs > 0 && state === 'open') cancelHeartbeat = hb.ticker.every(intervalMs, () => sink.send(hb.event));
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

/**
 * Pipes a stream into an HTTP response whose headers are out: each record one `write` (one
 * chunk), `end` when the core closes, `detach` when the response closes first (the client went).
 */
export function pipeToResponse<E>(stream: RecordStream<E>, res: ServerResponse): void {
  res.on('close', () => stream.detach());
  stream.open({
    write: (record) => {
      if (!res.destroyed && !res.writableEnded) res.write(record);
    },
    end: () => {
      if (!res.writableEnded) res.end();
    },
  });
  if (res.destroyed) stream.detach();
}

/** A scheduler subscription's stream: the EventSink of master/scheduler-endpoint.ts, with HEARTBEAT events. */
export type EventStream = RecordStream<SchedulerEvent> & { readonly sink: EventSink };

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
  return createRecordStream<SchedulerEvent>({
    frame: options.frame,
    heartbeat: { event: HEARTBEAT, intervalSeconds: options.heartbeatIntervalSeconds, ticker: options.ticker },
    ...(options.onClosed !== undefined ? { onClosed: options.onClosed } : {}),
  });
}
