/**
 * Per-message field tables derived once from the .proto reflection data, shared by the
 * JSON mapping and the wire encoder/decoder so that none of them touches reflection per call.
 *
 * Invariants: a table is built at most once per message type (lazily, on first use);
 * `fields` is in declaration order, `byNumber` indexes fields by field number, `sorted` is
 * in field-number order (the order protobuf writers emit); enum lookups go both ways.
 */
import protobuf from 'protobufjs';
import { loadRoot } from './load-root.ts';

export class ProtoError extends Error {
  /** Dotted path of the offending field ('' for the message itself), e.g. 'subscribe.framework_info.user'. */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtoError';
    this.path = path;
  }
}

/** How a value is represented in the canonical form and on the wire. */
export type Kind =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'double'
  | 'float'
  | 'int32'
  | 'uint32'
  | 'sint32'
  | 'fixed32'
  | 'sfixed32'
  | 'int64'
  | 'uint64'
  | 'sint64'
  | 'fixed64'
  | 'sfixed64'
  | 'enum'
  | 'message';

export interface EnumSpec {
  readonly byName: Readonly<Record<string, number>>;
  readonly byNumber: ReadonlyMap<number, string>;
}

export interface FieldSpec {
  readonly name: string;
  readonly number: number;
  readonly kind: Kind;
  readonly repeated: boolean;
  readonly required: boolean;
  /** For map fields, the kind of the key; `kind` etc. then describe the value. */
  readonly mapKey?: Kind;
  readonly enumSpec?: EnumSpec;
  /** Full name of the message type of a message-kind field (or map value). */
  readonly messageType?: string;
}

export interface MessageTable {
  readonly typeName: string;
  readonly fields: readonly FieldSpec[];
  readonly sorted: readonly FieldSpec[];
  readonly byName: Readonly<Record<string, FieldSpec>>;
  readonly byNumber: readonly (FieldSpec | undefined)[];
  readonly requiredFields: readonly FieldSpec[];
  readonly requiredCount: number;
}

const SCALAR_KINDS = new Set<string>([
  'string', 'bytes', 'bool', 'double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32',
  'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64',
]);

const tables = new Map<string, MessageTable>();
const enums = new Map<string, EnumSpec>();

function enumSpec(e: protobuf.Enum): EnumSpec {
  const hit = enums.get(e.fullName);
  if (hit !== undefined) return hit;
  const byNumber = new Map<number, string>();
  for (const [name, number] of Object.entries(e.values)) if (!byNumber.has(number)) byNumber.set(number, name);
  const spec: EnumSpec = { byName: e.values, byNumber };
  enums.set(e.fullName, spec);
  return spec;
}

function scalarKind(type: string, where: string): Kind {
  if (!SCALAR_KINDS.has(type)) throw new ProtoError(`Unsupported field type '${type}' at ${where}`, '');
  return type as Kind;
}

function fieldSpec(field: protobuf.Field): FieldSpec {
  field.resolve();
  const resolved = field.resolvedType;
  const common = {
    name: field.name,
    number: field.id,
    repeated: field.repeated,
    required: field.required,
    ...(field instanceof protobuf.MapField ? { mapKey: scalarKind(field.keyType, field.fullName) } : {}),
  };
  if (resolved instanceof protobuf.Enum) return { ...common, kind: 'enum', enumSpec: enumSpec(resolved) };
  if (resolved instanceof protobuf.Type) return { ...common, kind: 'message', messageType: resolved.fullName.slice(1) };
  return { ...common, kind: scalarKind(field.type, field.fullName) };
}

/** The table of a message type, by full name ('mesos.v1.Offer'). Throws ProtoError if unknown. */
export function messageTable(typeName: string): MessageTable {
  const hit = tables.get(typeName);
  if (hit !== undefined) return hit;
  let type: protobuf.Type;
  try {
    type = loadRoot().lookupType(typeName);
  } catch (err) {
    throw new ProtoError(`Unknown message type '${typeName}'`, '', { cause: err });
  }
  const fields = type.fieldsArray.map(fieldSpec);
  const byName: Record<string, FieldSpec> = Object.create(null);
  const byNumber: (FieldSpec | undefined)[] = [];
  for (const f of fields) {
    byName[f.name] = f;
    byNumber[f.number] = f;
  }
  const table: MessageTable = {
    typeName,
    fields,
    sorted: [...fields].sort((a, b) => a.number - b.number),
    byName,
    byNumber,
    requiredFields: fields.filter((f) => f.required),
    requiredCount: fields.filter((f) => f.required).length,
  };
  tables.set(typeName, table);
  return table;
}

/**
 * Stores a map entry under an arbitrary (untrusted) key. A plain assignment to '__proto__'
 * would replace the object's prototype instead of adding an entry.
 */
export function setEntry(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/**
 * A failure inside a message, raised without knowing where the message sits. Each enclosing
 * field adds its segment while the fault unwinds (`atField`); the codec turns it into a
 * ProtoError with the full path (`toProtoError`). Paths are built only on failure.
 */
export class PathFault extends Error {
  /** Innermost first: 'type', '[1]', 'capabilities', ... */
  readonly segments: string[] = [];

  constructor(readonly render: (path: string) => string) {
    super('PathFault');
  }
}

/**
 * Rethrows `err` with more enclosing segments, innermost first: a field name, an index like
 * '[3]', or a map key, e.g. `atField(err, '[3]', 'resources')`.
 */
export function atField(err: unknown, ...segments: string[]): never {
  if (err instanceof PathFault) err.segments.push(...segments);
  throw err;
}

export function pathOf(fault: PathFault): string {
  let path = '';
  for (let i = fault.segments.length - 1; i >= 0; i--) {
    const s = fault.segments[i];
    path = s.startsWith('[') || path === '' ? path + s : `${path}.${s}`;
  }
  return path;
}

/** The ProtoError for anything thrown by the JSON mapping or the wire code. */
export function toProtoError(err: unknown, context: string): ProtoError {
  if (err instanceof ProtoError) return err;
  if (err instanceof PathFault) {
    const path = pathOf(err);
    return new ProtoError(err.render(path), path);
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new ProtoError(`${context}: ${detail}`, '', { cause: err });
}
