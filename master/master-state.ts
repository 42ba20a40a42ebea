/**
 * The records the master core keeps: frameworks, agents, tasks, offers. Plain mutable data owned
 * by master.ts (the only writer); the pure modules (accept, reconcile, views, metrics) read them.
 *
 * Invariants kept by master.ts:
 * - every offer id in `FrameworkRecord.offers` and `AgentRecord.offers` is a key of `MasterState.offers`;
 * - a task is in exactly one of: its framework's `tasks` (known to the master, possibly terminal
 *   but not yet acknowledged), its framework's `unreachableTasks`, or `completedTasks`;
 * - completed history is bounded as in Mesos: the newest `--max_completed_tasks_per_framework`
 *   tasks of each framework, the newest `--max_completed_frameworks` removed frameworks (with
 *   their completed tasks);
 * - the allocator holds as allocated, per agent and framework, the outstanding offers plus the
 *   resources of non-terminal tasks and live executors.
 */
import type { AgentId, ExecutorId, FrameworkId, OfferId, StreamId, TaskId } from '../common/ids.ts';
import type { Resources } from '../common/resources/resources.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import type { EventSink } from './scheduler-endpoint.ts';
import type { TimerHandle } from '../common/ports.ts';

export interface TaskRecord {
  /** The Mesos Task view (state, statuses, resources as allocated). */
  task: mesos.v1.Task;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  /** Task plus (for the first task of an executor) nothing else: executor resources are counted on the executor. */
  readonly resources: Resources;
  /** Base64 uuid of status updates already forwarded (dedupe of agent retries). */
  lastUpdateUuid?: string;
}

export interface ExecutorRecord {
  readonly info: mesos.v1.ExecutorInfo;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly resources: Resources;
}

export interface FrameworkRecord {
  readonly id: FrameworkId;
  info: mesos.v1.FrameworkInfo;
  roles: string[];
  capabilities: Set<string>;
  suppressedRoles: Set<string>;
  sink: EventSink | undefined;
  streamId: StreamId | undefined;
  /** Subscribed over a live stream. */
  connected: boolean;
  /** Gets offers (connected and not torn down). */
  active: boolean;
  /** Known only from an agent's re-registration (after a master failover), not yet re-subscribed. */
  recovered: boolean;
  registeredTime: number | undefined;
  reregisteredTime: number | undefined;
  unregisteredTime: number | undefined;
  failoverTimer: TimerHandle | undefined;
  readonly offers: Set<OfferId>;
  readonly tasks: Map<TaskId, TaskRecord>;
  readonly unreachableTasks: Map<TaskId, TaskRecord>;
  readonly executors: Map<AgentId, Map<ExecutorId, ExecutorRecord>>;
}

export interface AgentRecord {
  readonly id: AgentId;
  info: mesos.v1.AgentInfo;
  version: string;
  capabilities: mesos.v1.AgentInfo.Capability[];
  /** The agent's HTTP `host:port`, as it reported it. */
  endpoint: string | undefined;
  /** The IP its current (or last) connection came from. */
  remoteAddress: string | undefined;
  total: Resources;
  connected: boolean;
  /** Offers are made from it (connected and not deactivated). */
  active: boolean;
  registeredTime: number;
  reregisteredTime: number | undefined;
  disconnectedAt: number | undefined;
  /** Sequence of the last Ping sent and of the last Pong received. */
  pingSequence: number;
  lastPong: number;
  /** Consecutive ping intervals that ended without a Pong to the latest Ping. */
  missedPings: number;
  readonly offers: Set<OfferId>;
  /**
   * KILLs that came while the agent was disconnected, by `<framework>\0<task>`: sent again when it
   * re-registers still running the task (Mesos `killedTasks`), dropped once the task has ended.
   */
  readonly pendingKills: Map<string, maestro.agent.KillTask>;
}

export interface UnreachableAgent {
  readonly info: mesos.v1.AgentInfo;
  readonly since: number;
}

export interface OfferRecord {
  /** The master's view, with allocation info (what the framework got may lack it, see offers.ts). */
  readonly offer: mesos.v1.Offer;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  /** As the allocator allocated them (with allocation info). */
  readonly resources: Resources;
  timer: TimerHandle | undefined;
}

export interface MasterState {
  readonly frameworks: Map<FrameworkId, FrameworkRecord>;
  /** Frameworks removed (teardown or failover timeout): their ids may not subscribe again. */
  readonly completedFrameworks: Map<FrameworkId, FrameworkRecord>;
  readonly agents: Map<AgentId, AgentRecord>;
  readonly unreachableAgents: Map<AgentId, UnreachableAgent>;
  readonly offers: Map<OfferId, OfferRecord>;
  /** Per framework (running or completed), oldest first. */
  readonly completedTasks: Map<FrameworkId, TaskRecord[]>;
}

export function emptyMasterState(): MasterState {
  return {
    frameworks: new Map(),
    completedFrameworks: new Map(),
    agents: new Map(),
    unreachableAgents: new Map(),
    offers: new Map(),
    completedTasks: new Map(),
  };
}
