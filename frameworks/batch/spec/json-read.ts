/**
 * A small reader for request bodies: typed field reads that record Metronome-style errors at
 * JSON paths (Play's notation: `/run/cpus`, `/run/artifacts(0)/uri`) instead of throwing, so one
 * pass reports every failing path. Shared by parse-job.ts and parse-schedule.ts.
 */
import { isStorableString } from '../../../common/db/storable.ts';
import type { ValidationDetail } from './parsed.ts';

export type JsonObject = Record<string, unknown>;

export const MSG = {
  missing: 'error.path.missing',
  string: 'error.expected.jsstring',
  number: 'error.expected.jsnumber',
  integer: 'error.expected.int',
  boolean: 'error.expected.jsboolean',
  object: 'error.expected.jsobject',
  array: 'error.expected.jsarray',
  unknownField: 'unknown property (not allowed here)',
  unstorable: 'must not hold U+0000 or an unpaired UTF-16 surrogate',
} as const;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function field(path: string, name: string): string {
  return path === '/' || path === '' ? `/${name}` : `${path}/${name}`;
}

export function index(path: string, i: number): string {
  return `${path}(${i})`;
}

export interface Reader {
  readonly errors: Map<string, string[]>;
  fail(path: string, message: string): void;
  details(): ValidationDetail[];
  /** undefined when absent (undefined or null); a recorded error and undefined when of another type. */
  str(v: unknown, path: string): string | undefined;
  num(v: unknown, path: string): number | undefined;
  int(v: unknown, path: string): number | undefined;
  bool(v: unknown, path: string): boolean | undefined;
  obj(v: unknown, path: string): JsonObject | undefined;
  arr(v: unknown, path: string): unknown[] | undefined;
  /** Records an error for every key of `o` not in `allowed`. */
  onlyFields(o: JsonObject, path: string, allowed: readonly string[]): void;
}

export function isAbsent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

export function createReader(): Reader {
  const errors = new Map<string, string[]>();
  const fail = (path: string, message: string): void => {
    const list = errors.get(path);
    if (list === undefined) errors.set(path, [message]);
    else if (!list.includes(message)) list.push(message);
  };
  const typed = <T>(check: (v: unknown) => v is T, message: string) => (v: unknown, path: string): T | undefined => {
    if (isAbsent(v)) return undefined;
    if (check(v)) return v;
    fail(path, message);
    return undefined;
  };
  return {
    errors,
    fail,
    details: () => [...errors].map(([path, errs]) => ({ path, errors: errs })),
    str: typed((v): v is string => typeof v === 'string', MSG.string),
    num: typed((v): v is number => typeof v === 'number' && Number.isFinite(v), MSG.number),
    int: typed((v): v is number => typeof v === 'number' && Number.isSafeInteger(v), MSG.integer),
    bool: typed((v): v is boolean => typeof v === 'boolean', MSG.boolean),
    obj: typed(isObject, MSG.object),
    arr: typed((v): v is unknown[] => Array.isArray(v), MSG.array),
    onlyFields(o, path, allowed) {
      for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(field(path, k), MSG.unknownField);
    },
  };
}

/**
 * Records `MSG.unstorable` at the path of every string (value or key) in `v` that PostgreSQL's
 * `jsonb` cannot hold: refused as 422 up front, such a value would fail the store's transaction,
 * and with it the other requests of its group commit.
 */
export function checkStorable(r: Reader, v: unknown, path: string): void {
  if (typeof v === 'string') {
    if (!isStorableString(v)) r.fail(path, MSG.unstorable);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => checkStorable(r, x, index(path, i)));
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (!isStorableString(k)) r.fail(field(path, k), MSG.unstorable);
      checkStorable(r, x, field(path, k));
    }
  }
}
