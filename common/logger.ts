/**
 * The logger of every maestro process: pino, JSON lines on stdout, written synchronously.
 *
 * Why synchronous: pino's default stdout stream writes asynchronously and, at process exit, flushes
 * what is left with a loop that retries every failed write every 100 ms (sonic-boom 4's flushSync
 * gives up only on EAGAIN it was told to stop retrying). When the reader of stdout is gone (the
 * `cluster up` that started an agent was killed with SIGKILL), every write fails with EPIPE, so a
 * process that logged two lines in its last moments never finished exiting: it stayed alive,
 * asleep, after its shutdown was complete. A synchronous write fails once with EPIPE, pino then
 * drops further lines, and no exit handler is installed. A line is also on its way before the next
 * statement runs, so the last lines before a crash are not lost (glog in Mesos writes the same way).
 */
import pino, { type Logger } from 'pino';

/** A process's root logger: `component` on every line, lines below `level` dropped. */
export function processLogger(component: string, level: string): Logger {
  return pino({ level, base: { component } }, pino.destination({ dest: 1, sync: true }));
}
