/**
 * The one signal-number-to-text table of the agent: glibc's strsignal(3) texts for Linux signal
 * numbers, as Mesos writes them into task messages (`Command terminated with signal Killed`).
 * Used by the command executor's outcome (command-outcome.ts) and by the POSIX containerizer's
 * exit-status parser (containerizer/run-files.ts), so both say the same words. Pure.
 *
 * Real-time signals are numbered from glibc's SIGRTMIN (34: NPTL keeps 32 and 33 for itself)
 * to SIGRTMAX (64); anything else is `Unknown signal N`, as glibc answers.
 */

const TEXT: readonly string[] = [
  '', 'Hangup', 'Interrupt', 'Quit', 'Illegal instruction', 'Trace/breakpoint trap', 'Aborted', 'Bus error',
  'Floating point exception', 'Killed', 'User defined signal 1', 'Segmentation fault', 'User defined signal 2',
  'Broken pipe', 'Alarm clock', 'Terminated', 'Stack fault', 'Child exited', 'Continued', 'Stopped (signal)',
  'Stopped', 'Stopped (tty input)', 'Stopped (tty output)', 'Urgent I/O condition', 'CPU time limit exceeded',
  'File size limit exceeded', 'Virtual timer expired', 'Profiling timer expired', 'Window changed', 'I/O possible',
  'Power failure', 'Bad system call',
];

const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** strsignal(3) text of a Linux signal number: 9 is `Killed`, 35 `Real-time signal 1`, 99 `Unknown signal 99`. */
export function signalDescription(signal: number): string {
  if (Number.isInteger(signal) && signal >= 1 && signal < TEXT.length) return TEXT[signal]!;
  if (Number.isInteger(signal) && signal >= SIGRTMIN && signal <= SIGRTMAX) return `Real-time signal ${signal - SIGRTMIN}`;
  return `Unknown signal ${signal}`;
}
