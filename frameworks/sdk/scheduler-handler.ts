/**
 * What a framework gives the driver (`SchedulerHandler`) and what the driver's calls answer
 * (`CallResult`). Handler methods may return a promise; the driver runs the handler for one
 * event at a time, in stream order, and acknowledges a status update (one with a `uuid`) only
 * after `update` has resolved, so an update the framework did not process is resent.
 */
import type { mesos } from '../../proto/types.generated.ts';

export type Offer = mesos.v1.Offer;
export type TaskStatus = mesos.v1.TaskStatus;
export type MasterInfo = mesos.v1.MasterInfo;
export type FrameworkInfo = mesos.v1.FrameworkInfo;
export type Operation = mesos.v1.Offer.Operation;
export type Filters = mesos.v1.Filters;
export type SchedulerEvent = mesos.v1.scheduler.Event;

type MaybePromise = void | Promise<void>;

export interface SchedulerHandler {
  /** SUBSCRIBED: first subscription and every re-subscription (after a reconnect or failover). */
  subscribed(frameworkId: string, masterInfo: MasterInfo | undefined): MaybePromise;
  offers(offers: Offer[]): MaybePromise;
  rescind(offerId: string): MaybePromise;
  /** A task status update; acknowledged by the driver after this resolves (auto-ack mode). */
  update(status: TaskStatus): MaybePromise;
  /** FAILURE: an agent or an executor was lost. */
  failure?(failure: mesos.v1.scheduler.Event.Failure): MaybePromise;
  /** ERROR: the master removed the framework (or another scheduler failed it over). The driver stops. */
  error(message: string): MaybePromise;
  /** The stream was lost; the driver reconnects with backoff by itself. */
  disconnected?(): MaybePromise;
  /** MESSAGE from an executor. */
  message?(message: mesos.v1.scheduler.Event.Message): MaybePromise;
}

/** Outcome of a call: 2xx is ok; anything else (4xx, 5xx, no answer: status 0) is a value, never a throw. */
export type CallResult = { readonly ok: true } | { readonly ok: false; readonly status: number; readonly message: string };

/** A task the framework knows, for explicit reconciliation. */
export interface TaskRef {
  readonly taskId: string;
  readonly agentId?: string;
}

/**
 * The calls a framework's core makes on its driver (what `SchedulerDriver` offers): the port
 * marathon's and batch's cores take, so their tests can record the calls.
 */
export interface DriverCalls {
  readonly state: string;
  accept(offerIds: readonly string[], operations: readonly Operation[], filters?: Filters): Promise<CallResult>;
  decline(offerIds: readonly string[], filters?: Filters): Promise<CallResult>;
  kill(taskId: string, agentId?: string): Promise<CallResult>;
  reconcile(tasks: readonly TaskRef[]): Promise<CallResult>;
  revive(roles?: readonly string[]): Promise<CallResult>;
  setDemand(hasDemand: boolean): Promise<CallResult>;
}
