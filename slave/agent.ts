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
 * A command task runs under a generated "command executor" whose id is the task id (as Mesos);
 * the master does not track it, so it is never listed in ReregisterAgent. Custom executors
 * (RunTask with an ExecutorInfo) and task groups are answered with TASK_FAILED for now.
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
  commandExecutorInfo, durationMs, ekey, fitsInto, MAX_COMPLETED_EXECUTORS, MAX_COMPLETED_TASKS, taskUser, tkey, waitStatus,
  type ExecutorEntry, type TaskEntry,
} from './agent-books.ts';
import type { AgentDeps, MasterPort } from './agent-ports.ts';
import type { AgentView, AttachedSandbox } from './agent-view.ts';
import { executorsView, frameworksView, taskProto, tasksView } from './agent-views.ts';
import type { RecoveredState } from './checkpoint-store.ts';
import { commandOutcome } from './command-outcome.ts';
import type { ContainerId, RecoverableContainer, Termination } from './containerizer.ts';
import { asContainerId } from './containerizer.ts';
import { isSafeComponent, virtualSandboxPaths, type RunKey, type TaskKey } from './paths.ts';
import { incompatibility } from './reconfiguration.ts';
import { StatusUpdateManager } from './status-update-manager.ts';
import { taskEnvironment } from './task-environment.ts';
import { isTerminalState, transition, type AgentTaskState } from './task-state-machine.ts';

type Envelope = maestro.agent.Envelope;
type TaskStatus = mesos.v1.TaskStatus;

export class Agent implements AgentView {
  private id: string | undefined;
  private link: MasterPort | undefined;
  private readonly startedAt: number;
  private readonly frameworks = new Map<string, mesos.v1.FrameworkInfo>();
  private readonly tasks = new Map<string, TaskEntry>();
  private readonly executors = new Map<string, ExecutorEntry>();
  private readonly completedTasks: mesos.v1.Task[] = [];
  private readonly completedExecutors: ExecutorEntry[] = [];
  private checkpointedResources: mesos.v1.Resource[] = [];
  /** False until `recover()` has read the checkpoints back (the HTTP API listens meanwhile). */
  private recovered = false;
  private used = Resources.of([]);
  private readonly sum: StatusUpdateManager;
  private endpointText = '';
  private port = 0;
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
      send: (update) => this.link?.send({ status_update: update }) ?? false,
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
      const outcome = this.sum.acknowledge(a.framework_id.value, a.task_id.value, a.uuid);
      if (outcome === 'unexpected' || outcome === 'unknown-stream') {
        this.deps.logger.debug({ taskId: a.task_id.value, outcome }, 'ignored a status update acknowledgement');
      }
    } else if (env.shutdown_framework !== undefined) this.shutdownFramework(env.shutdown_framework.framework_id.value);
    else if (env.shutdown_executor !== undefined) this.shutdownExecutor(env.shutdown_executor.framework_id.value, env.shutdown_executor.executor_id.value);
    else if (env.update_framework !== undefined) this.updateFramework(env.update_framework.framework_info);
    else if (env.reconcile_tasks !== undefined) this.reconcile(env.reconcile_tasks.framework_id.value, (env.reconcile_tasks.task_ids ?? []).map((t) => t.value));
    else if (env.checkpoint_resources !== undefined) {
      this.checkpointedResources = env.checkpoint_resources.resources ?? [];
      if (this.id !== undefined) this.deps.store.saveCheckpointedResources(this.id, this.checkpointedResources);
    } else if (env.framework_to_executor !== undefined) {
      this.deps.logger.info({ executorId: env.framework_to_executor.executor_id.value }, 'dropped a framework message: the command executor takes no messages');
    } else if (env.shutdown_agent !== undefined) {
      this.deps.logger.warn({ message: env.shutdown_agent.message }, 'the master asked this agent to shut down; killing every task');
      for (const f of new Set([...this.tasks.values()].map((e) => e.key.frameworkId))) this.shutdownFramework(f);
    }
  }

  private upsertFramework(info: mesos.v1.FrameworkInfo): void {
    if (info.id === undefined || this.id === undefined) return;
    const known = this.frameworks.get(info.id.value);
    this.frameworks.set(info.id.value, info);
    // Every RunTask carries the FrameworkInfo; it is checkpointed only when it changed.
    if (known === undefined || JSON.stringify(known) !== JSON.stringify(info)) this.deps.store.saveFramework(this.id, info);
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

  private lostState(frameworkId: string): mesos.v1.TaskState {
    return this.hasCapability(frameworkId, 'PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST';
  }

  private runTaskGroup(rt: maestro.agent.RunTaskGroup): void {
    const message = 'Task groups are not supported by this agent yet (LAUNCH_GROUP under the default executor comes in a later release)';
    const entries: TaskEntry[] = [];
    for (const task of rt.task_group.tasks ?? []) {
      const entry = this.accept(rt.framework, task, rt.executor, { unsupported: message, deferExecutorExit: true });
      if (entry !== undefined) entries.push(entry);
    }
    // One ExecutorExited for the group's executor, after the terminal update of every task.
    const last = entries[entries.length - 1];
    if (last !== undefined) this.executorEnded(last, undefined);
  }

  private runTask(rt: maestro.agent.RunTask): void {
    const unsupported = rt.executor !== undefined
      ? 'Custom executors are not supported by this agent yet; launch the task with a CommandInfo'
      : undefined;
    this.accept(rt.framework, rt.task, rt.executor, unsupported !== undefined ? { unsupported } : {});
  }

  /** Takes a task into the books (sandbox, checkpoints, journal), then fails it or launches it. */
  private accept(
    framework: mesos.v1.FrameworkInfo, task: mesos.v1.TaskInfo, executor: mesos.v1.ExecutorInfo | undefined,
    opts: { unsupported?: string; deferExecutorExit?: boolean },
  ): TaskEntry | undefined {
    const frameworkId = framework.id?.value;
    const taskId = task.task_id.value;
    if (frameworkId === undefined || this.id === undefined) {
      this.deps.logger.warn({ taskId }, 'dropped a task: no framework id or the agent has no id yet');
      return;
    }
    this.upsertFramework(framework);
    const executorId = executor?.executor_id.value ?? taskId;
    for (const [what, value] of [['Task ID', taskId], ['Framework ID', frameworkId], ['Executor ID', executorId]] as const) {
      if (!isSafeComponent(value)) {
        this.sendUnreliable(frameworkId, taskId, 'TASK_ERROR', 'REASON_TASK_INVALID', `${what} '${value}' cannot name a directory (empty, '.', '..', or holds '/')`);
        return;
      }
    }
    if (this.tasks.has(tkey(frameworkId, taskId))) {
      this.deps.logger.warn({ frameworkId, taskId }, 'ignored a second RunTask for a task the agent already runs');
      return;
    }
    const taskResources = Resources.fromProto(task.resources).unallocate();
    const resourceProblem = fitsInto(this.deps.config.resources.unallocate(), this.usedResources(), taskResources);

    const containerId = this.deps.ids.containerId();
    const runKey: RunKey = { agentId: this.id, frameworkId, executorId, containerId };
    const key: TaskKey = { ...runKey, taskId };
    const execInfo = executor ?? commandExecutorInfo(frameworkId, task);
    const paths = this.deps.store.paths;
    const sandbox = paths.sandbox(runKey);
    // Sandbox and checkpoints are written in the background; the launch waits for them.
    const prepared = this.deps.store.prepareRun(key, execInfo, task).then(() => undefined, (e: Error) => {
      this.deps.logger.error({ taskId, error: e.message }, 'could not create the sandbox or checkpoint the task');
      return e.message;
    });
    const entry: TaskEntry = {
      key, info: task, customExecutor: executor !== undefined, state: 'TASK_STAGING', statuses: [],
      sandbox, runDir: paths.containerRunDir(runKey), prepared, environment: {}, phase: 'preparing',
      killRequested: false, killedByHealth: false, checks: [], completed: false, collected: false,
    };
    this.tasks.set(tkey(frameworkId, taskId), entry);
    this.executors.set(ekey(frameworkId, executorId), { key: runKey, info: execInfo, generated: executor === undefined, sandbox, terminated: false });
    this.sum.open(frameworkId, taskId, paths.taskUpdates(key));

    const refuse = (state: 'TASK_ERROR' | 'TASK_FAILED', reason: mesos.v1.TaskStatus.Reason, message: string) => {
      this.emit(entry, state, { reason, message, source: 'SOURCE_AGENT' });
      entry.phase = 'ended';
      if (opts.deferExecutorExit !== true) this.executorEnded(entry, undefined);
      return entry;
    };
    if (opts.unsupported !== undefined) return refuse('TASK_FAILED', 'REASON_EXECUTOR_TERMINATED', opts.unsupported);
    if (task.command === undefined) return refuse('TASK_ERROR', 'REASON_TASK_INVALID', 'Task has no CommandInfo to run');
    if (resourceProblem !== undefined) {
      return refuse('TASK_ERROR', 'REASON_TASK_INVALID', `Task uses resources the agent was not given: ${resourceProblem}`);
    }
    const health = this.deps.health;
    if (health !== undefined) {
      const hc = task.health_check !== undefined ? health.validateHealthCheck(task.health_check) : undefined;
      if (hc !== undefined) return refuse('TASK_ERROR', 'REASON_TASK_INVALID', `Task's health check is invalid: ${hc}`);
      const ck = task.check !== undefined ? health.validateCheck(task.check) : undefined;
      if (ck !== undefined) return refuse('TASK_ERROR', 'REASON_TASK_INVALID', `Task's check is invalid: ${ck}`);
    } else if (task.health_check !== undefined || task.check !== undefined) {
      this.deps.logger.warn({ taskId }, 'the task has a health check or check but this agent runs none');
    }
    this.charge(entry);
    void this.launch(entry);
    return entry;
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
    const { frameworkId, executorId, taskId, containerId } = entry.key;
    const command = entry.info.command!;
    const framework = this.frameworks.get(frameworkId);
    const user = this.userOf(entry);
    const problem = await entry.prepared;
    if (problem !== undefined || isTerminalState(entry.state)) {
      if (!isTerminalState(entry.state)) {
        this.emit(entry, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to create the sandbox: ${problem}`, source: 'SOURCE_AGENT' });
      }
      entry.phase = 'ended';
      this.executorEnded(entry, undefined);
      return;
    }
    entry.environment = taskEnvironment({
      agentId: entry.key.agentId, frameworkId, executorId, taskId, containerId, sandbox: entry.sandbox,
      agentEndpoint: this.endpointText, checkpoint: framework?.checkpoint ?? false,
      shutdownGracePeriodSeconds: this.deps.config.shutdownGraceSeconds, command, path: this.deps.config.path,
    });
    const uris = command.uris ?? [];
    if (uris.length > 0) {
      let fetched: { ok: true } | { ok: false; message: string };
      try {
        fetched = await this.deps.fetch(uris, { sandbox: entry.sandbox, cacheDir: this.deps.store.paths.fetchCache, ...(user !== undefined ? { user } : {}) });
      } catch (e) {
        fetched = { ok: false, message: (e as Error).message };
      }
      if (isTerminalState(entry.state)) {
        entry.phase = 'ended';
        this.executorEnded(entry, undefined);
        return;
      }
      if (!fetched.ok) {
        this.emit(entry, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to fetch URIs: ${fetched.message}`, source: 'SOURCE_AGENT' });
        entry.phase = 'ended';
        this.executorEnded(entry, undefined);
        return;
      }
    }
    if (isTerminalState(entry.state)) {
      entry.phase = 'ended';
      this.executorEnded(entry, undefined);
      return;
    }
    const shell = command.shell ?? true;
    let result: { ok: true; pid: number } | { ok: false; message: string };
    try {
      result = await this.deps.containerizer.launch({
        containerId: asContainerId(containerId), sandbox: entry.sandbox, runDir: entry.runDir,
        command: { shell, value: command.value ?? '', arguments: command.arguments ?? [] },
        environment: entry.environment, resources: Resources.fromProto(entry.info.resources),
        ...(user !== undefined ? { user } : {}),
        ...(entry.info.container !== undefined ? { container: entry.info.container } : {}),
      });
    } catch (e) {
      result = { ok: false, message: (e as Error).message };
    }
    if (!result.ok) {
      if (!isTerminalState(entry.state)) {
        this.emit(entry, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch container: ${result.message}`, source: 'SOURCE_AGENT' });
      }
      entry.phase = 'ended';
      this.executorEnded(entry, undefined);
      return;
    }
    entry.phase = 'launched';
    this.counters.launched++;
    this.watch(entry);
    if (isTerminalState(entry.state)) {
      // Killed while launching: TASK_KILLED is out already; the process goes at once.
      void this.deps.containerizer.kill(asContainerId(containerId), 'SIGKILL');
      return;
    }
    this.emit(entry, 'TASK_STARTING', {});
    const checkStatus = this.initialCheckStatus(entry);
    this.emit(entry, 'TASK_RUNNING', checkStatus !== undefined ? { check_status: checkStatus } : {});
    this.startChecks(entry);
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
    const ctx = { taskId: entry.key.taskId, sandbox: entry.sandbox, environment: entry.environment, ...(user !== undefined ? { user } : {}) };
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
    const id = asContainerId(entry.key.containerId);
    this.deps.containerizer.wait(id).then(
      (t) => this.terminated(entry, t),
      (e: Error) => this.terminated(entry, { kind: 'unknown', message: e.message }),
    );
  }

  /** The container ended: report how (unless a terminal update is out already), clean up, ExecutorExited. */
  private terminated(entry: TaskEntry, t: Termination): void {
    entry.phase = 'ended';
    this.stopChecks(entry);
    if (entry.graceTimer !== undefined) {
      this.deps.timers.clear(entry.graceTimer);
      entry.graceTimer = undefined;
    }
    if (!isTerminalState(entry.state)) {
      const o = commandOutcome(t, entry.killRequested);
      this.emit(entry, o.state, {
        message: o.message,
        ...(o.reason !== undefined ? { reason: o.reason } : {}),
        ...(entry.killedByHealth ? { healthy: false } : {}),
      });
    }
    this.deps.containerizer.cleanup(asContainerId(entry.key.containerId)).catch((e: Error) => {
      this.deps.logger.warn({ containerId: entry.key.containerId, error: e.message }, 'container cleanup failed');
    });
    this.executorEnded(entry, waitStatus(t));
  }

  private executorEnded(entry: TaskEntry, status: number | undefined): void {
    const k = ekey(entry.key.frameworkId, entry.key.executorId);
    const ex = this.executors.get(k);
    if (ex !== undefined && !ex.terminated) {
      ex.terminated = true;
      this.counters.executorsTerminated++;
      const exited: maestro.agent.ExecutorExited = { framework_id: { value: entry.key.frameworkId }, executor_id: { value: entry.key.executorId } };
      if (status !== undefined) exited.status = status;
      // After the terminal updates of the executor's tasks (each goes out once its journal record is durable).
      const writes = [...this.tasks.values()]
        .filter((e) => e.key.frameworkId === entry.key.frameworkId && e.key.executorId === entry.key.executorId)
        .map((e) => this.sum.afterWrites(e.key.frameworkId, e.key.taskId));
      void Promise.all(writes).then(() => this.link?.send({ executor_exited: exited }));
    }
    this.maybeCollect(entry);
  }

  /** Records a state change through the state machine and the status update manager. */
  private emit(entry: TaskEntry, state: AgentTaskState, extra: Partial<TaskStatus>): boolean {
    const t = transition(entry.state, state);
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
      container_status: { container_id: { value: entry.key.containerId } },
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
      }
    }
    this.sum.update({ framework_id: { value: entry.key.frameworkId }, status });
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

  /** Kill policy: TASK_KILLING (when the framework can take it), SIGTERM, SIGKILL after the grace period. */
  private kill(entry: TaskEntry, policy: mesos.v1.KillPolicy | undefined): void {
    if (isTerminalState(entry.state) || entry.killRequested) return;
    entry.killRequested = true;
    if (entry.phase === 'preparing') {
      this.emit(entry, 'TASK_KILLED', { reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'Task killed before it was launched' });
      return;
    }
    if (entry.phase === 'ended') return;
    if (this.hasCapability(entry.key.frameworkId, 'TASK_KILLING_STATE')) this.emit(entry, 'TASK_KILLING', {});
    const id: ContainerId = asContainerId(entry.key.containerId);
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
    for (const e of this.tasks.values()) {
      if (e.key.frameworkId !== frameworkId) continue;
      n++;
      this.kill(e, undefined);
    }
    this.deps.logger.info({ frameworkId, tasks: n }, 'shutting down a framework');
  }

  private shutdownExecutor(frameworkId: string, executorId: string): void {
    const ex = this.executors.get(ekey(frameworkId, executorId));
    if (ex === undefined) {
      this.deps.logger.warn({ frameworkId, executorId }, 'asked to shut down an executor this agent does not have');
      return;
    }
    for (const e of this.tasks.values()) {
      if (e.key.frameworkId === frameworkId && e.key.executorId === executorId) this.kill(e, undefined);
    }
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

  /** Once a task is completed and its container gone, its executor is completed and its sandbox scheduled for collection. */
  private maybeCollect(entry: TaskEntry): void {
    if (!entry.completed || entry.phase !== 'ended' || entry.collected) return;
    entry.collected = true;
    const k = ekey(entry.key.frameworkId, entry.key.executorId);
    const ex = this.executors.get(k);
    if (ex !== undefined && ex.key.containerId === entry.key.containerId) {
      this.executors.delete(k);
      this.completedExecutors.push(ex);
      if (this.completedExecutors.length > MAX_COMPLETED_EXECUTORS) this.completedExecutors.shift();
    }
    this.deps.gc.schedule(entry.sandbox, this.deps.clock.now());
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Rebuilds the books from the checkpoints, asks the containerizer which containers still run,
   * and reports the ones that ended while the agent was down. Unacknowledged updates wait for the
   * next registration. An incompatible AgentInfo change refuses the start (a value, not a throw).
   */
  async recover(state: RecoveredState): Promise<{ ok: true; tasks: number; running: number } | { ok: false; message: string }> {
    for (const w of state.warnings) {
      this.counters.recoveryErrors++;
      this.deps.logger.error({ warning: w }, 'skipped a checkpoint that cannot be read');
    }
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
    const live: TaskEntry[] = [];
    const overSandboxes: string[] = [];
    for (const fw of state.frameworks) {
      if (fw.info.id !== undefined) this.frameworks.set(fw.info.id.value, fw.info);
      for (const ex of fw.executors) {
        for (const run of ex.runs) {
          const sandbox = this.deps.store.paths.sandbox(run.key);
          const runDir = this.deps.store.paths.containerRunDir(run.key);
          const executor: ExecutorEntry = { key: run.key, info: ex.info, generated: ex.info.command?.value === 'maestro-command-executor', sandbox, terminated: false };
          let anyLive = false;
          let allDone = run.tasks.length > 0;
          for (const t of run.tasks) {
            const statuses = t.records.flatMap((r) => ('update' in r ? [r.update.status] : []));
            const last = statuses[statuses.length - 1];
            const entry: TaskEntry = {
              key: t.key, info: t.info, customExecutor: !executor.generated, state: (last?.state ?? 'TASK_STAGING') as AgentTaskState,
              statuses, sandbox, runDir, prepared: Promise.resolve(undefined), environment: {}, phase: 'launched', killRequested: last?.state === 'TASK_KILLING',
              killedByHealth: false, checks: [], completed: false, collected: false,
            };
            const rec = this.sum.recover(t.key.frameworkId, t.key.taskId, this.deps.store.paths.taskUpdates(t.key), t.records);
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
              live.push(entry);
              this.charge(entry);
            } else {
              entry.phase = 'ended';
            }
          }
          if (anyLive) this.executors.set(ekey(run.key.frameworkId, run.key.executorId), executor);
          else if (run.tasks.length > 0) this.completedExecutors.push({ ...executor, terminated: true });
          if (allDone) overSandboxes.push(sandbox);
        }
      }
    }
    // A run that was over before the restart ages from its sandbox's mtime, not from now (as Mesos).
    await Promise.all(overSandboxes.map((sandbox) => this.deps.gc.scheduleFromMtime(sandbox).catch((e: Error) => {
      this.deps.logger.warn({ sandbox, error: e.message }, 'could not schedule a completed sandbox for garbage collection');
    })));
    const wanted: RecoverableContainer[] = live.map((e) => ({ containerId: asContainerId(e.key.containerId), runDir: e.runDir, sandbox: e.sandbox }));
    let found: Map<ContainerId, 'running' | Termination>;
    try {
      found = wanted.length > 0 ? await this.deps.containerizer.recover(wanted) : new Map();
    } catch (e) {
      this.deps.logger.error({ error: (e as Error).message }, 'the containerizer failed to recover containers; their tasks are reported as ended');
      found = new Map();
    }
    let running = 0;
    for (const entry of live) {
      const framework = this.frameworks.get(entry.key.frameworkId);
      entry.environment = taskEnvironment({
        agentId: entry.key.agentId, frameworkId: entry.key.frameworkId, executorId: entry.key.executorId, taskId: entry.key.taskId,
        containerId: entry.key.containerId, sandbox: entry.sandbox, agentEndpoint: this.endpointText, checkpoint: framework?.checkpoint ?? false,
        shutdownGracePeriodSeconds: this.deps.config.shutdownGraceSeconds, command: entry.info.command, path: this.deps.config.path,
      });
      const r = found.get(asContainerId(entry.key.containerId));
      if (r === 'running') {
        running++;
        this.watch(entry);
        if (entry.state === 'TASK_STAGING') this.emit(entry, 'TASK_STARTING', {});
        if (entry.state === 'TASK_STARTING') this.emit(entry, 'TASK_RUNNING', {});
        if (entry.state === 'TASK_RUNNING') this.startChecks(entry);
        if (entry.killRequested) {
          entry.killRequested = false;
          this.kill(entry, undefined);
        }
      } else {
        this.terminated(entry, r ?? { kind: 'unknown', message: 'the container was not found after the agent restarted' });
      }
    }
    this.deps.logger.info({ agentId: this.id, tasks: this.tasks.size, running, completed: this.completedTasks.length }, 'recovered the agent\'s state');
    this.recovered = true;
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
    const containers: mesos.v1.agent.Response.GetContainers.Container[] = [];
    for (const e of this.tasks.values()) {
      if (e.phase !== 'launched') continue;
      const c: mesos.v1.agent.Response.GetContainers.Container = {
        framework_id: { value: e.key.frameworkId },
        executor_id: { value: e.key.executorId },
        container_id: { value: e.key.containerId },
      };
      const ex = this.executors.get(ekey(e.key.frameworkId, e.key.executorId));
      if (ex?.info.name !== undefined) c.executor_name = ex.info.name;
      try {
        const usage = await this.deps.containerizer.usage(asContainerId(e.key.containerId));
        if (usage !== undefined) c.resource_statistics = usage;
      } catch {
        // A container that ended meanwhile has no usage; it is listed without statistics.
      }
      containers.push(c);
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
