/**
 * A container's root filesystem in its bundle: an overlay whose lower dir is the image's unpacked
 * rootfs (shared, never written) and whose upper and work dirs are the container's own
 * (`<runDir>/overlay/{upper,work}`), mounted with mount(8). Where overlay cannot be mounted (a run
 * directory on overlayfs, a kernel without it, a lower path with `:` or `,`) the image is copied
 * with `cp -a` instead, and the log says so.
 *
 * Unmounting is done until the mount table no longer shows the path (a plain umount, then a lazy
 * one when the mount is busy). `parseMountInfo` is pure; the rest runs mount(8), umount(8), cp(1).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../common/ports.ts';
import { mountOverlay, unmount } from './mount-syscall.ts';

export interface MountEntry {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
}

const unescapeOctal = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/<pid>/mountinfo → entries (mount point with its octal escapes decoded). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 7 || sep < 0 || f.length < sep + 3) continue;
    out.push({ mountPoint: unescapeOctal(f[4]), fsType: f[sep + 1], source: unescapeOctal(f[sep + 2]) });
  }
  return out;
}

export async function readMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await readMounts()).some((m) => m.mountPoint === path);
}

function run(file: string, args: readonly string[]): Promise<{ ok: true } | { ok: false; message: string }> {
  return new Promise((done) => {
    execFile(file, args, { encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err === null) done({ ok: true });
      else done({ ok: false, message: (stderr.trim() || err.message).split('\n')[0] });
    });
  });
}

export interface RootfsLayout {
  /** `<runDir>/bundle/rootfs`: the mount point. */
  readonly rootfs: string;
  /** `<runDir>/overlay`: upper and work dirs. */
  readonly overlayDir: string;
}

/** Mounts `lower` as the container's rootfs (overlay, or a copy). Returns how, or a failure. */
export async function mountRootfs(lower: string, layout: RootfsLayout, logger: Logger): Promise<{ ok: true; kind: 'overlay' | 'copy' } | { ok: false; message: string }> {
  const upper = join(layout.overlayDir, 'upper');
  const work = join(layout.overlayDir, 'work');
  await mkdir(upper, { recursive: true });
  await mkdir(work, { recursive: true });
  await mkdir(layout.rootfs, { recursive: true });
  let why: string;
  if (/[:,\\]/.test(lower + upper + work)) {
    why = 'a path holds one of : , \\ that overlay options cannot carry';
  } else {
    // The system call when koffi is there (no process on the launch path), else mount(8).
    const mounted = mountOverlay(lower, upper, work, layout.rootfs) ?? (await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, layout.rootfs]));
    if (mounted.ok) return { ok: true, kind: 'overlay' };
    why = mounted.message;
  }
  logger.warn({ lower, rootfs: layout.rootfs, why }, 'overlay mount failed: copying the image rootfs instead (slower, uses disk per container)');
  const copied = await run('cp', ['-a', `${lower}/.`, layout.rootfs]);
  if (copied.ok) return { ok: true, kind: 'copy' };
  await rm(layout.rootfs, { recursive: true, force: true });
  return { ok: false, message: `Failed to provide the container's rootfs: overlay: ${why}; copy: ${copied.message}` };
}

/** Unmounts every mount at `path` (stacked ones too): umount, then umount -l when busy. True when nothing is mounted there any more. */
export async function unmountAll(path: string, logger: Logger): Promise<boolean> {
  for (let i = 0; i < 16 && (await isMountPoint(path)); i++) {
    const plain = unmount(path, false) ?? (await run('umount', [path]));
    if (plain.ok) continue;
    const lazy = unmount(path, true) ?? (await run('umount', ['-l', path]));
    if (!lazy.ok) {
      logger.error({ path, error: lazy.message }, 'cannot unmount a container rootfs');
      return false;
    }
    logger.warn({ path, error: plain.message }, 'container rootfs busy: lazily unmounted');
  }
  return !(await isMountPoint(path));
}
