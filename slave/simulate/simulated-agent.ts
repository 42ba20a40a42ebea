/**
 * One simulated agent (after Kubernetes' kubemark): the real agent's side of the agent protocol
 * (docs/agent-protocol.md) with only the launch faked. It registers and re-registers (listing the
 * tasks, frameworks and executors it holds, as slave/agent.ts does), keeps its resources' books,
 * and turns what happens to its tasks into status updates that go through the real
 * StatusUpdateManager: resent with backoff until acknowledged, in order per task.
 *
 *   RunTask ─► labels valid, resources fit? ─no─► TASK_ERROR (REASON_TASK_INVALID)
 *                  │ yes
 *                  ▼
 *              TASK_STARTING, TASK_RUNNING (at once: nothing is launched)
 *                  │
 *                  ├─ `maestro.simulate.duration_seconds` elapsed ─► TASK_FINISHED, or TASK_FAILED
 *                  │   when `maestro.simulate.exit_code` is non-zero ("Command exited with status N")
 *                  └─ KillTask ─► [TASK_KILLING] ─► TASK_KILLED
 *   terminal update acknowledged ─► the task is forgotten (its last status kept for reconciliation)
 *
 * RunTaskGroup runs every task of the group the same way under the group's executor; a task
 * with its own executor does too. Once every task of such an executor is terminal the executor
 * "exits": ExecutorExited (status 0) follows the terminal updates. A command task's executor is
 * generated and, as in Mesos, never reported.
 *
 * ShutdownFramework ends the framework's tasks and executors at once and drops the framework's
 * unacknowledged updates, as a Mesos agent does when it removes a framework (the master has
 * removed it: it would only answer them with another ShutdownFramework). That is why there is
 * one StatusUpdateManager per framework: dropping one is Mesos' `cleanup(frameworkId)`.
 *
 * Invariants: every state change goes through `transition()` (task-state-machine.ts); every
 * update of a known task goes through its framework's status update manager, whose journal is
 * memory only (nothing is written to disk: the manager's own queue is the record); resources are
 * charged at launch and released at the terminal update. Memory per agent stays small: no HTTP
 * server, no per-message history, maps created only when first needed, the agent's total
 * resources shared by every agent of a fleet. Time, timers and uuids come from ports.
 */
import { Resources } from '../../common/resources/resources.ts';
import type { Clock, Logger, TimerHandle, Timers } from '../../common/ports.ts';
import type { maestro, mesos } from '../../proto/types.generated.ts';
import { fitsInto } from '../agent-books.ts';
import type { MasterPort } from '../agent-ports.ts';
import { commandOutcome } from '../command-outcome.ts';
import { StatusUpdateManager, type RetryPolicy, type UpdateJournal } from '../status-update-manager.ts';
import { isTerminalState, transition, type AgentTaskState } from '../task-state-machine.ts';

type Envelope = maestro.agent.Envelope;
type TaskStatus = mesos.v1.TaskStatus;

/** Seconds the task runs before it ends by itself; absent: it runs until killed. */
export const DURATION_LABEL = 'maestro.simulate.duration_seconds';
/** The exit code the task ends with after its duration; non-zero: TASK_FAILED (default 0: TASK_FINISHED). */
export const EXIT_CODE_LABEL = 'maestro.simulate.exit_code';
/** The resources of one simulated agent unless told otherwise: the Mesos allocator benchmark's agent. */
export const SIMULATED_AGENT_RESOURCES = 'cpus:2;mem:1024;disk:4096;ports:[31000-32000]';
/** Completed tasks whose last status is kept for reconciliation, per agent. */
export const MAX_COMPLETED_TASKS = 32;

/** The manager's journal for a simulated agent: nothing to write, every append durable at once. */
export const memoryJournal: UpdateJournal = { append: () => undefined };

/** What every agent of a fleet shares (one object, not one per agent). */
export interface SimulationShared {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** A TaskStatus uuid: 16 bytes, base64. */
  uuid(): string;
  readonly resources: Resources;
  readonly version: string;
  readonly retry: RetryPolicy;
  readonly token?: string;
  readonly counters: SimulationCounters;
  /** Sees every acknowledgement an agent receives before it is applied (benchmarks time them). */
  onAck?(agent: SimulatedAgent, ack: maestro.agent.StatusUpdateAcknowledgement): void;
}

export interface SimulationCounters {
  runTasks: number;
  killTasks: number;
  shutdownFrameworks: number;
  reconciliations: number;
  /** Status updates created (not counting resends). */
  updates: number;
  /** Sends of updates to the master, resends included. */
  updateSends: number;
  acks: number;
  tasksFinished: number;
  tasksFailed: number;
  tasksKilled: number;
  tasksError: number;
}

export function newCounters(): SimulationCounters {
  return { runTasks: 0, killTasks: 0, shutdownFrameworks: 0, reconciliations: 0, updates: 0, updateSends: 0, acks: 0, tasksFinished: 0, tasksFailed: 0, tasksKilled: 0, tasksError: 0 };
}

export interface SimulatedAgentIdentity {
  readonly index: number;
  readonly hostname: string;
  /** AgentInfo.port: the simulator's HTTP port (shared by the fleet). */
  readonly port: number;
  readonly attributes: readonly mesos.v1.Attribute[];
}

interface SimTask {
  readonly frameworkId: string;
  readonly info: mesos.v1.TaskInfo;
  /** Set for a task with an executor of its own (RunTask with an ExecutorInfo, or a task group). */
  readonly executorId?: string;
  state: AgentTaskState;
  last?: TaskStatus;
  charged?: Resources;
  timer?: TimerHandle;
  killRequested: boolean;
}

interface SimExecutor {
  readonly frameworkId: string;
  readonly info: mesos.v1.ExecutorInfo;
  /** Ids of its tasks that are not terminal yet. */
  readonly live: Set<string>;
}

const key = (frameworkId: string, id: string) => `${frameworkId}\u0000${id}`;

/** A label's number, or why it is not one (TASK_ERROR names the label). */
function labelNumber(task: mesos.v1.TaskInfo, name: string, integer: boolean): number | undefined | string {
  const label = task.labels?.labels?.find((l) => l.key === name);
  if (label === undefined) return undefined;
  const text = (label.value ?? '').trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    return `label ${name}: expected a non-negative ${integer ? 'integer' : 'number of seconds'}, got '${label.value ?? ''}'`;
  }
  return n;
}

export class SimulatedAgent {
  private agentId: string | undefined;
  private link: MasterPort | undefined;
  private used = Resources.empty;
  private tasks: Map<string, SimTask> | undefined;
  private frameworks: Map<string, mesos.v1.FrameworkInfo> | undefined;
  private managers: Map<string, StatusUpdateManager> | undefined;
  private executors: Map<string, SimExecutor> | undefined;
  /** Last status of tasks whose terminal update was acknowledged, oldest first (bounded). */
  private completed: Map<string, TaskStatus> | undefined;

  constructor(readonly identity: SimulatedAgentIdentity, private readonly shared: SimulationShared) {}

  attach(link: MasterPort): void {
    this.link = link;
  }

  get id(): string | undefined {
    return this.agentId;
  }

  /** Tasks held (live, or terminal and not yet acknowledged). */
  get taskCount(): number {
    return this.tasks?.size ?? 0;
  }

  /** Unacknowledged status updates over all tasks. */
  pendingUpdates(): number {
    let n = 0;
    for (const m of this.managers?.values() ?? []) n += m.totalPending();
    return n;
  }

  /** The state of a task the agent holds. */
  taskState(frameworkId: string, taskId: string): AgentTaskState | undefined {
    return this.tasks?.get(key(frameworkId, taskId))?.state;
  }

  // ---------------------------------------------------------------- registration

  info(): mesos.v1.AgentInfo {
    const i: mesos.v1.AgentInfo = { hostname: this.identity.hostname, port: this.identity.port, resources: this.shared.resources.toProto() };
    if (this.identity.attributes.length > 0) i.attributes = [...this.identity.attributes];
    if (this.agentId !== undefined) i.id = { value: this.agentId };
    return i;
  }

  /** The first message of every connection: RegisterAgent, or ReregisterAgent with the tasks held. */
  hello(): Envelope {
    const common = {
      agent_info: this.info(),
      version: this.shared.version,
      capabilities: [{ type: 'MULTI_ROLE' }, { type: 'HIERARCHICAL_ROLE' }, { type: 'RESERVATION_REFINEMENT' }] as mesos.v1.AgentInfo.Capability[],
      ...(this.shared.token !== undefined ? { token: this.shared.token } : {}),
    };
    if (this.agentId === undefined) return { register_agent: common };
    const tasks: mesos.v1.Task[] = [];
    const frameworkIds = new Set<string>();
    for (const t of this.tasks?.values() ?? []) {
      tasks.push(this.taskProto(t));
      frameworkIds.add(t.frameworkId);
    }
    const executors: mesos.v1.ExecutorInfo[] = [];
    for (const ex of this.executors?.values() ?? []) {
      executors.push({ ...ex.info, framework_id: { value: ex.frameworkId } });
      frameworkIds.add(ex.frameworkId);
    }
    const frameworks = [...frameworkIds].map((f) => this.frameworks?.get(f)).filter((f): f is mesos.v1.FrameworkInfo => f !== undefined);
    return { reregister_agent: { ...common, tasks, frameworks, executors } };
  }

  /** AgentRegistered / AgentReregistered: keep the id, resend every unacknowledged update now. */
  registered(envelope: Envelope): void {
    const answer = envelope.agent_registered ?? envelope.agent_reregistered;
    if (answer === undefined) return;
    if (this.agentId === undefined) this.agentId = answer.agent_id.value;
    else if (answer.agent_id.value !== this.agentId) {
      this.shared.logger.error({ agent: this.identity.hostname, agentId: this.agentId, given: answer.agent_id.value }, 'the master answered with another agent id; keeping ours');
    }
    for (const m of this.managers?.values() ?? []) m.flush();
  }

  // ---------------------------------------------------------------- master messages

  handle(env: Envelope): void {
    if (env.run_task !== undefined) {
      this.shared.counters.runTasks++;
      this.accept(env.run_task.framework, env.run_task.task, env.run_task.executor);
    } else if (env.run_task_group !== undefined) {
      const g = env.run_task_group;
      const tasks = g.task_group.tasks ?? [];
      this.shared.counters.runTasks += tasks.length;
      // The executor holds the whole group from the start: a first task refused does not make it exit before the others.
      const frameworkId = g.framework.id?.value;
      if (frameworkId !== undefined && this.agentId !== undefined) {
        for (const task of tasks) if (this.tasks?.has(key(frameworkId, task.task_id.value)) !== true) this.executorOf(frameworkId, g.executor).live.add(task.task_id.value);
      }
      for (const task of tasks) this.accept(g.framework, task, g.executor);
    } else if (env.kill_task !== undefined) {
      this.shared.counters.killTasks++;
      this.killTask(env.kill_task.framework_id.value, env.kill_task.task_id.value);
    } else if (env.status_update_acknowledgement !== undefined) {
      const a = env.status_update_acknowledgement;
      this.shared.counters.acks++;
      this.shared.onAck?.(this, a);
      this.managers?.get(a.framework_id.value)?.acknowledge(a.framework_id.value, a.task_id.value, a.uuid);
    } else if (env.shutdown_framework !== undefined) {
      this.shared.counters.shutdownFrameworks++;
      this.shutdownFramework(env.shutdown_framework.framework_id.value);
    } else if (env.shutdown_executor !== undefined) {
      const s = env.shutdown_executor;
      const ex = this.executors?.get(key(s.framework_id.value, s.executor_id.value));
      for (const taskId of [...ex?.live ?? []]) this.killTask(s.framework_id.value, taskId);
    } else if (env.update_framework !== undefined) {
      const info = env.update_framework.framework_info;
      if (info.id !== undefined && this.frameworks?.has(info.id.value) === true) this.frameworks.set(info.id.value, info);
    } else if (env.reconcile_tasks !== undefined) {
      this.shared.counters.reconciliations++;
      this.reconcile(env.reconcile_tasks.framework_id.value, (env.reconcile_tasks.task_ids ?? []).map((t) => t.value));
    } else if (env.shutdown_agent !== undefined) {
      for (const f of [...this.frameworks?.keys() ?? []]) this.shutdownFramework(f);
    }
    // CheckpointResources and FrameworkToExecutor need nothing from a simulated agent.
  }

  /**
   * Reports TASK_RUNNING again for a running task (as a health or check change would), through the
   * status update manager; returns its uuid, or undefined when the task is not running here.
   */
  reportRunning(frameworkId: string, taskId: string): string | undefined {
    const task = this.tasks?.get(key(frameworkId, taskId));
    if (task === undefined || task.state !== 'TASK_RUNNING') return undefined;
    return this.emit(taskId, task, 'TASK_RUNNING', {});
  }

  /** Clears every timer (the process is stopping); nothing is sent afterwards. */
  stop(): void {
    for (const t of this.tasks?.values() ?? []) this.clearTimer(t);
    for (const m of this.managers?.values() ?? []) m.stop();
  }

  // ---------------------------------------------------------------- tasks

  private manager(frameworkId: string): StatusUpdateManager {
    this.managers ??= new Map();
    let m = this.managers.get(frameworkId);
    if (m === undefined) {
      m = new StatusUpdateManager({
        timers: this.shared.timers,
        journal: memoryJournal,
        retry: this.shared.retry,
        send: (update) => {
          this.shared.counters.updateSends++;
          return this.link?.send({ status_update: update }) ?? false;
        },
        onTerminalAcknowledged: (f, t) => this.complete(f, t),
      });
      this.managers.set(frameworkId, m);
    }
    return m;
  }

  private accept(framework: mesos.v1.FrameworkInfo, task: mesos.v1.TaskInfo, executor: mesos.v1.ExecutorInfo | undefined): void {
    const frameworkId = framework.id?.value;
    const taskId = task.task_id.value;
    if (frameworkId === undefined || this.agentId === undefined) {
      this.shared.logger.warn({ agent: this.identity.hostname, taskId }, 'dropped a task: no framework id or the agent has no id yet');
      return;
    }
    (this.frameworks ??= new Map()).set(frameworkId, framework);
    this.tasks ??= new Map();
    const k = key(frameworkId, taskId);
    if (this.tasks.has(k)) {
      this.shared.logger.warn({ agent: this.identity.hostname, frameworkId, taskId }, 'ignored a second RunTask for a task the agent already runs');
      return;
    }
    const executorId = executor?.executor_id.value;
    const entry: SimTask = { frameworkId, info: task, ...(executorId !== undefined ? { executorId } : {}), state: 'TASK_STAGING', killRequested: false };
    this.tasks.set(k, entry);
    this.manager(frameworkId).open(frameworkId, taskId, '');
    if (executor !== undefined) this.executorOf(frameworkId, executor).live.add(taskId);

    const duration = labelNumber(task, DURATION_LABEL, false);
    const exitCode = labelNumber(task, EXIT_CODE_LABEL, true);
    const problem = typeof duration === 'string' ? duration
      : typeof exitCode === 'string' ? exitCode
        : fitsInto(this.shared.resources.unallocate(), this.used, Resources.fromProto(task.resources).unallocate());
    if (problem !== undefined) {
      const message = typeof duration === 'string' || typeof exitCode === 'string' ? `Task is invalid: ${problem}` : `Task uses resources the agent was not given: ${problem}`;
      this.emit(taskId, entry, 'TASK_ERROR', { reason: 'REASON_TASK_INVALID', message, source: 'SOURCE_AGENT' });
      return;
    }
    entry.charged = Resources.fromProto(task.resources).unallocate();
    this.used = this.used.plus(entry.charged);
    this.emit(taskId, entry, 'TASK_STARTING', {});
    this.emit(taskId, entry, 'TASK_RUNNING', {});
    if (typeof duration === 'number') {
      const code = typeof exitCode === 'number' ? exitCode : 0;
      entry.timer = this.shared.timers.setTimeout(() => {
        entry.timer = undefined;
        if (isTerminalState(entry.state)) return;
        const o = commandOutcome({ kind: 'exited', exitCode: code, message: '' }, false);
        this.emit(taskId, entry, o.state, { message: o.message, ...(o.reason !== undefined ? { reason: o.reason } : {}) });
      }, duration * 1000);
    }
  }

  private killTask(frameworkId: string, taskId: string): void {
    const task = this.tasks?.get(key(frameworkId, taskId));
    if (task === undefined) {
      if (this.completed?.has(key(frameworkId, taskId)) === true) return;
      this.sendUnreliable(frameworkId, taskId, this.lostState(frameworkId), 'Cannot kill task: the agent does not know it');
      return;
    }
    if (isTerminalState(task.state) || task.killRequested) return;
    task.killRequested = true;
    if (this.hasCapability(frameworkId, 'TASK_KILLING_STATE')) this.emit(taskId, task, 'TASK_KILLING', {});
    this.emit(taskId, task, 'TASK_KILLED', { message: 'Command terminated with signal Terminated' });
  }

  private shutdownFramework(frameworkId: string): void {
    for (const [k, t] of [...this.tasks ?? []]) {
      if (t.frameworkId !== frameworkId) continue;
      this.clearTimer(t);
      this.release(t);
      this.tasks!.delete(k);
    }
    for (const [k, ex] of [...this.executors ?? []]) if (ex.frameworkId === frameworkId) this.executors!.delete(k);
    this.managers?.get(frameworkId)?.stop();
    this.managers?.delete(frameworkId);
    this.frameworks?.delete(frameworkId);
  }

  /** Answers ReconcileTasks as slave/agent.ts does: live tasks as they are, completed ones as they ended, others lost. */
  private reconcile(frameworkId: string, taskIds: readonly string[]): void {
    const ids = taskIds.length > 0 ? taskIds : [...this.tasks?.values() ?? []].filter((t) => t.frameworkId === frameworkId).map((t) => t.info.task_id.value);
    for (const taskId of ids) {
      const task = this.tasks?.get(key(frameworkId, taskId));
      // A terminal task's update is being retried already.
      const last = task !== undefined ? (isTerminalState(task.state) ? undefined : task.last) : this.completed?.get(key(frameworkId, taskId));
      if (last !== undefined) {
        this.link?.send({ status_update: { framework_id: { value: frameworkId }, status: { ...last, uuid: this.shared.uuid(), reason: 'REASON_RECONCILIATION', timestamp: this.shared.clock.now() / 1000 } } });
      } else if (task === undefined) {
        this.sendUnreliable(frameworkId, taskId, this.lostState(frameworkId), 'Reconciliation: task unknown to the agent');
      }
    }
  }

  /** Records a state change (state machine, then the framework's status update manager); returns the update's uuid. */
  private emit(taskId: string, task: SimTask, state: AgentTaskState, extra: Partial<TaskStatus>): string | undefined {
    const t = transition(task.state, state);
    if (!t.ok) {
      this.shared.logger.warn({ agent: this.identity.hostname, taskId, message: t.message }, 'refused a task state change');
      return undefined;
    }
    task.state = t.state;
    const uuid = this.shared.uuid();
    const status: TaskStatus = {
      task_id: { value: taskId },
      state,
      source: 'SOURCE_EXECUTOR',
      agent_id: { value: this.agentId! },
      executor_id: { value: task.executorId ?? taskId },
      timestamp: this.shared.clock.now() / 1000,
      uuid,
      ...extra,
    };
    task.last = status;
    this.shared.counters.updates++;
    const terminal = isTerminalState(state);
    if (terminal) {
      this.clearTimer(task);
      this.release(task);
      this.countTerminal(state);
    }
    this.manager(task.frameworkId).update({ framework_id: { value: task.frameworkId }, status });
    if (terminal && task.executorId !== undefined) this.taskEnded(task.frameworkId, task.executorId, taskId);
    return uuid;
  }

  private executorOf(frameworkId: string, info: mesos.v1.ExecutorInfo): SimExecutor {
    this.executors ??= new Map();
    const ek = key(frameworkId, info.executor_id.value);
    let ex = this.executors.get(ek);
    if (ex === undefined) {
      ex = { frameworkId, info, live: new Set<string>() };
      this.executors.set(ek, ex);
    }
    return ex;
  }

  /** A task of an executor ended: the executor exits with its last task (after that task's terminal update). */
  private taskEnded(frameworkId: string, executorId: string, taskId: string): void {
    const ek = key(frameworkId, executorId);
    const ex = this.executors?.get(ek);
    if (ex === undefined) return;
    ex.live.delete(taskId);
    if (ex.live.size > 0) return;
    this.executors!.delete(ek);
    this.link?.send({ executor_exited: { framework_id: { value: frameworkId }, executor_id: { value: executorId }, status: 0 } });
  }

  /** The terminal update was acknowledged: forget the task, keep its last status for reconciliation. */
  private complete(frameworkId: string, taskId: string): void {
    const k = key(frameworkId, taskId);
    const task = this.tasks?.get(k);
    if (task === undefined) return;
    this.tasks!.delete(k);
    this.completed ??= new Map();
    if (task.last !== undefined) this.completed.set(k, task.last);
    if (this.completed.size > MAX_COMPLETED_TASKS) this.completed.delete(this.completed.keys().next().value!);
    if (this.tasks!.size === 0 && (this.executors?.size ?? 0) === 0) {
      // Nothing is left here (a stream lives only as long as its task): drop the per-framework books until the next task.
      this.managers = undefined;
      this.frameworks = undefined;
    }
  }

  private taskProto(t: SimTask): mesos.v1.Task {
    const task: mesos.v1.Task = {
      name: t.info.name,
      task_id: t.info.task_id,
      framework_id: { value: t.frameworkId },
      agent_id: { value: this.agentId! },
      state: t.state,
    };
    if (t.executorId !== undefined) task.executor_id = { value: t.executorId };
    if (t.info.resources !== undefined) task.resources = t.info.resources;
    if (t.last !== undefined) task.statuses = [t.last];
    const head = this.managers?.get(t.frameworkId)?.pending(t.frameworkId, t.info.task_id.value)[0];
    if (head !== undefined) {
      task.status_update_state = head.status.state;
      if (head.status.uuid !== undefined) task.status_update_uuid = head.status.uuid;
    }
    if (t.info.labels !== undefined) task.labels = t.info.labels;
    return task;
  }

  private release(task: SimTask): void {
    if (task.charged === undefined) return;
    this.used = this.used.minus(task.charged);
    task.charged = undefined;
  }

  private clearTimer(task: SimTask): void {
    if (task.timer === undefined) return;
    this.shared.timers.clear(task.timer);
    task.timer = undefined;
  }

  private countTerminal(state: mesos.v1.TaskState): void {
    const c = this.shared.counters;
    if (state === 'TASK_FINISHED') c.tasksFinished++;
    else if (state === 'TASK_FAILED') c.tasksFailed++;
    else if (state === 'TASK_KILLED') c.tasksKilled++;
    else if (state === 'TASK_ERROR') c.tasksError++;
  }

  private hasCapability(frameworkId: string, cap: mesos.v1.FrameworkInfo.Capability.Type): boolean {
    return (this.frameworks?.get(frameworkId)?.capabilities ?? []).some((c) => c.type === cap);
  }

  private lostState(frameworkId: string): mesos.v1.TaskState {
    return this.hasCapability(frameworkId, 'PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST';
  }

  /** A status about a task the agent does not hold: sent once, not retried (no stream to live in). */
  private sendUnreliable(frameworkId: string, taskId: string, state: mesos.v1.TaskState, message: string): void {
    const status: TaskStatus = {
      task_id: { value: taskId }, state, source: 'SOURCE_AGENT', reason: 'REASON_RECONCILIATION', message,
      timestamp: this.shared.clock.now() / 1000, uuid: this.shared.uuid(),
      ...(this.agentId !== undefined ? { agent_id: { value: this.agentId } } : {}),
    };
    this.link?.send({ status_update: { framework_id: { value: frameworkId }, status } });
  }
}
