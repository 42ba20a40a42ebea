/**
 * Readers for the small parts a pod and its containers share (environment, names, commands,
 * enums), over marathon/app's `Reader`: wrong types become Play-style details at JSON paths
 * (`/containers(0)/environment/X`), values that break a RAML string rule (a `Name`, a `Path`)
 * become Marathon's messages there.
 *
 * Invariant: every reader returns undefined for absent or unusable input and reports at most one
 * detail per problem; none throws.
 */
import type { EnvValue } from '../model.ts';
import { field, isAbsent, isObject, type Reader } from '../app/json-reader.ts';
import type { PodCommand } from './pod-definition.ts';
import { ENV_NAME_PATTERN, NAME_MAX_LENGTH, NAME_PATTERN, NAME_PATTERN_TEXT, PATH_MAX_LENGTH } from './pod-defaults.ts';

export const UNKNOWN_ENUM = 'error.unknown.enum.literal';

export const READ_MSG = {
  namePattern: `must fully match regular expression '${NAME_PATTERN_TEXT}'`,
  envName: 'must contain only alphanumeric chars or underscore, and must not begin with a number',
  envNameLength: 'variable name must be 254 chars or less',
  commandOneOf: 'must specify exactly one of shell or argv',
  notEmpty: 'must not be empty',
} as const;

/** accord's `between` message, as Marathon answers a string outside its length bounds. */
export const lengthMessage = (len: number, min: number, max: number): string => `got ${len}, expected between ${min} and ${max}`;

export function enumOf<T extends string>(r: Reader, v: unknown, path: string, values: readonly T[]): T | undefined {
  const s = r.str(v, path);
  if (s === undefined) return undefined;
  if ((values as readonly string[]).includes(s)) return s as T;
  r.problems.add(path, UNKNOWN_ENUM);
  return undefined;
}

/** A RAML `strings.Name` (1..63 chars, lower-case DNS label); `required` reports a missing one. */
export function readName(r: Reader, v: unknown, path: string, required = true): string | undefined {
  const s = r.str(v, path);
  if (required) r.required(s, v, path);
  if (s === undefined) return undefined;
  if (s.length < 1 || s.length > NAME_MAX_LENGTH) r.problems.add(path, lengthMessage(s.length, 1, NAME_MAX_LENGTH));
  else if (!NAME_PATTERN.test(s)) r.problems.add(path, READ_MSG.namePattern);
  return s;
}

/** A RAML `strings.Path` / `strings.Uri` (1..1024 chars). */
export function readPath(r: Reader, v: unknown, path: string, required: boolean): string | undefined {
  const s = r.str(v, path);
  if (required) r.required(s, v, path);
  if (s !== undefined && (s.length < 1 || s.length > PATH_MAX_LENGTH)) r.problems.add(path, lengthMessage(s.length, 1, PATH_MAX_LENGTH));
  return s;
}

/** RAML `EnvVars`: name -> string or `{ "secret": "<secret name>" }`; names checked strictly, as for pods. */
export function readEnvironment(r: Reader, v: unknown, path: string): Record<string, EnvValue> {
  const o = r.obj(v, path);
  const env: Record<string, EnvValue> = {};
  if (o === undefined) return env;
  for (const [k, x] of Object.entries(o)) {
    const p = field(path, k);
    if (k === '') r.problems.add(p, READ_MSG.notEmpty);
    else if (!ENV_NAME_PATTERN.test(k)) r.problems.add(p, READ_MSG.envName);
    if (k.length >= 255) r.problems.add(p, READ_MSG.envNameLength);
    if (typeof x === 'string') env[k] = x;
    else if (isObject(x)) {
      const secret = r.str(x.secret, field(p, 'secret'));
      r.required(secret, x.secret, field(p, 'secret'));
      if (secret !== undefined) env[k] = { secret };
    } else if (!isAbsent(x)) r.problems.add(p, 'error.expected.jsstring');
  }
  return env;
}

/** RAML `MesosCommand`: exactly one of `shell` (non-empty) and `argv` (at least one element). */
export function readCommand(r: Reader, v: unknown, path: string): PodCommand | undefined {
  const o = r.obj(v, path);
  r.required(o, v, path);
  if (o === undefined) return undefined;
  const hasShell = !isAbsent(o.shell);
  if (hasShell === !isAbsent(o.argv)) {
    r.problems.add(path, READ_MSG.commandOneOf);
    return undefined;
  }
  if (hasShell) {
    const shell = r.str(o.shell, field(path, 'shell'));
    if (shell === '') r.problems.add(field(path, 'shell'), READ_MSG.notEmpty);
    return shell === undefined ? undefined : { shell };
  }
  const argv = r.strArr(o.argv, field(path, 'argv'));
  if (argv !== undefined && argv.length === 0) r.problems.add(field(path, 'argv'), READ_MSG.notEmpty);
  return argv === undefined ? undefined : { argv };
}

/** A JSON object kept verbatim (pull configs, persistent volume specs). */
export function readVerbatim(r: Reader, v: unknown, path: string): Readonly<Record<string, unknown>> | undefined {
  const o = r.obj(v, path);
  return o === undefined ? undefined : structuredClone(o) as Record<string, unknown>;
}
