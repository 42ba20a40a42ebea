/**
 * Metronome's job JSON (`POST /v1/jobs`, `PUT /v1/jobs/{id}`) -> a `JobSpec` with Metronome's
 * defaults: cpus 1, mem 128, disk 0, gpus 0, env {}, placement {constraints: []}, artifacts [] (each
 * extract true, executable false, cache false), volumes [], maxLaunchDelay 3600, restart
 * {policy NEVER}, labels {}, secrets {}, docker.forcePullImage false.
 *
 * Validation, one pass, every failing path reported (422 details):
 * - Metronome's JSON schema: types, `id` pattern, cpus >= 0.01, mem >= 32, disk >= 0, gpus an
 *   integer >= 0, maxLaunchDelay an integer >= 1, restart.policy NEVER or ON_FAILURE,
 *   activeDeadlineSeconds an integer >= 0, constraint operators IS, EQ, LIKE, UNLIKE, volume mode
 *   RO or RW; unknown fields are rejected where the schema has `additionalProperties: false`
 *   (the job, `run` and everything in it but `env`, `labels` and `secrets`).
 * - Metronome's run rules: a cmd or a docker image is required ("Cmd, docker or ucr image must be
 *   specified", at `/run`); the secret names referenced from `env` equal the names in `secrets`.
 * - maestro's: `parallelism` an integer >= 1; `run.priority` (extension: the pending queue's order,
 *   higher first, default 0) an integer in ±(2^20 - 1); cmd and args are not both given (the API docs call it
 *   invalid); a constraint needs a value and LIKE/UNLIKE a valid regular expression; no string
 *   (value or key, anywhere) holds U+0000 or an unpaired surrogate (PostgreSQL's jsonb cannot).
 *
 * Deviations: `ucr`, `networks`, `docker.privileged: true`, non-empty `docker.parameters` and
 * `volumes[].secret` are Metronome fields maestro batch does not run: they are rejected with 422
 * rather than silently dropped (`privileged: false` and `parameters: []`, as jobToJson writes
 * them, are accepted).
 *
 * `schedules` may be embedded in a job (Metronome 1.x creates them with the job):
 * `parseJobWithSchedules` reads them (`/schedules(0)/cron` paths); `parseJob` only checks that it is
 * an array. With `ctx.idFromPath` (PUT) the id comes from the path and a body `id` is ignored.
 */
import type { EnvValue, JobArtifact, JobConstraint, JobRunSpec, JobSpec, JobVolume, ScheduleSpec } from '../model.ts';
import { checkStorable, createReader, field, index, isAbsent, isObject, MSG, type JsonObject, type Reader } from './json-read.ts';
import { readSchedule } from './parse-schedule.ts';
import type { Parsed } from './parsed.ts';
import { MAX_PRIORITY, MIN_PRIORITY } from '../queue/queue-order.ts';

export const JOB_ID_PATTERN = '^([a-z0-9]([a-z0-9-]*[a-z0-9]+)*)([.][a-z0-9]([a-z0-9-]*[a-z0-9]+)*)*$';
/** Same language as JOB_ID_PATTERN, without its nested quantifiers (no catastrophic backtracking). */
const JOB_ID_SEGMENT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export const DEFAULTS = {
  cpus: 1,
  mem: 128,
  disk: 0,
  gpus: 0,
  maxLaunchDelay: 3600,
  restartPolicy: 'NEVER',
  artifact: { extract: true, executable: false, cache: false },
} as const;

export const MESSAGES = {
  cmdOrDocker: 'Cmd, docker or ucr image must be specified',
  cmdAndArgs: 'It is invalid to supply both cmd and args in the same job',
  invalidId: `must fully match regular expression '${JOB_ID_PATTERN}'`,
  unsupported: 'not supported by maestro batch',
  secrets: (defined: readonly string[], provided: readonly string[]) =>
    `Secret names are different from provided secrets. Defined: ${defined.join(', ')}, Provided: ${provided.join(', ')}`,
} as const;

const JOB_FIELDS = ['id', 'description', 'labels', 'run', 'schedules', 'parallelism'];
const RUN_FIELDS = [
  'cmd', 'args', 'cpus', 'mem', 'disk', 'gpus', 'env', 'placement', 'artifacts', 'docker', 'user', 'volumes',
  'maxLaunchDelay', 'restart', 'taskKillGracePeriodSeconds', 'priority', 'secrets', 'ucr', 'networks',
];
const OPERATORS = ['IS', 'EQ', 'LIKE', 'UNLIKE'];
const RESTART_POLICIES: readonly JobRunSpec['restart']['policy'][] = ['NEVER', 'ON_FAILURE'];

export interface ParseJobContext {
  /** PUT `/v1/jobs/{id}`: the job's id is this, whatever the body says. */
  readonly idFromPath?: string;
}

export function isJobId(id: string): boolean {
  return id.length > 0 && id.split('.').every((s) => JOB_ID_SEGMENT.test(s));
}

export function parseJob(json: unknown, ctx: ParseJobContext = {}): Parsed<JobSpec> {
  const r = createReader();
  const job = readJob(r, json, ctx);
  if (isObject(json)) r.arr(json.schedules, '/schedules');
  checkStorable(r, json, '/');
  return job === undefined || r.errors.size > 0 ? { ok: false, details: r.details() } : { ok: true, value: job };
}

/** A job with the schedules embedded in it (absent `schedules` = none). Schedule ids must be unique. */
export function parseJobWithSchedules(
  json: unknown, ctx: ParseJobContext = {},
): Parsed<{ readonly job: JobSpec; readonly schedules: readonly ScheduleSpec[] }> {
  const r = createReader();
  const job = readJob(r, json, ctx);
  const schedules: ScheduleSpec[] = [];
  if (isObject(json)) {
    const list = r.arr(json.schedules, '/schedules') ?? [];
    list.forEach((s, i) => {
      const path = index('/schedules', i);
      const spec = readSchedule(r, s, path);
      if (spec === undefined) return;
      if (schedules.some((o) => o.id === spec.id)) r.fail(field(path, 'id'), `duplicate schedule id '${spec.id}'`);
      else schedules.push(spec);
    });
  }
  checkStorable(r, json, '/');
  return job === undefined || r.errors.size > 0 ? { ok: false, details: r.details() } : { ok: true, value: { job, schedules } };
}

function readJob(r: Reader, json: unknown, ctx: ParseJobContext): JobSpec | undefined {
  if (!isObject(json)) {
    r.fail('/', MSG.object);
    return undefined;
  }
  r.onlyFields(json, '/', JOB_FIELDS);

  let id: string | undefined;
  if (ctx.idFromPath !== undefined) {
    r.str(json.id, '/id');
    id = ctx.idFromPath;
  } else {
    id = r.str(json.id, '/id');
    if (isAbsent(json.id)) r.fail('/id', MSG.missing);
  }
  if (id !== undefined && !isJobId(id)) r.fail('/id', MESSAGES.invalidId);

  const description = r.str(json.description, '/description');
  const labels = readStringMap(r, json.labels, '/labels');

  let parallelism: number | undefined;
  if (!isAbsent(json.parallelism)) {
    parallelism = r.int(json.parallelism, '/parallelism');
    if (parallelism !== undefined && parallelism < 1) r.fail('/parallelism', 'must be at least 1');
  }

  let run: JobRunSpec | undefined;
  if (isAbsent(json.run)) r.fail('/run', MSG.missing);
  else run = readRun(r, json.run, '/run');

  if (id === undefined || run === undefined) return undefined;
  return {
    id,
    ...(description !== undefined ? { description } : {}),
    labels,
    run,
    ...(parallelism !== undefined ? { parallelism } : {}),
  };
}

function readStringMap(r: Reader, v: unknown, path: string): Record<string, string> {
  const o = r.obj(v, path);
  const out: Record<string, string> = {};
  if (o === undefined) return out;
  for (const [k, val] of Object.entries(o)) {
    const s = r.str(val, field(path, k));
    if (s !== undefined) out[k] = s;
    else if (isAbsent(val)) r.fail(field(path, k), MSG.string);
  }
  return out;
}

function atLeast(r: Reader, v: number | undefined, min: number, path: string): void {
  if (v !== undefined && v < min) r.fail(path, `must be at least ${min}`);
}

function readRun(r: Reader, v: unknown, path: string): JobRunSpec | undefined {
  const o = r.obj(v, path);
  if (o === undefined) return undefined;
  r.onlyFields(o, path, RUN_FIELDS);
  const at = (name: string): string => field(path, name);

  const cmd = r.str(o.cmd, at('cmd'));
  if (cmd === '') r.fail(at('cmd'), 'must not be empty');
  const args = readStringList(r, o.args, at('args'));
  const cpus = r.num(o.cpus, at('cpus')) ?? DEFAULTS.cpus;
  atLeast(r, cpus, 0.01, at('cpus'));
  const mem = r.num(o.mem, at('mem')) ?? DEFAULTS.mem;
  atLeast(r, mem, 32, at('mem'));
  const disk = r.num(o.disk, at('disk')) ?? DEFAULTS.disk;
  atLeast(r, disk, 0, at('disk'));
  const gpus = r.int(o.gpus, at('gpus')) ?? DEFAULTS.gpus;
  atLeast(r, gpus, 0, at('gpus'));
  const maxLaunchDelay = r.int(o.maxLaunchDelay, at('maxLaunchDelay')) ?? DEFAULTS.maxLaunchDelay;
  atLeast(r, maxLaunchDelay, 1, at('maxLaunchDelay'));
  const user = r.str(o.user, at('user'));
  const grace = r.num(o.taskKillGracePeriodSeconds, at('taskKillGracePeriodSeconds'));
  atLeast(r, grace, 0, at('taskKillGracePeriodSeconds'));
  const priority = r.int(o.priority, at('priority'));
  if (priority !== undefined && (priority < MIN_PRIORITY || priority > MAX_PRIORITY)) {
    r.fail(at('priority'), `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`);
  }

  const env = readEnv(r, o.env, at('env'));
  const secrets = readSecrets(r, o.secrets, at('secrets'));
  const placement = readPlacement(r, o.placement, at('placement'));
  const artifacts = readArtifacts(r, o.artifacts, at('artifacts'));
  const docker = readDocker(r, o.docker, at('docker'));
  const volumes = readVolumes(r, o.volumes, at('volumes'));
  const restart = readRestart(r, o.restart, at('restart'));
  if (!isAbsent(o.ucr)) r.fail(at('ucr'), MESSAGES.unsupported);
  if (!isAbsent(o.networks)) r.fail(at('networks'), MESSAGES.unsupported);

  if (cmd === undefined && docker === undefined && isAbsent(o.docker)) r.fail(path, MESSAGES.cmdOrDocker);
  if (cmd !== undefined && args !== undefined) r.fail(path, MESSAGES.cmdAndArgs);

  const referenced = [...new Set(Object.values(env).flatMap((e) => (typeof e === 'string' ? [] : [e.secret])))].sort();
  const provided = Object.keys(secrets).sort();
  if (referenced.join('\0') !== provided.join('\0')) r.fail(path, MESSAGES.secrets(referenced, provided));

  return {
    ...(cmd !== undefined ? { cmd } : {}),
    ...(args !== undefined ? { args } : {}),
    cpus, mem, disk, gpus,
    env,
    placement,
    artifacts,
    ...(docker !== undefined ? { docker } : {}),
    ...(user !== undefined ? { user } : {}),
    volumes,
    maxLaunchDelay,
    restart,
    ...(grace !== undefined ? { taskKillGracePeriodSeconds: grace } : {}),
    ...(priority !== undefined ? { priority } : {}),
    secrets,
  };
}

function readStringList(r: Reader, v: unknown, path: string): string[] | undefined {
  const a = r.arr(v, path);
  if (a === undefined) return undefined;
  const out: string[] = [];
  a.forEach((s, i) => {
    if (typeof s === 'string') out.push(s);
    else r.fail(index(path, i), MSG.string);
  });
  return out;
}

function readEnv(r: Reader, v: unknown, path: string): Record<string, EnvValue> {
  const o = r.obj(v, path);
  const out: Record<string, EnvValue> = {};
  if (o === undefined) return out;
  for (const [k, val] of Object.entries(o)) {
    const p = field(path, k);
    if (typeof val === 'string') out[k] = val;
    else if (isObject(val) && typeof val.secret === 'string' && Object.keys(val).length === 1) out[k] = { secret: val.secret };
    else r.fail(p, 'must be a string or an object {"secret": "<name>"}');
  }
  return out;
}

function readSecrets(r: Reader, v: unknown, path: string): Record<string, { source: string }> {
  const o = r.obj(v, path);
  const out: Record<string, { source: string }> = {};
  if (o === undefined) return out;
  for (const [k, val] of Object.entries(o)) {
    const p = field(path, k);
    const s = r.obj(val, p);
    if (s === undefined) {
      if (isAbsent(val)) r.fail(p, MSG.object);
      continue;
    }
    r.onlyFields(s, p, ['source']);
    const source = r.str(s.source, field(p, 'source'));
    if (isAbsent(s.source)) r.fail(field(p, 'source'), MSG.missing);
    if (source !== undefined) out[k] = { source };
  }
  return out;
}

function readPlacement(r: Reader, v: unknown, path: string): { constraints: JobConstraint[] } {
  const o = r.obj(v, path);
  const constraints: JobConstraint[] = [];
  if (o === undefined) return { constraints };
  r.onlyFields(o, path, ['constraints']);
  const list = r.arr(o.constraints, field(path, 'constraints')) ?? [];
  list.forEach((c, i) => {
    const p = index(field(path, 'constraints'), i);
    const co = r.obj(c, p);
    if (co === undefined) {
      if (isAbsent(c)) r.fail(p, MSG.object);
      return;
    }
    r.onlyFields(co, p, ['attribute', 'operator', 'value']);
    const attribute = required(r, co, 'attribute', p);
    const operator = required(r, co, 'operator', p);
    const value = r.str(co.value, field(p, 'value'));
    if (operator !== undefined && !OPERATORS.includes(operator)) {
      r.fail(field(p, 'operator'), `'${operator}' is not a valid operator. Allowed values: ${OPERATORS.join(', ')}`);
    } else if (operator !== undefined && value === undefined && isAbsent(co.value)) {
      r.fail(field(p, 'value'), `a value is required for operator ${operator}`);
    } else if ((operator === 'LIKE' || operator === 'UNLIKE') && value !== undefined && !isRegex(value)) {
      r.fail(field(p, 'value'), `'${value}' is not a valid regular expression`);
    }
    if (attribute !== undefined && operator !== undefined) {
      constraints.push({ attribute, operator, ...(value !== undefined ? { value } : {}) });
    }
  });
  return { constraints };
}

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

function required(r: Reader, o: JsonObject, name: string, path: string): string | undefined {
  if (isAbsent(o[name])) {
    r.fail(field(path, name), MSG.missing);
    return undefined;
  }
  return r.str(o[name], field(path, name));
}

/** Calls `fn` with each element of the array at `path` that is an object (and its path); a missing element is reported. */
function eachObject(r: Reader, v: unknown, path: string, fn: (o: JsonObject, p: string) => void): void {
  (r.arr(v, path) ?? []).forEach((a, i) => {
    const p = index(path, i);
    const o = r.obj(a, p);
    if (o !== undefined) fn(o, p);
    else if (isAbsent(a)) r.fail(p, MSG.object);
  });
}

function readArtifacts(r: Reader, v: unknown, path: string): JobArtifact[] {
  const out: JobArtifact[] = [];
  eachObject(r, v, path, (o, p) => {
    r.onlyFields(o, p, ['uri', 'executable', 'extract', 'cache']);
    const uri = required(r, o, 'uri', p);
    if (uri === '') r.fail(field(p, 'uri'), 'must not be empty');
    const executable = r.bool(o.executable, field(p, 'executable')) ?? DEFAULTS.artifact.executable;
    const extract = r.bool(o.extract, field(p, 'extract')) ?? DEFAULTS.artifact.extract;
    const cache = r.bool(o.cache, field(p, 'cache')) ?? DEFAULTS.artifact.cache;
    if (uri !== undefined) out.push({ uri, executable, extract, cache });
  });
  return out;
}

function readDocker(r: Reader, v: unknown, path: string): { image: string; forcePullImage: boolean } | undefined {
  const o = r.obj(v, path);
  if (o === undefined) return undefined;
  r.onlyFields(o, path, ['image', 'forcePullImage', 'privileged', 'parameters']);
  const image = required(r, o, 'image', path);
  if (image === '') r.fail(field(path, 'image'), 'must not be empty');
  const forcePullImage = r.bool(o.forcePullImage, field(path, 'forcePullImage')) ?? false;
  if (r.bool(o.privileged, field(path, 'privileged')) === true) r.fail(field(path, 'privileged'), MESSAGES.unsupported);
  const parameters = r.arr(o.parameters, field(path, 'parameters'));
  if (parameters !== undefined && parameters.length > 0) r.fail(field(path, 'parameters'), MESSAGES.unsupported);
  return image === undefined || image === '' ? undefined : { image, forcePullImage };
}

function readVolumes(r: Reader, v: unknown, path: string): JobVolume[] {
  const out: JobVolume[] = [];
  eachObject(r, v, path, (o, p) => {
    r.onlyFields(o, p, ['containerPath', 'hostPath', 'mode', 'secret']);
    if (!isAbsent(o.secret)) r.fail(field(p, 'secret'), MESSAGES.unsupported);
    const containerPath = required(r, o, 'containerPath', p);
    const hostPath = required(r, o, 'hostPath', p);
    for (const [name, s] of [['containerPath', containerPath], ['hostPath', hostPath]] as const) {
      if (s === '') r.fail(field(p, name), 'must not be empty');
    }
    const mode = required(r, o, 'mode', p);
    if (mode !== undefined && mode !== 'RO' && mode !== 'RW') {
      r.fail(field(p, 'mode'), `'${mode}' is not a valid mode. Allowed values: RO, RW`);
    } else if (containerPath && hostPath && mode !== undefined) {
      out.push({ containerPath, hostPath, mode });
    }
  });
  return out;
}

function readRestart(r: Reader, v: unknown, path: string): JobRunSpec['restart'] {
  const o = r.obj(v, path);
  if (o === undefined) return { policy: DEFAULTS.restartPolicy };
  r.onlyFields(o, path, ['policy', 'activeDeadlineSeconds']);
  const text = required(r, o, 'policy', path);
  const policy = RESTART_POLICIES.find((p) => p === text);
  if (text !== undefined && policy === undefined) {
    r.fail(field(path, 'policy'), `'${text}' is not a valid restart policy. Allowed values: ${RESTART_POLICIES.join(', ')}`);
  }
  const deadline = r.int(o.activeDeadlineSeconds, field(path, 'activeDeadlineSeconds'));
  atLeast(r, deadline, 0, field(path, 'activeDeadlineSeconds'));
  return { policy: policy ?? DEFAULTS.restartPolicy, ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}) };
}
