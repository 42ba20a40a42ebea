/**
 * The task lifecycle as the master tracks it: a transition table over `mesos.v1.TaskState` and
 * one `transition()` that answers whether a status update may move a task from one state to
 * another. Rejections are values, never throws.
 *
 *   STAGING ─► STARTING ─► RUNNING ─► KILLING ─► (terminal)
 *      │          │           │          │
 *      └──────────┴───────────┴──────────┴──► UNREACHABLE ─► (any stored state, on re-registration)
 *
 * Invariants:
 * - Terminal states (FINISHED, FAILED, KILLED, ERROR, LOST, DROPPED, GONE, GONE_BY_OPERATOR) are
 *   final: nothing leaves them.
 * - TASK_UNKNOWN is an answer to reconciliation, never a stored state: nothing enters it.
 * - A task never goes back to an earlier non-terminal phase (RUNNING never returns to STAGING).
 * - Repeating a non-terminal state is allowed (RUNNING -> RUNNING carries health changes).
 */
import type { mesos } from '../proto/types.generated.ts';

export type TaskState = mesos.v1.TaskState;

const TERMINAL: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
]);

const ALL_TERMINAL = [...TERMINAL];

/** Non-terminal state -> the states it may move to. */
const TABLE: Readonly<Partial<Record<TaskState, readonly TaskState[]>>> = {
  TASK_STAGING: ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE', ...ALL_TERMINAL],
  TASK_STARTING: ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE', ...ALL_TERMINAL],
  TASK_RUNNING: ['TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE', ...ALL_TERMINAL],
  TASK_KILLING: ['TASK_KILLING', 'TASK_UNREACHABLE', ...ALL_TERMINAL],
  // An unreachable agent that comes back reports each task's current state.
  TASK_UNREACHABLE: ['TASK_UNREACHABLE', 'TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', ...ALL_TERMINAL],
};

export function isTerminal(state: TaskState): boolean {
  return TERMINAL.has(state);
}

export type TransitionOutcome =
  | { readonly ok: true; readonly state: TaskState }
  | { readonly ok: false; readonly reason: string };

export function transition(from: TaskState, to: TaskState): TransitionOutcome {
  if (isTerminal(from)) return { ok: false, reason: `task is already in terminal state ${from}` };
  const allowed = TABLE[from];
  if (allowed === undefined) return { ok: false, reason: `${from} is not a state a task can be in` };
  if (!allowed.includes(to)) return { ok: false, reason: `illegal transition ${from} -> ${to}` };
  return { ok: true, state: to };
}
