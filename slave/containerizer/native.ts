/**
 * The few libc calls the containerizer needs and Node lacks, through koffi (DESIGN.md §5):
 * `prctl(PR_SET_CHILD_SUBREAPER)` so that orphaned descendants of tasks re-parent to the agent
 * instead of init, and a non-blocking `waitpid` of one pid to reap such re-parented processes
 * (libuv only reaps the children it spawned itself).
 *
 * Loading is lazy and never fatal: without koffi or libc the functions report `ok: false` with
 * the reason, and the containerizer logs it loudly and runs without a subreaper.
 */
import { createRequire } from 'node:module';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

type Native = {
  readonly prctl: (option: number, a2: number, a3: number, a4: number, a5: number) => number;
  readonly waitpid: (pid: number, status: Int32Array, options: number) => number;
  readonly errno: () => number;
};

let loaded: { ok: true; native: Native } | { ok: false; message: string } | undefined;

function load(): { ok: true; native: Native } | { ok: false; message: string } {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as {
      load(name: string): { func(signature: string): (...args: unknown[]) => unknown };
      errno(): number;
    };
    const libc = koffi.load('libc.so.6');
    const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
    const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
    loaded = {
      ok: true,
      native: {
        prctl: (o, a, b, c, d) => prctl(o, a, b, c, d) as number,
        waitpid: (pid, status, options) => waitpid(pid, status, options) as number,
        errno: () => koffi.errno(),
      },
    };
  } catch (cause) {
    loaded = { ok: false, message: `cannot load libc through koffi: ${(cause as Error).message}` };
  }
  return loaded;
}

/** Makes this process a child subreaper (Linux ≥ 3.4). */
export function setChildSubreaper(): { ok: true } | { ok: false; message: string } {
  const l = load();
  if (!l.ok) return l;
  const rc = l.native.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  return rc === 0 ? { ok: true } : { ok: false, message: `prctl(PR_SET_CHILD_SUBREAPER) failed, errno ${l.native.errno()}` };
}

/**
 * Reaps `pid` if it is a child of this process that has ended. Returns the raw wait status, or
 * undefined when it has not ended, is not our child, or libc is unavailable.
 */
export function reapChild(pid: number): number | undefined {
  const l = load();
  if (!l.ok) return undefined;
  const status = new Int32Array(1);
  const rc = l.native.waitpid(pid, status, WNOHANG);
  return rc === pid ? status[0] : undefined;
}
