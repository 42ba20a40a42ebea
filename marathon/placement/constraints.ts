/**
 * Marathon placement constraints (`[field, operator, value?]`) as pure predicates over an agent's
 * facts and the app's instances that count ("placed": running or launched, including those placed
 * earlier in the same offer round). Semantics follow Marathon 1.x:
 *
 * - field `hostname` / `@hostname`: the agent's hostname; `@region` / `@zone`: its fault domain;
 *   anything else: the agent attribute of that name, in text form (offer-pool.ts).
 * - an agent without the field satisfies only UNLIKE.
 * - UNIQUE: no placed instance has the agent's value.
 * - CLUSTER value: the agent's value is `value`; without a value: the agent's value is the first
 *   placed instance's (any agent when nothing is placed yet).
 * - GROUP_BY [n]: placed instances grouped by value; a value not yet used is accepted; a used one
 *   only when there are at least n groups and its group is among the smallest.
 * - MAX_PER n: fewer than n placed instances have the agent's value.
 * - LIKE / UNLIKE regex: the whole value matches (or does not match) the regex; an empty or
 *   invalid regex satisfies neither.
 * - IS value: the agent's value equals `value`. IN a,b,c (Marathon 1.9): it is one of them.
 * An unknown operator is never satisfied.
 */
import type { Constraint } from '../model.ts';

/** What a constraint reads of an agent, or of the agent an instance runs on. */
export interface PlacementFacts {
  readonly hostname: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly zone?: string;
}

export type FieldReader = (facts: PlacementFacts) => string | undefined;

export function fieldReader(field: string): FieldReader {
  switch (field) {
    case 'hostname':
    case '@hostname':
      return (f) => f.hostname;
    case '@region':
      return (f) => f.region;
    case '@zone':
      return (f) => f.zone;
    default:
      return (f) => (Object.prototype.hasOwnProperty.call(f.attributes, field) ? f.attributes[field] : undefined);
  }
}

/** Group sizes of the placed instances by value (an instance without the field forms its own group). */
function groupSizes(placed: readonly PlacementFacts[], read: FieldReader): Map<string | undefined, number> {
  const m = new Map<string | undefined, number>();
  for (const p of placed) {
    const v = read(p);
    m.set(v, (m.get(v) ?? 0) + 1);
  }
  return m;
}

/** Marathon's integer parameter: a number, `inf`, or the default. */
function intParam(value: string | undefined, fallback: number): number {
  if (value === 'inf') return Number.MAX_SAFE_INTEGER;
  if (value !== undefined && /^[+-]?\d+$/.test(value.trim())) return Number(value.trim());
  return fallback;
}

function fullMatch(pattern: string | undefined, text: string): boolean | undefined {
  if (pattern === undefined || pattern === '') return undefined;
  try {
    return new RegExp(`^(?:${pattern})$`).test(text);
  } catch {
    return undefined;
  }
}

export function meetsConstraint(constraint: Constraint, agent: PlacementFacts, placed: readonly PlacementFacts[]): boolean {
  const [field, operator, value] = constraint;
  const read = fieldReader(field);
  const own = read(agent);
  if (own === undefined) return operator === 'UNLIKE';
  switch (operator) {
    case 'UNIQUE':
      return placed.every((p) => read(p) !== own);
    case 'CLUSTER':
      if (value !== undefined && value !== '') return own === value;
      return placed.length === 0 || read(placed[0]) === own;
    case 'GROUP_BY': {
      const minimum = Math.max(0, intParam(value, 0));
      const groups = groupSizes(placed, read);
      const mine = groups.get(own);
      if (mine === undefined) return true;
      const smallest = Math.min(...groups.values());
      return groups.size >= minimum && mine === smallest;
    }
    case 'MAX_PER': {
      const max = intParam(value, Number.NaN);
      if (Number.isNaN(max)) return false;
      return (groupSizes(placed, read).get(own) ?? 0) < max;
    }
    case 'LIKE':
      return fullMatch(value, own) === true;
    case 'UNLIKE':
      return fullMatch(value, own) === false;
    case 'IS':
      return own === value;
    case 'IN':
      return value !== undefined && value.split(/ *, */).includes(own);
    default:
      return false;
  }
}

/** The constraints the agent does not meet, in the app's order. */
export function unmetConstraints(constraints: readonly Constraint[], agent: PlacementFacts, placed: readonly PlacementFacts[]): Constraint[] {
  return constraints.filter((c) => !meetsConstraint(c, agent, placed));
}
