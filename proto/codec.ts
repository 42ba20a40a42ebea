/**
 * The one mapping between maestro's in-memory messages and the wire (protobuf bytes, JSON).
 *
 * Canonical in-memory form of every message = the Mesos JSON form as a plain object:
 *   - field names exactly as in the .proto (snake_case);
 *   - enum values by NAME; every number (64-bit included) a JS number;
 *   - bytes as base64 strings; absent fields absent (never null, never undefined);
 *   - empty repeated and map fields absent (protobuf cannot tell them from unset).
 *
 * `fromJson` is the gate for untrusted JSON (json-form.ts), `decode` the gate for untrusted
 * bytes (wire-decode.ts): both return canonical objects or throw a ProtoError whose `path`
 * names the field. `encode` (wire-encode.ts) trusts its input to be canonical, as the
 * generated TypeScript types require, and only refuses unknown enum names and missing
 * required fields. All three are driven by per-type tables built once (schema-table.ts).
 */
import { jsonToPlain, plainToJson } from './json-form.ts';
import { messageTable, toProtoError } from './schema-table.ts';
import type { ProtoTypes } from './types.generated.ts';
import { bytesToPlain } from './wire-decode.ts';
import { plainToBytes } from './wire-encode.ts';

export { ProtoError } from './schema-table.ts';
export { loadRoot } from './load-root.ts';

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

class TableCodec<T> implements Codec<T> {
  constructor(readonly typeName: string) {}

  encode(message: T): Uint8Array {
    try {
      return plainToBytes(this.typeName, message as Record<string, unknown>);
    } catch (err) {
      throw toProtoError(err, `Failed to encode ${this.typeName}`);
    }
  }

  decode(bytes: Uint8Array): T {
    try {
      return bytesToPlain(this.typeName, bytes) as T;
    } catch (err) {
      throw toProtoError(err, `Failed to decode ${this.typeName}`);
    }
  }

  fromJson(value: unknown): T {
    try {
      return jsonToPlain(this.typeName, value) as T;
    } catch (err) {
      throw toProtoError(err, `Failed to parse ${this.typeName}`);
    }
  }

  toJson(message: T): unknown {
    return plainToJson(message);
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
  messageTable(typeName);
  const made = new TableCodec<T>(typeName);
  codecs.set(typeName, made as Codec<unknown>);
  return made;
}
