/**
 * Marathon group JSON (POST/PUT `/v2/groups`) -> a `Group` tree of parsed apps.
 *
 * Ids: the group's `id` resolves against `ctx.base` (the path the request names; absent: the base
 * itself); apps and sub-groups resolve against their group and must be its direct children;
 * dependencies (of groups and apps) resolve against the parent of their owner. Each app goes
 * through parseApp with its previous definition (found in `ctx.previous`, the current root or
 * subtree), so unchanged apps keep their versions; a group whose content, dependencies and
 * children are unchanged keeps its previous version, any other gets `now`.
 *
 * Detail paths are JSON paths into the request (`/groups(0)/apps(1)/cpus`); tree rules from
 * validateRoot (cycles, shared ids) are reported at the offending ids. `version` fields in the
 * input are ignored; a non-empty `pods` is refused (no pods here).
 */
import type { AppDefinition, Group, PathId, Timestamp } from '../model.ts';
import type { ValidationDetail } from '../ports.ts';
import { findApp, findGroup } from './group-query.ts';
import { GROUP_MSG, validateRoot } from './group-validate.ts';
import { at, createReader, field, isAbsent, isObject, type Reader } from './json-reader.ts';
import { invalidIdMessage, parseApp, type Parsed } from './parse-app.ts';
import { parentOf, parsePathId } from './path-id.ts';

export interface ParseGroupContext {
  readonly now: Timestamp;
  readonly base: PathId;
  readonly previous?: Group;
  /** The role of an app that names none (marathon's `--mesos_role`). */
  readonly defaultRole?: string;
}

export function parseGroup(json: unknown, ctx: ParseGroupContext): Parsed<Group> {
  if (!isObject(json)) return { ok: false, details: [{ path: '/', errors: ['error.expected.jsobject'] }] };
  const r = createReader();
  const group = readGroup(r, json, '', ctx.base, undefined, ctx);
  if (r.problems.size > 0 || group === undefined) return { ok: false, details: r.problems.list() };
  const tree = validateRoot(group);
  if (tree.length > 0) return { ok: false, details: tree };
  return { ok: true, value: group };
}

function prefixed(prefix: string, details: readonly ValidationDetail[], r: Reader): void {
  for (const d of details) {
    const path = d.path === '/' ? (prefix === '' ? '/' : prefix) : prefix + d.path;
    for (const e of d.errors) r.problems.add(path, e);
  }
}

function readGroup(
  r: Reader, o: Readonly<Record<string, unknown>>, path: string, resolveAgainst: PathId, parent: PathId | undefined,
  ctx: ParseGroupContext,
): Group | undefined {
  const p = r.problems;
  const idPath = field(path || '/', 'id');
  const idRaw = r.str(o.id, idPath);
  let id: PathId | undefined;
  if (idRaw === undefined) {
    if (parent === undefined) id = resolveAgainst;
    else if (isAbsent(o.id)) p.add(idPath, 'error.path.missing');
  } else {
    id = parsePathId(idRaw, resolveAgainst);
    if (id === undefined) p.add(idPath, invalidIdMessage);
    else if (parent !== undefined && parentOf(id) !== parent) p.add(idPath, GROUP_MSG.notChild(id, parent));
  }
  const enforceRole = r.bool(o.enforceRole, field(path || '/', 'enforceRole'));
  const depsRaw = r.strArr(o.dependencies, field(path || '/', 'dependencies')) ?? [];
  const pods = r.arr(o.pods, field(path || '/', 'pods'));
  if (pods !== undefined && pods.length > 0) p.add(field(path || '/', 'pods'), 'pods are not supported');
  if (id === undefined) return undefined;
  const gid = id;

  const dependencies: PathId[] = [];
  depsRaw.forEach((s, i) => {
    const dep = parsePathId(s, parentOf(gid));
    if (dep === undefined) p.add(at(field(path || '/', 'dependencies'), i), invalidIdMessage);
    else if (!dependencies.includes(dep)) dependencies.push(dep);
  });

  const apps: AppDefinition[] = [];
  (r.arr(o.apps, field(path || '/', 'apps')) ?? []).forEach((a, i) => {
    const apath = at(field(path, 'apps'), i);
    if (!isObject(a)) { p.add(apath, 'error.expected.jsobject'); return; }
    const appId = typeof a.id === 'string' ? parsePathId(a.id, gid) : undefined;
    const previous = appId !== undefined && ctx.previous !== undefined ? findApp(ctx.previous, appId) : undefined;
    const parsed = parseApp(a, { now: ctx.now, base: gid, ...(previous !== undefined ? { previous } : {}), ...(ctx.defaultRole !== undefined ? { defaultRole: ctx.defaultRole } : {}) });
    if (!parsed.ok) { prefixed(apath, parsed.details, r); return; }
    if (parentOf(parsed.value.id) !== gid) p.add(`${apath}/id`, GROUP_MSG.notChild(parsed.value.id, gid));
    apps.push(parsed.value);
  });

  const groups: Group[] = [];
  (r.arr(o.groups, field(path || '/', 'groups')) ?? []).forEach((g, i) => {
    const gpath = at(field(path, 'groups'), i);
    if (!isObject(g)) { p.add(gpath, 'error.expected.jsobject'); return; }
    const child = readGroup(r, g, gpath, gid, gid, ctx);
    if (child !== undefined) groups.push(child);
  });

  const draft: Group = {
    id: gid, apps, groups, dependencies, version: ctx.now,
    ...(enforceRole !== undefined ? { enforceRole } : {}),
  };
  const previous = ctx.previous === undefined ? undefined : findGroup(ctx.previous, gid);
  return previous !== undefined && sameContent(previous, draft) ? { ...draft, version: previous.version } : draft;
}

const versions = (xs: readonly { id: string; version: string }[]): string =>
  xs.map((x) => `${x.id}@${x.version}`).sort().join(',');

/** Same apps and groups (by id and version), dependencies and enforceRole. */
function sameContent(a: Group, b: Group): boolean {
  return versions(a.apps) === versions(b.apps)
    && versions(a.groups) === versions(b.groups)
    && [...a.dependencies].sort().join(',') === [...b.dependencies].sort().join(',')
    && a.enforceRole === b.enforceRole;
}
