/**
 * One executor subscription's event stream: the ExecutorSink the agent core writes to, in front of
 * the HTTP response that carries it (slave/http/executor-api.ts). It is the one stream state
 * machine of master/http/event-stream.ts (`createRecordStream`: pending -> open -> closed, or
 * pending -> discarded; events sent before the headers are buffered in order; one event, one
 * record, one chunk) with two executor choices:
 *  - no heartbeats: the v1 executor Event has no HEARTBEAT type;
 *  - an event that cannot be framed is not written and never throws into the core:
 *    `onFrameError` hears of it (the API then breaks the stream, so the executor subscribes again).
 */
import { createRecordStream, type RecordStream } from '../../master/http/event-stream.ts';
import type { ExecutorEvent } from '../executor-endpoint.ts';

export type ExecutorEventStream = RecordStream<ExecutorEvent>;

export interface ExecutorEventStreamOptions {
  /** Encodes one event into one framed record (`<length>\n<bytes>`). */
  readonly frame: (event: ExecutorEvent) => Buffer;
  /** Called once when the stream reaches `closed`; `byCore` tells whether the core ended it. */
  readonly onClosed?: (byCore: boolean) => void;
  /** `frame` threw for this event; nothing was written for it. */
  readonly onFrameError?: (error: unknown, event: ExecutorEvent) => void;
}

export function createExecutorEventStream(options: ExecutorEventStreamOptions): ExecutorEventStream {
  return createRecordStream<ExecutorEvent>({
    frame: options.frame,
    onFrameError: options.onFrameError ?? (() => undefined),
    ...(options.onClosed !== undefined ? { onClosed: options.onClosed } : {}),
  });
}
