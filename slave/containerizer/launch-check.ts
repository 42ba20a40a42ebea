/**
 * What the POSIX containerizer checks before it spawns a supervisor, so that a task that cannot
 * start fails at launch with a message that says why (Mesos reports these as launch failures):
 * the user exists, the working directory is a directory, and a non-shell command resolves to an
 * executable file through the task's PATH.
 */
import { execFile } from 'node:child_process';
import { constants, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The passwd entry of `name` through NSS (`getent passwd`); undefined when there is none. */
export function lookupUser(name: string): Promise<UserEntry | undefined> {
  return new Promise((done) => {
    execFile('getent', ['passwd', name], { encoding: 'utf8' }, (err, stdout) => {
      if (err !== null) return done(undefined);
      const f = stdout.trim().split(':');
      const uid = Number(f[2]);
      const gid = Number(f[3]);
      done(f.length >= 4 && Number.isInteger(uid) && Number.isInteger(gid) ? { name: f[0], uid, gid } : undefined);
    });
  });
}

/** Synchronous: one stat(2) of a path the agent just made costs less than a thread-pool round trip. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves a non-shell command as execvp would: a value with a slash is a path (relative to the
 * working directory), otherwise each PATH entry is tried. Returns the absolute path or a message.
 */
export async function resolveCommand(value: string, path: string, workingDirectory: string): Promise<{ ok: true; path: string } | { ok: false; message: string }> {
  if (value === '') return { ok: false, message: 'Command value is empty' };
  if (value.includes('/')) {
    const full = isAbsolute(value) ? value : resolve(workingDirectory, value);
    return (await isExecutableFile(full)) ? { ok: true, path: full } : { ok: false, message: `Failed to execute '${value}': no such executable file` };
  }
  for (const dir of path.split(':')) {
    const full = resolve(workingDirectory, join(dir === '' ? '.' : dir, value));
    if (await isExecutableFile(full)) return { ok: true, path: full };
  }
  return { ok: false, message: `Failed to execute '${value}': not found in PATH '${path}'` };
}

/** The first of `candidates` that is an executable file. */
export async function findTool(candidates: readonly string[]): Promise<string | undefined> {
  for (const c of candidates) if (await isExecutableFile(c)) return c;
  return undefined;
}
