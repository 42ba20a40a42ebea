/**
 * mount(2) and umount2(2) through koffi (DESIGN.md §5: native calls Node lacks), so that a
 * container's overlay rootfs costs a system call, not a `mount(8)` process, on the launch path.
 * Loading is lazy and never fatal: without koffi or libc the calls answer `undefined` and the
 * caller falls back to mount(8)/umount(8).
 */
import { createRequire } from 'node:module';

const MNT_DETACH = 2;

type Libc = {
  readonly mount: (source: string, target: string, type: string, flags: number, data: string | null) => number;
  readonly umount2: (target: string, flags: number) => number;
  readonly strerror: (errnum: number) => string;
  readonly errno: () => number;
};

let libc: Libc | null | undefined;

function load(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as { load(name: string): { func(signature: string): (...args: unknown[]) => unknown }; errno(): number };
    const lib = koffi.load('libc.so.6');
    const mount = lib.func('int mount(const char *source, const char *target, const char *filesystemtype, unsigned long mountflags, const char *data)');
    const umount2 = lib.func('int umount2(const char *target, int flags)');
    const strerror = lib.func('const char *strerror(int errnum)');
    libc = {
      mount: (s, t, ty, f, d) => mount(s, t, ty, f, d) as number,
      umount2: (t, f) => umount2(t, f) as number,
      strerror: (e) => strerror(e) as string,
      errno: () => koffi.errno(),
    };
  } catch {
    libc = null;
  }
  return libc;
}

export type SyscallResult = { readonly ok: true } | { readonly ok: false; readonly message: string } | undefined;

/** `mount -t overlay overlay -o lowerdir=L,upperdir=U,workdir=W TARGET`; undefined when the syscall is not available here. */
export function mountOverlay(lower: string, upper: string, work: string, target: string): SyscallResult {
  const c = load();
  if (c === null) return undefined;
  if (c.mount('overlay', target, 'overlay', 0, `lowerdir=${lower},upperdir=${upper},workdir=${work}`) === 0) return { ok: true };
  return { ok: false, message: `mount overlay on ${target}: ${c.strerror(c.errno())}` };
}

/** umount2(target, 0), or with MNT_DETACH (`umount -l`); undefined when the syscall is not available here. */
export function unmount(target: string, lazy: boolean): SyscallResult {
  const c = load();
  if (c === null) return undefined;
  if (c.umount2(target, lazy ? MNT_DETACH : 0) === 0) return { ok: true };
  return { ok: false, message: `umount ${target}: ${c.strerror(c.errno())}` };
}
