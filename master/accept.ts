/**
 * ACCEPT planning: validates an accept's operations against the resources left in the accepted
 * offers and returns the steps to apply, in order, or a rejection. Pure: it reads the framework's
 * and agent's facts from `AcceptContext` and changes nothing; master.ts applies the plan.
 *
 * Rules (Mesos `Master::_accept` and validation.cpp):
 * - Operations apply in order; each consumes from what the earlier ones left.
 * - RESERVE: every resource carries a reservation stack whose top is DYNAMIC, for one of the
 *   framework's roles, with the framework's principal (if it sets one); the resources below the
 *   top must be in what remains. UNRESERVE: dynamically reserved resources that remain.
 *   A bad operation (RESERVE, UNRESERVE, one without its sub-message, an unknown type) becomes a
 *   `dropped` step and the next operations go on: Mesos answers every valid ACCEPT call 202 and
 *   drops invalid operations inside it (`Master::_accept`, `drop`).
 * - CREATE, DESTROY, GROW_VOLUME, SHRINK_VOLUME, CREATE_DISK, DESTROY_DISK reject the whole call
 *   (persistent volumes do not exist here yet; a documented difference from Mesos).
 * - LAUNCH: each task is checked on its own; an invalid one becomes a TASK_ERROR step
 *   (REASON_TASK_INVALID) and the others still launch. LAUNCH_GROUP: all tasks or none.
 * - A new executor's resources are counted once (with its first task), not per task.
 * - Resources without allocation info get the offers' role when the offers have a single role
 *   (non-MULTI_ROLE frameworks never send it; Mesos injects it the same way).
 */
import { Resources } from '../common/resources/resources.ts';
import { resourcesFromWire } from './resource-wire.ts';
import type { mesos } from '../proto/types.generated.ts';

type Operation = mesos.v1.Offer.Operation;
type Resource = mesos.v1.Resource;

export interface AcceptContext {
  readonly frameworkId: string;
  readonly frameworkRoles: readonly string[];
  readonly principal: string | undefined;
  readonly agentId: string;
  /** Roles of the accepted offers (one for non-MULTI_ROLE frameworks). */
  readonly offerRoles: readonly string[];
  /** Sum of the accepted offers' resources (allocated, with allocation info). */
  readonly offered: Resources;
  /** Whether the framework already has a non-terminal task with this id (ids must be unique among those). */
  readonly isActiveTask: (taskId: string) => boolean;
  /** Executor ids of the framework already running on the agent. */
  readonly agentExecutorIds: ReadonlySet<string>;
}

export type AcceptStep =
  | { readonly kind: 'reserve' | 'unreserve'; readonly from: Resources; readonly to: Resources }
  | { readonly kind: 'launch'; readonly task: mesos.v1.TaskInfo; readonly role: string; readonly taskResources: Resources; readonly executor?: mesos.v1.ExecutorInfo; readonly executorResources?: Resources }
  | { readonly kind: 'launch_group'; readonly executor: mesos.v1.ExecutorInfo; readonly tasks: readonly { readonly task: mesos.v1.TaskInfo; readonly resources: Resources }[]; readonly role: string; readonly executorResources?: Resources }
  | { readonly kind: 'task_error'; readonly task: mesos.v1.TaskInfo; readonly message: string; readonly reason: 'REASON_TASK_INVALID' }
  | { readonly kind: 'dropped'; readonly operation: string; readonly message: string };

export type AcceptPlan =
  | { readonly ok: true; readonly steps: readonly AcceptStep[]; readonly remaining: Resources }
  | { readonly ok: false; readonly message: string };

const UNSUPPORTED = new Set(['CREATE', 'DESTROY', 'GROW_VOLUME', 'SHRINK_VOLUME', 'CREATE_DISK', 'DESTROY_DISK']);

type Parsed = { ok: true; value: Resources } | { ok: false; message: string };

function withAllocation(list: readonly Resource[], roles: readonly string[]): Resource[] {
  if (roles.length !== 1) return [...list];
  return list.map((r) => (r.allocation_info?.role !== undefined ? r : { ...r, allocation_info: { role: roles[0] } }));
}

function parse(list: readonly Resource[] | undefined, roles: readonly string[]): Parsed {
  try {
    return { ok: true, value: resourcesFromWire(withAllocation(list ?? [], roles)) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

function roleOf(list: readonly Resource[] | undefined, roles: readonly string[]): string {
  return (list ?? []).find((r) => r.allocation_info?.role !== undefined)?.allocation_info?.role ?? roles[0] ?? '*';
}

function invalidIdCharacter(id: string): boolean {
  return /[\x00-\x1f\x7f/\\]/.test(id);
}

function isDynamicTop(r: Resource): boolean {
  const stack = r.reservations ?? [];
  return stack.length > 0 && stack[stack.length - 1].type === 'DYNAMIC';
}

/** Mesos' `stringify` of a role set: `{ a, b }`. */
function roleSet(roles: readonly string[]): string {
  return `{ ${[...roles].sort().join(', ')} }`;
}

function validateReserve(ctx: AcceptContext, list: readonly Resource[]): string | undefined {
  if (list.length === 0) return 'Invalid RESERVE Operation: Resource cannot be empty';
  for (const r of list) {
    if (!isDynamicTop(r)) return `Invalid RESERVE Operation: Resource ${r.name} is not dynamically reserved`;
    const top = r.reservations![r.reservations!.length - 1];
    const role = top.role ?? '*';
    const allocated = r.allocation_info?.role;
    if (allocated !== undefined && allocated !== role) {
      return `Invalid RESERVE Operation: A reserve operation was attempted for a resource with role '${role}', but the resource was allocated to role '${allocated}'`;
    }
    if (!ctx.frameworkRoles.includes(role)) {
      return `Invalid RESERVE Operation: A reserve operation was attempted for a resource with role '${role}', but the framework can only reserve resources with roles '${roleSet(ctx.frameworkRoles)}'`;
    }
    // No HTTP authentication yet: the framework's principal stands in for the authenticated one,
    // and a reservation that names a principal must name that one.
    if (top.principal !== undefined && top.principal !== ctx.principal) {
      return `Invalid RESERVE Operation: A reserve operation was attempted by authenticated principal '${ctx.principal ?? ''}', which does not match a reserved resource in the request with principal '${top.principal}'`;
    }
  }
  return undefined;
}

interface TaskCheck {
  readonly ctx: AcceptContext;
  readonly launchedIds: Set<string>;
  readonly launchedExecutors: Set<string>;
}

function validateTaskBasics(c: TaskCheck, task: mesos.v1.TaskInfo): string | undefined {
  const id = task.task_id.value;
  if (invalidIdCharacter(id)) return `TaskID '${id}' contains invalid characters`;
  if (c.ctx.isActiveTask(id) || c.launchedIds.has(id)) return `Task has duplicate ID: ${id}`;
  if (task.agent_id.value !== c.ctx.agentId) {
    return `Task uses invalid agent ${task.agent_id.value} while agent ${c.ctx.agentId} is expected`;
  }
  const grace = task.kill_policy?.grace_period?.nanoseconds;
  if (grace !== undefined && grace < 0) return "Task's 'kill_policy.grace_period' must be non-negative";
  if ((task.resources ?? []).length === 0) return 'Task uses no resources';
  return undefined;
}

function validateExecutorInfo(ctx: AcceptContext, e: mesos.v1.ExecutorInfo): string | undefined {
  if (e.framework_id !== undefined && e.framework_id.value !== ctx.frameworkId) {
    return `ExecutorInfo has an invalid FrameworkID (Actual: ${e.framework_id.value} vs Expected: ${ctx.frameworkId})`;
  }
  return undefined;
}

function withFrameworkId(ctx: AcceptContext, e: mesos.v1.ExecutorInfo): mesos.v1.ExecutorInfo {
  return e.framework_id !== undefined ? e : { ...e, framework_id: { value: ctx.frameworkId } };
}

export function planAccept(ctx: AcceptContext, operations: readonly Operation[]): AcceptPlan {
  for (const op of operations) {
    if (UNSUPPORTED.has(op.type ?? 'UNKNOWN')) {
      return { ok: false, message: `Invalid ${op.type} Operation: persistent volumes are not supported yet` };
    }
  }
  const steps: AcceptStep[] = [];
  const check: TaskCheck = { ctx, launchedIds: new Set(), launchedExecutors: new Set() };
  let remaining = ctx.offered;
  const executorIsNew = (id: string) => !ctx.agentExecutorIds.has(id) && !check.launchedExecutors.has(id);
  const drop = (op: Operation, message: string) => steps.push({ kind: 'dropped', operation: op.type ?? 'UNKNOWN', message });

  for (const op of operations) {
    switch (op.type) {
      case 'RESERVE': {
        if (op.reserve === undefined) { drop(op, "Expecting 'reserve' to be present"); break; }
        const err = validateReserve(ctx, op.reserve.resources ?? []);
        if (err !== undefined) { drop(op, err); break; }
        const to = parse(op.reserve.resources, ctx.offerRoles);
        if (!to.ok) { drop(op, `Invalid RESERVE Operation: ${to.message}`); break; }
        const from = to.value.popReservation();
        if (!remaining.contains(from)) {
          drop(op, `Invalid RESERVE Operation: ${remaining.toString()} does not contain ${from.toString()}`);
          break;
        }
        remaining = remaining.minus(from).plus(to.value);
        steps.push({ kind: 'reserve', from, to: to.value });
        break;
      }
      case 'UNRESERVE': {
        if (op.unreserve === undefined) { drop(op, "Expecting 'unreserve' to be present"); break; }
        const list = op.unreserve.resources ?? [];
        if (list.length === 0) { drop(op, 'Invalid UNRESERVE Operation: Resource cannot be empty'); break; }
        const notReserved = list.find((r) => !isDynamicTop(r));
        if (notReserved !== undefined) {
          drop(op, `Invalid UNRESERVE Operation: Resource ${notReserved.name} is not dynamically reserved`);
          break;
        }
        const from = parse(list, ctx.offerRoles);
        if (!from.ok) { drop(op, `Invalid UNRESERVE Operation: ${from.message}`); break; }
        if (!remaining.contains(from.value)) {
          drop(op, `Invalid UNRESERVE Operation: ${remaining.toString()} does not contain ${from.value.toString()}`);
          break;
        }
        const to = from.value.popReservation();
        remaining = remaining.minus(from.value).plus(to);
        steps.push({ kind: 'unreserve', from: from.value, to });
        break;
      }
      case 'LAUNCH': {
        if (op.launch === undefined) { drop(op, "Expecting 'launch' to be present"); break; }
        for (const task of op.launch.task_infos ?? []) {
          const fail = (message: string) => steps.push({ kind: 'task_error', task, message, reason: 'REASON_TASK_INVALID' });
          const basic = validateTaskBasics(check, task);
          if (basic !== undefined) { fail(basic); continue; }
          const taskRes = parse(task.resources, ctx.offerRoles);
          if (!taskRes.ok) { fail(`Task uses invalid resources: ${taskRes.message}`); continue; }
          if ((task.executor !== undefined) === (task.command !== undefined)) {
            fail('Task should have at least one (but not both) of CommandInfo or ExecutorInfo present');
            continue;
          }
          let executor: mesos.v1.ExecutorInfo | undefined;
          let executorResources: Resources | undefined;
          let total = taskRes.value;
          if (task.executor !== undefined) {
            const err = validateExecutorInfo(ctx, task.executor);
            if (err !== undefined) { fail(err); continue; }
            if (task.executor.command === undefined) { fail("'ExecutorInfo.command' must be set"); continue; }
            executor = withFrameworkId(ctx, task.executor);
            if (executorIsNew(executor.executor_id.value)) {
              const er = parse(executor.resources, ctx.offerRoles);
              if (!er.ok) { fail(`Executor uses invalid resources: ${er.message}`); continue; }
              executorResources = er.value;
              total = total.plus(er.value);
            }
          }
          if (!remaining.contains(total)) {
            fail(`Total resources ${total.toString()} required by task and its executor is more than available ${remaining.toString()}`);
            continue;
          }
          remaining = remaining.minus(total);
          check.launchedIds.add(task.task_id.value);
          if (executor !== undefined) check.launchedExecutors.add(executor.executor_id.value);
          const launchedTask = executor !== undefined ? { ...task, executor } : task;
          steps.push({ kind: 'launch', task: launchedTask, role: roleOf(task.resources, ctx.offerRoles), taskResources: taskRes.value, executor, executorResources });
        }
        break;
      }
      case 'LAUNCH_GROUP': {
        if (op.launch_group === undefined) { drop(op, "Expecting 'launch_group' to be present"); break; }
        const tasks = op.launch_group.task_group.tasks ?? [];
        const failAll = (message: string) => { for (const task of tasks) steps.push({ kind: 'task_error', task, message, reason: 'REASON_TASK_INVALID' }); };
        const executor = withFrameworkId(ctx, op.launch_group.executor);
        const execErr = validateExecutorInfo(ctx, executor) ?? (executor.type === undefined ? "'ExecutorInfo.type' must be set" : undefined);
        if (execErr !== undefined) { failAll(execErr); break; }
        let total = Resources.empty;
        let executorResources: Resources | undefined;
        if (executorIsNew(executor.executor_id.value)) {
          const er = parse(executor.resources, ctx.offerRoles);
          if (!er.ok) { failAll(`Executor uses invalid resources: ${er.message}`); break; }
          executorResources = er.value;
          total = total.plus(er.value);
        }
        const parsed: { task: mesos.v1.TaskInfo; resources: Resources }[] = [];
        let groupError: string | undefined;
        const groupIds = new Set<string>();
        for (const task of tasks) {
          const basic = validateTaskBasics(check, task) ?? (groupIds.has(task.task_id.value) ? `Task has duplicate ID: ${task.task_id.value}` : undefined);
          if (basic !== undefined) { groupError = basic; break; }
          groupIds.add(task.task_id.value);
          const tr = parse(task.resources, ctx.offerRoles);
          if (!tr.ok) { groupError = `Task uses invalid resources: ${tr.message}`; break; }
          parsed.push({ task: { ...task, executor }, resources: tr.value });
          total = total.plus(tr.value);
        }
        if (groupError === undefined && tasks.length === 0) groupError = 'Task group is empty';
        if (groupError === undefined && !remaining.contains(total)) {
          groupError = `Total resources ${total.toString()} required by task group and its executor are more than available ${remaining.toString()}`;
        }
        if (groupError !== undefined) { failAll(groupError); break; }
        remaining = remaining.minus(total);
        for (const p of parsed) check.launchedIds.add(p.task.task_id.value);
        check.launchedExecutors.add(executor.executor_id.value);
        steps.push({ kind: 'launch_group', executor, tasks: parsed, role: roleOf([...(executor.resources ?? []), ...(tasks[0]?.resources ?? [])], ctx.offerRoles), executorResources });
        break;
      }
      default:
        drop(op, `Unsupported operation type ${op.type ?? 'UNKNOWN'}`);
    }
  }
  return { ok: true, steps, remaining };
}
