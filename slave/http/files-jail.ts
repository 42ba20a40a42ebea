/**
 * The sandbox jail behind /files and the LIST_FILES / READ_FILE operator calls: turns a requested
 * path into a file on disk only when it lies inside the sandbox it names, then lists, stats or
 * reads it. Resolution follows Mesos (src/files/files.cpp): the longest attached prefix
 * (virtual-paths.ts), the suffix appended, the result canonicalised with realpath, and the
 * canonical path checked against the canonical sandbox directory. Outcomes are values:
 *  - `not-found`: no attachment matches, the file does not exist, or the path holds a NUL byte
 *    (Mesos: 404);
 *  - `inaccessible`: the canonical path leaves the sandbox (`..`, a symbolic link pointing
 *    elsewhere), or cannot be canonicalised (a link loop) (Mesos: 400 "'<path>' is inaccessible.");
 *  - `found`: the canonical path, inside the sandbox.
 * Unlike Mesos' plain prefix test, containment is per path component, so a sibling directory
 * sharing a name prefix (`.../runs/abc2` for `.../runs/abc`) is outside. A file is opened with
 * O_NOFOLLOW and then checked once more through /proc/self/fd, so a directory or link swapped
 * in by the task between resolution and open cannot hand out a file from elsewhere.
 */
import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { AttachedSandbox } from '../agent-view.ts';
import { attachmentTable, isWithin, matchAttachment, trimTrailingSlashes } from './virtual-paths.ts';
import { readWindow } from './read-params.ts';

export type Resolution =
  | { readonly kind: 'found'; readonly realPath: string; readonly stats: Stats; /** The canonical sandbox directory. */ readonly root: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'inaccessible'; readonly message: string };

const NOT_FOUND: Resolution = { kind: 'not-found' };

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code;
}

/** Mesos accepts a `file://` URI for a path (stout's path::from_uri). */
export function fromUri(path: string): string {
  return path.startsWith('file://') ? path.slice('file://'.length) : path;
}

export async function resolveSandboxPath(requested: string, sandboxes: readonly AttachedSandbox[]): Promise<Resolution> {
  if (requested.includes('\0')) return NOT_FOUND;
  const match = matchAttachment(fromUri(requested), attachmentTable(sandboxes));
  if (match === undefined) return NOT_FOUND;
  let root: string;
  try {
    root = await fs.realpath(match.directory);
  } catch {
    return NOT_FOUND;
  }
  const joined = match.suffix === '' ? match.directory : `${trimTrailingSlashes(match.directory)}/${match.suffix}`;
  let real: string;
  try {
    real = await fs.realpath(joined);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return NOT_FOUND;
    return { kind: 'inaccessible', message: `Failed to determine canonical path of '${joined}': ${(error as Error).message}` };
  }
  if (!isWithin(root, real)) return { kind: 'inaccessible', message: `'${joined}' is inaccessible` };
  try {
    return { kind: 'found', realPath: real, stats: await fs.stat(real), root };
  } catch {
    return NOT_FOUND;
  }
}

export interface DirectoryEntry {
  readonly name: string;
  readonly stats: Stats;
}

/** The entries of a directory with their stats (following links, as Mesos' stat), sorted by name; vanished entries are skipped. */
export async function listDirectory(directory: string): Promise<DirectoryEntry[]> {
  const names = await fs.readdir(directory);
  const entries: DirectoryEntry[] = [];
  for (const name of names.sort()) {
    try {
      entries.push({ name, stats: await fs.stat(`${directory}/${name}`) });
    } catch {
      // Removed between readdir and stat, or a dangling link: not listed, as in Mesos.
    }
  }
  return entries;
}

export interface ReadResult {
  /** The file's size when it was read. */
  readonly size: number;
  /** Where `data` starts. */
  readonly offset: number;
  readonly data: Buffer;
}

export class EscapedSandboxError extends Error {
  constructor(readonly opened: string) {
    super(`'${opened}' is inaccessible`);
  }
}

/** Opens a file resolveSandboxPath found, refusing (EscapedSandboxError) when what was opened lies outside its sandbox. */
export async function openJailed(found: { readonly realPath: string; readonly root: string }): Promise<FileHandle> {
  const handle = await fs.open(found.realPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  let opened: string;
  try {
    opened = await fs.readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    opened = found.realPath; // no /proc: the O_NOFOLLOW open is the check
  }
  if (!isWithin(found.root, opened)) {
    await handle.close();
    throw new EscapedSandboxError(opened);
  }
  return handle;
}

/** Reads the Mesos window (read-params.ts) of a regular file that resolveSandboxPath found. */
export async function readSandboxFile(
  found: { readonly realPath: string; readonly root: string }, offset: number, length: number | undefined,
): Promise<ReadResult> {
  const handle = await openJailed(found);
  try {
    const { size } = await handle.stat();
    const window = readWindow(size, offset, length);
    const data = Buffer.alloc(window.length);
    let filled = 0;
    while (filled < window.length) {
      const { bytesRead } = await handle.read(data, filled, window.length - filled, window.offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { size, offset: window.offset, data: data.subarray(0, filled) };
  } finally {
    await handle.close();
  }
}
