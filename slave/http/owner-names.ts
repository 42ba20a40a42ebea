/**
 * User and group names for /files listings, read once from /etc/passwd and /etc/group (Node has
 * no getpwuid). An id missing from the tables shows as its number (file-info.ts).
 */
import { readFileSync } from 'node:fs';
import { parseNameTable, type OwnerNames } from './file-info.ts';

function table(path: string): Map<number, string> {
  try {
    return parseNameTable(readFileSync(path, 'utf8'));
  } catch {
    return new Map();
  }
}

export function systemOwnerNames(): OwnerNames {
  let users: Map<number, string> | undefined;
  let groups: Map<number, string> | undefined;
  return {
    user: (uid) => (users ??= table('/etc/passwd')).get(uid),
    group: (gid) => (groups ??= table('/etc/group')).get(gid),
  };
}
