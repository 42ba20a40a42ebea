import test from 'ava';
import { AGENT_TASK_STATES, isTerminalState, transition, type AgentTaskState } from './task-state-machine.ts';

const cases: [AgentTaskState, AgentTaskState, boolean][] = [
  ['TASK_STAGING', 'TASK_STARTING', true],
  ['TASK_STAGING', 'TASK_ERROR', true],
  ['TASK_STAGING', 'TASK_KILLED', true], // killed during launch
  ['TASK_STARTING', 'TASK_RUNNING', true],
  ['TASK_STARTING', 'TASK_ERROR', false],
  ['TASK_RUNNING', 'TASK_RUNNING', true], // health or check status changed
  ['TASK_RUNNING', 'TASK_KILLING', true],
  ['TASK_RUNNING', 'TASK_STARTING', false],
  ['TASK_RUNNING', 'TASK_DROPPED', false],
  ['TASK_KILLING', 'TASK_KILLED', true],
  ['TASK_KILLING', 'TASK_FINISHED', true], // exit 0 after SIGTERM
  ['TASK_KILLING', 'TASK_RUNNING', false],
  ['TASK_FINISHED', 'TASK_FAILED', false],
  ['TASK_KILLED', 'TASK_KILLED', false],
];

for (const [from, to, ok] of cases) {
  test(`${from} -> ${to}: ${ok ? 'allowed' : 'refused'}`, (t) => {
    const r = transition(from, to);
    t.is(r.ok, ok);
    if (!r.ok) t.is(r.message, `illegal task transition ${from} -> ${to}`);
  });
}

test('nothing leaves a terminal state; every non-terminal state can end', (t) => {
  for (const from of AGENT_TASK_STATES) {
    const reachable = AGENT_TASK_STATES.filter((to) => transition(from, to).ok);
    if (isTerminalState(from)) t.deepEqual(reachable, [], from);
    else t.true(reachable.some(isTerminalState), from);
  }
});
