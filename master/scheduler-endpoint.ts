/**
 * The seam between the scheduler HTTP API (master/http/scheduler-api.ts: content types, RecordIO,
 * stream ids, heartbeats, status codes) and the master core (master/master.ts: frameworks, offers,
 * tasks). The HTTP layer decodes and structurally validates a `scheduler.Call` (type matches the
 * set field, required fields present, framework id present, stream id matches) and hands it here
 * in the canonical plain-object form of proto/ (snake_case, enums as names, int64 as numbers).
 * The core answers with values; it never throws for a rejected call and changes nothing when it
 * rejects one.
 */
import type { FrameworkId, StreamId } from '../common/ids.ts';
import type { mesos } from '../proto/types.generated.ts';

export type SchedulerCall = mesos.v1.scheduler.Call;
export type SchedulerEvent = mesos.v1.scheduler.Event;

/** A subscription stream. The HTTP layer encodes each event and writes it as its own RecordIO record and HTTP chunk. */
export interface EventSink {
  send(event: SchedulerEvent): void;
  /** Ends the stream (teardown, another connection took over, master shutting down). Idempotent. */
  close(): void;
}

/** A rejection with the HTTP status Mesos gives for it and a message naming the problem. */
export interface CallRejection {
  readonly ok: false;
  readonly status: 400 | 403 | 404 | 409 | 503;
  readonly message: string;
}
export type CallOutcome = { readonly ok: true } | CallRejection;

/**
 * A SUBSCRIBE refused the way Mesos refuses a FrameworkInfo the master will not take (invalid
 * roles or id, bad failover timeout, a removed framework, suppressed roles it does not have, a
 * changed principal): the answer is still `200 OK` with the stream headers, then exactly one
 * ERROR event carrying `message`, then the end of the stream. The core changed nothing and never
 * wrote to the sink. (Structural problems of the call itself are CallRejections: 400, no stream.)
 */
export interface SubscribeRefusal {
  readonly ok: false;
  readonly status: 200;
  readonly message: string;
}
export type SubscribeOutcome = { readonly ok: true; readonly frameworkId: FrameworkId } | CallRejection | SubscribeRefusal;

export type FrameworkConnection =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'disconnected' }
  | { readonly kind: 'connected'; readonly streamId: StreamId };

export interface SchedulerEndpoint {
  /**
   * SUBSCRIBE (new, or re-subscribe/failover when framework_info.id is set). On success the core
   * has already sent SUBSCRIBED through `sink` (followed later by OFFERS and the rest); an earlier
   * stream of the same framework is closed. A refusal (status 200) or rejection leaves `sink`
   * untouched. `principal` comes from HTTP authentication, if any.
   */
  subscribe(call: SchedulerCall, sink: EventSink, streamId: StreamId, principal: string | undefined): SubscribeOutcome;
  /** The subscription's HTTP connection went away (client closed, network error). */
  disconnected(frameworkId: FrameworkId, streamId: StreamId): void;
  /** For the HTTP layer's checks before `call` (403 not subscribed, 400 stream id mismatch...). */
  connection(frameworkId: FrameworkId): FrameworkConnection;
  /** Every call but SUBSCRIBE, from the framework's current stream. */
  call(frameworkId: FrameworkId, call: SchedulerCall): CallOutcome;
  /** Heartbeat interval the HTTP layer uses for HEARTBEAT events (SUBSCRIBED carries the same value). */
  readonly heartbeatIntervalSeconds: number;
}
