/**
 * Looking at a container's filesystem from the host before the container exists: a container
 * path is resolved component by component against a view (the image's rootfs, with the sandbox
 * and volume binds over it), and every symlink is followed *inside the view* (an absolute target
 * starts again at the container's root, `..` stops at it), never into the host's own tree.
 *
 * Used by prepare for what can be known before the start: the command resolves to an executable
 * file (as runc looks it up: a path with a slash relative to the working directory, otherwise
 * through the container's PATH), and the image's /etc/passwd and /etc/group.
 */
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { posix } from 'node:path';

export interface ContainerView {
  /** Host path of the container's root filesystem. */
  readonly rootfs: string;
  /** Host directories or files mounted at container paths (absolute, normalized). */
  readonly binds: readonly { readonly destination: string; readonly source: string }[];
}

const MAX_SYMLINKS = 40;

/** The host path where `containerPath` (absolute, already free of symlinks) lives in the view. */
function toHost(view: ContainerView, containerPath: string): string {
  let best: { destination: string; source: string } | undefined;
  for (const b of view.binds) {
    if ((containerPath === b.destination || containerPath.startsWith(`${b.destination}/`)) && (best === undefined || b.destination.length > best.destination.length)) best = b;
  }
  if (best === undefined) return posix.join(view.rootfs, containerPath);
  return posix.join(best.source, containerPath.slice(best.destination.length));
}

/** The host path of a container path, symlinks followed inside the view; undefined when some component does not exist. */
export async function resolveInContainer(view: ContainerView, containerPath: string): Promise<string | undefined> {
  let pending = containerPath.split('/').filter((c) => c !== '' && c !== '.');
  let cur = '/';
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift()!;
    if (comp === '.') continue;
    if (comp === '..') {
      cur = posix.dirname(cur);
      continue;
    }
    const next = posix.join(cur, comp);
    const host = toHost(view, next);
    let isLink: boolean;
    try {
      isLink = (await lstat(host)).isSymbolicLink();
    } catch {
      // Missing in the image but on the way to a bind (/mnt/mesos for the sandbox): runc makes it a directory.
      if (!view.binds.some((b) => b.destination.startsWith(`${next}/`))) return undefined;
      isLink = false;
    }
    if (!isLink) {
      cur = next;
      continue;
    }
    if (++links > MAX_SYMLINKS) return undefined;
    const target = await readlink(host);
    if (target.startsWith('/')) cur = '/';
    pending = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
  }
  return toHost(view, cur);
}

/** The file's text at a container path, or undefined when it is missing. */
export async function readContainerFile(view: ContainerView, containerPath: string): Promise<string | undefined> {
  const host = await resolveInContainer(view, containerPath);
  if (host === undefined) return undefined;
  try {
    return await readFile(host, 'utf8');
  } catch {
    return undefined;
  }
}

async function isExecutableFile(host: string | undefined): Promise<boolean> {
  if (host === undefined) return false;
  try {
    const s = await stat(host);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Resolves argv[0] as runc does inside the container: a name with a slash is a path (relative
 * to `cwd`), otherwise the first PATH entry holding an executable file with that name.
 */
export async function findContainerExecutable(
  view: ContainerView,
  command: string,
  path: string,
  cwd: string,
): Promise<{ ok: true; containerPath: string } | { ok: false; message: string }> {
  if (command === '') return { ok: false, message: 'Command value is empty' };
  if (command.includes('/')) {
    const full = posix.resolve(cwd, command);
    if (await isExecutableFile(await resolveInContainer(view, full))) return { ok: true, containerPath: full };
    return { ok: false, message: `Failed to execute '${command}': no such executable file in the container` };
  }
  for (const dir of path.split(':')) {
    const full = posix.resolve(cwd, dir === '' ? '.' : dir, command);
    if (await isExecutableFile(await resolveInContainer(view, full))) return { ok: true, containerPath: full };
  }
  return { ok: false, message: `Failed to execute '${command}': not found in the container's PATH '${path}'` };
}
