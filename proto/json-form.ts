/**
 * Mesos JSON <-> canonical plain object.
 *
 * `jsonToPlain` validates untrusted parsed JSON the way Mesos' JSON-to-protobuf parser does:
 * `null` is the same as absent, unknown fields are ignored, enums must be known value names,
 * 64-bit integers may be numbers or decimal strings, bytes are base64 strings, repeated
 * fields must be arrays and required fields must be present. The result is canonical: only
 * schema fields, no nulls, no empty repeated or map fields. Every failure is a PathFault
 * that names the field path.
 *
 * `plainToJson` returns a canonical object unchanged (it already is the JSON form) and
 * otherwise a copy without undefined and null values.
 */
import { atField, messageTable, PathFault } from './schema-table.ts';
import type { FieldSpec, MessageTable } from './schema-table.ts';

const hasOwn = Object.prototype.hasOwnProperty;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INTEGER_STRING = /^-?\d+$/;
const NUMBER_STRING = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const fault = (render: (path: string) => string): PathFault => new PathFault(render);

function integer(f: FieldSpec, v: unknown): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INTEGER_STRING.test(v)) n = Number(v);
  else throw fault((p) => `expected an integer for '${p}'`);
  if (!Number.isInteger(n)) throw fault((p) => `expected an integer for '${p}'`);
  switch (f.kind) {
    case 'uint32':
    case 'fixed32':
      if (n < 0) throw fault((p) => `expected a non-negative integer for '${p}'`);
      if (n > 0xffffffff) throw fault((p) => `integer out of range for '${p}'`);
      return n;
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      if (n < -0x80000000 || n > 0x7fffffff) throw fault((p) => `integer out of range for '${p}'`);
      return n;
    case 'uint64':
    case 'fixed64':
      if (n < 0) throw fault((p) => `expected a non-negative integer for '${p}'`);
      return n;
    default:
      return n;
  }
}

function value(f: FieldSpec, v: unknown): unknown {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') throw fault((p) => `expected a string for '${p}'`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw fault((p) => `expected a boolean for '${p}'`);
      return v;
    case 'double':
    case 'float':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && NUMBER_STRING.test(v)) return Number(v);
      throw fault((p) => `expected a number for '${p}'`);
    case 'bytes':
      if (typeof v !== 'string' || !BASE64.test(v)) throw fault((p) => `expected a base64 string for '${p}'`);
      return v;
    case 'enum':
      if (typeof v !== 'string') throw fault((p) => `expected an enum value name for '${p}'`);
      if (!hasOwn.call(f.enumSpec?.byName, v)) throw fault((p) => `Failed to find enum value '${v}' for field '${p}'`);
      return v;
    case 'message':
      return message(messageTable(f.messageType as string), v);
    default:
      return integer(f, v);
  }
}

function mapValue(f: FieldSpec, v: object): Record<string, unknown> | undefined {
  if (Array.isArray(v)) throw fault((p) => `expected an object for '${p}'`);
  let out: Record<string, unknown> | undefined;
  for (const k in v) {
    const item = (v as Record<string, unknown>)[k];
    if (item === null || item === undefined) continue;
    try {
      (out ??= {})[k] = value(f, item);
    } catch (err) {
      atField(err, k);
    }
  }
  return out;
}

function repeatedValue(f: FieldSpec, v: unknown): unknown[] | undefined {
  if (!Array.isArray(v)) throw fault((p) => `expected an array for '${p}'`);
  if (v.length === 0) return undefined;
  const items = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    try {
      if (item === null || item === undefined) throw fault((p) => `unexpected null in '${p}'`);
      items[i] = value(f, item);
    } catch (err) {
      atField(err, `[${i}]`);
    }
  }
  return items;
}

function message(table: MessageTable, input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw fault((p) => `expected an object for '${p === '' ? table.typeName : p}'`);
  }
  const out: Record<string, unknown> = {};
  let required = 0;
  for (const key in input) {
    const f = table.byName[key];
    if (f === undefined) continue;
    const v = (input as Record<string, unknown>)[key];
    if (v === null || v === undefined) continue;
    try {
      if (f.mapKey !== undefined) {
        if (typeof v !== 'object') throw fault((p) => `expected an object for '${p}'`);
        const entries = mapValue(f, v);
        if (entries !== undefined) out[key] = entries;
      } else if (f.repeated) {
        const items = repeatedValue(f, v);
        if (items !== undefined) out[key] = items;
      } else {
        out[key] = value(f, v);
        if (f.required) required++;
      }
    } catch (err) {
      atField(err, key);
    }
  }
  if (required !== table.requiredCount) {
    for (const f of table.fields) {
      if (f.required && !hasOwn.call(out, f.name)) {
        const missing = fault((p) => `Missing required field '${p}'`);
        missing.segments.push(f.name);
        throw missing;
      }
    }
  }
  return out;
}

/** Parsed JSON -> canonical plain object of `typeName`. Throws PathFault. */
export function jsonToPlain(typeName: string, input: unknown): Record<string, unknown> {
  return message(messageTable(typeName), input);
}

function isCanonical(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v !== 'object') return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isCanonical(v[i])) return false;
    return true;
  }
  for (const k in v) if (!isCanonical((v as Record<string, unknown>)[k])) return false;
  return true;
}

function withoutAbsent(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(withoutAbsent);
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && x !== undefined) out[k] = withoutAbsent(x);
  }
  return out;
}

/** Canonical plain object -> JSON-ready value (the same object when nothing needs dropping). */
export function plainToJson(plain: unknown): unknown {
  return isCanonical(plain) ? plain : withoutAbsent(plain);
}
