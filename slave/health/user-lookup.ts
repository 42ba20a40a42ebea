/**
 * Resolves a user name to the uid and gid a probe process runs as, through the system's name
 * service (`getent passwd`, so LDAP and other NSS sources work as they do for the task). An
 * unknown user is a value, not a throw.
 */
import { execFile } from 'node:child_process';

export type UserLookup = { readonly ok: true; readonly uid: number; readonly gid: number; readonly home: string } | { readonly ok: false; readonly message: string };

export function lookupUser(user: string): Promise<UserLookup> {
  return new Promise((resolve) => {
    execFile('getent', ['passwd', user], { timeout: 10_000 }, (error, stdout) => {
      const fields = stdout.trim().split('\n')[0]?.split(':') ?? [];
      const uid = Number(fields[2]);
      const gid = Number(fields[3]);
      if (error !== null || fields.length < 7 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
        resolve({ ok: false, message: `Failed to get user information for '${user}': no such user` });
        return;
      }
      resolve({ ok: true, uid, gid, home: fields[5] ?? '/' });
    });
  });
}
