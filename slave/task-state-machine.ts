/**
 * The agent's view of a task's lifecycle, as an explicit state machine.
 *
 *   STAGING ──► STARTING ──► RUNNING ──► KILLING ──► KILLED | FINISHED | FAILED
 *      │            │           │  ▲
 *      │            │           └──┘ (RUNNING again: health or check status changed)
 *      │            └──► KILLING, FAILED, KILLED, FINISHED
 *      └──► ERROR (invalid task), DROPPED, FAILED (fetch/launch failed), KILLED (killed during launch),
 *           FINISHED (the process ended before the agent could report it, e.g. across an agent crash),
 *           LOST / DROPPED (handed to a custom executor that, after an agent restart, does not know it)
 *
 * STAGING: the agent accepted the task and prepares it (sandbox, fetch, launch).
 * STARTING: the process exists; RUNNING follows at once for the command executor.
 * KILLING: only for frameworks with the TASK_KILLING_STATE capability, between SIGTERM and exit.
 * Terminal: FINISHED, FAILED, KILLED, ERROR, DROPPED, LOST. Nothing leaves a terminal state.
 * A custom executor's updates are the executor's word: the agent refuses only an update after a
 * terminal one (agent.ts), not the moves this table leaves out.
 *
 * `transition` is the only way to change a task's state; an illegal move is a value, not a throw.
 */
import type { mesos } from '../proto/types.generated.ts';

export type AgentTaskState = Extract<mesos.v1.TaskState,
  'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_FINISHED' | 'TASK_FAILED' | 'TASK_KILLED' |
  'TASK_ERROR' | 'TASK_DROPPED' | 'TASK_LOST'>;

const TERMINAL: ReadonlySet<mesos.v1.TaskState> = new Set<mesos.v1.TaskState>([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_LOST', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
]);

export function isTerminalState(state: mesos.v1.TaskState): boolean {
  return TERMINAL.has(state);
}

const TABLE: Readonly<Record<AgentTaskState, readonly AgentTaskState[]>> = {
  TASK_STAGING: ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_LOST'],
  TASK_STARTING: ['TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED'],
  TASK_RUNNING: ['TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED'],
  TASK_KILLING: ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED'],
  TASK_FINISHED: [],
  TASK_FAILED: [],
  TASK_KILLED: [],
  TASK_ERROR: [],
  TASK_DROPPED: [],
  TASK_LOST: [],
};

export type Transition =
  | { readonly ok: true; readonly state: AgentTaskState }
  | { readonly ok: false; readonly message: string };

export function transition(from: AgentTaskState, to: AgentTaskState): Transition {
  return TABLE[from].includes(to)
    ? { ok: true, state: to }
    : { ok: false, message: `illegal task transition ${from} -> ${to}` };
}

/** Every state the table knows (for tests and exhaustive walks). */
export const AGENT_TASK_STATES: readonly AgentTaskState[] = Object.keys(TABLE) as AgentTaskState[];
