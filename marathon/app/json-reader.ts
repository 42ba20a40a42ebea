/**
 * A typed reader over untrusted JSON that collects problems instead of throwing: every wrong
 * type or missing value becomes a `ValidationDetail` at its Marathon/Play JSON path
 * (`/healthChecks(0)/portIndex`, `/env/PASSWORD`) with Play's messages (`error.expected.jsnumber`,
 * `error.path.missing`, ...).
 *
 * Invariants: JSON `null` reads as absent (clients send `"args": null`); a value of the wrong type
 * reads as absent and leaves one detail; details keep the order they were found in, one entry per
 * path with its messages in order, no duplicate message.
 */
import type { ValidationDetail } from '../ports.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

export interface Problems {
  add(path: string, message: string): void;
  readonly size: number;
  list(): ValidationDetail[];
}

export function createProblems(): Problems {
  const byPath = new Map<string, string[]>();
  return {
    add(path, message) {
      const p = path === '' ? '/' : path;
      const errs = byPath.get(p);
      if (errs === undefined) byPath.set(p, [message]);
      else if (!errs.includes(message)) errs.push(message);
    },
    get size() { return byPath.size; },
    list: () => [...byPath].map(([path, errors]) => ({ path, errors: [...errors] })),
  };
}

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const isAbsent = (v: unknown): boolean => v === undefined || v === null;

/** Path of an array element, Play style: `/healthChecks` + 0 -> `/healthChecks(0)`. */
export const at = (path: string, index: number): string => `${path}(${index})`;
/** Path of an object field: `/container` + `docker` -> `/container/docker`. */
export const field = (path: string, key: string): string => `${path === '/' ? '' : path}/${key}`;

export interface NumberRules {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** Readers bound to one `Problems`; each returns undefined for absent or wrong-typed input. */
export interface Reader {
  readonly problems: Problems;
  str(v: unknown, path: string): string | undefined;
  num(v: unknown, path: string, rules?: NumberRules): number | undefined;
  bool(v: unknown, path: string): boolean | undefined;
  arr(v: unknown, path: string): readonly unknown[] | undefined;
  obj(v: unknown, path: string): JsonObject | undefined;
  strArr(v: unknown, path: string): string[] | undefined;
  /** A JSON object of strings (labels). */
  strMap(v: unknown, path: string): Record<string, string> | undefined;
  /** Reports `error.path.missing` when absent. */
  required<T>(value: T | undefined, raw: unknown, path: string): T | undefined;
}

export function createReader(problems: Problems = createProblems()): Reader {
  const expected = (path: string, kind: string): undefined => {
    problems.add(path, `error.expected.${kind}`);
    return undefined;
  };
  const reader: Reader = {
    problems,
    str: (v, path) => (isAbsent(v) ? undefined : typeof v === 'string' ? v : expected(path, 'jsstring')),
    num(v, path, rules = {}) {
      if (isAbsent(v)) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) return expected(path, 'jsnumber');
      if (rules.integer && !Number.isInteger(v)) return expected(path, 'int');
      if (rules.min !== undefined && v < rules.min) problems.add(path, `must be larger than or equal to ${rules.min}`);
      if (rules.max !== undefined && v > rules.max) problems.add(path, `must be smaller than or equal to ${rules.max}`);
      return v;
    },
    bool: (v, path) => (isAbsent(v) ? undefined : typeof v === 'boolean' ? v : expected(path, 'jsboolean')),
    arr: (v, path) => (isAbsent(v) ? undefined : Array.isArray(v) ? v : expected(path, 'jsarray')),
    obj: (v, path) => (isAbsent(v) ? undefined : isObject(v) ? v : expected(path, 'jsobject')),
    strArr(v, path) {
      const a = reader.arr(v, path);
      if (a === undefined) return undefined;
      const out: string[] = [];
      a.forEach((x, i) => {
        if (typeof x === 'string') out.push(x);
        else problems.add(at(path, i), 'error.expected.jsstring');
      });
      return out;
    },
    strMap(v, path) {
      const o = reader.obj(v, path);
      if (o === undefined) return undefined;
      const out: Record<string, string> = {};
      for (const [k, x] of Object.entries(o)) {
        if (typeof x === 'string') out[k] = x;
        else problems.add(field(path, k), 'error.expected.jsstring');
      }
      return out;
    },
    required(value, raw, path) {
      if (isAbsent(raw)) problems.add(path, 'error.path.missing');
      return value;
    },
  };
  return reader;
}

/** Marathon's `secrets`: name -> `{source}` (apps and pods alike). */
export function readSecrets(r: Reader, v: unknown): Record<string, { readonly source: string }> {
  const o = r.obj(v, '/secrets');
  const out: Record<string, { source: string }> = {};
  if (o === undefined) return out;
  for (const [k, x] of Object.entries(o)) {
    const path = field('/secrets', k);
    const s = r.obj(x, path);
    if (s === undefined) { if (isAbsent(x)) r.problems.add(path, 'error.path.missing'); continue; }
    const source = r.str(s.source, field(path, 'source'));
    r.required(source, s.source, field(path, 'source'));
    if (source !== undefined) out[k] = { source };
  }
  return out;
}
