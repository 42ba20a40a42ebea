/**
 * How /files describes a file (Mesos' FileInfo): the legacy JSON entry of `/files/browse`
 * (`{path, nlink, size, mtime, mode, uid, gid}`, mtime in whole seconds, mode as an `ls -l`
 * string such as `-rw-r--r--` or `drwxr-xr-x`, uid and gid as user and group names) and the
 * v1 `mesos.v1.FileInfo` of the LIST_FILES call (mode as the raw st_mode number, mtime in
 * nanoseconds). Pure: the caller passes the stat fields and a name lookup.
 */
import type { mesos } from '../../proto/types.generated.ts';

/** The stat fields a FileInfo is built from (a subset of node's fs.Stats). */
export interface StatLike {
  readonly mode: number;
  readonly nlink: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly uid: number;
  readonly gid: number;
}

/** Names of numeric owners; an id without a name shows as its number, as Mesos does. */
export interface OwnerNames {
  user(uid: number): string | undefined;
  group(gid: number): string | undefined;
}

const S_IFMT = 0o170000;
const FILE_TYPES: ReadonlyMap<number, string> = new Map([
  [0o140000, 's'], // socket
  [0o120000, 'l'], // symbolic link
  [0o100000, '-'], // regular file
  [0o060000, 'b'], // block device
  [0o040000, 'd'], // directory
  [0o020000, 'c'], // character device
  [0o010000, 'p'], // FIFO
]);

/** `ls -l` permission text of an st_mode: type letter, then rwx for user, group, other with setuid/setgid/sticky. */
export function modeString(mode: number): string {
  const type = FILE_TYPES.get(mode & S_IFMT) ?? '-';
  const bit = (mask: number, letter: string): string => ((mode & mask) !== 0 ? letter : '-');
  const special = (execMask: number, specialMask: number, set: string): string => {
    const exec = (mode & execMask) !== 0;
    if ((mode & specialMask) === 0) return exec ? 'x' : '-';
    return exec ? set : set.toUpperCase();
  };
  return type
    + bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's')
    + bit(0o040, 'r') + bit(0o020, 'w') + special(0o010, 0o2000, 's')
    + bit(0o004, 'r') + bit(0o002, 'w') + special(0o001, 0o1000, 't');
}

export interface LegacyFileInfo {
  readonly path: string;
  readonly nlink: number;
  readonly size: number;
  readonly mtime: number;
  readonly mode: string;
  readonly uid: string;
  readonly gid: string;
}

export function legacyFileInfo(path: string, stat: StatLike, names: OwnerNames): LegacyFileInfo {
  return {
    path,
    nlink: stat.nlink,
    size: stat.size,
    mtime: Math.floor(stat.mtimeMs / 1000),
    mode: modeString(stat.mode),
    uid: names.user(stat.uid) ?? String(stat.uid),
    gid: names.group(stat.gid) ?? String(stat.gid),
  };
}

export function v1FileInfo(path: string, stat: StatLike, names: OwnerNames): mesos.v1.FileInfo {
  return {
    path,
    nlink: stat.nlink,
    size: stat.size,
    mtime: { nanoseconds: Math.floor(stat.mtimeMs / 1000) * 1e9 },
    mode: stat.mode,
    uid: names.user(stat.uid) ?? String(stat.uid),
    gid: names.group(stat.gid) ?? String(stat.gid),
  };
}

/** Parses `/etc/passwd` or `/etc/group` text into id -> name (name:x:id:...). */
export function parseNameTable(text: string): Map<number, string> {
  const table = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const id = Number(fields[2]);
    if (fields.length >= 3 && fields[2] !== '' && Number.isInteger(id) && !table.has(id)) table.set(id, fields[0]);
  }
  return table;
}
