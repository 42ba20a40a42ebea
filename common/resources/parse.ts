/**
 * The Mesos `--resources` syntax, both forms Mesos accepts:
 * - text: `cpus:2;mem:1024;ports:[31000-32000];disks:{a,b};cpus(ops):1` — `;`-separated
 *   `name(role):value` items, the role defaulting to `defaultRole`; a value in `[...]` is ranges
 *   (`b-e` items, commas), in `{...}` a set, else a scalar; items of the same shape add up;
 * - JSON: an array of Mesos JSON `Resource` objects (validated as in proto-adapter.ts; an object
 *   with neither `role` nor `reservations` takes `defaultRole`).
 * A role other than '*' is a STATIC reservation. Bad input is a value (`ok: false`) carrying a
 * `ResourceError` naming the item index and field.
 */
import { normalizeRanges } from './ranges.ts';
import { UNRESERVED_ROLE, makeResource, staticReservation, toMilli } from './resource.ts';
import type { Resource } from './resource.ts';
import { ResourceError } from './resource-error.ts';
import { resourceFromProto } from './proto-adapter.ts';
import type { ResourceProto } from './proto-adapter.ts';

export type ParseResult = { ok: true; entries: Resource[] } | { ok: false; error: ResourceError };

const NAME_ROLE = /^([^()\s:;]+)(?:\(([^()\s]*)\))?$/;
const SCALAR = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function fail(message: string, index: number, field: string): ParseResult {
  return { ok: false, error: new ResourceError(message, index, field) };
}

function parseJson(text: string, defaultRole: string): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    return { ok: false, error: new ResourceError(`Invalid JSON resources: ${(cause as Error).message}`, -1, '', { cause }) };
  }
  if (!Array.isArray(data)) return fail('JSON resources must be an array', -1, '');
  const entries: Resource[] = [];
  for (let i = 0; i < data.length; i++) {
    const p = data[i] as ResourceProto;
    const withRole =
      p !== null && typeof p === 'object' && (p.role === undefined || p.role === null) && (p.reservations === undefined || p.reservations === null || p.reservations.length === 0)
        ? { ...p, role: defaultRole }
        : p;
    try {
      entries.push(resourceFromProto(withRole, i));
    } catch (e) {
      if (e instanceof ResourceError) return { ok: false, error: e };
      throw e;
    }
  }
  return { ok: true, entries };
}

function parseValue(name: string, role: string, value: string, index: number): Resource | ResourceError {
  const reservations = staticReservation(role);
  if (value.startsWith('[')) {
    if (!value.endsWith(']')) return new ResourceError(`Resource ${index} (${name}): bad ranges '${value}'`, index, 'ranges');
    const body = value.slice(1, -1).trim();
    const pairs: Array<[number, number]> = [];
    if (body !== '') {
      for (const item of body.split(',')) {
        const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(item);
        if (m === null) return new ResourceError(`Resource ${index} (${name}): bad range '${item.trim()}'`, index, 'ranges');
        const b = Number(m[1]);
        const e = Number(m[2]);
        if (b > e) return new ResourceError(`Resource ${index} (${name}): range '${item.trim()}' has begin > end`, index, 'ranges');
        pairs.push([b, e]);
      }
    }
    return makeResource({ name, kind: 'RANGES', ranges: normalizeRanges(pairs), reservations });
  }
  if (value.startsWith('{')) {
    if (!value.endsWith('}')) return new ResourceError(`Resource ${index} (${name}): bad set '${value}'`, index, 'set');
    const body = value.slice(1, -1).trim();
    const items = body === '' ? [] : body.split(',').map((s) => s.trim());
    if (items.some((s) => s === '')) return new ResourceError(`Resource ${index} (${name}): empty set item`, index, 'set');
    return makeResource({ name, kind: 'SET', set: [...new Set(items)].sort(), reservations });
  }
  if (!SCALAR.test(value)) return new ResourceError(`Resource ${index} (${name}): bad scalar value '${value}'`, index, 'scalar');
  const v = Number(value);
  if (!Number.isFinite(v) || v < 0) return new ResourceError(`Resource ${index} (${name}): scalar value must be finite and non-negative`, index, 'scalar');
  return makeResource({ name, kind: 'SCALAR', milli: toMilli(v), reservations });
}

export function parseResourceEntries(text: string, defaultRole: string = UNRESERVED_ROLE): ParseResult {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return parseJson(trimmed, defaultRole);
  const entries: Resource[] = [];
  const items = trimmed.split(';').map((s) => s.trim()).filter((s) => s !== '');
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const colon = item.indexOf(':');
    if (colon < 0) return fail(`Resource ${i}: missing ':' in '${item}'`, i, 'value');
    const m = NAME_ROLE.exec(item.slice(0, colon).trim());
    if (m === null) return fail(`Resource ${i}: bad name or role in '${item}'`, i, 'name');
    const role = m[2] === undefined ? defaultRole : m[2];
    if (role === '') return fail(`Resource ${i}: empty role in '${item}'`, i, 'role');
    const r = parseValue(m[1], role, item.slice(colon + 1).trim(), i);
    if (r instanceof ResourceError) return { ok: false, error: r };
    entries.push(r);
  }
  return { ok: true, entries };
}
