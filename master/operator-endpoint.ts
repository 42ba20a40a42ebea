/**
 * The seam between the master core and every read or operator HTTP surface: the v1 operator API
 * (`POST /api/v1`), the legacy JSON endpoints (`/master/state`, `/master/slaves`,
 * `/master/frameworks`, `/metrics/snapshot`, ...) and, later, the web UI. The core answers in the
 * `mesos.v1.master` shapes of proto/ (canonical plain-object form); the HTTP layer converts them
 * to the legacy JSON where needed. Mutations answer with the same CallOutcome values as the
 * scheduler seam and change nothing when they reject.
 */
import type { CallOutcome } from './scheduler-endpoint.ts';
import type { mesos } from '../proto/types.generated.ts';

type Response = mesos.v1.master.Response;

export interface OperatorEndpoint {
  masterInfo(): mesos.v1.MasterInfo;
  /** When this master started and was elected, in seconds since the epoch. */
  startTime(): number;
  electedTime(): number | undefined;
  /** The effective flags, as Mesos reports them (name -> text value). */
  flags(): Readonly<Record<string, string>>;
  /** Mesos-style metric keys (`master/slaves_active`, `master/tasks_running`, ...) to numbers. */
  metrics(): Readonly<Record<string, number>>;

  getState(): NonNullable<Response['get_state']>;
  getAgents(): NonNullable<Response['get_agents']>;
  getFrameworks(): NonNullable<Response['get_frameworks']>;
  getTasks(): NonNullable<Response['get_tasks']>;
  getExecutors(): NonNullable<Response['get_executors']>;
  getRoles(): NonNullable<Response['get_roles']>;
  getWeights(): NonNullable<Response['get_weights']>;
  getQuota(): NonNullable<Response['get_quota']>;

  updateWeights(weights: readonly mesos.v1.WeightInfo[]): CallOutcome;
  /** Mesos 1.9+ UPDATE_QUOTA: guarantees and limits per role, applied all or nothing. */
  updateQuota(configs: readonly { role: string; guarantees: Readonly<Record<string, number>>; limits: Readonly<Record<string, number>> }[]): CallOutcome;
  /** TEARDOWN of a framework by an operator. */
  teardown(frameworkId: string): CallOutcome;
}
