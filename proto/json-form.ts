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
 * Speed: one converter per message type is generated on first use (see converterFor).
 *
 * `plainToJson` returns a canonical object unchanged (it already is the JSON form) and
 * otherwise a copy without undefined and null values.
 */
import { atField, messageTable, PathFault, setEntry } from './schema-table.ts';
import type { FieldSpec, Kind } from './schema-table.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INTEGER_STRING = /^-?\d+$/;
const NUMBER_STRING = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const fault = (render: (path: string) => string): PathFault => new PathFault(render);

function integer(kind: Kind, v: unknown): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INTEGER_STRING.test(v)) n = Number(v);
  else throw fault((p) => `expected an integer for '${p}'`);
  if (!Number.isInteger(n)) throw fault((p) => `expected an integer for '${p}'`);
  switch (kind) {
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

type Convert = (v: unknown) => unknown;

function asString(v: unknown): unknown {
  if (typeof v !== 'string') throw fault((p) => `expected a string for '${p}'`);
  return v;
}

function asBool(v: unknown): unknown {
  if (typeof v !== 'boolean') throw fault((p) => `expected a boolean for '${p}'`);
  return v;
}

function asNumber(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMBER_STRING.test(v)) return Number(v);
  throw fault((p) => `expected a number for '${p}'`);
}

function asBase64(v: unknown): unknown {
  if (typeof v !== 'string' || !BASE64.test(v)) throw fault((p) => `expected a base64 string for '${p}'`);
  return v;
}

/** The converter of one value (not the list or map around it) of field `f`. */
function converterOf(f: FieldSpec): Convert {
  switch (f.kind) {
    case 'string':
      return asString;
    case 'bool':
      return asBool;
    case 'double':
    case 'float':
      return asNumber;
    case 'bytes':
      return asBase64;
    case 'enum': {
      const names = new Set(Object.keys(f.enumSpec?.byName ?? {}));
      return (v) => {
        if (typeof v !== 'string') throw fault((p) => `expected an enum value name for '${p}'`);
        if (!names.has(v)) throw fault((p) => `Failed to find enum value '${v}' for field '${p}'`);
        return v;
      };
    }
    case 'message': {
      let convert: Convert | undefined;
      const typeName = f.messageType as string;
      return (v) => (convert ??= converterFor(typeName))(v);
    }
    default: {
      const kind = f.kind;
      return (v) => integer(kind, v);
    }
  }
}

function repeatedOf(one: Convert): Convert {
  return (v) => {
    if (!Array.isArray(v)) throw fault((p) => `expected an array for '${p}'`);
    if (v.length === 0) return undefined;
    const items = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      try {
        if (item === null || item === undefined) throw fault((p) => `unexpected null in '${p}'`);
        items[i] = one(item);
      } catch (err) {
        atField(err, `[${i}]`);
      }
    }
    return items;
  };
}

function mapOf(one: Convert): Convert {
  return (v) => {
    if (typeof v !== 'object' || Array.isArray(v)) throw fault((p) => `expected an object for '${p}'`);
    let out: Record<string, unknown> | undefined;
    for (const k in v as Record<string, unknown>) {
      const item = (v as Record<string, unknown>)[k];
      if (item === null || item === undefined) continue;
      try {
        setEntry((out ??= {}), k, one(item));
      } catch (err) {
        atField(err, k);
      }
    }
    return out;
  };
}

function notAnObject(typeName: string): PathFault {
  return fault((p) => `expected an object for '${p === '' ? typeName : p}'`);
}

function missing(name: string): PathFault {
  const f = fault((p) => `Missing required field '${p}'`);
  f.segments.push(name);
  return f;
}

const converters = new Map<string, Convert>();

/**
 * The converter of a whole message, generated once per type: it reads each schema field by
 * its fixed name (so V8 sees fixed property names, and unknown input fields are never
 * looked at), converts present values and builds the output in declaration order.
 */
function converterFor(typeName: string): Convert {
  const hit = converters.get(typeName);
  if (hit !== undefined) return hit;
  const table = messageTable(typeName);
  const perField = table.fields.map((f) => {
    const one = converterOf(f);
    return f.mapKey !== undefined ? mapOf(one) : f.repeated ? repeatedOf(one) : one;
  });
  const lines = table.fields.map((f, i) => {
    const k = JSON.stringify(f.name);
    const store = f.repeated || f.mapKey !== undefined ? `{ const c = C[${i}](v); if (c !== undefined) o[${k}] = c; }` : `{ o[${k}] = C[${i}](v); }`;
    const absent = f.required ? ` else throw missing(${k});` : '';
    return `v = input[${k}]; if (v !== undefined && v !== null) { try ${store} catch (e) { atField(e, ${k}); } }${absent}`;
  });
  const source = [
    'return function fromJson(input) {',
    '  if (typeof input !== "object" || input === null || Array.isArray(input)) throw notAnObject(T);',
    '  const o = {};',
    '  let v;',
    ...lines.map((l) => `  ${l}`),
    '  return o;',
    '};',
  ].join('\n');
  const factory = new Function('C', 'T', 'notAnObject', 'missing', 'atField', source) as (...deps: unknown[]) => Convert;
  const made = factory(perField, typeName, notAnObject, missing, atField);
  converters.set(typeName, made);
  return made;
}

/** Parsed JSON -> canonical plain object of `typeName`. Throws PathFault. */
export function jsonToPlain(typeName: string, input: unknown): Record<string, unknown> {
  return converterFor(typeName)(input) as Record<string, unknown>;
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
    if (x !== null && x !== undefined) setEntry(out, k, withoutAbsent(x));
  }
  return out;
}

/** Canonical plain object -> JSON-ready value (the same object when nothing needs dropping). */
export function plainToJson(plain: unknown): unknown {
  return isCanonical(plain) ? plain : withoutAbsent(plain);
}
