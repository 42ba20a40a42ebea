/**
 * The seam between the v1 executor HTTP API (slave/http/executor-api.ts: `POST /api/v1/executor`,
 * content types, RecordIO, status codes, the structural validation of `executor.Call`) and the
 * agent core (slave/agent.ts: executors, their tasks, status updates). Frameworks that ship their
 * own executor (ExecutorInfo of type CUSTOM) run it as a process on the agent; it subscribes here,
 * receives LAUNCH / LAUNCH_GROUP / KILL / ACKNOWLEDGED / MESSAGE / SHUTDOWN events, and sends
 * UPDATE and MESSAGE calls.
 *
 * The HTTP layer hands over calls that are structurally valid (type matches the set field, ids
 * present, an UPDATE's status has a uuid, source SOURCE_EXECUTOR, no TASK_STAGING, a matching
 * executor id) in the canonical plain-object form of proto/ (bytes as base64 strings). The core
 * answers with values, never throws for a rejected call, and changes nothing when it rejects one.
 *
 * Status codes (Mesos src/slave/http.cpp `Http::executor`): 503 while the agent recovers,
 * 400 unknown framework or executor, 403 a non-SUBSCRIBE call from an executor that has not
 * subscribed; 200 with the event stream for SUBSCRIBE, 202 for UPDATE and MESSAGE.
 */
import type { mesos } from '../proto/types.generated.ts';

export type ExecutorCall = mesos.v1.executor.Call;
export type ExecutorEvent = mesos.v1.executor.Event;

/** One executor's subscription stream. The HTTP layer writes each event as its own RecordIO record and HTTP chunk. */
export interface ExecutorSink {
  send(event: ExecutorEvent): void;
  /** Ends the stream (a newer SUBSCRIBE took over, the executor is gone, the agent stops). Idempotent. */
  close(): void;
}

export interface ExecutorCallRejection {
  readonly ok: false;
  readonly status: 400 | 403 | 503;
  readonly message: string;
}
export type ExecutorCallOutcome = { readonly ok: true } | ExecutorCallRejection;

export interface ExecutorEndpoint {
  /**
   * SUBSCRIBE (first time, or again after a disconnection or an agent restart, with the tasks and
   * updates the executor has not seen acknowledged). On success the core has already written
   * SUBSCRIBED, then any LAUNCH / LAUNCH_GROUP events for tasks queued while the executor
   * started, into `sink`; an earlier stream of the same executor is closed. A rejection leaves
   * `sink` untouched.
   */
  subscribeExecutor(call: ExecutorCall, sink: ExecutorSink): ExecutorCallOutcome;
  /** The stream of `sink` went away (the executor closed it, network error). */
  executorDisconnected(sink: ExecutorSink): void;
  /** UPDATE: a TaskStatus from the executor; checkpointed and forwarded to the framework, ACKNOWLEDGED later. */
  executorUpdate(call: ExecutorCall): ExecutorCallOutcome;
  /** MESSAGE: opaque data for the framework (ExecutorToFramework through the master). */
  executorMessage(call: ExecutorCall): ExecutorCallOutcome;
  /** True until the agent has recovered its checkpoints (every call is answered 503 meanwhile). */
  recovering(): boolean;
}
