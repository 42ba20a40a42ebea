/**
 * Canonical plain object -> protobuf bytes.
 *
 * Output is what protobuf's own writers produce for proto2: fields in field-number order,
 * repeated scalars unpacked, map entries as (key = 1, value = 2) messages, minimal varints.
 * Length prefixes of nested messages are written after their content (one byte reserved,
 * content shifted in the rarer case the length needs more), so each message is written once.
 *
 * The input is trusted to be canonical (the generated TypeScript types require it); the
 * checks that remain are the cheap ones without which the bytes would be refused by any
 * peer: unknown enum names and missing required fields raise a PathFault naming the field.
 *
 * Speed: as in wire-decode.ts, one encoder function per message type is generated from its
 * field table on first use; generated code embeds only JSON-quoted names from our schemas.
 */
import { atField, messageTable, PathFault } from './schema-table.ts';
import type { FieldSpec, Kind, MessageTable } from './schema-table.ts';
import { LENGTH_DELIMITED, wireTypeOf } from './wire-decode.ts';

const TWO_32 = 4294967296;

class Writer {
  buf: Buffer;
  pos = 0;

  constructor(initial: number) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned 32-bit varint (callers pass values already made unsigned). */
  varint32(v: number): void {
    this.ensure(5);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** 64-bit varint from two unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  /** int32 (and enum numbers): negatives take ten bytes, sign-extended as in protobuf. */
  int32(v: number): void {
    if (v >= 0) this.varint32(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  /** int64/uint64 from a JS number. */
  int64(v: number): void {
    if (v >= 0 && v <= 0xffffffff) this.varint32(v);
    else {
      const [lo, hi] = halves(v);
      this.varint64(lo, hi);
    }
  }

  string(s: string): void {
    if (s.length <= 42) {
      // At most 126 UTF-8 bytes: the length fits in the one byte written first.
      this.ensure(1 + s.length * 3);
      const at = this.pos++;
      const n = this.buf.write(s, this.pos, 'utf8');
      this.buf[at] = n;
      this.pos += n;
    } else {
      const n = Buffer.byteLength(s, 'utf8');
      this.varint32(n);
      this.ensure(n);
      this.pos += this.buf.write(s, this.pos, 'utf8');
    }
  }

  /** A bytes field given as base64; decoded first so the length prefix is exact for any input. */
  base64(s: string): void {
    const bytes = Buffer.from(s, 'base64');
    this.varint32(bytes.length);
    this.ensure(bytes.length);
    this.pos += bytes.copy(this.buf, this.pos);
  }

  double(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  float(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeFloatLE(v, this.pos);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(v >>> 0, this.pos);
  }

  fixed64(v: number): void {
    const [lo, hi] = halves(v);
    this.ensure(8);
    this.pos = this.buf.writeUInt32LE(lo, this.pos);
    this.pos = this.buf.writeUInt32LE(hi, this.pos);
  }

  /** Reserves the one-byte length prefix of a nested message; returns where its content starts. */
  beginDelimited(): number {
    this.ensure(1);
    this.pos++;
    return this.pos;
  }

  endDelimited(start: number): void {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return;
    }
    let extra = 0;
    for (let v = len >>> 7; v > 0; v >>>= 7) extra++;
    this.ensure(extra);
    this.buf.copy(this.buf, start + extra, start, this.pos);
    this.pos = start - 1;
    this.varint32(len);
    this.pos = start + extra + len;
  }
}

/** Splits an integer-valued number into unsigned 32-bit halves of its 64-bit two's complement. */
function halves(v: number): [number, number] {
  if (v >= 0) return [v % TWO_32 >>> 0, Math.floor(v / TWO_32) >>> 0];
  const m = -v;
  let lo = ~(m % TWO_32 >>> 0) >>> 0;
  let hi = ~(Math.floor(m / TWO_32) >>> 0) >>> 0;
  lo = (lo + 1) >>> 0;
  if (lo === 0) hi = (hi + 1) >>> 0;
  return [lo, hi];
}

function unknownEnum(v: unknown): PathFault {
  return new PathFault((p) => `Unknown enum value '${String(v)}' for field '${p}'`);
}

function missing(name: string): PathFault {
  const fault = new PathFault((p) => `Missing required field '${p}'`);
  fault.segments.push(name);
  return fault;
}

/** Writer call that writes one scalar `v` of `kind` (enums already as numbers). */
const WRITE: Readonly<Record<Exclude<Kind, 'message' | 'enum'>, string>> = {
  string: 'w.string(v)',
  bytes: 'w.base64(v)',
  bool: 'w.varint32(v ? 1 : 0)',
  double: 'w.double(v)',
  float: 'w.float(v)',
  int32: 'w.int32(v)',
  uint32: 'w.varint32(v >>> 0)',
  sint32: 'w.varint32(((v << 1) ^ (v >> 31)) >>> 0)',
  fixed32: 'w.fixed32(v)',
  sfixed32: 'w.fixed32(v)',
  int64: 'w.int64(v)',
  uint64: 'w.int64(v)',
  sint64: 'w.int64(v >= 0 ? v * 2 : -v * 2 - 1)',
  fixed64: 'w.fixed64(v)',
  sfixed64: 'w.fixed64(v)',
};

type EncodeFn = (w: Writer, m: Record<string, unknown>) => void;

const encoders = new Map<string, EncodeFn>();

function encoderFor(typeName: string): EncodeFn {
  let fn = encoders.get(typeName);
  if (fn === undefined) {
    fn = compileEncoder(messageTable(typeName));
    encoders.set(typeName, fn);
  }
  return fn;
}

/** Writes one value of a map key or value (used by the generic map-entry writer). */
function writeScalar(w: Writer, kind: Exclude<Kind, 'message' | 'enum'>, v: unknown): void {
  switch (kind) {
    case 'string':
      return w.string(v as string);
    case 'bytes':
      return w.base64(v as string);
    case 'bool':
      return w.varint32(v ? 1 : 0);
    case 'double':
      return w.double(v as number);
    case 'float':
      return w.float(v as number);
    case 'int32':
      return w.int32(v as number);
    case 'uint32':
      return w.varint32((v as number) >>> 0);
    case 'sint32':
      return w.varint32((((v as number) << 1) ^ ((v as number) >> 31)) >>> 0);
    case 'fixed32':
    case 'sfixed32':
      return w.fixed32(v as number);
    case 'int64':
    case 'uint64':
      return w.int64(v as number);
    case 'sint64':
      return w.int64((v as number) >= 0 ? (v as number) * 2 : -(v as number) * 2 - 1);
    case 'fixed64':
    case 'sfixed64':
      return w.fixed64(v as number);
  }
}

/** Writes every entry of a map field. Maps are rare: no codegen. */
function writeMap(w: Writer, f: FieldSpec, map: Record<string, unknown>): void {
  const keyKind = f.mapKey as Exclude<Kind, 'message' | 'enum'>;
  for (const key in map) {
    const v = map[key];
    if (v === undefined || v === null) continue;
    try {
      w.varint32(((f.number << 3) | LENGTH_DELIMITED) >>> 0);
      const start = w.beginDelimited();
      w.varint32(((1 << 3) | wireTypeOf(keyKind)) >>> 0);
      writeScalar(w, keyKind, keyKind === 'string' ? key : keyKind === 'bool' ? key === 'true' : Number(key));
      w.varint32(((2 << 3) | wireTypeOf(f.kind)) >>> 0);
      if (f.kind === 'message') {
        const inner = w.beginDelimited();
        encoderFor(f.messageType as string)(w, v as Record<string, unknown>);
        w.endDelimited(inner);
      } else if (f.kind === 'enum') {
        const n = f.enumSpec?.byName[v as string];
        if (n === undefined || !Object.prototype.hasOwnProperty.call(f.enumSpec?.byName, v as string)) throw unknownEnum(v);
        w.int32(n);
      } else writeScalar(w, f.kind, v);
      w.endDelimited(start);
    } catch (err) {
      atField(err, key);
    }
  }
}

function compileEncoder(table: MessageTable): EncodeFn {
  const prelude: string[] = [];
  const parts: string[] = [];
  for (const f of table.sorted) {
    const i = table.fields.indexOf(f);
    const k = JSON.stringify(f.name);
    const tag = ((f.number << 3) | wireTypeOf(f.kind)) >>> 0;
    let writeOne: string;
    if (f.kind === 'message') {
      prelude.push(`let N${i};`);
      const enc = `(N${i} || (N${i} = encoderFor(${JSON.stringify(f.messageType)})))`;
      writeOne = `{ w.varint32(${tag}); const s = w.beginDelimited(); ${enc}(w, v); w.endDelimited(s); }`;
    } else if (f.kind === 'enum') {
      prelude.push(`const M${i} = new Map(Object.entries(F[${i}].enumSpec.byName));`);
      writeOne = `{ const n = M${i}.get(v); if (n === undefined) throw unknownEnum(v); w.varint32(${tag}); w.int32(n); }`;
    } else {
      writeOne = `{ w.varint32(${tag}); ${WRITE[f.kind]}; }`;
    }
    let body: string;
    if (f.mapKey !== undefined) body = `try { writeMap(w, F[${i}], x); } catch (e) { atField(e, ${k}); }`;
    else if (f.repeated) {
      body = `for (let j = 0; j < x.length; j++) { const v = x[j]; try ${writeOne} catch (e) { atField(e, "[" + j + "]", ${k}); } }`;
    } else body = `{ const v = x; try ${writeOne} catch (e) { atField(e, ${k}); } }`;
    const absent = f.required ? ` else throw missing(${k});` : '';
    parts.push(`x = m[${k}];`, `if (x !== undefined && x !== null) ${body}${absent}`);
  }
  const source = [...prelude, 'return function encode(w, m) {', '  let x;', ...parts.map((p) => `  ${p}`), '};'].join('\n');
  const factory = new Function('F', 'encoderFor', 'writeMap', 'atField', 'missing', 'unknownEnum', source) as (
    ...deps: unknown[]
  ) => EncodeFn;
  return factory(table.fields, encoderFor, writeMap, atField, missing, unknownEnum);
}

const SCRATCH_BYTES = 64 * 1024;
let scratch = new Writer(SCRATCH_BYTES);

/**
 * Canonical plain object of `typeName` -> protobuf bytes (a fresh buffer). Throws PathFault.
 * Writes into a reused scratch buffer (encoding is synchronous), then copies the result out;
 * a scratch buffer grown past 4 MiB by one huge message is dropped afterwards.
 */
export function plainToBytes(typeName: string, plain: Record<string, unknown>): Buffer {
  const w = scratch;
  w.pos = 0;
  encoderFor(typeName)(w, plain);
  const out = Buffer.allocUnsafe(w.pos);
  w.buf.copy(out, 0, 0, w.pos);
  if (w.buf.length > 4 * 1024 * 1024) scratch = new Writer(SCRATCH_BYTES);
  return out;
}
