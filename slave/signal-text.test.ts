/**
 * The agent's one signal table against glibc's strsignal texts, and the two places that word a
 * signal death (command-outcome.ts, containerizer/run-files.ts) agreeing for every number.
 */
import test from 'ava';
import fc from 'fast-check';
import { commandOutcome } from './command-outcome.ts';
import { parseExitStatus } from './containerizer/run-files.ts';
import { signalDescription } from './signal-text.ts';

// Expected texts are glibc's strsignal(3) on Linux x86-64 / arm64.
const cases: [number, string][] = [
  [1, 'Hangup'],
  [2, 'Interrupt'],
  [6, 'Aborted'],
  [9, 'Killed'],
  [11, 'Segmentation fault'],
  [15, 'Terminated'],
  [16, 'Stack fault'],
  [17, 'Child exited'],
  [19, 'Stopped (signal)'],
  [24, 'CPU time limit exceeded'],
  [31, 'Bad system call'],
  [32, 'Unknown signal 32'], // kept by NPTL: below glibc's SIGRTMIN
  [33, 'Unknown signal 33'],
  [34, 'Real-time signal 0'],
  [64, 'Real-time signal 30'],
  [65, 'Unknown signal 65'],
  [0, 'Unknown signal 0'],
  [-3, 'Unknown signal -3'],
  [2.5, 'Unknown signal 2.5'],
];

for (const [signal, text] of cases) {
  test(`signal ${signal}: ${text}`, (t) => {
    t.is(signalDescription(signal), text);
  });
}

test('the command executor and the containerizer word a signal death alike', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 128 }), (signal) => {
    const fromExitFile = parseExitStatus(`signaled ${signal}\n`);
    const outcome = commandOutcome({ kind: 'signaled', signal, message: '' }, false);
    return fromExitFile?.message === outcome.message && outcome.message === `Command terminated with signal ${signalDescription(signal)}`;
  }));
  t.pass();
});
