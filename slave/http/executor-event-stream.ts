/**
 * One executor subscription's event stream: the ExecutorSink the agent core writes to, in front of
 * the HTTP response that carries it (slave/http/executor-api.ts).
 *
 * States: pending -> open -> closed, or pending -> discarded.
 *  - pending: SUBSCRIBE is being decided; the core writes SUBSCRIBED and queued LAUNCH events
 *    synchronously inside `subscribeExecutor`, before the 200 headers exist. They are kept in
 *    order, and a close() is remembered (later events are dropped).
 *  - open: the headers are out; buffered events are written first, then each event as it comes.
 *    Every event is exactly one `write` (one RecordIO record, one HTTP chunk); nothing is merged.
 *  - closed: by the core (`sink.close()`: the response is ended) or by the client going away
 *    (`detach()`: nothing more is written). `onClosed` runs once, told which side closed.
 *  - discarded: the core rejected SUBSCRIBE; buffered events are dropped, nothing is written.
 * Unlike the scheduler stream there are no heartbeats: the v1 executor Event has no HEARTBEAT.
 * An event that cannot be framed is not written and never throws into the core: `onFrameError`
 * hears of it (the API then breaks the stream, so the executor subscribes again).
 */
import type { RecordWriter } from '../../master/http/event-stream.ts';
import type { ExecutorEvent, ExecutorSink } from '../executor-endpoint.ts';

export type ExecutorEventStreamState = 'pending' | 'open' | 'closed' | 'discarded';

export interface ExecutorEventStream {
  readonly sink: ExecutorSink;
  state(): ExecutorEventStreamState;
  /** The headers are out: write what was buffered, then stream. */
  open(writer: RecordWriter): void;
  /** SUBSCRIBE was rejected: drop what was buffered. */
  discard(): void;
  /** The client went away: write nothing more. */
  detach(): void;
}

export interface ExecutorEventStreamOptions {
  /** Encodes one event into one framed record (`<length>\n<bytes>`). */
  readonly frame: (event: ExecutorEvent) => Buffer;
  /** Called once when the stream reaches `closed`; `byCore` tells whether the core ended it. */
  readonly onClosed?: (byCore: boolean) => void;
  /** `frame` threw for this event; nothing was written for it. */
  readonly onFrameError?: (error: unknown, event: ExecutorEvent) => void;
}

export function createExecutorEventStream(options: ExecutorEventStreamOptions): ExecutorEventStream {
  let state: ExecutorEventStreamState = 'pending';
  let closeRequested = false;
  const buffered: ExecutorEvent[] = [];
  let writer: RecordWriter | undefined;

  const finish = (byCore: boolean): void => {
    if (state === 'closed' || state === 'discarded') return;
    state = 'closed';
    buffered.length = 0;
    if (byCore) writer?.end();
    options.onClosed?.(byCore);
  };

  const write = (event: ExecutorEvent): void => {
    let record: Buffer;
    try {
      record = options.frame(event);
    } catch (error) {
      options.onFrameError?.(error, event);
      return;
    }
    writer!.write(record);
  };

  const sink: ExecutorSink = {
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
    open(w) {
      if (state !== 'pending') return;
      state = 'open';
      writer = w;
      for (const event of buffered.splice(0)) {
        if (state !== 'open') return;
        write(event);
      }
      if (closeRequested) finish(true);
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
