/**
 * The seam between the master core and every read or operator HTTP surface: the v1 operator API
 * (`POST /api/v1`), the legacy JSON endpoints (`/master/state`, `/master/slaves`,
 * `/master/frameworks`, `/metrics/snapshot`, ...) and, later, the web UI. The core answers in the
 * `mesos.v1.master` shapes of proto/ (canonical plain-object form); the HTTP layer converts them
 * to the legacy JSON where needed. Mutations answer with the same CallOutcome values as the
 * scheduler seam and change nothing when they reject.
 */
import type { CallOutcome, CallRejection } from './scheduler-endpoint.ts';
import type { mesos } from '../proto/types.generated.ts';

type Response = mesos.v1.master.Response;

/**
 * A mutation's outcome. `written`, when present, settles once the registry holds the change (the
 * master applies it then); the HTTP layer answers only after it.
 */
export type OperatorOutcome = { readonly ok: true; readonly written?: Promise<void> } | CallRejection;
type Scalars = Readonly<Record<string, mesos.v1.Value.Scalar>>;

/**
 * One role as Mesos' legacy `/roles` endpoint describes it: the v1 `Role` (name, weight,
 * frameworks, and `resources` = allocated + offered, which is all `mesos.v1.Role` holds in Mesos
 * 1.x) plus the split of those resources, what is reserved to the role, and its quota.
 */
export interface RoleDetails {
  readonly name: string;
  readonly weight: number;
  readonly frameworks: mesos.v1.FrameworkID[];
  readonly resources: mesos.v1.Resource[];
  readonly allocated: mesos.v1.Resource[];
  readonly offered: mesos.v1.Resource[];
  readonly reserved: mesos.v1.Resource[];
  readonly quota: { readonly guarantees: Scalars; readonly limits: Scalars; readonly consumed_quota: Scalars };
}

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
  /** For `/master/roles`. */
  getRoleDetails(): RoleDetails[];
  getWeights(): NonNullable<Response['get_weights']>;
  getQuota(): NonNullable<Response['get_quota']>;

  updateWeights(weights: readonly mesos.v1.WeightInfo[]): OperatorOutcome;
  /** Mesos 1.9+ UPDATE_QUOTA: guarantees and limits per role, applied all or nothing. */
  updateQuota(configs: readonly { role: string; guarantees: Readonly<Record<string, number>>; limits: Readonly<Record<string, number>> }[]): OperatorOutcome;
  /**
   * MARK_AGENT_GONE: stored first; 404 for an agent that is neither registered, unreachable nor
   * awaited after a failover, 503 while it is being marked gone or unreachable; 200 when gone already.
   */
  markAgentGone(agentId: string): OperatorOutcome;
  /** TEARDOWN of a framework by an operator. */
  teardown(frameworkId: string): CallOutcome;

  // Maintenance (master/maintenance).
  getMaintenanceSchedule(): mesos.v1.maintenance.Schedule;
  getMaintenanceStatus(): mesos.v1.maintenance.ClusterStatus;
  updateMaintenanceSchedule(schedule: mesos.v1.maintenance.Schedule): OperatorOutcome;
  /** START_MAINTENANCE, `/machine/down`. */
  startMaintenance(machines: readonly mesos.v1.MachineID[]): OperatorOutcome;
  /** STOP_MAINTENANCE, `/machine/up`. */
  stopMaintenance(machines: readonly mesos.v1.MachineID[]): OperatorOutcome;
}
