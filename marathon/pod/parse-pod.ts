/**
 * Marathon 1.x pod JSON (POST/PUT `/v2/pods`, RAML `Pod`) -> a normalised `PodDefinition`.
 *
 * Three passes, as for apps (marathon/app/parse-app.ts): read (types and per-value rules,
 * Play-style messages at JSON paths; containers in pod-container-parse.ts), fill every default
 * (pod-defaults.ts, `PodNormalization`), then the rules that span fields (pod-validate.ts). Read
 * errors are answered alone, so a wrong type never shows up twice as a later rule.
 *
 * Decisions (documented deviations or choices):
 * - unknown fields are ignored, and so are read-only ones a client copies back from a GET
 *   (`version`); `linuxInfo` and `legacySharedCgroups` are type-checked and dropped (no model field);
 * - the id must be absolute (Marathon's `absolutePathValidator`); `.`/`..` segments are resolved;
 * - `scaling` without `kind` is read as `fixed` (the only policy);
 * - `scheduling.placement.constraints[]` are Marathon's objects `{fieldName, operator, value}`;
 *   the app form `["field","OP","value"]` is accepted too and stored as the object;
 * - no `networks` (or an empty list) is host networking, stored as `[{mode: "host"}]`.
 *
 * Versions: a new pod gets `version = now`; with `previous`, any difference (scale included,
 * as Marathon writes a new version on every update) gets `now`, none keeps the previous version.
 */
import type { KillSelection, Timestamp, UnreachableStrategy } from '../model.ts';
import { DEFAULT_ROLE } from '../app/app-defaults.ts';
import { at, createReader, field, isAbsent, isObject, readSecrets, type JsonObject, type Reader } from '../app/json-reader.ts';
import { invalidIdMessage, type Parsed } from '../app/parse-app.ts';
import { parsePathId, ROOT } from '../app/path-id.ts';
import { readContainer } from './pod-container-parse.ts';
import { isSamePod } from './pod-change.ts';
import type { PodConstraint, PodContainer, PodDefinition, PodNetwork, PodScheduling, PodVolume } from './pod-definition.ts';
import * as D from './pod-defaults.ts';
import { enumOf, readEnvironment, readName, readVerbatim, UNKNOWN_ENUM } from './pod-read-parts.ts';
import { validatePod } from './pod-validate.ts';

export type { Parsed };

export interface ParsePodContext {
  readonly now: Timestamp;
  /** The pod's current definition, for version bookkeeping. */
  readonly previous?: PodDefinition;
  /** The role of a pod that names none (marathon's `--mesos_role`; default `*`). */
  readonly defaultRole?: string;
}

export const ID_MSG = {
  notAbsolute: 'Path needs to be absolute',
  root: 'Path must contain at least one path element',
} as const;

export function parsePod(json: unknown, ctx: ParsePodContext): Parsed<PodDefinition> {
  if (!isObject(json)) return { ok: false, details: [{ path: '/', errors: ['error.expected.jsobject'] }] };
  const r = createReader();
  const draft = readPod(r, json, ctx.now, ctx.defaultRole ?? DEFAULT_ROLE);
  if (r.problems.size > 0 || draft === undefined) return { ok: false, details: r.problems.list() };
  const details = validatePod(draft);
  if (details.length > 0) return { ok: false, details };
  const prev = ctx.previous;
  const version = prev !== undefined && isSamePod(prev, draft) ? prev.version : ctx.now;
  return { ok: true, value: { ...draft, version } };
}

function readPod(r: Reader, o: JsonObject, now: Timestamp, defaultRole: string): PodDefinition | undefined {
  const id = readId(r, o.id);
  const labels = r.strMap(o.labels, '/labels') ?? {};
  const user = r.str(o.user, '/user');
  const environment = readEnvironment(r, o.environment, '/environment');
  const secrets = readSecrets(r, o.secrets);
  const volumes = readVolumes(r, o.volumes);
  const given = readNetworks(r, o.networks);
  const networks = given !== undefined && given.length > 0 ? given : D.DEFAULT_NETWORKS;
  const net = { containerMode: networks.some((n) => n.mode === 'container'), implicitHost: given === undefined || given.length === 0 };
  const containersRaw = r.arr(o.containers, '/containers');
  r.required(containersRaw, o.containers, '/containers');
  const containers: PodContainer[] = [];
  (containersRaw ?? []).forEach((c, i) => {
    const container = readContainer(r, c, at('/containers', i), net);
    if (container !== undefined) containers.push(container);
  });
  const scaling = readScaling(r, o.scaling);
  const resident = volumes.some((v) => v.persistent !== undefined);
  const scheduling = readScheduling(r, o.scheduling, resident);
  const executorResources = readExecutorResources(r, o.executorResources);
  const role = r.str(o.role, '/role') ?? defaultRole;
  if (!isAbsent(o.linuxInfo)) r.obj(o.linuxInfo, '/linuxInfo');
  r.bool(o.legacySharedCgroups, '/legacySharedCgroups');
  if (id === undefined) return undefined;
  return {
    id, labels, version: now,
    ...(user !== undefined ? { user } : {}),
    environment, containers, secrets, volumes, networks, scaling, scheduling, executorResources, role,
  };
}

function readId(r: Reader, v: unknown): PodDefinition['id'] | undefined {
  const raw = r.str(v, '/id');
  r.required(raw, v, '/id');
  if (raw === undefined) return undefined;
  if (!raw.startsWith('/')) {
    r.problems.add('/id', parsePathId(raw) === undefined ? invalidIdMessage : ID_MSG.notAbsolute);
    return undefined;
  }
  const id = parsePathId(raw);
  if (id === undefined) r.problems.add('/id', invalidIdMessage);
  else if (id === ROOT) r.problems.add('/id', ID_MSG.root);
  return id === ROOT ? undefined : id;
}

/** RAML `PodVolume`: ephemeral `{name}`, host `{name, host}`, persistent `{name, persistent}`, secret `{name, secret}`. */
function readVolumes(r: Reader, v: unknown): PodVolume[] {
  const a = r.arr(v, '/volumes') ?? [];
  const out: PodVolume[] = [];
  a.forEach((x, i) => {
    const path = at('/volumes', i);
    const o = r.obj(x, path);
    if (o === undefined) return;
    const name = readName(r, o.name, field(path, 'name'));
    const host = r.str(o.host, field(path, 'host'));
    if (host === '') r.problems.add(field(path, 'host'), 'must not be empty');
    const persistent = readVerbatim(r, o.persistent, field(path, 'persistent'));
    if (persistent !== undefined) {
      const sizePath = field(field(path, 'persistent'), 'size');
      const size = r.required(r.num(persistent.size, sizePath, { integer: true, min: 0 }), persistent.size, sizePath);
      if (size === 0) r.problems.add(sizePath, 'must be larger than 0');
    }
    const secret = r.str(o.secret, field(path, 'secret'));
    const kinds = [host, persistent, secret].filter((k) => k !== undefined).length;
    if (kinds > 1) r.problems.add(path, 'must specify at most one of host, persistent or secret');
    if (name === undefined) return;
    out.push({
      name,
      ...(host !== undefined ? { host } : {}),
      ...(persistent !== undefined ? { persistent } : {}),
      ...(secret !== undefined ? { secret } : {}),
    });
  });
  return out;
}

function readNetworks(r: Reader, v: unknown): PodNetwork[] | undefined {
  const a = r.arr(v, '/networks');
  if (a === undefined) return undefined;
  const out: PodNetwork[] = [];
  a.forEach((x, i) => {
    const path = at('/networks', i);
    const o = r.obj(x, path);
    if (o === undefined) return;
    const mode = enumOf<PodNetwork['mode']>(r, o.mode, field(path, 'mode'), ['container', 'container/bridge', 'host'])
      ?? (isAbsent(o.mode) ? D.DEFAULT_NETWORK_MODE : undefined);
    const name = readName(r, o.name, field(path, 'name'), false);
    const labels = r.strMap(o.labels, field(path, 'labels')) ?? {};
    if (mode !== undefined) out.push({ mode, ...(name !== undefined ? { name } : {}), labels });
  });
  return out;
}

function readScaling(r: Reader, v: unknown): PodDefinition['scaling'] {
  const o = r.obj(v, '/scaling');
  if (o === undefined) return { kind: 'fixed', instances: D.DEFAULT_INSTANCES };
  if (!isAbsent(o.kind)) enumOf(r, o.kind, '/scaling/kind', ['fixed']);
  const instances = r.num(o.instances, '/scaling/instances', { integer: true, min: 0 }) ?? D.DEFAULT_INSTANCES;
  const maxInstances = r.num(o.maxInstances, '/scaling/maxInstances', { integer: true, min: 0 });
  return { kind: 'fixed', instances, ...(maxInstances !== undefined ? { maxInstances } : {}) };
}

function readScheduling(r: Reader, v: unknown, resident: boolean): PodScheduling {
  const o = r.obj(v, '/scheduling') ?? {};
  const b = r.obj(o.backoff, '/scheduling/backoff') ?? {};
  const B = D.DEFAULT_BACKOFF;
  const nonNeg = { min: 0 };
  const backoff = {
    backoff: r.num(b.backoff, '/scheduling/backoff/backoff', nonNeg) ?? B.backoff,
    backoffFactor: r.num(b.backoffFactor, '/scheduling/backoff/backoffFactor', nonNeg) ?? B.backoffFactor,
    maxLaunchDelay: r.num(b.maxLaunchDelay, '/scheduling/backoff/maxLaunchDelay', nonNeg) ?? B.maxLaunchDelay,
  };
  const U = resident ? D.RESIDENT_UPGRADE : D.DEFAULT_UPGRADE;
  const u = r.obj(o.upgrade, '/scheduling/upgrade') ?? {};
  const unit = { min: 0, max: 1 };
  const upgrade = {
    minimumHealthCapacity: r.num(u.minimumHealthCapacity, '/scheduling/upgrade/minimumHealthCapacity', unit) ?? U.minimumHealthCapacity,
    maximumOverCapacity: r.num(u.maximumOverCapacity, '/scheduling/upgrade/maximumOverCapacity', unit) ?? U.maximumOverCapacity,
  };
  const pl = r.obj(o.placement, '/scheduling/placement') ?? {};
  const placement = {
    constraints: readConstraints(r, pl.constraints),
    acceptedResourceRoles: r.strArr(pl.acceptedResourceRoles, '/scheduling/placement/acceptedResourceRoles') ?? [],
  };
  const killSelection = enumOf<KillSelection>(r, o.killSelection, '/scheduling/killSelection', ['YOUNGEST_FIRST', 'OLDEST_FIRST'])
    ?? D.DEFAULT_KILL_SELECTION;
  const unreachableStrategy = readUnreachable(r, o.unreachableStrategy, resident);
  return { backoff, upgrade, placement, killSelection, unreachableStrategy };
}

function readConstraints(r: Reader, v: unknown): PodConstraint[] {
  const path = '/scheduling/placement/constraints';
  const a = r.arr(v, path) ?? [];
  const out: PodConstraint[] = [];
  const text = (x: unknown, p: string): string | undefined =>
    (typeof x === 'number' && Number.isFinite(x) ? String(x) : r.str(x, p));
  a.forEach((c, i) => {
    const cp = at(path, i);
    if (Array.isArray(c)) {
      const parts = c.map((x, j) => text(x, at(cp, j)));
      if (parts.some((s) => s === undefined)) return;
      const [fieldName = '', operator = '', value] = parts as string[];
      if (parts.length < 2 || parts.length > 3) { r.problems.add(cp, 'Each constraint must have either 2 or 3 fields'); return; }
      out.push({ fieldName, operator, ...(value !== undefined ? { value } : {}) });
      return;
    }
    const o = r.obj(c, cp);
    if (o === undefined) return;
    const fieldName = r.required(r.str(o.fieldName, field(cp, 'fieldName')), o.fieldName, field(cp, 'fieldName'));
    const operator = r.required(r.str(o.operator, field(cp, 'operator')), o.operator, field(cp, 'operator'));
    const value = text(o.value, field(cp, 'value'));
    if (fieldName === undefined || operator === undefined) return;
    out.push({ fieldName, operator, ...(value !== undefined ? { value } : {}) });
  });
  return out;
}

function readUnreachable(r: Reader, v: unknown, resident: boolean): UnreachableStrategy {
  const path = '/scheduling/unreachableStrategy';
  if (v === 'disabled') return 'disabled';
  if (typeof v === 'string') { r.problems.add(path, UNKNOWN_ENUM); return 'disabled'; }
  const o = r.obj(v, path);
  if (o === undefined) return resident ? 'disabled' : D.DEFAULT_UNREACHABLE;
  const secs = { integer: true, min: 0 };
  return {
    inactiveAfterSeconds: r.num(o.inactiveAfterSeconds, field(path, 'inactiveAfterSeconds'), secs) ?? D.DEFAULT_UNREACHABLE.inactiveAfterSeconds,
    expungeAfterSeconds: r.num(o.expungeAfterSeconds, field(path, 'expungeAfterSeconds'), secs) ?? D.DEFAULT_UNREACHABLE.expungeAfterSeconds,
  };
}

function readExecutorResources(r: Reader, v: unknown): PodDefinition['executorResources'] {
  const o = r.obj(v, '/executorResources');
  const E = D.DEFAULT_EXECUTOR_RESOURCES;
  if (o === undefined) return E;
  const num = (k: 'cpus' | 'mem' | 'disk'): number => r.num(o[k], field('/executorResources', k), { min: 0 }) ?? E[k];
  return { cpus: num('cpus'), mem: num('mem'), disk: num('disk') };
}
