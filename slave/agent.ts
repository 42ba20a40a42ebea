/**
 * The agent core: what runs on a host for the master. It keeps the agent's books (frameworks,
 * executors, tasks, completed ones), launches command tasks through the `Containerizer`, turns
 * what happens to them into status updates (StatusUpdateManager: checkpointed before sent,
 * resent until acknowledged), kills with the kill policy, recovers after a restart from the
 * checkpoint tree, builds the (Re)RegisterAgent messages and answers the master's messages
 * (docs/agent-protocol.md). It implements `AgentView` for the HTTP surface.
 *
 * Lifecycle of a command task (task-state-machine.ts):
 *   RunTask ─► validate ─► STAGING (sandbox, checkpoints) ─► fetch URIs ─► launch ─► STARTING, RUNNING
 *            (invalid: TASK_ERROR; unsupported: TASK_FAILED)      (failure: TASK_FAILED, launch failed)
 *   container ends ─► FINISHED (exit 0) | KILLED (the agent killed it) | FAILED ─► ExecutorExited
 *   KillTask ─► [KILLING] SIGTERM to the tree ─► grace period ─► SIGKILL ─► (container ends)
 *   terminal update acknowledged ─► completed (sandbox handed to the garbage collector)
 *
 * Three kinds of executor (agent-books.ts `ExecutorKind`):
 *  - command: a command task runs under a generated "command executor" whose id is the task id
 *    (as Mesos), in a container of its own; the master does not track it, so it is never listed
 *    in ReregisterAgent.
 *  - default: a task group (RunTaskGroup, ExecutorInfo type DEFAULT) runs in the agent as Mesos'
 *    default executor would run it: one executor run (its sandbox, its resources), each task in a
 *    nested container with its own sandbox `tasks/<task_id>`; a task that fails or is killed takes
 *    its group with it (unless labelled `maestro.task_group.kill_on_failure=false`); the executor
 *    ends with its last task. No process stands for the executor itself (DESIGN.md §5: no Node
 *    process per task).
 *  - custom: the framework's executor (ExecutorInfo with a CommandInfo) runs as a process in the
 *    run's container and speaks the v1 executor API (slave/executor-endpoint.ts): tasks wait in
 *    STAGING until it subscribes (registration timeout), then go to it as LAUNCH / LAUNCH_GROUP;
 *    its UPDATEs are checkpointed and forwarded with its own uuids, acknowledgements go back as
 *    ACKNOWLEDGED, kills as KILL, framework messages as MESSAGE; SHUTDOWN, then SIGKILL after the
 *    grace period; when its process ends, its unfinished tasks fail (REASON_EXECUTOR_TERMINATED).
 *    After an agent restart it must subscribe again within the re-registration timeout; a task it
 *    does not know then was lost in the restart (as Mesos).
 * After a host reboot (slave/boot-id.ts) no recorded process is looked for: every task that was
 * running is reported gone.
 *
 * ShutdownAgent from the master (machine DOWN, MARK_AGENT_GONE): the agent goes TERMINATING, as
 * Mesos' `Slave::shutdown`: `shutdownRequested` settles (the composition root stops the master link: no
 * more (re-)registration), RunTask and RunTaskGroup are ignored, every framework is shut down
 * (kill policies and SIGKILL after the grace as usual; the updates are checkpointed but no longer
 * sent: the master removed the agent). Once every executor has ended (or a bound passed),
 * `meta/slaves/latest` is removed, as Mesos' `Slave::finalize` does when TERMINATING, so the next
 * start is a new agent, and `shutdownComplete` settles.
 *
 * Invariants: every state change goes through `transition()`; every update a task gets goes
 * through the status update manager (except answers about tasks the agent does not have, which
 * have no journal to live in); the core never throws for a bad message: it logs and answers.
 * Time and ids come from ports; file access from the CheckpointStore; processes from the
 * Containerizer.
 */
import { Resources } from '../common/resources/resources.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import {
  commandExecutorInfo, durationMs, ekey, executorKindOf, fitsInto, killsGroupOnFailure, MAX_COMPLETED_EXECUTORS, MAX_COMPLETED_TASKS,
  nestedContainerId, taskUser, tkey, waitStatus, type CustomExecutorState, type ExecutorEntry, type ExecutorKind, type TaskEntry,
} from './agent-books.ts';
import type { AgentDeps, MasterPort } from './agent-ports.ts';
import type { AgentView, AttachedSandbox } from './agent-view.ts';
import { executorsView, frameworksView, taskProto, tasksView } from './agent-views.ts';
import type { RecoveredState } from './checkpoint-store.ts';
import { commandOutcome } from './command-outcome.ts';
import type { ContainerId, LaunchResult, LaunchSpec, RecoverableContainer, Termination } from './containerizer.ts';
import { asContainerId } from './containerizer.ts';
import type { ExecutorCallOutcome, ExecutorCallRejection, ExecutorEndpoint, ExecutorSink } from './executor-endpoint.ts';
import { isSafeComponent, virtualSandboxPaths, type RunKey, type TaskKey } from './paths.ts';
import { incompatibility } from './reconfiguration.ts';
import { StatusUpdateManager } from './status-update-manager.ts';
import { taskEnvironment } from './task-environment.ts';
import { AGENT_TASK_STATES, isTerminalState, transition, type AgentTaskState } from './task-state-machine.ts';

type Envelope = maestro.agent.Envelope;
type TaskStatus = mesos.v1.TaskStatus;

/** How a master's shutdown ended: its message; `forced` when executors were still there at the bound. */
export interface AgentTermination {
  readonly message: string;
  readonly forced: boolean;
  readonly executorsLeft: number;
}

/** MESOS_SUBSCRIPTION_BACKOFF_MAX told to checkpointing executors (Mesos: 2 s). */
const SUBSCRIPTION_BACKOFF_MAX_SECONDS = 2;
/** Events kept for an executor that is not subscribed; beyond, they are dropped (logged). */
const MAX_EXECUTOR_BACKLOG = 10_000;
/** Frameworks kept in the books without a task or executor here (Mesos: --max_completed_frameworks, 50). */
const MAX_COMPLETED_FRAMEWORKS = 50;
/** After ShutdownAgent, how much longer than the longest grace period the agent waits for its executors to end. */
const TERMINATION_SLACK_MS = 10_000;
/** Completed runs remembered so that a run is handed to the collector once (bounded). */
const MAX_COLLECTED_RUNS = 10_000;

/**
 * Whether an executor may send UPDATE and MESSAGE: once it has subscribed, also while its stream
 * is broken or it is being shut down (its TASK_KILLED after SHUTDOWN must get through); as Mesos,
 * only an executor still registering is refused (403).
 */
const hasSubscribed = (ex: ExecutorEntry): boolean => ex.custom !== undefined && ex.custom.state !== 'launching' && ex.custom.state !== 'registering';

export class Agent implements AgentView, ExecutorEndpoint {
  private id: string | undefined;
  private link: MasterPort | undefined;
  private readonly startedAt: number;
  private readonly frameworks = new Map<string, mesos.v1.FrameworkInfo>();
  /**
   * The frameworks whose directories are this agent's: off the collector's schedule, `framework.info`
   * written as `info` (once `ready` resolves). A framework absent here has no directory of its own
   * (never had a task here, or handed to the collector): its next task takes the directory back and
   * writes `framework.info` again (frameworkDirReady), whatever the agent remembers of the framework.
   */
  private readonly frameworkDirs = new Map<string, { info: mesos.v1.FrameworkInfo; ready: Promise<void>; done: boolean }>();
  private readonly tasks = new Map<string, TaskEntry>();
  private readonly executors = new Map<string, ExecutorEntry>();
  private readonly completedTasks: mesos.v1.Task[] = [];
  private readonly completedExecutors: ExecutorEntry[] = [];
  /** Frameworks the master shut down: once their tasks are terminal and their executors gone, their updates are dropped (as Mesos). */
  private readonly shuttingDown = new Set<string>();
  /** Per run (container id): the checkpoint writes of its tasks, which the run's collection waits for. */
  private readonly runPrepares = new Map<string, Promise<unknown>[]>();
  /** True while `recover()` reports the containers that ended during the restart. */
  private reportingRecovery = false;
  /** Container ids of runs already handed to the collector (bounded). */
  private readonly collectedRuns = new Set<string>();
  private checkpointedResources: mesos.v1.Resource[] = [];
  /** False until `recover()` has read the checkpoints back (the HTTP API listens meanwhile). */
  private recovered = false;
  private used = Resources.of([]);
  private readonly sum: StatusUpdateManager;
  private endpointText = '';
  private port = 0;
  /** Set by the master's ShutdownAgent (Mesos' TERMINATING): its message. */
  private terminatingMessage: string | undefined;
  private terminationBound: ReturnType<AgentDeps['timers']['setTimeout']> | undefined;
  private resolveTerminating!: (message: string) => void;
  private resolveTerminated!: (t: AgentTermination) => void;
  /** Settles with the master's message when it asks this agent to shut down (the link must stop registering). */
  readonly shutdownRequested: Promise<string> = new Promise((resolve) => { this.resolveTerminating = resolve; });
  /** Settles once a master's shutdown is carried out: every executor gone (or the bound passed), `latest` removed. */
  readonly shutdownComplete: Promise<AgentTermination> = new Promise((resolve) => { this.resolveTerminated = resolve; });
  private readonly counters = {
    validUpdates: 0, invalidUpdates: 0, recoveryErrors: 0, launched: 0,
    finished: 0, failed: 0, killed: 0, lost: 0, error: 0, dropped: 0, executorsTerminated: 0,
  };

  constructor(private readonly deps: AgentDeps) {
    this.startedAt = deps.clock.now();
    this.sum = new StatusUpdateManager({
      timers: deps.timers,
      journal: deps.store,
      retry: deps.config.retry,
      // While TERMINATING the master has removed the agent: updates stay in the journals, unsent.
      send: (update) => (this.terminatingMessage === undefined ? this.link?.send({ status_update: update }) ?? false : false),
      onTerminalAcknowledged: (f, t) => this.completeTask(f, t),
      onJournalError: (path, e) => this.deps.logger.error({ path, error: e.message }, 'could not checkpoint a status update; sending it anyway'),
    });
  }

  /** The HTTP endpoint, once listening (AgentInfo.port and MESOS_AGENT_ENDPOINT come from it). */
  setEndpoint(ip: string, port: number): void {
    this.port = port;
    this.endpointText = `${ip}:${port}`;
  }

  attach(link: MasterPort): void {
    this.link = link;
  }

  // ---------------------------------------------------------------- registration

  /** AgentInfo as registered: hostname, port, resources, attributes, domain, id when known. */
  info(): mesos.v1.AgentInfo {
    const i: mesos.v1.AgentInfo = {
      hostname: this.deps.config.hostname,
      port: this.port,
      resources: this.deps.config.resources.toProto(),
    };
    if (this.deps.config.attributes.length > 0) i.attributes = [...this.deps.config.attributes];
    if (this.deps.config.domain !== undefined) i.domain = this.deps.config.domain;
    if (this.id !== undefined) i.id = { value: this.id };
    return i;
  }

  /** The capabilities the agent registers with (and `/state` lists). */
  agentCapabilities(): mesos.v1.AgentInfo.Capability[] {
    return [{ type: 'MULTI_ROLE' }, { type: 'HIERARCHICAL_ROLE' }, { type: 'RESERVATION_REFINEMENT' }];
  }

  /** The first message of every connection: RegisterAgent, or ReregisterAgent with what the agent runs. */
  hello(): Envelope {
    const common = {
      agent_info: this.info(),
      version: this.deps.config.version,
      capabilities: this.agentCapabilities(),
      ...(this.deps.config.token !== undefined ? { token: this.deps.config.token } : {}),
      ...(this.endpointText !== '' ? { endpoint: this.endpointText } : {}),
    };
    if (this.id === undefined) return { register_agent: common };
    const tasks = [...this.tasks.values()].map((e) => this.taskProto(e));
    const frameworkIds = new Set([...this.tasks.values()].map((e) => e.key.frameworkId));
    for (const ex of this.executors.values()) if (!ex.terminated) frameworkIds.add(ex.key.frameworkId);
    const frameworks = [...frameworkIds].map((f) => this.frameworks.get(f)).filter((f): f is mesos.v1.FrameworkInfo => f !== undefined);
    const executors = [...this.executors.values()].filter((e) => !e.generated && !e.terminated).map((e) => e.info);
    return {
      reregister_agent: {
        ...common, tasks, frameworks, executors,
        ...(this.checkpointedResources.length > 0 ? { checkpointed_resources: this.checkpointedResources } : {}),
      },
    };
  }

  /** AgentRegistered / AgentReregistered arrived: keep the id, resend what is unacknowledged. */
  registered(envelope: Envelope): void {
    const answer = envelope.agent_registered ?? envelope.agent_reregistered;
    if (answer === undefined) return;
    if (this.terminatingMessage !== undefined) {
      this.deps.logger.warn({ agentId: answer.agent_id.value }, 'ignored a registration: the agent is terminating');
      return;
    }
    const given = answer.agent_id.value;
    if (this.id === undefined) {
      this.id = given;
      this.deps.store.saveAgent(given, this.info());
      this.deps.logger.info({ agentId: given }, 'registered with the master');
    } else if (given !== this.id) {
      this.deps.logger.error({ agentId: this.id, given }, 'the master answered with another agent id; keeping ours');
    } else {
      this.deps.logger.info({ agentId: given }, 're-registered with the master');
    }
    this.sum.flush();
  }

  disconnected(reason: string): void {
    this.deps.logger.warn({ reason }, 'disconnected from the master; updates wait for the next registration');
  }

  // ---------------------------------------------------------------- master messages

  handle(env: Envelope): void {
    if (env.run_task !== undefined) this.runTask(env.run_task);
    else if (env.run_task_group !== undefined) this.runTaskGroup(env.run_task_group);
    else if (env.kill_task !== undefined) this.killTask(env.kill_task.framework_id.value, env.kill_task.task_id.value, env.kill_task.kill_policy);
    else if (env.status_update_acknowledgement !== undefined) {
      const a = env.status_update_acknowledgement;
      const entry = this.tasks.get(tkey(a.framework_id.value, a.task_id.value));
      const outcome = this.sum.acknowledge(a.framework_id.value, a.task_id.value, a.uuid);
      if (outcome === 'unexpected' || outcome === 'unknown-stream') {
        this.deps.logger.debug({ taskId: a.task_id.value, outcome }, 'ignored a status update acknowledgement');
      } else if (entry?.kind === 'custom') {
        // The executor learns that the framework has its update (it may stop resending it).
        const ex = this.executors.get(ekey(entry.key.frameworkId, entry.key.executorId));
        if (ex !== undefined && ex.key.containerId === entry.key.containerId) {
          this.sendToExecutor(ex, { type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: a.task_id.value }, uuid: a.uuid } });
        }
      }
    } else if (env.shutdown_framework !== undefined) this.shutdownFramework(env.shutdown_framework.framework_id.value);
    else if (env.shutdown_executor !== undefined) this.shutdownExecutor(env.shutdown_executor.framework_id.value, env.shutdown_executor.executor_id.value);
    else if (env.update_framework !== undefined) this.updateFramework(env.update_framework.framework_info);
    else if (env.reconcile_tasks !== undefined) this.reconcile(env.reconcile_tasks.framework_id.value, (env.reconcile_tasks.task_ids ?? []).map((t) => t.value));
    else if (env.checkpoint_resources !== undefined) {
      this.checkpointedResources = env.checkpoint_resources.resources ?? [];
      if (this.id !== undefined) this.deps.store.saveCheckpointedResources(this.id, this.checkpointedResources);
    } else if (env.framework_to_executor !== undefined) {
      const m = env.framework_to_executor;
      const ex = this.executors.get(ekey(m.framework_id.value, m.executor_id.value));
      if (ex?.custom !== undefined && !ex.terminated) this.sendToExecutor(ex, { type: 'MESSAGE', message: { data: m.data } });
      else this.deps.logger.info({ executorId: m.executor_id.value }, 'dropped a framework message: no custom executor of that id runs here');
    } else if (env.shutdown_agent !== undefined) this.shutdownAgent(env.shutdown_agent.message ?? '');
  }

  /**
   * ShutdownAgent (Mesos `Slave::shutdown`): TERMINATING, every framework shut down; the agent
   * terminates once its executors are gone. A second one changes nothing.
   */
  private shutdownAgent(message: string): void {
    if (this.terminatingMessage !== undefined) return;
    this.terminatingMessage = message;
    this.deps.logger.warn({ message }, 'the master asked this agent to shut down; killing every task, then terminating');
    this.resolveTerminating(message);
    const frameworks = new Set([...this.tasks.values()].map((e) => e.key.frameworkId));
    for (const ex of this.executors.values()) if (!ex.terminated) frameworks.add(ex.key.frameworkId);
    // Never wait forever: past the longest grace (and the time SIGKILL takes), the agent terminates anyway.
    let graceMs = Math.max(this.deps.config.shutdownGraceSeconds * 1000, this.deps.config.defaultGraceMs);
    for (const e of this.tasks.values()) graceMs = Math.max(graceMs, durationMs(e.info.kill_policy?.grace_period) ?? 0);
    this.terminationBound = this.deps.timers.setTimeout(() => {
      this.terminationBound = undefined;
      this.finishTermination(true);
    }, graceMs + TERMINATION_SLACK_MS);
    for (const f of frameworks) this.shutdownFramework(f);
    this.maybeTerminate();
  }

  /** While TERMINATING: once no executor runs, the agent terminates. */
  private maybeTerminate(): void {
    if (this.terminatingMessage === undefined || this.terminationBound === undefined) return;
    for (const ex of this.executors.values()) if (!ex.terminated) return;
    this.finishTermination(false);
  }

  /**
   * Mesos' `Slave::finalize` when TERMINATING: `latest` goes, so the next start registers as a new
   * agent; not while executors are left at the bound (Mesos' next start destroys orphaned containers,
   * this one would not know them): the next start recovers them.
   */
  private finishTermination(forced: boolean): void {
    if (this.terminationBound !== undefined) this.deps.timers.clear(this.terminationBound);
    this.terminationBound = undefined;
    const left = [...this.executors.values()].filter((ex) => !ex.terminated).map((ex) => ex.key.executorId);
    if (left.length > 0) {
      // Nothing else tracks these processes (no orphan sweep at start): `latest` stays, so the next
      // start recovers this agent and its executors, and a master that still wants it gone says so again.
      this.deps.logger.error({ executors: left }, 'executors did not end within the shutdown bound; terminating anyway, keeping this agent\'s id so that the next start recovers them');
    } else {
      try {
        this.deps.store.forgetAgent();
      } catch (e) {
        this.deps.logger.error({ path: this.deps.store.paths.latestAgent, error: (e as Error).message }, 'could not remove the latest agent link; the next start recovers this agent');
      }
    }
    this.resolveTerminated({ message: this.terminatingMessage ?? '', forced, executorsLeft: left.length });
  }

  /** True once the master asked this agent to shut down (Mesos' TERMINATING). */
  isTerminating(): boolean {
    return this.terminatingMessage !== undefined;
  }

  /** Remembers a FrameworkInfo; checkpointed now only when the framework's directory is the agent's (else by its next task's newEntry). */
  private upsertFramework(info: mesos.v1.FrameworkInfo): void {
    if (info.id === undefined || this.id === undefined) return;
    this.frameworks.set(info.id.value, info);
    if (this.frameworkDirs.has(info.id.value)) {
      this.frameworkDirReady(info.id.value).catch((e: Error) => {
        this.deps.logger.error({ frameworkId: info.id!.value, error: e.message }, 'could not checkpoint the framework');
      });
    }
  }

  /**
   * Resolves once the framework's directory is the agent's and its `framework.info` on disk is the
   * remembered FrameworkInfo: the directory is taken back from the collector (waiting for a removal
   * under way, which would take what is written meanwhile) and `framework.info` written, or written
   * again when the info changed (every RunTask carries it). Every run's checkpoints wait for it.
   */
  private frameworkDirReady(frameworkId: string): Promise<void> {
    const info = this.frameworks.get(frameworkId)!;
    const dir = this.frameworkDirs.get(frameworkId);
    if (dir !== undefined && (dir.info === info || JSON.stringify(dir.info) === JSON.stringify(info))) {
      dir.info = info;
      return dir.ready;
    }
    const agentId = this.id!;
    const save = () => this.deps.store.saveFramework(agentId, info);
    let ready: Promise<void>;
    if (dir?.done === true) {
      // The directory is the agent's already: written at once, as before (a restart right after sees it).
      try {
        save();
        ready = Promise.resolve();
      } catch (e) {
        ready = Promise.reject(e as Error);
      }
    } else {
      ready = (dir?.ready ?? this.deps.gc.unschedule(this.deps.store.paths.frameworkSandbox(agentId, frameworkId))).then(save);
    }
    const entry = { info, ready, done: false };
    this.frameworkDirs.set(frameworkId, entry);
    // A failed write is tried again by the next task (the entry goes), not inherited by every later run.
    ready.then(() => { entry.done = true; }, () => { if (this.frameworkDirs.get(frameworkId) === entry) this.frameworkDirs.delete(frameworkId); });
    return ready;
  }

  private updateFramework(info: mesos.v1.FrameworkInfo): void {
    if (info.id === undefined || !this.frameworks.has(info.id.value)) return;
    this.upsertFramework(info);
  }

  private hasCapability(frameworkId: string, cap: mesos.v1.FrameworkInfo.Capability.Type): boolean {
    return (this.frameworks.get(frameworkId)?.capabilities ?? []).some((c) => c.type === cap);
  }

  /** A status about a task the agent has no journal for (unknown ids): sent once, not checkpointed. */
  private sendUnreliable(frameworkId: string, taskId: string, state: mesos.v1.TaskState, reason: mesos.v1.TaskStatus.Reason, message: string): void {
    const status: TaskStatus = {
      task_id: { value: taskId }, state, source: 'SOURCE_AGENT', reason, message,
      timestamp: this.deps.clock.now() / 1000, uuid: this.deps.ids.uuid(),
      ...(this.id !== undefined ? { agent_id: { value: this.id } } : {}),
    };
    this.link?.send({ status_update: { framework_id: { value: frameworkId }, status } });
  }

  private lostState(frameworkId: string): 'TASK_DROPPED' | 'TASK_LOST' {
    return this.hasCapability(frameworkId, 'PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST';
  }

  private runTaskGroup(rt: maestro.agent.RunTaskGroup): void {
    this.admit(rt.framework, rt.executor, rt.task_group.tasks ?? [], true);
  }

  private runTask(rt: maestro.agent.RunTask): void {
    this.admit(rt.framework, rt.executor, [rt.task], false);
  }

  /**
   * Takes tasks into the books (sandbox, checkpoints, journal), then refuses them or starts them:
   * a command task in a container of its own; the tasks of a task group in nested containers of
   * the default executor's run; a custom executor's tasks through that executor, started first
   * when it does not run yet. A task group is taken or refused whole.
   */
  private admit(framework: mesos.v1.FrameworkInfo, executor: mesos.v1.ExecutorInfo | undefined, tasks: readonly mesos.v1.TaskInfo[], group: boolean): void {
    const frameworkId = framework.id?.value;
    if (this.terminatingMessage !== undefined) {
      // As Mesos: no TASK_LOST either, the master has removed this agent.
      this.deps.logger.warn({ frameworkId, taskIds: tasks.map((t) => t.task_id.value) }, 'ignored tasks: the agent is terminating');
      return;
    }
    if (frameworkId === undefined || this.id === undefined) {
      this.deps.logger.warn({ taskIds: tasks.map((t) => t.task_id.value) }, 'dropped tasks: no framework id or the agent has no id yet');
      return;
    }
    this.upsertFramework(framework);
    const kind = executorKindOf(executor);
    const fresh: mesos.v1.TaskInfo[] = [];
    let refusal: string | undefined;
    for (const task of tasks) {
      const taskId = task.task_id.value;
      const executorId = executor?.executor_id.value ?? taskId;
      for (const [what, value] of [['Task ID', taskId], ['Framework ID', frameworkId], ['Executor ID', executorId]] as const) {
        if (refusal === undefined && !isSafeComponent(value)) refusal = `${what} '${value}' cannot name a directory (empty, '.', '..', or holds '/')`;
      }
      if (this.tasks.has(tkey(frameworkId, taskId))) {
        this.deps.logger.warn({ frameworkId, taskId }, 'ignored a second launch of a task the agent already runs');
        continue;
      }
      fresh.push(task);
    }
    if (kind !== 'command' && refusal === undefined) {
      const ex = this.executors.get(ekey(frameworkId, executor!.executor_id.value));
      if (ex !== undefined && !ex.terminated && ex.kind !== kind) {
        refusal = `Executor '${ex.key.executorId}' already runs as a ${ex.kind} executor`;
      } else if (ex?.custom?.state === 'terminating') {
        for (const task of fresh) {
          this.sendUnreliable(frameworkId, task.task_id.value, this.lostState(frameworkId), 'REASON_EXECUTOR_TERMINATED', `Executor '${ex.key.executorId}' is shutting down`);
        }
        return;
      }
    }
    if (refusal !== undefined) {
      // Ids that cannot name a directory have no journal to live in: answered once, not checkpointed.
      const message = group && fresh.length > 1 ? `Task group refused: ${refusal}` : refusal;
      for (const task of fresh) this.sendUnreliable(frameworkId, task.task_id.value, 'TASK_ERROR', 'REASON_TASK_INVALID', message);
      return;
    }
    if (kind === 'command') {
      for (const task of fresh) this.admitCommandTask(frameworkId, task);
      return;
    }
    if (fresh.length > 0) this.admitExecutorTasks(frameworkId, executor!, kind, fresh, group);
  }

  /** A task entry with its journal opened and its sandbox and checkpoints under way. */
  private newEntry(
    frameworkId: string, task: mesos.v1.TaskInfo, execInfo: mesos.v1.ExecutorInfo, kind: ExecutorKind, runKey: RunKey, group?: string,
  ): TaskEntry {
    const taskId = task.task_id.value;
    const key: TaskKey = { ...runKey, taskId };
    const paths = this.deps.store.paths;
    const nested = kind === 'default';
    const child = nested ? nestedContainerId(runKey.containerId, taskId) : undefined;
    // A new run of an executor id takes its directory (and its framework's) back from the collector; a removal
    // of them already under way ends before anything of this run is written there (else it took them too).
    const kept = Promise.all([
      this.frameworkDirReady(frameworkId),
      this.deps.gc.unschedule(paths.executorSandbox(runKey.agentId, frameworkId, runKey.executorId)),
    ]);
    // Sandbox and checkpoints are written in the background; the launch waits for them.
    const prepared = kept.then(() => this.deps.store.prepareRun(key, execInfo, task))
      .then(() => (nested ? this.deps.store.prepareNested(key) : undefined))
      .then(() => undefined, (e: Error) => {
        this.deps.logger.error({ taskId, error: e.message }, 'could not create the sandbox or checkpoint the task');
        return e.message;
      });
    const entry: TaskEntry = {
      key, info: task, customExecutor: kind !== 'command', kind,
      ...(kind === 'command' ? { container: runKey.containerId } : {}),
      ...(child !== undefined ? { container: `${runKey.containerId}.${child}` } : {}),
      containerStatusId: child !== undefined ? { value: child, parent: { value: runKey.containerId } } : { value: runKey.containerId },
      ...(group !== undefined ? { group } : {}),
      state: 'TASK_STAGING', statuses: [],
      sandbox: nested ? paths.taskSandbox(key) : paths.sandbox(runKey),
      runDir: nested ? paths.nestedRunDir(key) : paths.containerRunDir(runKey),
      prepared, environment: {}, phase: 'preparing',
      killRequested: false, killedByHealth: false, checks: [], completed: false, collected: false,
    };
    this.tasks.set(tkey(frameworkId, taskId), entry);
    this.sum.open(frameworkId, taskId, paths.taskUpdates(key));
    const prepares = this.runPrepares.get(runKey.containerId);
    if (prepares === undefined) this.runPrepares.set(runKey.containerId, [prepared]);
    else prepares.push(prepared);
    return entry;
  }

  /** Why a task cannot run as it is (checked after resources); undefined when it can. */
  private taskProblem(task: mesos.v1.TaskInfo, kind: ExecutorKind): string | undefined {
    if (kind !== 'custom' && task.command === undefined) return 'Task has no CommandInfo to run';
    // A task group's tasks share their executor's network in Mesos; maestro does not give a group a network of its own yet.
    if (kind === 'default' && (task.container?.network_infos ?? []).length > 0) return 'task.container.network_infos: networks of tasks in a task group are not supported yet (their tasks use the host network)';
    const health = this.deps.health;
    if (health !== undefined) {
      const hc = task.health_check !== undefined ? health.validateHealthCheck(task.health_check) : undefined;
      if (hc !== undefined) return `Task's health check is invalid: ${hc}`;
      const ck = task.check !== undefined ? health.validateCheck(task.check) : undefined;
      if (ck !== undefined) return `Task's check is invalid: ${ck}`;
    } else if (task.health_check !== undefined || task.check !== undefined) {
      this.deps.logger.warn({ taskId: task.task_id.value }, 'the task has a health check or check but this agent runs none');
    }
    return undefined;
  }

  private refuse(entry: TaskEntry, state: 'TASK_ERROR' | 'TASK_FAILED', reason: mesos.v1.TaskStatus.Reason, message: string): void {
    this.emit(entry, state, { reason, message, source: 'SOURCE_AGENT' });
    entry.phase = 'ended';
  }

  private admitCommandTask(frameworkId: string, task: mesos.v1.TaskInfo): void {
    const taskId = task.task_id.value;
    const resourceProblem = fitsInto(this.deps.config.resources.unallocate(), this.usedResources(), Resources.fromProto(task.resources).unallocate());
    const runKey: RunKey = { agentId: this.id!, frameworkId, executorId: taskId, containerId: this.deps.ids.containerId() };
    const execInfo = commandExecutorInfo(frameworkId, task);
    const entry = this.newEntry(frameworkId, task, execInfo, 'command', runKey);
    this.replaceExecutor({ key: runKey, info: execInfo, generated: true, kind: 'command', sandbox: entry.sandbox, terminated: false });
    const problem = resourceProblem !== undefined ? `Task uses resources the agent was not given: ${resourceProblem}` : this.taskProblem(task, 'command');
    if (problem !== undefined) {
      this.refuse(entry, 'TASK_ERROR', 'REASON_TASK_INVALID', problem);
      this.executorEnded(runKey, undefined);
      return;
    }
    this.charge(entry);
    void this.launch(entry);
  }

  /** Puts an executor's new run in the books; a finished run of the same executor id goes to the completed ones. */
  private replaceExecutor(ex: ExecutorEntry): void {
    const k = ekey(ex.key.frameworkId, ex.key.executorId);
    const old = this.executors.get(k);
    if (old !== undefined && old !== ex) {
      // A run that never started (its task was killed while it was prepared) ends here, once.
      if (!old.terminated) this.executorEnded(old.key, undefined);
      if (this.executors.get(k) === old) {
        this.completedExecutors.push(old);
        if (this.completedExecutors.length > MAX_COMPLETED_EXECUTORS) this.completedExecutors.shift();
      }
    }
    this.executors.set(k, ex);
  }

  /** The tasks of a task group (default executor) or of a custom executor: into the executor's run, started or refused together. */
  private admitExecutorTasks(frameworkId: string, executor: mesos.v1.ExecutorInfo, kind: 'default' | 'custom', tasks: readonly mesos.v1.TaskInfo[], group: boolean): void {
    const executorId = executor.executor_id.value;
    const running = this.executors.get(ekey(frameworkId, executorId));
    const ex: ExecutorEntry = running !== undefined && !running.terminated ? running : {
      key: { agentId: this.id!, frameworkId, executorId, containerId: this.deps.ids.containerId() },
      info: executor, generated: false, kind, sandbox: '', terminated: false,
    };
    const isNew = ex !== running;
    let wanted = Resources.of([]);
    for (const t of tasks) wanted = wanted.plus(Resources.fromProto(t.resources).unallocate());
    if (isNew) wanted = wanted.plus(Resources.fromProto(executor.resources).unallocate());
    const resourceProblem = fitsInto(this.deps.config.resources.unallocate(), this.usedResources(), wanted);
    const groupId = group ? tasks[0]!.task_id.value : undefined;
    const entries = tasks.map((t) => this.newEntry(frameworkId, t, ex.info, kind, ex.key, groupId));
    let problem = resourceProblem !== undefined ? `Task uses resources the agent was not given: ${resourceProblem}` : undefined;
    if (problem === undefined && isNew && kind === 'custom' && executor.command === undefined) problem = 'ExecutorInfo has no CommandInfo to run';
    if (problem === undefined && kind === 'default' && executor.container !== undefined && ((executor.container.network_infos ?? []).length > 0 || executor.container.type === 'DOCKER' || executor.container.mesos?.image !== undefined)) {
      problem = 'executor.container: a container (image or networks) for the default executor is not supported yet; give images to the tasks of the group';
    }
    for (const t of tasks) problem ??= this.taskProblem(t, kind);
    if (isNew) {
      (ex as { sandbox: string }).sandbox = this.deps.store.paths.sandbox(ex.key);
      this.replaceExecutor(ex);
    }
    if (problem !== undefined) {
      const message = group && tasks.length > 1 ? `Task group refused: ${problem}` : problem;
      for (const e of entries) this.refuse(e, 'TASK_ERROR', 'REASON_TASK_INVALID', message);
      if (isNew) this.executorEnded(ex.key, undefined);
      return;
    }
    if (isNew) {
      ex.charged = Resources.fromProto(executor.resources).unallocate();
      this.used = this.used.plus(ex.charged);
    }
    for (const e of entries) this.charge(e);
    if (kind === 'custom' && !isNew) this.updateExecutorContainer(ex);
    if (kind === 'default') {
      for (const e of entries) void this.launch(e);
      return;
    }
    if (isNew) {
      ex.custom = { state: 'launching', runDir: this.deps.store.paths.containerRunDir(ex.key), backlog: [], recovered: false, launched: false };
      void this.launchExecutor(ex, entries[0]!.prepared);
    }
    for (const e of entries) {
      void e.prepared.then((problemText) => {
        if (isTerminalState(e.state)) return;
        if (problemText !== undefined) {
          this.emit(e, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to create the sandbox: ${problemText}`, source: 'SOURCE_AGENT' });
          e.phase = 'ended';
          this.maybeCollect(e);
          return;
        }
        e.ready = true;
        this.deliverQueued(ex);
      });
    }
  }

  /**
   * A custom executor's container holds the executor's resources and those of its tasks that are
   * not terminal (as Mesos): what its limits are set from, at launch and whenever a task joins or ends.
   */
  private executorContainerResources(ex: ExecutorEntry): Resources {
    let total = Resources.fromProto(ex.info.resources).unallocate();
    for (const t of this.tasks.values()) {
      if (t.charged !== undefined && t.key.containerId === ex.key.containerId && t.kind === 'custom') total = total.plus(t.charged);
    }
    return total;
  }

  /** Tells the containerizer a launched custom executor's container has new resources (Mesos' `Containerizer::update`). */
  private updateExecutorContainer(ex: ExecutorEntry): void {
    if (ex.kind !== 'custom' || ex.custom?.launched !== true || ex.terminated) return;
    const resources = this.executorContainerResources(ex);
    this.deps.containerizer.update(asContainerId(ex.key.containerId), resources).catch((e: unknown) => {
      this.deps.logger.warn({ containerId: ex.key.containerId, error: (e as Error).message }, 'could not update the container\'s resources');
    });
  }

  /** Resources of the tasks that are not terminal (kept up to date by `charge` and `emit`, not recounted per launch). */
  private usedResources(): Resources {
    return this.used;
  }

  private charge(entry: TaskEntry): void {
    entry.charged = Resources.fromProto(entry.info.resources).unallocate();
    this.used = this.used.plus(entry.charged);
  }

  private async launch(entry: TaskEntry): Promise<void> {
    const { frameworkId, executorId, taskId } = entry.key;
    const containerId = entry.container!;
    const command = entry.info.command!;
    const framework = this.frameworks.get(frameworkId);
    const user = this.userOf(entry);
    const problem = await entry.prepared;
    if (problem !== undefined || isTerminalState(entry.state)) {
      if (!isTerminalState(entry.state)) {
        this.emit(entry, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to create the sandbox: ${problem}`, source: 'SOURCE_AGENT' });
      }
      entry.phase = 'ended';
      this.containerGone(entry, undefined);
      return;
    }
    entry.environment = taskEnvironment({
      agentId: entry.key.agentId, frameworkId, executorId, taskId, containerId, sandbox: entry.sandbox,
      agentEndpoint: this.endpointText, checkpoint: framework?.checkpoint ?? false,
      shutdownGracePeriodSeconds: this.deps.config.shutdownGraceSeconds, command, path: this.deps.config.path,
    });
    if ((command.uris ?? []).length > 0) {
      const fetched = await this.fetchInto(entry.sandbox, command, user);
      if (isTerminalState(entry.state)) {
        entry.phase = 'ended';
        this.containerGone(entry, undefined);
        return;
      }
      if (!fetched.ok) {
        this.emit(entry, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to fetch URIs: ${fetched.message}`, source: 'SOURCE_AGENT' });
        entry.phase = 'ended';
        this.containerGone(entry, undefined);
        return;
      }
    }
    if (isTerminalState(entry.state)) {
      entry.phase = 'ended';
      this.containerGone(entry, undefined);
      return;
    }
    const shell = command.shell ?? true;
    const result = await this.launchContainer({
      containerId: asContainerId(containerId), sandbox: entry.sandbox, runDir: entry.runDir,
      command: { shell, value: command.value ?? '', arguments: command.arguments ?? [] },
      environment: entry.environment, resources: Resources.fromProto(entry.info.resources),
      ...(user !== undefined ? { user } : {}),
      ...(entry.info.container !== undefined ? { container: entry.info.container } : {}),
    });
    if (!result.ok) {
      if (!isTerminalState(entry.state)) {
        this.emit(entry, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch container: ${result.message}`, source: 'SOURCE_AGENT' });
      }
      entry.phase = 'ended';
      this.containerGone(entry, undefined);
      return;
    }
    entry.phase = 'launched';
    if (result.networkInfos !== undefined) entry.networkInfos = result.networkInfos;
    this.counters.launched++;
    this.watch(entry);
    if (isTerminalState(entry.state)) {
      // Killed while launching: TASK_KILLED is out already; the process goes at once.
      this.signal(asContainerId(containerId), 'SIGKILL');
      return;
    }
    this.emit(entry, 'TASK_STARTING', {});
    const checkStatus = this.initialCheckStatus(entry);
    this.emit(entry, 'TASK_RUNNING', checkStatus !== undefined ? { check_status: checkStatus } : {});
    this.startChecks(entry);
  }

  /** Fetches a CommandInfo's URIs into a sandbox (as `user`); a throw becomes a failure value. */
  private async fetchInto(sandbox: string, command: mesos.v1.CommandInfo, user: string | undefined): Promise<{ ok: true } | { ok: false; message: string }> {
    const uris = command.uris ?? [];
    if (uris.length === 0) return { ok: true };
    try {
      return await this.deps.fetch(uris, { sandbox, cacheDir: this.deps.store.paths.fetchCache, ...(user !== undefined ? { user } : {}) });
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  /** Starts a container; a throw becomes a failure value. */
  private async launchContainer(spec: LaunchSpec): Promise<LaunchResult> {
    try {
      return await this.deps.containerizer.launch(spec);
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  /** The one rule for the task's user (agent-books.ts `taskUser`): its launch, fetch and probes all run as it. */
  private userOf(entry: TaskEntry): string | undefined {
    return taskUser(entry.info.command, this.frameworks.get(entry.key.frameworkId));
  }

  private initialCheckStatus(entry: TaskEntry): mesos.v1.CheckStatusInfo | undefined {
    const check = entry.info.check;
    if (check?.type === undefined || this.deps.health?.emptyCheckStatus === undefined) return undefined;
    entry.checkStatus = this.deps.health.emptyCheckStatus(check.type);
    return entry.checkStatus;
  }

  private startChecks(entry: TaskEntry): void {
    const health = this.deps.health;
    if (health === undefined) return;
    const user = this.userOf(entry);
    const address = entry.networkInfos?.flatMap((n) => n.ip_addresses ?? []).find((a) => (a.protocol ?? 'IPv4') === 'IPv4')?.ip_address;
    const inContainer = entry.container !== undefined ? this.deps.containerizer.execIn?.(asContainerId(entry.container)) : undefined;
    const ctx = {
      taskId: entry.key.taskId, sandbox: entry.sandbox, environment: entry.environment,
      ...(user !== undefined ? { user } : {}), ...(address !== undefined ? { address } : {}), ...(inContainer !== undefined ? { inContainer } : {}),
    };
    const { clock, timers } = this.deps;
    if (entry.info.health_check !== undefined) {
      entry.checks.push(health.startHealthCheck(entry.info.health_check, ctx, {
        clock, timers,
        onHealthChange: (healthy) => {
          entry.healthy = healthy;
          if (entry.state !== 'TASK_RUNNING') return;
          this.emit(entry, 'TASK_RUNNING', {
            healthy, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
            ...(entry.checkStatus !== undefined ? { check_status: entry.checkStatus } : {}),
          });
        },
        onUnhealthy: (message) => {
          if (isTerminalState(entry.state) || entry.killRequested) return;
          this.deps.logger.warn({ taskId: entry.key.taskId, message }, 'task failed its health check; killing it');
          entry.killedByHealth = true;
          this.kill(entry, undefined);
        },
      }));
    }
    if (entry.info.check !== undefined) {
      entry.checks.push(health.startCheck(entry.info.check, ctx, {
        clock, timers,
        onCheckStatus: (status) => {
          entry.checkStatus = status;
          if (entry.state !== 'TASK_RUNNING') return;
          this.emit(entry, 'TASK_RUNNING', {
            check_status: status, reason: 'REASON_TASK_CHECK_STATUS_UPDATED',
            ...(entry.healthy !== undefined ? { healthy: entry.healthy } : {}),
          });
        },
      }));
    }
  }

  private stopChecks(entry: TaskEntry): void {
    for (const c of entry.checks) c.stop();
    entry.checks = [];
  }

  private watch(entry: TaskEntry): void {
    const id = asContainerId(entry.container!);
    this.deps.containerizer.wait(id).then(
      (t) => this.terminated(entry, t),
      (e: Error) => this.terminated(entry, { kind: 'unknown', message: e.message }),
    );
  }

  /** The task's container ended: report how (unless a terminal update is out already), clean up, then its executor's turn. */
  private terminated(entry: TaskEntry, t: Termination): void {
    entry.phase = 'ended';
    this.stopChecks(entry);
    if (entry.graceTimer !== undefined) {
      this.deps.timers.clear(entry.graceTimer);
      entry.graceTimer = undefined;
    }
    let failed = false;
    if (!isTerminalState(entry.state)) {
      const o = commandOutcome(t, entry.killRequested);
      failed = o.state !== 'TASK_FINISHED';
      this.emit(entry, o.state, {
        message: o.message,
        ...(o.reason !== undefined ? { reason: o.reason } : {}),
        ...o.extra,
        ...(entry.killedByHealth ? { healthy: false } : {}),
      });
    }
    this.deps.containerizer.cleanup(asContainerId(entry.container!)).catch((e: Error) => {
      this.deps.logger.warn({ containerId: entry.container, error: e.message }, 'container cleanup failed');
    });
    // Mesos' default executor: a task of a group that fails (or is killed) takes its group with it.
    // Not while recovery reports what ended during the restart: those ends are not failures to spread.
    if (failed && !this.reportingRecovery && entry.group !== undefined && !entry.killRequested && killsGroupOnFailure(entry.info)) {
      for (const e of this.runTasks(entry.key)) {
        if (e !== entry && e.group === entry.group) this.killOne(e, undefined);
      }
    }
    this.containerGone(entry, waitStatus(t));
  }

  /** A task's container is gone (or never started): a command executor ends with it; the default executor with its last task. */
  private containerGone(entry: TaskEntry, status: number | undefined): void {
    if (entry.kind === 'default') {
      const rest = this.runTasks(entry.key);
      if (rest.every((e) => e.phase === 'ended')) {
        const allFinished = rest.every((e) => e.state === 'TASK_FINISHED');
        this.executorEnded(entry.key, allFinished ? 0 : 1 << 8);
      }
    } else {
      this.executorEnded(entry.key, status);
    }
    this.maybeCollect(entry);
  }

  /** An executor run ended: its resources return, ExecutorExited goes after the terminal updates of its tasks. */
  private executorEnded(key: RunKey, status: number | undefined): void {
    const k = ekey(key.frameworkId, key.executorId);
    const ex = this.executors.get(k);
    if (ex !== undefined && ex.key.containerId === key.containerId && !ex.terminated) {
      ex.terminated = true;
      this.counters.executorsTerminated++;
      if (ex.charged !== undefined) {
        this.used = this.used.minus(ex.charged);
        ex.charged = undefined;
      }
      const exited: maestro.agent.ExecutorExited = { framework_id: { value: key.frameworkId }, executor_id: { value: key.executorId } };
      if (status !== undefined) exited.status = status;
      // After the terminal updates of the executor's tasks (each goes out once its journal record is durable).
      const writes = this.runTasks(key).map((e) => this.sum.afterWrites(e.key.frameworkId, e.key.taskId));
      void Promise.all(writes).then(() => { if (this.terminatingMessage === undefined) this.link?.send({ executor_exited: exited }); });
    }
    this.maybeCollectRun(key);
    this.maybeForgetFramework(key.frameworkId);
    this.maybeTerminate();
  }

  /** Records a state change through the state machine and the status update manager. */
  private emit(entry: TaskEntry, state: AgentTaskState, extra: Partial<TaskStatus>, fromExecutor = false): boolean {
    // A custom executor's update is its word on its task: only a move out of a terminal state is refused (by the caller).
    const t = fromExecutor ? { ok: true as const, state } : transition(entry.state, state);
    if (!t.ok) {
      this.counters.invalidUpdates++;
      this.deps.logger.warn({ taskId: entry.key.taskId, message: t.message }, 'refused a task state change');
      return false;
    }
    entry.state = t.state;
    const status: TaskStatus = {
      task_id: { value: entry.key.taskId },
      state,
      source: 'SOURCE_EXECUTOR',
      agent_id: { value: entry.key.agentId },
      executor_id: { value: entry.key.executorId },
      timestamp: this.deps.clock.now() / 1000,
      uuid: this.deps.ids.uuid(),
      container_status: { container_id: entry.containerStatusId, ...(entry.networkInfos !== undefined ? { network_infos: [...entry.networkInfos] } : {}) },
      ...extra,
    };
    entry.statuses.push(status);
    this.counters.validUpdates++;
    if (isTerminalState(state)) {
      this.stopChecks(entry);
      this.countTerminal(state);
      if (entry.charged !== undefined) {
        this.used = this.used.minus(entry.charged);
        entry.charged = undefined;
        if (entry.kind === 'custom') {
          const ex = this.executors.get(ekey(entry.key.frameworkId, entry.key.executorId));
          if (ex !== undefined && ex.key.containerId === entry.key.containerId) this.updateExecutorContainer(ex);
        }
      }
    }
    this.sum.update({ framework_id: { value: entry.key.frameworkId }, status });
    if (isTerminalState(state)) this.maybeForgetFramework(entry.key.frameworkId);
    return true;
  }

  private countTerminal(state: mesos.v1.TaskState): void {
    if (state === 'TASK_FINISHED') this.counters.finished++;
    else if (state === 'TASK_FAILED') this.counters.failed++;
    else if (state === 'TASK_KILLED') this.counters.killed++;
    else if (state === 'TASK_LOST') this.counters.lost++;
    else if (state === 'TASK_ERROR') this.counters.error++;
    else if (state === 'TASK_DROPPED') this.counters.dropped++;
  }

  private killTask(frameworkId: string, taskId: string, policy: mesos.v1.KillPolicy | undefined): void {
    const entry = this.tasks.get(tkey(frameworkId, taskId));
    if (entry === undefined) {
      if (this.completedTasks.some((t) => t.framework_id.value === frameworkId && t.task_id.value === taskId)) return;
      this.sendUnreliable(frameworkId, taskId, this.lostState(frameworkId), 'REASON_RECONCILIATION', 'Cannot kill task: the agent does not know it');
      return;
    }
    this.kill(entry, policy);
  }

  /**
   * A kill request: a task not launched yet ends TASK_KILLED at once; a custom executor's task is
   * the executor's to kill (KILL event); a task of a task group takes its whole group with it (as
   * Mesos' default executor); a command task gets the kill policy (`killOne`).
   */
  private kill(entry: TaskEntry, policy: mesos.v1.KillPolicy | undefined): void {
    if (isTerminalState(entry.state) || entry.killRequested) return;
    if (entry.kind === 'custom' && entry.phase === 'launched') {
      entry.killRequested = true;
      const ex = this.executors.get(ekey(entry.key.frameworkId, entry.key.executorId));
      if (ex !== undefined) this.sendToExecutor(ex, { type: 'KILL', kill: { task_id: { value: entry.key.taskId }, ...(policy !== undefined ? { kill_policy: policy } : {}) } });
      return;
    }
    // A task of a group takes its group with it: always under the default executor (as Mesos); for
    // a custom executor while the group waits to be delivered (it goes whole or not at all).
    if (entry.group !== undefined && (entry.kind === 'default' || entry.phase === 'preparing')) {
      for (const e of this.runTasks(entry.key)) if (e.group === entry.group && e !== entry) this.killOne(e, policy);
    }
    this.killOne(entry, policy);
  }

  /** Kill policy: TASK_KILLING (when the framework can take it), SIGTERM, SIGKILL after the grace period. */
  private killOne(entry: TaskEntry, policy: mesos.v1.KillPolicy | undefined): void {
    if (isTerminalState(entry.state) || entry.killRequested) return;
    entry.killRequested = true;
    if (entry.phase === 'preparing') {
      this.emit(entry, 'TASK_KILLED', { reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'Task killed before it was launched' });
      // A launch in flight (an image being pulled, a bundle being made) is abandoned by the containerizer.
      if (entry.container !== undefined) this.signal(asContainerId(entry.container), 'SIGKILL');
      if (entry.kind === 'custom') {
        entry.phase = 'ended';
        this.maybeCollect(entry);
      }
      return;
    }
    if (entry.phase === 'ended' || entry.container === undefined) return;
    if (this.hasCapability(entry.key.frameworkId, 'TASK_KILLING_STATE')) this.emit(entry, 'TASK_KILLING', {});
    const id: ContainerId = asContainerId(entry.container);
    const graceMs = durationMs(policy?.grace_period) ?? durationMs(entry.info.kill_policy?.grace_period) ?? this.deps.config.defaultGraceMs;
    this.deps.logger.info({ taskId: entry.key.taskId, graceMs }, 'killing task: SIGTERM now, SIGKILL after the grace period');
    this.signal(id, 'SIGTERM');
    entry.graceTimer = this.deps.timers.setTimeout(() => {
      entry.graceTimer = undefined;
      if (entry.phase === 'launched') this.signal(id, 'SIGKILL');
    }, graceMs);
  }

  private signal(id: ContainerId, signal: 'SIGTERM' | 'SIGKILL'): void {
    this.deps.containerizer.kill(id, signal).catch((e: Error) => {
      this.deps.logger.warn({ containerId: id, signal, error: e.message }, 'failed to signal a container');
    });
  }

  private shutdownFramework(frameworkId: string): void {
    let n = 0;
    for (const ex of [...this.executors.values()]) {
      if (ex.key.frameworkId === frameworkId && ex.custom !== undefined && !ex.terminated) this.shutdownCustomExecutor(ex);
    }
    for (const e of [...this.tasks.values()]) {
      if (e.key.frameworkId !== frameworkId) continue;
      n++;
      if (e.kind !== 'custom') this.kill(e, undefined);
    }
    this.deps.logger.info({ frameworkId, tasks: n }, 'shutting down a framework');
    this.shuttingDown.add(frameworkId);
    this.maybeForgetFramework(frameworkId);
  }

  private shutdownExecutor(frameworkId: string, executorId: string): void {
    const ex = this.executors.get(ekey(frameworkId, executorId));
    if (ex === undefined || ex.terminated) {
      this.deps.logger.warn({ frameworkId, executorId }, 'asked to shut down an executor this agent does not have');
      return;
    }
    if (ex.custom !== undefined) {
      this.shutdownCustomExecutor(ex);
      return;
    }
    for (const e of this.runTasks(ex.key)) this.kill(e, undefined);
  }

  private reconcile(frameworkId: string, taskIds: readonly string[]): void {
    const ids = taskIds.length > 0 ? taskIds : [...this.tasks.values()].filter((e) => e.key.frameworkId === frameworkId).map((e) => e.key.taskId);
    for (const taskId of ids) {
      const entry = this.tasks.get(tkey(frameworkId, taskId));
      if (entry !== undefined) {
        // A terminal task's update is being retried already; a live one is reported as it is now.
        const last = entry.statuses[entry.statuses.length - 1];
        if (isTerminalState(entry.state) || last === undefined) continue;
        this.link?.send({ status_update: { framework_id: { value: frameworkId }, status: { ...last, uuid: this.deps.ids.uuid(), reason: 'REASON_RECONCILIATION', timestamp: this.deps.clock.now() / 1000 } } });
        continue;
      }
      const done = this.completedTasks.find((t) => t.framework_id.value === frameworkId && t.task_id.value === taskId);
      const last = done?.statuses?.[done.statuses.length - 1];
      if (last !== undefined) {
        this.link?.send({ status_update: { framework_id: { value: frameworkId }, status: { ...last, uuid: this.deps.ids.uuid(), reason: 'REASON_RECONCILIATION', timestamp: this.deps.clock.now() / 1000 } } });
        continue;
      }
      this.sendUnreliable(frameworkId, taskId, this.lostState(frameworkId), 'REASON_RECONCILIATION', 'Reconciliation: task unknown to the agent');
    }
  }

  /** The terminal update was acknowledged: the task moves to the completed list. */
  private completeTask(frameworkId: string, taskId: string): void {
    const k = tkey(frameworkId, taskId);
    const entry = this.tasks.get(k);
    if (entry === undefined) return;
    this.tasks.delete(k);
    entry.completed = true;
    this.completedTasks.push(this.taskProto(entry));
    if (this.completedTasks.length > MAX_COMPLETED_TASKS) this.completedTasks.shift();
    this.maybeCollect(entry);
  }

  /** Once a task is completed and its container gone, its run may be over. */
  private maybeCollect(entry: TaskEntry): void {
    if (!entry.completed || entry.phase !== 'ended' || entry.collected) return;
    entry.collected = true;
    this.maybeCollectRun(entry.key);
  }

  /** A run whose executor ended and whose tasks are all completed: the executor is completed, its sandbox handed to the collector. */
  private maybeCollectRun(key: RunKey): void {
    if (this.collectedRuns.has(key.containerId) || this.runTasks(key).length > 0) return;
    const k = ekey(key.frameworkId, key.executorId);
    const ex = this.executors.get(k);
    if (ex !== undefined && ex.key.containerId === key.containerId) {
      if (!ex.terminated) return;
      this.executors.delete(k);
      this.completedExecutors.push(ex);
      if (this.completedExecutors.length > MAX_COMPLETED_EXECUTORS) this.completedExecutors.shift();
    }
    this.pruneCompletedFrameworks();
    this.collectedRuns.add(key.containerId);
    if (this.collectedRuns.size > MAX_COLLECTED_RUNS) this.collectedRuns.delete(this.collectedRuns.values().next().value!);
    // A task killed while it waited for its checkpoint slot still gets its directories: the collector waits for them.
    const prepares = this.runPrepares.get(key.containerId) ?? [];
    this.runPrepares.delete(key.containerId);
    const sandbox = this.deps.store.paths.sandbox(key);
    const collect = () => {
      this.deps.gc.schedule(sandbox, this.deps.clock.now());
      this.maybeCollectExecutor(key);
    };
    if (prepares.length === 0) collect();
    else void Promise.all(prepares).then(collect);
  }

  /**
   * Once no run of an executor is live here and none of its tasks waits for an acknowledgement,
   * its whole directory goes to the collector too (sandbox `executors/<id>/` with every run and the
   * `runs/latest` link, and the meta twin with `executor.info`), as Mesos schedules a removed
   * executor's directories; a new run of the same executor id takes them back (newEntry).
   * Without this, every command task (its executor id is its task id) left its executor's
   * directories behind forever, and each restart read their `executor.info` again.
   */
  private maybeCollectExecutor(key: RunKey): void {
    if (this.executors.has(ekey(key.frameworkId, key.executorId))) return;
    let frameworkActive = false;
    for (const e of this.tasks.values()) {
      if (e.key.frameworkId !== key.frameworkId) continue;
      if (e.key.executorId === key.executorId) return;
      frameworkActive = true;
    }
    this.deps.gc.schedule(this.deps.store.paths.executorSandbox(key.agentId, key.frameworkId, key.executorId), this.deps.clock.now());
    if (!frameworkActive) this.maybeCollectFramework(key.agentId, key.frameworkId);
  }

  /**
   * A framework with no executor and no task here (none waits for an acknowledgement either): its
   * directory goes to the collector (sandbox `frameworks/<id>/` and the meta twin with
   * `framework.info`), as Mesos' `removeFramework` schedules them; its next task takes them back and
   * writes `framework.info` again (frameworkDirReady). Called by maybeCollectExecutor once its walk
   * of the tasks found none of this framework, so only its executors are left to look at.
   */
  private maybeCollectFramework(agentId: string, frameworkId: string): void {
    if (!this.frameworkDirs.has(frameworkId)) return;
    for (const ex of this.executors.values()) if (ex.key.frameworkId === frameworkId) return;
    this.frameworkDirs.delete(frameworkId);
    this.deps.gc.schedule(this.deps.store.paths.frameworkSandbox(agentId, frameworkId), this.deps.clock.now());
  }

  /** Keeps at most MAX_COMPLETED_FRAMEWORKS frameworks without a task or an executor here (the oldest go first). */
  private pruneCompletedFrameworks(): void {
    if (this.frameworks.size <= MAX_COMPLETED_FRAMEWORKS) return;
    const active = new Set<string>();
    for (const e of this.tasks.values()) active.add(e.key.frameworkId);
    for (const ex of this.executors.values()) active.add(ex.key.frameworkId);
    let excess = this.frameworks.size - active.size - MAX_COMPLETED_FRAMEWORKS;
    for (const id of this.frameworks.keys()) {
      if (excess <= 0) break;
      if (active.has(id) || this.shuttingDown.has(id)) continue;
      this.frameworks.delete(id);
      excess--;
    }
  }

  /** A framework the master shut down with nothing left running: its streams are dropped and its tasks completed. */
  private maybeForgetFramework(frameworkId: string): void {
    if (!this.shuttingDown.has(frameworkId)) return;
    for (const e of this.tasks.values()) if (e.key.frameworkId === frameworkId && !isTerminalState(e.state)) return;
    for (const ex of this.executors.values()) if (ex.key.frameworkId === frameworkId && !ex.terminated) return;
    this.shuttingDown.delete(frameworkId);
    const dropped = this.sum.cleanup(frameworkId);
    for (const taskId of dropped) this.completeTask(frameworkId, taskId);
    this.deps.logger.info({ frameworkId, tasks: dropped.length }, 'framework shut down; its unacknowledged updates are dropped');
  }

  // ---------------------------------------------------------------- custom executors (slave/executor-endpoint.ts)

  /** Starts a custom executor's process (fetching its URIs first); it then has the registration timeout to subscribe. */
  private async launchExecutor(ex: ExecutorEntry, prepared: Promise<string | undefined>): Promise<void> {
    const custom = ex.custom!;
    const { frameworkId, executorId, containerId } = ex.key;
    const fail = (message: string) => this.customExecutorTerminated(ex, { kind: 'launch-failed', message });
    const problem = await prepared;
    if (problem !== undefined) return fail(`Failed to create the sandbox: ${problem}`);
    if (custom.state === 'terminating') return fail('Executor was shut down before it started');
    const command = ex.info.command!;
    const framework = this.frameworks.get(frameworkId);
    const user = taskUser(command, framework);
    const environment = taskEnvironment({
      agentId: ex.key.agentId, frameworkId, executorId, containerId, sandbox: ex.sandbox,
      agentEndpoint: this.endpointText, checkpoint: framework?.checkpoint ?? false,
      shutdownGracePeriodSeconds: this.deps.config.shutdownGraceSeconds, command, path: this.deps.config.path,
      recovery: { timeoutSeconds: this.deps.config.recoveryTimeoutSeconds ?? 900, backoffMaxSeconds: SUBSCRIPTION_BACKOFF_MAX_SECONDS },
    });
    const fetched = await this.fetchInto(ex.sandbox, command, user);
    if (!fetched.ok) return fail(`Failed to fetch URIs: ${fetched.message}`);
    const launchedWith = this.executorContainerResources(ex);
    const result = await this.launchContainer({
      containerId: asContainerId(containerId), sandbox: ex.sandbox, runDir: custom.runDir,
      command: { shell: command.shell ?? true, value: command.value ?? '', arguments: command.arguments ?? [] },
      environment, resources: launchedWith,
      ...(user !== undefined ? { user } : {}),
      ...(ex.info.container !== undefined ? { container: ex.info.container } : {}),
    });
    if (!result.ok) return fail(`Failed to launch the executor: ${result.message}`);
    custom.launched = true;
    // Tasks that joined or ended while it started: the container gets their resources now.
    if (!this.executorContainerResources(ex).equals(launchedWith)) this.updateExecutorContainer(ex);
    this.deps.containerizer.wait(asContainerId(containerId)).then(
      (t) => this.customExecutorTerminated(ex, t),
      (e: Error) => this.customExecutorTerminated(ex, { kind: 'unknown', message: e.message }),
    );
    if ((custom.state as CustomExecutorState) === 'terminating') {
      this.signal(asContainerId(containerId), 'SIGKILL');
      return;
    }
    // It may have subscribed already (its SUBSCRIBE can beat the launch's own completion).
    if (custom.state !== 'launching') return;
    custom.state = 'registering';
    const timeoutMs = this.deps.config.executorRegistrationTimeoutMs ?? 60_000;
    custom.timer = this.deps.timers.setTimeout(() => {
      custom.timer = undefined;
      if (custom.state !== 'registering') return;
      this.deps.logger.warn({ frameworkId, executorId }, 'the executor did not subscribe in time; killing it');
      custom.ending = { reason: 'REASON_EXECUTOR_REGISTRATION_TIMEOUT', message: `Executor did not subscribe within ${timeoutMs / 1000}secs` };
      custom.state = 'terminating';
      this.signal(asContainerId(containerId), 'SIGKILL');
    }, timeoutMs);
  }

  /** Sends a subscribed executor its tasks that are checkpointed and not sent yet (a task group as one LAUNCH_GROUP once all of it is ready). */
  private deliverQueued(ex: ExecutorEntry): void {
    const custom = ex.custom;
    if (custom?.state !== 'subscribed' || custom.sink === undefined) return;
    const queued = this.runTasks(ex.key).filter((e) => e.phase === 'preparing' && !isTerminalState(e.state));
    const groups = new Map<string, TaskEntry[]>();
    for (const e of queued) {
      if (e.group === undefined) {
        if (!e.ready) continue;
        e.phase = 'launched';
        custom.sink.send({ type: 'LAUNCH', launch: { task: e.info } });
      } else {
        groups.set(e.group, [...(groups.get(e.group) ?? []), e]);
      }
    }
    for (const members of groups.values()) {
      if (!members.every((e) => e.ready)) continue;
      for (const e of members) e.phase = 'launched';
      custom.sink.send({ type: 'LAUNCH_GROUP', launch_group: { task_group: { tasks: members.map((e) => e.info) } } });
    }
  }

  /** An event for a custom executor: sent now when it is subscribed, else kept until it subscribes. */
  private sendToExecutor(ex: ExecutorEntry, event: mesos.v1.executor.Event): void {
    const custom = ex.custom;
    if (custom === undefined || ex.terminated) return;
    if (custom.state === 'subscribed' && custom.sink !== undefined) custom.sink.send(event);
    else if (custom.backlog.length < MAX_EXECUTOR_BACKLOG) custom.backlog.push(event);
    else this.deps.logger.warn({ executorId: ex.key.executorId, type: event.type }, 'dropped an event for an executor that does not subscribe');
  }

  /** The tasks the agent still holds in one executor run. */
  private runTasks(key: RunKey): TaskEntry[] {
    const out: TaskEntry[] = [];
    for (const e of this.tasks.values()) {
      if (e.key.frameworkId === key.frameworkId && e.key.executorId === key.executorId && e.key.containerId === key.containerId) out.push(e);
    }
    return out;
  }

  /** A custom executor's process is gone: its unfinished tasks end (FAILED, or KILLED when a kill was asked), ExecutorExited. */
  private customExecutorTerminated(ex: ExecutorEntry, t: Termination): void {
    const custom = ex.custom!;
    if (ex.terminated) return;
    if (custom.timer !== undefined) this.deps.timers.clear(custom.timer);
    custom.timer = undefined;
    custom.sink?.close();
    custom.sink = undefined;
    // A limitation (the executor's container hit its memory limit) is the tasks' cause, as for a command task.
    const limited = t.kind === 'limited' ? t : undefined;
    const cause = custom.ending?.message ?? (t.kind === 'launch-failed' || limited !== undefined ? t.message : `Executor terminated: ${t.message}`);
    const reason = custom.ending?.reason ?? (t.kind === 'launch-failed' ? 'REASON_CONTAINER_LAUNCH_FAILED' : limited?.reason ?? 'REASON_EXECUTOR_TERMINATED');
    for (const e of this.runTasks(ex.key)) {
      if (!isTerminalState(e.state)) {
        this.emit(e, e.killRequested && limited === undefined ? 'TASK_KILLED' : 'TASK_FAILED', {
          source: 'SOURCE_AGENT', reason, message: cause, ...(limited !== undefined ? { limitation: { resources: [...limited.resources] } } : {}),
        });
      }
      e.phase = 'ended';
    }
    if (custom.launched) {
      this.deps.containerizer.cleanup(asContainerId(ex.key.containerId)).catch((e: Error) => {
        this.deps.logger.warn({ containerId: ex.key.containerId, error: e.message }, 'container cleanup failed');
      });
    }
    this.deps.logger.info({ frameworkId: ex.key.frameworkId, executorId: ex.key.executorId, termination: t.message }, 'executor terminated');
    this.executorEnded(ex.key, waitStatus(t));
    for (const e of this.runTasks(ex.key)) this.maybeCollect(e);
  }

  /** SHUTDOWN for a custom executor: its queued tasks are killed, the executor told, and killed after the grace period. */
  private shutdownCustomExecutor(ex: ExecutorEntry): void {
    const custom = ex.custom!;
    if (ex.terminated || custom.state === 'terminating') return;
    const wasSubscribed = custom.state === 'subscribed' && custom.sink !== undefined;
    custom.state = 'terminating';
    if (custom.timer !== undefined) this.deps.timers.clear(custom.timer);
    custom.timer = undefined;
    for (const e of this.runTasks(ex.key)) {
      if (e.phase !== 'preparing' || isTerminalState(e.state)) continue;
      e.killRequested = true;
      this.emit(e, 'TASK_KILLED', { reason: 'REASON_EXECUTOR_TERMINATED', message: 'Task killed before it reached its executor: the executor is shutting down', source: 'SOURCE_AGENT' });
      e.phase = 'ended';
    }
    if (!custom.launched) return; // launchExecutor sees `terminating` and ends it
    const id = asContainerId(ex.key.containerId);
    if (wasSubscribed) custom.sink!.send({ type: 'SHUTDOWN' });
    else this.signal(id, 'SIGTERM');
    const graceMs = this.deps.config.shutdownGraceSeconds * 1000;
    custom.timer = this.deps.timers.setTimeout(() => {
      custom.timer = undefined;
      if (!ex.terminated) this.signal(id, 'SIGKILL');
    }, graceMs);
  }

  private customExecutor(call: mesos.v1.executor.Call): ExecutorEntry | ExecutorCallRejection {
    if (!this.recovered) return { ok: false, status: 503, message: 'Agent has not finished recovery' };
    if (!this.frameworks.has(call.framework_id.value)) return { ok: false, status: 400, message: `Framework '${call.framework_id.value}' cannot be found` };
    const ex = this.executors.get(ekey(call.framework_id.value, call.executor_id.value));
    if (ex === undefined || ex.terminated || ex.custom === undefined) {
      return { ok: false, status: 400, message: `Executor '${call.executor_id.value}' of framework '${call.framework_id.value}' cannot be found` };
    }
    return ex;
  }

  subscribeExecutor(call: mesos.v1.executor.Call, sink: ExecutorSink): ExecutorCallOutcome {
    const ex = this.customExecutor(call);
    if (!('key' in ex)) return ex;
    const custom = ex.custom!;
    if (custom.sink !== undefined && custom.sink !== sink) custom.sink.close();
    custom.sink = undefined;
    if (custom.state === 'terminating') {
      // Too late: the agent is ending this executor; it is told to shut down at once.
      sink.send({ type: 'SHUTDOWN' });
      sink.close();
      return { ok: true };
    }
    if (custom.timer !== undefined) this.deps.timers.clear(custom.timer);
    custom.timer = undefined;
    const subscribe = call.subscribe ?? {};
    if (custom.recovered) {
      // After an agent restart: a task the executor neither lists nor has an update for never reached it.
      const known = new Set((subscribe.unacknowledged_tasks ?? []).map((t) => t.task_id.value));
      for (const u of subscribe.unacknowledged_updates ?? []) known.add(u.status.task_id.value);
      for (const e of this.runTasks(ex.key)) {
        if (e.state !== 'TASK_STAGING' || known.has(e.key.taskId)) continue;
        this.emit(e, this.lostState(e.key.frameworkId), { source: 'SOURCE_AGENT', reason: 'REASON_AGENT_RESTARTED', message: 'Task launched during agent restart' });
        e.phase = 'ended';
      }
      custom.recovered = false;
    }
    for (const u of subscribe.unacknowledged_updates ?? []) {
      const r = this.applyExecutorUpdate(ex, u.status);
      if (!r.ok) this.deps.logger.warn({ executorId: ex.key.executorId, message: r.message }, 'ignored an unacknowledged update the executor resent');
    }
    custom.state = 'subscribed';
    custom.sink = sink;
    const framework = this.frameworks.get(ex.key.frameworkId)!;
    sink.send({
      type: 'SUBSCRIBED',
      subscribed: { executor_info: ex.info, framework_info: framework, agent_info: this.info(), container_id: { value: ex.key.containerId } },
    });
    this.deliverQueued(ex);
    for (const event of custom.backlog.splice(0)) sink.send(event);
    this.deps.logger.info({ frameworkId: ex.key.frameworkId, executorId: ex.key.executorId }, 'executor subscribed');
    if (!this.runTasks(ex.key).some((e) => !isTerminalState(e.state))) {
      // Started for tasks that are all gone (killed before it subscribed): it has nothing to run.
      this.shutdownCustomExecutor(ex);
    }
    return { ok: true };
  }

  executorDisconnected(sink: ExecutorSink): void {
    for (const ex of this.executors.values()) {
      const custom = ex.custom;
      if (custom?.sink !== sink) continue;
      custom.sink = undefined;
      if (custom.state === 'subscribed') {
        custom.state = 'disconnected';
        this.deps.logger.warn({ frameworkId: ex.key.frameworkId, executorId: ex.key.executorId }, 'executor disconnected; events wait until it subscribes again');
      } else {
        this.deps.logger.info({ frameworkId: ex.key.frameworkId, executorId: ex.key.executorId, state: custom.state }, 'executor stream closed');
      }
    }
  }

  executorUpdate(call: mesos.v1.executor.Call): ExecutorCallOutcome {
    const ex = this.customExecutor(call);
    if (!('key' in ex)) return ex;
    if (!hasSubscribed(ex)) return { ok: false, status: 403, message: 'Executor is not subscribed' };
    return this.applyExecutorUpdate(ex, call.update!.status);
  }

  /** A TaskStatus from a custom executor: the executor's word on its task (its uuid kept), checkpointed and forwarded. */
  private applyExecutorUpdate(ex: ExecutorEntry, status: TaskStatus): ExecutorCallOutcome {
    const taskId = status.task_id.value;
    const entry = this.tasks.get(tkey(ex.key.frameworkId, taskId));
    if (entry === undefined || entry.key.executorId !== ex.key.executorId || entry.key.containerId !== ex.key.containerId) {
      if (this.completedTasks.some((t) => t.framework_id.value === ex.key.frameworkId && t.task_id.value === taskId)) return { ok: true };
      return { ok: false, status: 400, message: `Task '${taskId}' is not a task of executor '${ex.key.executorId}'` };
    }
    if (entry.statuses.some((s) => s.uuid === status.uuid)) return { ok: true };
    if (isTerminalState(entry.state)) {
      return { ok: false, status: 400, message: `Task '${taskId}' is already ${entry.state}; no update can follow a terminal one` };
    }
    const { task_id: _t, state, ...rest } = status;
    if (!(AGENT_TASK_STATES as readonly string[]).includes(state)) {
      return { ok: false, status: 400, message: `Task state ${state} cannot come from an executor` };
    }
    this.emit(entry, state as AgentTaskState, { ...rest, source: 'SOURCE_EXECUTOR' }, true);
    entry.phase = isTerminalState(entry.state) ? 'ended' : 'launched';
    return { ok: true };
  }

  executorMessage(call: mesos.v1.executor.Call): ExecutorCallOutcome {
    const ex = this.customExecutor(call);
    if (!('key' in ex)) return ex;
    if (!hasSubscribed(ex)) return { ok: false, status: 403, message: 'Executor is not subscribed' };
    this.link?.send({
      executor_to_framework: {
        agent_id: { value: this.id! }, framework_id: { value: ex.key.frameworkId }, executor_id: { value: ex.key.executorId }, data: call.message!.data,
      },
    });
    return { ok: true };
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Rebuilds the books from the checkpoints, asks the containerizer which containers still run,
   * and reports the ones that ended while the agent was down. Unacknowledged updates wait for the
   * next registration. An incompatible AgentInfo change refuses the start (a value, not a throw).
   */
  async recover(state: RecoveredState, opts: { rebooted?: boolean } = {}): Promise<{ ok: true; tasks: number; running: number } | { ok: false; message: string }> {
    for (const w of state.warnings) {
      this.counters.recoveryErrors++;
      this.deps.logger.error({ warning: w }, 'skipped a checkpoint that cannot be read');
    }
    // What earlier agents of this work dir left (one shut down by its master, one whose `latest` an
    // operator removed) goes to the collector, as Mesos schedules every old agent's directories at start.
    for (const dir of this.deps.store.otherAgentSandboxes(state.agentId)) this.deps.gc.schedule(dir, this.deps.clock.now());
    if (state.agentId === undefined) {
      this.recovered = true;
      return { ok: true, tasks: 0, running: 0 };
    }
    const now = this.info();
    if (state.agentInfo !== undefined) {
      const problem = incompatibility(state.agentInfo, now, this.deps.config.reconfigurationPolicy);
      if (problem !== undefined) {
        return {
          ok: false,
          message: `Incompatible agent info detected: ${problem} (--reconfiguration_policy=${this.deps.config.reconfigurationPolicy}). ` +
            `To start this agent as a new agent, remove ${this.deps.store.paths.latestAgent} (its tasks will be lost).`,
        };
      }
    }
    this.id = state.agentId;
    this.deps.store.saveAgent(this.id, this.info());
    this.checkpointedResources = state.checkpointedResources;
    const paths = this.deps.store.paths;
    const live: TaskEntry[] = [];
    const customs: ExecutorEntry[] = [];
    const overSandboxes: string[] = [];
    const overFrameworks: string[] = [];
    for (const fw of state.frameworks) {
      if (fw.info.id !== undefined) this.frameworks.set(fw.info.id.value, fw.info);
      // Over when every executor is over (or none is left on disk): then the framework's directory is collected too.
      let frameworkOver = true;
      for (const ex of fw.executors) {
        const generated = ex.info.command?.value === 'maestro-command-executor';
        const kind: ExecutorKind = generated ? 'command' : executorKindOf(ex.info);
        // Over when no run may still run and every run's tasks are acknowledged (or it has none): then the executor's directory is collected too.
        let executorOver = true;
        for (const run of ex.runs) {
          const sandbox = paths.sandbox(run.key);
          const executor: ExecutorEntry = { key: run.key, info: ex.info, generated, kind, sandbox, terminated: false };
          let anyLive = false;
          let allDone = run.tasks.length > 0;
          for (const t of run.tasks) {
            const statuses = t.records.flatMap((r) => ('update' in r ? [r.update.status] : []));
            const last = statuses[statuses.length - 1];
            const child = kind === 'default' ? nestedContainerId(run.key.containerId, t.key.taskId) : undefined;
            const entry: TaskEntry = {
              key: t.key, info: t.info, customExecutor: kind !== 'command', kind,
              ...(kind === 'command' ? { container: run.key.containerId } : {}),
              ...(child !== undefined ? { container: `${run.key.containerId}.${child}` } : {}),
              containerStatusId: child !== undefined ? { value: child, parent: { value: run.key.containerId } } : { value: run.key.containerId },
              // Which group a task belonged to is not checkpointed: a recovered task has none (no kill spreads from it).
              state: (last?.state ?? 'TASK_STAGING') as AgentTaskState,
              statuses, sandbox: kind === 'default' ? paths.taskSandbox(t.key) : sandbox,
              runDir: kind === 'default' ? paths.nestedRunDir(t.key) : this.deps.store.recoveredContainerRunDir(run.key),
              // A custom executor's task is the executor's to kill: a repeated KillTask must reach it again.
              prepared: Promise.resolve(undefined), environment: {}, phase: 'launched', killRequested: last?.state === 'TASK_KILLING' && kind !== 'custom',
              killedByHealth: false, checks: [], completed: false, collected: false,
            };
            const rec = this.sum.recover(t.key.frameworkId, t.key.taskId, paths.taskUpdates(t.key), t.records);
            if (rec.done) {
              entry.completed = true;
              entry.phase = 'ended';
              this.completedTasks.push(this.taskProto(entry));
              continue;
            }
            allDone = false;
            this.tasks.set(tkey(t.key.frameworkId, t.key.taskId), entry);
            if (!isTerminalState(entry.state)) {
              anyLive = true;
              if (kind !== 'custom') live.push(entry);
              this.charge(entry);
            } else {
              entry.phase = 'ended';
            }
          }
          // A custom executor's latest run may still run without a live task (idle); the containerizer says.
          const maybeRunning = anyLive || (kind === 'custom' && run.latest);
          if (maybeRunning) {
            if (kind !== 'command') {
              executor.charged = Resources.fromProto(ex.info.resources).unallocate();
              this.used = this.used.plus(executor.charged);
            }
            if (kind === 'custom') {
              executor.custom = { state: 'registering', runDir: this.deps.store.recoveredContainerRunDir(run.key), backlog: [], recovered: true, launched: true };
              customs.push(executor);
            }
            this.executors.set(ekey(run.key.frameworkId, run.key.executorId), executor);
          } else if (run.tasks.length > 0) {
            this.completedExecutors.push({ ...executor, terminated: true });
          }
          if (allDone && !maybeRunning) overSandboxes.push(sandbox);
          if (maybeRunning || (!allDone && run.tasks.length > 0)) executorOver = false;
        }
        if (executorOver && state.agentId !== undefined && fw.info.id !== undefined) {
          overSandboxes.push(paths.executorSandbox(state.agentId, fw.info.id.value, ex.info.executor_id.value));
        }
        if (!executorOver) frameworkOver = false;
      }
      if (fw.info.id === undefined) continue;
      if (frameworkOver) overFrameworks.push(fw.info.id.value);
      else this.frameworkDirs.set(fw.info.id.value, { info: fw.info, ready: Promise.resolve(), done: true });
    }
    // A framework's own directory is made with its first task: it ages by its `executors` directories (changed by
    // every executor made or removed), so one whose last run ended recently is not removed with its runs at once.
    const agedBy = new Map<string, string[]>();
    for (const frameworkId of overFrameworks) {
      const dir = paths.frameworkSandbox(this.id, frameworkId);
      overSandboxes.push(dir);
      agedBy.set(dir, [paths.frameworkExecutorSandboxes(this.id, frameworkId), paths.metaExecutors(this.id, frameworkId)]);
    }
    // A run that was over before the restart ages from its sandbox's mtime, not from now (as Mesos).
    await Promise.all(overSandboxes.map((sandbox) => this.deps.gc.scheduleFromMtime(sandbox, agedBy.get(sandbox)).catch((e: Error) => {
      this.deps.logger.warn({ sandbox, error: e.message }, 'could not schedule a completed sandbox for garbage collection');
    })));
    const wanted: RecoverableContainer[] = [
      ...live.map((e) => ({ containerId: asContainerId(e.container!), runDir: e.runDir, sandbox: e.sandbox })),
      ...customs.map((ex) => ({ containerId: asContainerId(ex.key.containerId), runDir: ex.custom!.runDir, sandbox: ex.sandbox })),
    ];
    let found: Map<ContainerId, 'running' | Termination>;
    const gone: Termination = opts.rebooted === true
      ? { kind: 'unknown', message: 'the host rebooted while the agent was down' }
      : { kind: 'unknown', message: 'the container was not found after the agent restarted' };
    try {
      // After a reboot no recorded process can run (its pid may be another process's now): none is looked for.
      if (opts.rebooted === true) this.deps.logger.warn({ tasks: wanted.length }, 'the host rebooted while the agent was down: every task that was running is gone');
      found = wanted.length > 0 && opts.rebooted !== true ? await this.deps.containerizer.recover(wanted) : new Map();
    } catch (e) {
      this.deps.logger.error({ error: (e as Error).message }, 'the containerizer failed to recover containers; their tasks are reported as ended');
      found = new Map();
    }
    let running = 0;
    this.reportingRecovery = true;
    for (const entry of live) {
      const framework = this.frameworks.get(entry.key.frameworkId);
      entry.environment = taskEnvironment({
        agentId: entry.key.agentId, frameworkId: entry.key.frameworkId, executorId: entry.key.executorId, taskId: entry.key.taskId,
        containerId: entry.container!, sandbox: entry.sandbox, agentEndpoint: this.endpointText, checkpoint: framework?.checkpoint ?? false,
        shutdownGracePeriodSeconds: this.deps.config.shutdownGraceSeconds, command: entry.info.command, path: this.deps.config.path,
      });
      const r = found.get(asContainerId(entry.container!));
      if (r === 'running') {
        running++;
        const networkInfos = this.deps.containerizer.networkInfos?.(asContainerId(entry.container!));
        if (networkInfos !== undefined) entry.networkInfos = networkInfos;
        this.watch(entry);
        if (entry.state === 'TASK_STAGING') this.emit(entry, 'TASK_STARTING', {});
        if (entry.state === 'TASK_STARTING') this.emit(entry, 'TASK_RUNNING', {});
        if (entry.state === 'TASK_RUNNING') this.startChecks(entry);
        if (entry.killRequested) {
          entry.killRequested = false;
          this.kill(entry, undefined);
        }
      } else {
        this.terminated(entry, r ?? gone);
      }
    }
    this.reportingRecovery = false;
    this.recovered = true;
    for (const ex of customs) {
      const r = found.get(asContainerId(ex.key.containerId));
      if (r !== 'running') {
        if ((r === undefined || r.kind === 'unknown') && this.runTasks(ex.key).length === 0 && opts.rebooted !== true) {
          // Idle and long gone (its runtime files were cleaned up when it ended): nothing to report again.
          ex.terminated = true;
          if (ex.charged !== undefined) this.used = this.used.minus(ex.charged);
          ex.charged = undefined;
          this.maybeCollectRun(ex.key);
          continue;
        }
        this.customExecutorTerminated(ex, r ?? gone);
        continue;
      }
      running += this.runTasks(ex.key).filter((e) => !isTerminalState(e.state)).length;
      const custom = ex.custom!;
      this.deps.containerizer.wait(asContainerId(ex.key.containerId)).then(
        (t) => this.customExecutorTerminated(ex, t),
        (e: Error) => this.customExecutorTerminated(ex, { kind: 'unknown', message: e.message }),
      );
      const timeoutMs = this.deps.config.executorReregistrationTimeoutMs ?? 2000;
      custom.timer = this.deps.timers.setTimeout(() => {
        custom.timer = undefined;
        if (custom.state !== 'registering') return;
        this.deps.logger.warn({ executorId: ex.key.executorId }, 'the executor did not subscribe again after the agent restarted; killing it');
        custom.ending = { reason: 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT', message: `Executor did not subscribe again within ${timeoutMs / 1000}secs of the agent's restart` };
        custom.state = 'terminating';
        this.signal(asContainerId(ex.key.containerId), 'SIGKILL');
      }, timeoutMs);
    }
    this.deps.logger.info({ agentId: this.id, tasks: this.tasks.size, running, completed: this.completedTasks.length }, 'recovered the agent\'s state');
    return { ok: true, tasks: this.tasks.size, running };
  }

  /** Resolves once every checkpoint and journal write started so far has finished (tests, orderly shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((e) => e.prepared));
    await this.sum.settled();
  }

  /** Stops timers and checks (agent shutdown). Tasks keep running; the journals keep the updates. */
  stop(): void {
    this.sum.stop();
    for (const ex of this.executors.values()) {
      if (ex.custom?.timer !== undefined) this.deps.timers.clear(ex.custom.timer);
      if (ex.custom !== undefined) ex.custom.timer = undefined;
      ex.custom?.sink?.close();
    }
    for (const e of this.tasks.values()) {
      this.stopChecks(e);
      if (e.graceTimer !== undefined) this.deps.timers.clear(e.graceTimer);
    }
  }

  // ---------------------------------------------------------------- views

  private taskProto(entry: TaskEntry): mesos.v1.Task {
    return taskProto(entry, this.sum.pending(entry.key.frameworkId, entry.key.taskId)[0], this.frameworks.get(entry.key.frameworkId));
  }

  /** Tasks by phase, as the v1 agent API lists them. */
  getTasks(): NonNullable<mesos.v1.agent.Response['get_tasks']> {
    return tasksView(this.tasks.values(), (e) => this.taskProto(e), this.completedTasks);
  }

  getFrameworks(): NonNullable<mesos.v1.agent.Response['get_frameworks']> {
    return frameworksView(this.frameworks, this.tasks.values(), this.executors.values());
  }

  getExecutors(): NonNullable<mesos.v1.agent.Response['get_executors']> {
    return executorsView(this.executors.values(), this.completedExecutors);
  }

  getState(): NonNullable<mesos.v1.agent.Response['get_state']> {
    return { get_tasks: this.getTasks(), get_executors: this.getExecutors(), get_frameworks: this.getFrameworks() };
  }

  getAgent(): NonNullable<mesos.v1.agent.Response['get_agent']> {
    return { agent_info: this.agentInfo() };
  }

  async getContainers(): Promise<NonNullable<mesos.v1.agent.Response['get_containers']>> {
    type Container = mesos.v1.agent.Response.GetContainers.Container;
    const listed: { container: string; entry: Container }[] = [];
    for (const e of this.tasks.values()) {
      if (e.phase !== 'launched' || e.container === undefined) continue;
      const c: Container = { framework_id: { value: e.key.frameworkId }, executor_id: { value: e.key.executorId }, container_id: e.containerStatusId };
      if (e.networkInfos !== undefined) c.container_status = { container_id: e.containerStatusId, network_infos: [...e.networkInfos] };
      const ex = this.executors.get(ekey(e.key.frameworkId, e.key.executorId));
      if (ex?.info.name !== undefined) c.executor_name = ex.info.name;
      listed.push({ container: e.container, entry: c });
    }
    for (const ex of this.executors.values()) {
      if (ex.custom === undefined || ex.terminated || !ex.custom.launched) continue;
      const c: Container = { framework_id: { value: ex.key.frameworkId }, executor_id: { value: ex.key.executorId }, container_id: { value: ex.key.containerId } };
      if (ex.info.name !== undefined) c.executor_name = ex.info.name;
      listed.push({ container: ex.key.containerId, entry: c });
    }
    const containers: Container[] = [];
    for (const { container, entry } of listed) {
      try {
        const usage = await this.deps.containerizer.usage(asContainerId(container));
        if (usage !== undefined) entry.resource_statistics = usage;
      } catch {
        // A container that ended meanwhile has no usage; it is listed without statistics.
      }
      containers.push(entry);
    }
    return containers.length > 0 ? { containers } : {};
  }

  sandboxes(): readonly AttachedSandbox[] {
    const out: AttachedSandbox[] = [];
    const seen = new Set<string>();
    const add = (key: RunKey, directory: string) => {
      if (seen.has(key.containerId) || !this.deps.store.exists(directory)) return;
      seen.add(key.containerId);
      out.push({ directory, virtualPaths: [directory, ...virtualSandboxPaths(key, true)] });
    };
    for (const e of this.executors.values()) add(e.key, e.sandbox);
    for (const e of this.tasks.values()) add(e.key, e.sandbox);
    for (const e of this.completedExecutors) add(e.key, e.sandbox);
    return out;
  }

  agentInfo(): mesos.v1.AgentInfo {
    return this.info();
  }

  agentId(): string | undefined {
    return this.id;
  }

  /** True until `recover()` has finished: the operator API answers 503 meanwhile, as Mesos. */
  recovering(): boolean {
    return !this.recovered;
  }

  endpoint(): string {
    return this.endpointText;
  }

  master(): { readonly address: string; readonly registered: boolean } {
    return { address: this.link?.address ?? '', registered: this.link?.registered ?? false };
  }

  startTime(): number {
    return this.startedAt;
  }

  version(): string {
    return this.deps.config.version;
  }

  flags(): Readonly<Record<string, string>> {
    return this.deps.config.flags;
  }

  workDir(): string {
    return this.deps.config.workDir;
  }

  metrics(): Readonly<Record<string, number>> {
    const byState = (s: mesos.v1.TaskState) => [...this.tasks.values()].filter((e) => e.state === s).length;
    const total = this.deps.config.resources;
    const used = this.usedResources();
    const m: Record<string, number> = {
      'slave/registered': this.link?.registered === true ? 1 : 0,
      'slave/uptime_secs': (this.deps.clock.now() - this.startedAt) / 1000,
      'slave/tasks_staging': byState('TASK_STAGING'),
      'slave/tasks_starting': byState('TASK_STARTING'),
      'slave/tasks_running': byState('TASK_RUNNING'),
      'slave/tasks_killing': byState('TASK_KILLING'),
      'slave/tasks_finished': this.counters.finished,
      'slave/tasks_failed': this.counters.failed,
      'slave/tasks_killed': this.counters.killed,
      'slave/tasks_lost': this.counters.lost,
      'slave/tasks_error': this.counters.error,
      'slave/tasks_dropped': this.counters.dropped,
      'slave/executors_running': [...this.executors.values()].filter((e) => !e.terminated).length,
      'slave/executors_terminated': this.counters.executorsTerminated,
      'slave/frameworks_active': this.getFrameworks().frameworks?.length ?? 0,
      'slave/valid_status_updates': this.counters.validUpdates,
      'slave/invalid_status_updates': this.counters.invalidUpdates,
      'slave/recovery_errors': this.counters.recoveryErrors,
      'slave/status_updates_pending': this.sum.totalPending(),
    };
    for (const name of ['cpus', 'mem', 'disk', 'gpus']) {
      const t = total.scalar(name);
      const u = used.scalar(name);
      m[`slave/${name}_total`] = t;
      m[`slave/${name}_used`] = u;
      m[`slave/${name}_percent`] = t > 0 ? u / t : 0;
    }
    return { ...m, ...this.deps.gc.metrics() };
  }
}
