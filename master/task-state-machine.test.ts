import test from 'ava';
import fc from 'fast-check';
import { isTerminal, transition, type TaskState } from './task-state-machine.ts';

const STATES: readonly TaskState[] = [
  'TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED',
  'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN',
];

const cases: ReadonlyArray<[TaskState, TaskState, boolean]> = [
  ['TASK_STAGING', 'TASK_RUNNING', true],
  ['TASK_STAGING', 'TASK_STARTING', true],
  ['TASK_STARTING', 'TASK_RUNNING', true],
  ['TASK_RUNNING', 'TASK_RUNNING', true], // health change
  ['TASK_RUNNING', 'TASK_KILLING', true],
  ['TASK_KILLING', 'TASK_KILLED', true],
  ['TASK_RUNNING', 'TASK_FINISHED', true],
  ['TASK_RUNNING', 'TASK_UNREACHABLE', true],
  ['TASK_UNREACHABLE', 'TASK_RUNNING', true], // agent came back
  ['TASK_UNREACHABLE', 'TASK_LOST', true],
  ['TASK_RUNNING', 'TASK_STAGING', false], // never backwards
  ['TASK_RUNNING', 'TASK_STARTING', false],
  ['TASK_KILLING', 'TASK_RUNNING', false],
  ['TASK_FINISHED', 'TASK_RUNNING', false], // terminal is final
  ['TASK_KILLED', 'TASK_KILLED', false],
  ['TASK_LOST', 'TASK_RUNNING', false],
  ['TASK_RUNNING', 'TASK_UNKNOWN', false], // never stored
  ['TASK_UNKNOWN', 'TASK_RUNNING', false],
];

for (const [from, to, ok] of cases) {
  test(`transition ${from} -> ${to} is ${ok ? 'allowed' : 'rejected'}`, (t) => {
    const out = transition(from, to);
    t.is(out.ok, ok);
    if (out.ok) t.is(out.state, to);
    else t.true(out.reason.length > 0);
  });
}

test('terminal states are exactly the eight Mesos terminal states', (t) => {
  t.deepEqual(STATES.filter(isTerminal), [
    'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
  ]);
});

test('property: no sequence of accepted updates leaves a terminal state or enters TASK_UNKNOWN', (t) => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...STATES), { maxLength: 30 }), (updates) => {
    let state: TaskState = 'TASK_STAGING';
    let sawTerminal = false;
    for (const u of updates) {
      const out = transition(state, u);
      if (sawTerminal && out.ok) return false;
      if (out.ok) {
        if (out.state === 'TASK_UNKNOWN') return false;
        state = out.state;
        if (isTerminal(state)) sawTerminal = true;
      }
    }
    return true;
  }));
  t.pass();
});
