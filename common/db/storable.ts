/**
 * What a store can keep: the JSON that PostgreSQL's `jsonb` accepts. JSON text is the common
 * form of both stores (the memory store keeps the text, the PostgreSQL store sends it), so
 * `undefined` fields vanish and numbers come back as JSON numbers in both. `jsonb` also refuses
 * two things JavaScript strings may hold: U+0000 and unpaired UTF-16 surrogates; both stores
 * refuse them up front with `UnstorableValueError`, with the path of the offending string.
 */

export class UnstorableValueError extends Error {
  override readonly name = 'UnstorableValueError';
}

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high
// one (no `u` flag: the pattern must see code units, not code points).
const UNSTORABLE_CODE_UNITS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` can be stored in `jsonb`. */
export function isStorableString(s: string): boolean {
  return !UNSTORABLE_CODE_UNITS.test(s);
}

/** The JSON text of `value`; throws `UnstorableValueError` for a string `jsonb` cannot hold. */
export function toStoredJson(value: unknown, what: string): string {
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    if (!isStorableString(key)) throw new UnstorableValueError(`${what}: a key holds U+0000 or an unpaired surrogate`);
    if (typeof v === 'string' && !isStorableString(v)) {
      throw new UnstorableValueError(`${what}: the value of "${key}" holds U+0000 or an unpaired surrogate, which PostgreSQL cannot store`);
    }
    return v;
  });
}
