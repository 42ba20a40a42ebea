/**
 * The one libc call the cgroups isolators need and Node lacks, through koffi (DESIGN.md §5):
 * `eventfd(2)`, for cgroup v1 OOM notification (`cgroup.event_control`). The descriptor is
 * created non-blocking and close-on-exec, so it can be read with `fs.readSync` (EAGAIN until the
 * kernel signals it) and closed with `fs.closeSync` without any further native call, and a task
 * started later never inherits it.
 *
 * Loading is lazy and never fatal: without koffi or libc the call reports `ok: false` with the
 * reason (the memory isolator then falls back to polling the OOM counter, and says so).
 */
import { createRequire } from 'node:module';

const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;

type EventfdFn = (initval: number, flags: number) => number;

let loaded: { ok: true; eventfd: EventfdFn; errno: () => number } | { ok: false; message: string } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as {
      load(name: string): { func(signature: string): (...args: unknown[]) => unknown };
      errno(): number;
    };
    const fn = koffi.load('libc.so.6').func('int eventfd(unsigned int initval, int flags)');
    loaded = { ok: true, eventfd: (i, f) => fn(i, f) as number, errno: () => koffi.errno() };
  } catch (cause) {
    loaded = { ok: false, message: `cannot load libc through koffi: ${(cause as Error).message}` };
  }
  return loaded;
}

/** A new non-blocking, close-on-exec eventfd with counter 0. */
export function createEventFd(): { ok: true; fd: number } | { ok: false; message: string } {
  const l = load();
  if (!l.ok) return l;
  const fd = l.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return fd >= 0 ? { ok: true, fd } : { ok: false, message: `eventfd() failed, errno ${l.errno()}` };
}
