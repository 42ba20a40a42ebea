import test from 'ava';
import type { Termination } from './containerizer.ts';
import { commandOutcome } from './command-outcome.ts';

const cases: [string, Termination, boolean, string, string, string | undefined][] = [
  ['exit 0', { kind: 'exited', exitCode: 0, message: '' }, false, 'TASK_FINISHED', 'Command exited with status 0', undefined],
  ['exit 0 after a kill', { kind: 'exited', exitCode: 0, message: '' }, true, 'TASK_FINISHED', 'Command exited with status 0', undefined],
  ['exit 3', { kind: 'exited', exitCode: 3, message: '' }, false, 'TASK_FAILED', 'Command exited with status 3', 'REASON_COMMAND_EXECUTOR_FAILED'],
  ['exit 143 after a kill', { kind: 'exited', exitCode: 143, message: '' }, true, 'TASK_KILLED', 'Command exited with status 143', undefined],
  ['SIGTERM after a kill', { kind: 'signaled', signal: 15, message: '' }, true, 'TASK_KILLED', 'Command terminated with signal Terminated', undefined],
  ['SIGKILL after a kill', { kind: 'signaled', signal: 9, message: '' }, true, 'TASK_KILLED', 'Command terminated with signal Killed', undefined],
  ['SIGSEGV', { kind: 'signaled', signal: 11, message: '' }, false, 'TASK_FAILED', 'Command terminated with signal Segmentation fault', 'REASON_COMMAND_EXECUTOR_FAILED'],
  ['launch failed', { kind: 'launch-failed', message: 'no such user' }, false, 'TASK_FAILED', 'Failed to launch container: no such user', 'REASON_CONTAINER_LAUNCH_FAILED'],
  ['unknown', { kind: 'unknown', message: 'gone' }, false, 'TASK_FAILED', 'Failed to get exit status for Command: gone', 'REASON_EXECUTOR_TERMINATED'],
];

for (const [name, term, killed, state, message, reason] of cases) {
  test(name, (t) => {
    t.deepEqual(commandOutcome(term, killed), { state, message, ...(reason !== undefined ? { reason } : {}) });
  });
}

test('a limitation: TASK_FAILED with its reason and message, source SOURCE_AGENT, the limited resources; a kill asked for does not change it', (t) => {
  const mem = { name: 'mem', type: 'SCALAR' as const, scalar: { value: 32 } };
  const term: Termination = { kind: 'limited', reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'Memory limit exceeded: limit 32 MB (33554432 bytes), peak usage 32 MB (33554432 bytes)', resources: [mem] };
  const expected = {
    state: 'TASK_FAILED',
    message: 'Memory limit exceeded: limit 32 MB (33554432 bytes), peak usage 32 MB (33554432 bytes)',
    reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
    extra: { source: 'SOURCE_AGENT', limitation: { resources: [mem] } },
  };
  t.deepEqual(commandOutcome(term, false), expected);
  t.deepEqual(commandOutcome(term, true), expected);
});
