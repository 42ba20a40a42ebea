/**
 * The user of a container's process, resolved as Docker (runc's libcontainer/user) resolves an
 * image's `User` against the image's own /etc/passwd and /etc/group, never the host's:
 *
 *   ""  (none)          → uid 0, gid 0
 *   name | uid          → the passwd entry by name or by uid; a numeric uid without an entry is
 *                         accepted (gid 0); an unknown name is a failure ("root" without a passwd
 *                         entry is uid 0)
 *   user:group          → as above for the user; the group by name or gid from /etc/group (a
 *                         numeric gid without an entry is accepted, an unknown name is a failure)
 *   supplementary gids  → the groups of /etc/group that list the user's name, unless a group
 *                         was given explicitly
 *   home                → the passwd entry's home, `/` without one (Docker's HOME default)
 *
 * Pure: the files' text comes in as arguments (undefined = the image has no such file).
 */

export interface ContainerUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  readonly home: string;
}

export type UserResult = { readonly ok: true; readonly user: ContainerUser } | { readonly ok: false; readonly message: string };

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

const NUMERIC = /^\d+$/;

function entries(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of entries(text)) {
    if (f.length < 4 || !NUMERIC.test(f[2]) || !NUMERIC.test(f[3])) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of entries(text)) {
    if (f.length < 3 || !NUMERIC.test(f[2])) continue;
    out.push({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

export function resolveContainerUser(spec: string | undefined, passwdText: string | undefined, groupText: string | undefined): UserResult {
  const text = (spec ?? '').trim();
  if (text === '') return { ok: true, user: { uid: 0, gid: 0, additionalGids: [], home: homeOf(parsePasswd(passwdText).find((e) => e.uid === 0)) } };
  const colon = text.indexOf(':');
  const userPart = colon < 0 ? text : text.slice(0, colon);
  const groupPart = colon < 0 ? undefined : text.slice(colon + 1);
  const passwd = parsePasswd(passwdText);

  let uid: number;
  let gid = 0;
  let name: string | undefined;
  let home = '/';
  const byName = passwd.find((e) => e.name === userPart);
  const byUid = NUMERIC.test(userPart) ? passwd.find((e) => e.uid === Number(userPart)) : undefined;
  const entry = byName ?? byUid;
  if (entry !== undefined) {
    ({ uid, gid, name } = entry);
    home = homeOf(entry);
  } else if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
  } else if (userPart === 'root') {
    uid = 0;
  } else {
    return { ok: false, message: `Failed to resolve user '${text}' in the image: no user '${userPart}' in its /etc/passwd` };
  }

  const groups = parseGroup(groupText);
  if (groupPart !== undefined && groupPart !== '') {
    const g = groups.find((e) => e.name === groupPart) ?? (NUMERIC.test(groupPart) ? groups.find((e) => e.gid === Number(groupPart)) : undefined);
    if (g !== undefined) gid = g.gid;
    else if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else return { ok: false, message: `Failed to resolve user '${text}' in the image: no group '${groupPart}' in its /etc/group` };
    return { ok: true, user: { uid, gid, additionalGids: [], home } };
  }
  const additionalGids = name === undefined ? [] : [...new Set(groups.filter((g) => g.members.includes(name!) && g.gid !== gid).map((g) => g.gid))];
  return { ok: true, user: { uid, gid, additionalGids, home } };
}

function homeOf(entry: PasswdEntry | undefined): string {
  return entry === undefined || entry.home === '' ? '/' : entry.home;
}
