/**
 * Protobuf bytes -> canonical plain object.
 *
 * Semantics (proto2, as Mesos): unknown fields are skipped; a known field arriving with a
 * wire type other than its own is skipped like an unknown one, except that repeated numeric
 * fields are accepted both packed and unpacked; the last value of a singular field wins and
 * a singular message that occurs twice is merged; an unknown enum number is dropped (so an
 * unknown value of a required enum leaves it missing); every required field must be present.
 * Malformed input (truncation, bad wire type, over-long varint, nesting deeper than
 * MAX_DEPTH) raises a PathFault; nothing else escapes. 64-bit integers become JS numbers
 * (exact up to 2^53); bytes become base64 strings.
 *
 * Speed: like protobufjs, one decoder function per message type is generated from its field
 * table on first use (a `switch` over tags with fixed property names, which V8 optimises far
 * better than a generic loop with computed keys). Generated code only embeds field names and
 * numbers from our own .proto files, always as JSON-quoted literals.
 */
import { atField, messageTable, PathFault, setEntry } from './schema-table.ts';
import type { FieldSpec, Kind, MessageTable } from './schema-table.ts';

const MAX_DEPTH = 100;
const TWO_32 = 4294967296;

export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
export const FIXED32 = 5;

function malformed(what: string): PathFault {
  return new PathFault((p) => (p === '' ? `malformed protobuf: ${what}` : `malformed protobuf at '${p}': ${what}`));
}

function missing(name: string): PathFault {
  const fault = new PathFault((p) => `Missing required field '${p}'`);
  fault.segments.push(name);
  return fault;
}

/** Wire type a field of this kind is written with (unpacked). */
export function wireTypeOf(kind: Kind): number {
  switch (kind) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return FIXED64;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return FIXED32;
    case 'string':
    case 'bytes':
    case 'message':
      return LENGTH_DELIMITED;
    default:
      return VARINT;
  }
}

function combine(lo: number, hi: number, signed: boolean): number {
  if (signed && hi & 0x80000000) return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
  return (hi >>> 0) * TWO_32 + (lo >>> 0);
}

export class Reader {
  pos = 0;

  constructor(
    readonly buf: Buffer,
    public end: number,
  ) {}

  /** Low 32 bits of a varint of up to 10 bytes (negative int32s are sign-extended to 10). */
  varint32(): number {
    const buf = this.buf;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const b = buf[this.pos++];
      if (shift < 32) result |= (b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** A full 64-bit varint as a number. */
  varint64(signed: boolean): number {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const b = buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (i * 7);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (i * 7 - 32);
      if (b < 0x80) return combine(lo, hi, signed);
    }
    throw malformed('varint longer than 10 bytes');
  }

  bool(): boolean {
    return this.varint64(false) !== 0;
  }

  sint32(): number {
    const n = this.varint32();
    return (n >>> 1) ^ -(n & 1);
  }

  sint64(): number {
    const u = this.varint64(false);
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw malformed('truncated fixed32');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  fixed64(signed: boolean): number {
    if (this.pos + 8 > this.end) throw malformed('truncated fixed64');
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return combine(lo, hi, signed);
  }

  double(): number {
    if (this.pos + 8 > this.end) throw malformed('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw malformed('truncated float');
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads a length prefix; returns the end offset of the delimited bytes. */
  delimited(): number {
    const len = this.varint32() >>> 0;
    const end = this.pos + len;
    if (end > this.end) throw malformed('length exceeds the input');
    return end;
  }

  string(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return this.buf.toString('utf8', start, end);
  }

  base64(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return this.buf.toString('base64', start, end);
  }

  skipField(wireType: number, depth: number): void {
    switch (wireType) {
      case VARINT:
        this.varint64(false);
        return;
      case FIXED64:
        if (this.pos + 8 > this.end) throw malformed('truncated fixed64');
        this.pos += 8;
        return;
      case LENGTH_DELIMITED:
        this.pos = this.delimited();
        return;
      case START_GROUP:
        if (depth >= MAX_DEPTH) throw malformed('nesting too deep');
        for (;;) {
          const tag = this.varint32() >>> 0;
          if ((tag & 7) === END_GROUP) return;
          this.skipField(tag & 7, depth + 1);
        }
      case FIXED32:
        if (this.pos + 4 > this.end) throw malformed('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw malformed(`invalid wire type ${wireType}`);
    }
  }
}

/** Reader call that yields one scalar of `kind` (enums as numbers). */
const READ: Readonly<Record<Exclude<Kind, 'message'>, string>> = {
  string: 'r.string()',
  bytes: 'r.base64()',
  bool: 'r.bool()',
  double: 'r.double()',
  float: 'r.float()',
  int32: 'r.varint32()',
  enum: 'r.varint32()',
  uint32: '(r.varint32() >>> 0)',
  sint32: 'r.sint32()',
  fixed32: 'r.fixed32()',
  sfixed32: '(r.fixed32() | 0)',
  int64: 'r.varint64(true)',
  uint64: 'r.varint64(false)',
  sint64: 'r.sint64()',
  fixed64: 'r.fixed64(false)',
  sfixed64: 'r.fixed64(true)',
};

type DecodeFn = (r: Reader, end: number, depth: number, into: Record<string, unknown> | undefined) => Record<string, unknown>;

const decoders = new Map<string, DecodeFn>();

function decoderFor(typeName: string): DecodeFn {
  let fn = decoders.get(typeName);
  if (fn === undefined) {
    fn = compileDecoder(messageTable(typeName));
    decoders.set(typeName, fn);
  }
  return fn;
}

/** Reads one value of a map's key or value field (used by the generic map-entry reader). */
function readScalar(r: Reader, kind: Exclude<Kind, 'message'>): unknown {
  switch (kind) {
    case 'string':
      return r.string();
    case 'bytes':
      return r.base64();
    case 'bool':
      return r.bool();
    case 'double':
      return r.double();
    case 'float':
      return r.float();
    case 'int32':
    case 'enum':
      return r.varint32();
    case 'uint32':
      return r.varint32() >>> 0;
    case 'sint32':
      return r.sint32();
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.fixed32() | 0;
    case 'int64':
      return r.varint64(true);
    case 'uint64':
      return r.varint64(false);
    case 'sint64':
      return r.sint64();
    case 'fixed64':
      return r.fixed64(false);
    case 'sfixed64':
      return r.fixed64(true);
  }
}

/** The value a map entry without a value field stands for; undefined for an enum (no name to give). */
function mapDefault(f: FieldSpec): unknown {
  switch (f.kind) {
    case 'message':
      return {};
    case 'enum':
      return undefined;
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

/** Reads one map entry (a key = 1, value = 2 message) into `out[f.name]`. Maps are rare: no codegen. */
function mapEntry(r: Reader, f: FieldSpec, depth: number, out: Record<string, unknown>): void {
  const end = r.delimited();
  const outerEnd = r.end;
  r.end = end;
  const keyKind = f.mapKey as Exclude<Kind, 'message'>;
  let key: unknown = keyKind === 'string' ? '' : 0;
  let val: unknown;
  let seen = false;
  while (r.pos < end) {
    const tag = r.varint32() >>> 0;
    const wt = tag & 7;
    if (tag >>> 3 === 1 && wt === wireTypeOf(keyKind)) key = readScalar(r, keyKind);
    else if (tag >>> 3 === 2 && wt === wireTypeOf(f.kind)) {
      seen = true;
      if (f.kind === 'message') val = decoderFor(f.messageType as string)(r, r.delimited(), depth + 1, undefined);
      else {
        val = readScalar(r, f.kind);
        if (f.kind === 'enum') val = f.enumSpec?.byNumber.get(val as number);
      }
    } else r.skipField(wt, depth);
  }
  r.end = outerEnd;
  if (!seen) val = mapDefault(f);
  if (val !== undefined) setEntry((out[f.name] ??= {}) as Record<string, unknown>, String(key), val);
}

function compileDecoder(table: MessageTable): DecodeFn {
  const prelude: string[] = [];
  const cases: string[] = [];
  table.fields.forEach((f, i) => {
    const k = JSON.stringify(f.name);
    const wt = wireTypeOf(f.kind);
    const tag = ((f.number << 3) | wt) >>> 0;
    let read: string;
    if (f.kind === 'message') {
      prelude.push(`let D${i};`);
      read = `(D${i} || (D${i} = decoderFor(${JSON.stringify(f.messageType)})))(r, r.delimited(), depth + 1, undefined)`;
    } else if (f.kind === 'enum') {
      prelude.push(`const E${i} = F[${i}].enumSpec.byNumber;`);
      read = `E${i}.get(r.varint32())`;
    } else read = READ[f.kind];

    if (f.mapKey !== undefined) {
      cases.push(`case ${((f.number << 3) | LENGTH_DELIMITED) >>> 0}: try { mapEntry(r, F[${i}], depth, o); } catch (e) { atField(e, ${k}); } break;`);
    } else if (f.repeated) {
      const pushOne = `{ const v = ${read}; if (v !== undefined) { const l = o[${k}]; if (l === undefined) o[${k}] = [v]; else l.push(v); } }`;
      const fail = `catch (e) { const l = o[${k}]; atField(e, "[" + (l === undefined ? 0 : l.length) + "]", ${k}); }`;
      cases.push(`case ${tag}: try ${pushOne} ${fail} break;`);
      if (wt !== LENGTH_DELIMITED) {
        const packedTag = ((f.number << 3) | LENGTH_DELIMITED) >>> 0;
        cases.push(
          `case ${packedTag}: try { const pe = r.delimited(); const se = r.end; r.end = pe; while (r.pos < pe) ${pushOne} r.end = se; } ${fail} break;`,
        );
      }
    } else if (f.kind === 'message') {
      const merge = `(D${i} || (D${i} = decoderFor(${JSON.stringify(f.messageType)})))(r, r.delimited(), depth + 1, o[${k}])`;
      cases.push(`case ${tag}: try { o[${k}] = ${merge}; } catch (e) { atField(e, ${k}); } break;`);
    } else if (f.kind === 'enum') {
      cases.push(`case ${tag}: try { const v = ${read}; if (v !== undefined) o[${k}] = v; } catch (e) { atField(e, ${k}); } break;`);
    } else {
      cases.push(`case ${tag}: try { o[${k}] = ${read}; } catch (e) { atField(e, ${k}); } break;`);
    }
  });
  const requiredChecks = table.requiredFields.map((f) => `if (o[${JSON.stringify(f.name)}] === undefined) throw missing(${JSON.stringify(f.name)});`);
  const body = [
    ...prelude,
    'return function decode(r, end, depth, into) {',
    '  if (depth > MAX_DEPTH) throw malformed("nesting too deep");',
    '  const outerEnd = r.end;',
    '  r.end = end;',
    '  const o = into === undefined ? {} : into;',
    '  while (r.pos < end) {',
    '    const tag = r.varint32() >>> 0;',
    '    switch (tag) {',
    ...cases.map((c) => `      ${c}`),
    '      default:',
    '        if (tag >>> 3 === 0) throw malformed("field number 0");',
    '        r.skipField(tag & 7, depth);',
    '    }',
    '  }',
    '  r.end = outerEnd;',
    ...requiredChecks.map((c) => `  ${c}`),
    '  return o;',
    '};',
  ].join('\n');
  const factory = new Function('F', 'MAX_DEPTH', 'malformed', 'missing', 'atField', 'decoderFor', 'mapEntry', body) as (
    ...deps: unknown[]
  ) => DecodeFn;
  return factory(table.fields, MAX_DEPTH, malformed, missing, atField, decoderFor, mapEntry);
}

/** Protobuf bytes -> canonical plain object of `typeName`. Throws PathFault. */
export function bytesToPlain(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decoderFor(typeName)(new Reader(buf, buf.length), buf.length, 0, undefined);
}
