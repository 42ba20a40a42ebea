/**
 * The one mapping between maestro's in-memory messages and the wire (protobuf bytes, JSON).
 *
 * Canonical in-memory form of every message = the Mesos JSON form as a plain object:
 *   - field names exactly as in the .proto (snake_case);
 *   - enum values by NAME; every number (64-bit included) a JS number;
 *   - bytes as base64 strings; absent fields absent (never null, never undefined);
 *   - empty repeated and map fields absent (protobuf cannot tell them from unset).
 *
 * `fromJson` is the gate for untrusted JSON: `null` means absent, unknown fields are ignored,
 * everything else is type-checked and every error names the field path. `decode` is the gate
 * for untrusted bytes: any malformed input becomes a `ProtoError`, unknown enum numbers are
 * dropped as proto2 does (an unknown value in a required field makes it missing).
 * `encode` trusts its input to be canonical (the TypeScript types say so).
 *
 * Speed: per-type field tables are built once, lazily, and protobufjs' generated
 * encoders/decoders do the byte work. Required-field checking is ours (so errors carry a
 * path), which is why the wire root is a private copy with protobufjs' own check disabled.
 */
import protobuf from 'protobufjs';
import { createRoot } from './load-root.ts';
import type { ProtoTypes } from './types.generated.ts';

export class ProtoError extends Error {
  /** Dotted path of the offending field ('' for the message itself), e.g. 'subscribe.framework_info.user'. */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtoError';
    this.path = path;
  }
}

export interface Codec<T> {
  readonly typeName: string;
  /** Plain object -> protobuf bytes. */
  encode(message: T): Uint8Array;
  /** Protobuf bytes -> plain object; throws ProtoError on malformed input or missing required fields. */
  decode(bytes: Uint8Array): T;
  /** Parsed JSON -> validated plain object; throws ProtoError naming the path. */
  fromJson(value: unknown): T;
  /** Plain object -> JSON-ready value (same form, undefined and null dropped). */
  toJson(message: T): unknown;
}

type Kind = 'string' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'double' | 'bytes' | 'enum' | 'message';

interface FieldSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly required: boolean;
  /** Enum fields: value name -> number and number -> name. */
  readonly enumByName?: Readonly<Record<string, number>>;
  readonly enumByNumber?: ReadonlyMap<number, string>;
  /** Message fields (and map values of message type): the nested table, resolved lazily. */
  readonly messageType?: string;
}

interface TypeTable {
  readonly typeName: string;
  readonly type: protobuf.Type;
  readonly fields: readonly FieldSpec[];
  readonly byName: Readonly<Record<string, FieldSpec>>;
  readonly required: readonly FieldSpec[];
}

const KIND_OF_SCALAR: Readonly<Record<string, Kind>> = {
  string: 'string',
  bool: 'bool',
  bytes: 'bytes',
  double: 'double',
  float: 'double',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
};

let wireRoot: protobuf.Root | undefined;
const tables = new Map<string, TypeTable>();

/** A private root whose fields never report `required`, so protobufjs leaves that check to us. */
function getWireRoot(): protobuf.Root {
  if (wireRoot !== undefined) return wireRoot;
  const root = createRoot();
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) {
        for (const field of nested.fieldsArray) {
          if (field.required) {
            (field as unknown as { wasRequired: boolean }).wasRequired = true;
            Object.defineProperty(field, 'required', { value: false });
          }
        }
      }
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) visit(nested);
    }
  };
  visit(root);
  wireRoot = root;
  return root;
}

function lookup(typeName: string): protobuf.Type {
  try {
    return getWireRoot().lookupType(typeName);
  } catch (err) {
    throw new ProtoError(`Unknown message type '${typeName}'`, '', { cause: err });
  }
}

function tableFor(typeName: string): TypeTable {
  const hit = tables.get(typeName);
  if (hit !== undefined) return hit;
  const type = lookup(typeName);
  const fields: FieldSpec[] = [];
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const required = (field as unknown as { wasRequired?: boolean }).wasRequired === true;
    const base = { name: field.name, repeated: field.repeated, map: field.map, required };
    if (resolved instanceof protobuf.Enum) {
      const enumByNumber = new Map<number, string>();
      for (const [name, number] of Object.entries(resolved.values)) {
        if (!enumByNumber.has(number)) enumByNumber.set(number, name);
      }
      fields.push({ ...base, kind: 'enum', enumByName: resolved.values, enumByNumber });
    } else if (resolved instanceof protobuf.Type) {
      fields.push({ ...base, kind: 'message', messageType: resolved.fullName.slice(1) });
    } else {
      const kind = KIND_OF_SCALAR[field.type];
      if (kind === undefined) throw new ProtoError(`Unsupported field type '${field.type}'`, field.name);
      fields.push({ ...base, kind });
    }
  }
  const byName: Record<string, FieldSpec> = Object.create(null);
  for (const f of fields) byName[f.name] = f;
  const table: TypeTable = { typeName, type, fields, byName, required: fields.filter((f) => f.required) };
  tables.set(typeName, table);
  return table;
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);
const hasOwn = Object.prototype.hasOwnProperty;

// ---------------------------------------------------------------------------------------------
// JSON -> canonical plain object.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INTEGER_STRING = /^-?\d+$/;
const NUMBER_STRING = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function jsonScalar(f: FieldSpec, v: unknown, path: string): unknown {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') throw new ProtoError(`expected a string for '${path}'`, path);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new ProtoError(`expected a boolean for '${path}'`, path);
      return v;
    case 'double':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && NUMBER_STRING.test(v)) return Number(v);
      throw new ProtoError(`expected a number for '${path}'`, path);
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64': {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'string' && INTEGER_STRING.test(v)) n = Number(v);
      else throw new ProtoError(`expected an integer for '${path}'`, path);
      if (!Number.isInteger(n)) throw new ProtoError(`expected an integer for '${path}'`, path);
      const unsigned = f.kind === 'uint32' || f.kind === 'uint64';
      if (unsigned && n < 0) throw new ProtoError(`expected a non-negative integer for '${path}'`, path);
      if (f.kind === 'int32' && (n < -2147483648 || n > 2147483647)) {
        throw new ProtoError(`integer out of range for '${path}'`, path);
      }
      if (f.kind === 'uint32' && n > 4294967295) throw new ProtoError(`integer out of range for '${path}'`, path);
      return n;
    }
    case 'bytes':
      if (typeof v !== 'string' || !BASE64.test(v)) throw new ProtoError(`expected a base64 string for '${path}'`, path);
      return v;
    case 'enum': {
      if (typeof v !== 'string') throw new ProtoError(`expected an enum value name for '${path}'`, path);
      if (f.enumByName === undefined || !hasOwn.call(f.enumByName, v)) {
        throw new ProtoError(`Failed to find enum value '${v}' for field '${path}'`, path);
      }
      return v;
    }
    case 'message':
      return jsonMessage(tableFor(f.messageType as string), v, path);
  }
}

function jsonMessage(table: TypeTable, value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtoError(`expected an object for '${path === '' ? table.typeName : path}'`, path);
  }
  const input = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let requiredSeen = 0;
  for (const key in input) {
    const f = table.byName[key];
    if (f === undefined) continue;
    const v = input[key];
    if (v === null || v === undefined) continue;
    const p = join(path, key);
    if (f.map) {
      if (typeof v !== 'object' || Array.isArray(v)) throw new ProtoError(`expected an object for '${p}'`, p);
      const entries: Record<string, unknown> = {};
      let any = false;
      for (const k in v as Record<string, unknown>) {
        const item = (v as Record<string, unknown>)[k];
        if (item === null || item === undefined) continue;
        entries[k] = jsonScalar(f, item, `${p}.${k}`);
        any = true;
      }
      if (any) out[key] = entries;
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw new ProtoError(`expected an array for '${p}'`, p);
      if (v.length === 0) continue;
      const items = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (item === null || item === undefined) throw new ProtoError(`unexpected null in '${p}[${i}]'`, `${p}[${i}]`);
        items[i] = jsonScalar(f, item, `${p}[${i}]`);
      }
      out[key] = items;
    } else {
      out[key] = jsonScalar(f, v, p);
      if (f.required) requiredSeen++;
    }
  }
  if (requiredSeen !== table.required.length) {
    for (const f of table.required) {
      if (!hasOwn.call(out, f.name)) {
        const p = join(path, f.name);
        throw new ProtoError(`Missing required field '${p}'`, p);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoded protobufjs message -> canonical plain object.

interface LongLike {
  toNumber(): number;
}

function bytesToBase64(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/** Returns undefined for a value that must be dropped (an unknown enum number). */
function plainScalar(f: FieldSpec, v: unknown, path: string): unknown {
  switch (f.kind) {
    case 'int64':
    case 'uint64':
      return typeof v === 'number' ? v : (v as LongLike).toNumber();
    case 'bytes':
      return bytesToBase64(v as Uint8Array);
    case 'enum':
      return (f.enumByNumber as ReadonlyMap<number, string>).get(v as number);
    case 'message':
      return plainMessage(tableFor(f.messageType as string), v as Record<string, unknown>, path);
    default:
      return v;
  }
}

function plainMessage(table: TypeTable, m: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of table.fields) {
    const name = f.name;
    if (f.repeated) {
      const arr = m[name] as unknown[] | undefined;
      if (arr === undefined || arr.length === 0) continue;
      const items: unknown[] = [];
      for (let i = 0; i < arr.length; i++) {
        const item = plainScalar(f, arr[i], `${join(path, name)}[${i}]`);
        if (item !== undefined) items.push(item);
      }
      if (items.length > 0) out[name] = items;
    } else if (f.map) {
      const obj = m[name] as Record<string, unknown> | undefined;
      if (obj === undefined) continue;
      const entries: Record<string, unknown> = {};
      let any = false;
      for (const k in obj) {
        const item = plainScalar(f, obj[k], `${join(path, name)}.${k}`);
        if (item !== undefined) {
          entries[k] = item;
          any = true;
        }
      }
      if (any) out[name] = entries;
    } else if (hasOwn.call(m, name) && m[name] !== null && m[name] !== undefined) {
      const item = plainScalar(f, m[name], join(path, name));
      if (item !== undefined) out[name] = item;
      else if (f.required) {
        const p = join(path, name);
        throw new ProtoError(`Missing required field '${p}' (unknown enum value)`, p);
      }
    } else if (f.required) {
      const p = join(path, name);
      throw new ProtoError(`Missing required field '${p}'`, p);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Canonical plain object -> JSON-ready value.

function isClean(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v !== 'object') return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isClean(v[i])) return false;
    return true;
  }
  for (const k in v as Record<string, unknown>) if (!isClean((v as Record<string, unknown>)[k])) return false;
  return true;
}

function stripAbsent(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(stripAbsent);
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && x !== undefined) out[k] = stripAbsent(x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class TableCodec<T> implements Codec<T> {
  readonly typeName: string;
  #table: TypeTable | undefined;

  constructor(typeName: string) {
    this.typeName = typeName;
  }

  get table(): TypeTable {
    if (this.#table === undefined) this.#table = tableFor(this.typeName);
    return this.#table;
  }

  encode(message: T): Uint8Array {
    const type = this.table.type;
    try {
      return type.encode(type.fromObject(message as Record<string, unknown>)).finish();
    } catch (err) {
      throw new ProtoError(`Failed to encode ${this.typeName}: ${describe(err)}`, '', { cause: err });
    }
  }

  decode(bytes: Uint8Array): T {
    const table = this.table;
    let decoded: protobuf.Message;
    try {
      decoded = table.type.decode(bytes);
    } catch (err) {
      throw new ProtoError(`Failed to decode ${this.typeName}: ${describe(err)}`, '', { cause: err });
    }
    try {
      return plainMessage(table, decoded as unknown as Record<string, unknown>, '') as T;
    } catch (err) {
      if (err instanceof ProtoError) throw err;
      throw new ProtoError(`Failed to decode ${this.typeName}: ${describe(err)}`, '', { cause: err });
    }
  }

  fromJson(value: unknown): T {
    try {
      return jsonMessage(this.table, value, '') as T;
    } catch (err) {
      if (err instanceof ProtoError) throw err;
      throw new ProtoError(`Failed to parse ${this.typeName}: ${describe(err)}`, '', { cause: err });
    }
  }

  toJson(message: T): unknown {
    return isClean(message) ? message : stripAbsent(message);
  }
}

const codecs = new Map<string, Codec<unknown>>();

/**
 * The codec of a message type, by full name ('mesos.v1.scheduler.Call'). Cached per type.
 * Throws ProtoError for an unknown type name.
 */
export function codec<K extends keyof ProtoTypes>(typeName: K): Codec<ProtoTypes[K]>;
export function codec<T>(typeName: string): Codec<T>;
export function codec<T>(typeName: string): Codec<T> {
  const hit = codecs.get(typeName);
  if (hit !== undefined) return hit as Codec<T>;
  lookup(typeName);
  const made = new TableCodec<T>(typeName);
  codecs.set(typeName, made as Codec<unknown>);
  return made;
}
