/**
 * Query-string and body readers for the REST handlers: Marathon's boolean flags (`force`,
 * `scale`, `wipe`, `partialUpdate`), repeatable parameters (`embed`, `event_type`) and JSON
 * bodies. Each answers a value or the 400 that Marathon gives; none throws.
 *
 * Invariants: a boolean flag is `true`/`false` in any case, or absent (its default); anything else
 * is a 400 naming the parameter. Repeated parameters keep their order.
 */
import type { ValidationDetail } from '../ports.ts';
import { ERRORS, fail, ok, type Result } from './errors.ts';

export type Query = Readonly<Record<string, string | readonly string[] | undefined>>;

/** All values of a parameter, in order (`?embed=a&embed=b` -> [a, b]). */
export function listParam(query: Query, name: string): readonly string[] {
  const v = query[name];
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}

/** The last value of a parameter (Jersey takes the first; clients send one). */
export function stringParam(query: Query, name: string): string | undefined {
  const all = listParam(query, name);
  return all.length === 0 ? undefined : all[0];
}

export function boolParam(query: Query, name: string, defaultValue: boolean): Result<boolean> {
  const raw = stringParam(query, name);
  if (raw === undefined || raw === '') return ok(defaultValue);
  const lower = raw.toLowerCase();
  if (lower === 'true') return ok(true);
  if (lower === 'false') return ok(false);
  return fail(ERRORS.badRequest(`Invalid value '${raw}' for query parameter '${name}': expected true or false`));
}

/** Reads several boolean flags at once; the first bad one is the answer. */
export function boolParams<K extends string>(query: Query, defaults: Readonly<Record<K, boolean>>): Result<Record<K, boolean>> {
  const out = {} as Record<K, boolean>;
  for (const name of Object.keys(defaults) as K[]) {
    const r = boolParam(query, name, defaults[name]);
    if (!r.ok) return r;
    out[name] = r.value;
  }
  return ok(out);
}

/** A request body as JSON: Marathon's 400 "Invalid JSON" with the parser's complaint otherwise. */
export function parseJsonBody(body: unknown): Result<unknown> {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
  if (text === undefined || text.trim() === '') {
    return fail(ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsobject: no content'] }]));
  }
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    const detail: ValidationDetail = { path: '/', errors: [(e as Error).message] };
    return fail(ERRORS.invalidJson([detail]));
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
