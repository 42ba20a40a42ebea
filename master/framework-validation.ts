/**
 * Validation of a FrameworkInfo at SUBSCRIBE and UPDATE_FRAMEWORK, with Mesos' rules and
 * messages: role names (`*`, or slash-separated path segments that are not empty, `.`, `..` or
 * `*`, do not start with `-` and contain no whitespace or control characters), MULTI_ROLE
 * frameworks use `roles` and never `role`, others the reverse, no duplicate roles, the id rules,
 * offer filters (min_allocatable_resources quantities), the failover timeout (any value a Duration can hold, negative included, as Mesos); on update
 * the principal, user and checkpoint flag may not change. A re-SUBSCRIBE keeps the old user and
 * checkpoint flag silently (`preserveImmutableFields`), so there only a new principal fails.
 * Pure: answers an error message or undefined.
 */
import type { mesos } from '../proto/types.generated.ts';

type FrameworkInfo = mesos.v1.FrameworkInfo;

/** Mesos `roles::validate`. */
export function validateRole(role: string): string | undefined {
  if (role === '*') return undefined;
  if (role === '') return 'Empty role name is invalid';
  if (role.startsWith('/')) return `Role '${role}' cannot start with a slash`;
  if (role.endsWith('/')) return `Role '${role}' cannot end with a slash`;
  for (const segment of role.split('/')) {
    if (segment === '') return `Role '${role}' cannot contain two adjacent slashes`;
    if (segment === '.') return `Role '${role}' cannot include '.' as a path segment`;
    if (segment === '..') return `Role '${role}' cannot include '..' as a path segment`;
    if (segment === '*') return `Role '${role}' cannot include '*' as a path segment`;
    if (segment.startsWith('-')) return `Role component '${segment}' is invalid because it starts with a dash`;
    if (/[\s\x00-\x1f\x7f]/.test(segment)) return `Role component '${segment}' is invalid because it contains backspace or whitespace`;
  }
  return undefined;
}

export function hasCapability(info: FrameworkInfo, type: string): boolean {
  return (info.capabilities ?? []).some((c) => c.type === type);
}

/** The roles a framework subscribes with: MULTI_ROLE `roles`, else the single `role` (default `*`). */
export function frameworkRoles(info: FrameworkInfo): string[] {
  if (hasCapability(info, 'MULTI_ROLE')) return [...(info.roles ?? [])];
  return [info.role ?? '*'];
}

/** Mesos `common::validation::validateID` (framework, agent, task and executor ids). */
export function validateId(id: string): string | undefined {
  if (id === '') return 'ID must not be empty';
  if (id.length > 255) return 'ID must not be greater than 255 characters';
  if (id === '.' || id === '..') return `'${id}' is disallowed`;
  if (/[\x00-\x1f\x7f/\\]/.test(id)) return `'${id}' contains invalid characters`;
  return undefined;
}

/** Mesos `validation::framework::validate`: roles, then the framework id. */
export function validateFrameworkInfo(info: FrameworkInfo): string | undefined {
  const multiRole = hasCapability(info, 'MULTI_ROLE');
  if (multiRole && info.role !== undefined) {
    return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable";
  }
  if (!multiRole && (info.roles ?? []).length > 0) {
    return "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable";
  }
  if (multiRole) {
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const r of info.roles ?? []) (seen.has(r) ? duplicates : seen).add(r);
    if (duplicates.size > 0) return `'FrameworkInfo.roles' contains duplicate items: { ${[...duplicates].join(', ')} }`;
    for (const r of info.roles ?? []) {
      const err = validateRole(r);
      if (err !== undefined) return `'FrameworkInfo.roles' contains invalid role: ${err}`;
    }
  } else {
    const err = validateRole(info.role ?? '*');
    if (err !== undefined) return `'FrameworkInfo.role' is not a valid role: ${err}`;
  }
  const id = info.id?.value;
  if (id !== undefined && id !== '') {
    const err = validateId(id);
    if (err !== undefined) return err;
  }
  for (const filters of Object.values(info.offer_filters ?? {})) {
    const err = validateOfferFilters(filters);
    if (err !== undefined) return err;
  }
  if (info.failover_timeout !== undefined && !isDurationSeconds(info.failover_timeout)) {
    return `The framework failover_timeout (${formatDouble(info.failover_timeout)}) is invalid`;
  }
  return undefined;
}

/** Mesos `validateInputScalarValue`: finite, normal or zero, not negative. */
export function validateInputScalarValue(value: number): string | undefined {
  if (Number.isNaN(value)) return 'NaN not supported';
  if (!Number.isFinite(value)) return 'Infinite values not supported';
  if (value !== 0 && Math.abs(value) < 2.2250738585072014e-308) return 'Subnormal values not supported';
  if (value < 0) return 'Negative values not supported';
  return undefined;
}

/** Mesos `validateOfferFilters`: every min_allocatable_resources alternative names at least one valid quantity. */
export function validateOfferFilters(filters: mesos.v1.OfferFilters): string | undefined {
  for (const alternative of filters.min_allocatable_resources?.quantities ?? []) {
    const entries = Object.entries(alternative.quantities ?? {});
    if (entries.length === 0) return 'Resource quantities must contain at least one quantity';
    for (const [name, scalar] of entries) {
      const err = validateInputScalarValue(scalar.value);
      if (err !== undefined) return `Invalid resource quantity for '${name}': ${err}`;
    }
  }
  return undefined;
}

/** Largest magnitude of a Mesos Duration: int64 nanoseconds. */
const MAX_DURATION_SECONDS = 9_223_372_036.854775807;

/** Whether `seconds` fits a Mesos Duration (`Duration::create`): finite and within int64 nanoseconds. */
export function isDurationSeconds(seconds: number): boolean {
  return Number.isFinite(seconds) && Math.abs(seconds) <= MAX_DURATION_SECONDS;
}

/** A double as C++ streams print it by default (`%g`, six significant digits): 0.5, -1, 1e+20. */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa, exp] = x.toExponential(5).split('e');
    const digits = exp.replace(/^[+-]/, '');
    return `${trimZeros(mantissa)}e${exp.startsWith('-') ? '-' : '+'}${digits.padStart(2, '0')}`;
  }
  return trimZeros(x.toFixed(Math.max(0, 5 - exponent)));
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * Mesos `validateUpdate`: UPDATE_FRAMEWORK and re-subscription may not change the immutable
 * fields (principal, user, checkpoint). `next` is assumed valid on its own (validateFrameworkInfo).
 */
export function validateFrameworkUpdate(old: FrameworkInfo, next: FrameworkInfo): string | undefined {
  if (old.principal !== next.principal) return "Changing framework's principal is not allowed.";
  if (old.user !== next.user) {
    return `Updating 'FrameworkInfo.user' is unsupported; attempted to update from '${old.user}' to '${next.user}'`;
  }
  const oldCheckpoint = old.checkpoint ?? false;
  const newCheckpoint = next.checkpoint ?? false;
  if (oldCheckpoint !== newCheckpoint) {
    return `Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '${oldCheckpoint}' to '${newCheckpoint}'`;
  }
  return undefined;
}

/**
 * Mesos `preserveImmutableFields`, applied at re-SUBSCRIBE before `validateFrameworkUpdate`: a
 * changed user or checkpoint flag is not an error there, the old value simply stays.
 */
export function preserveImmutableFields(old: FrameworkInfo, next: FrameworkInfo): FrameworkInfo {
  const out: FrameworkInfo = { ...next, user: old.user };
  if ((next.checkpoint ?? false) !== (old.checkpoint ?? false)) {
    if (old.checkpoint === undefined) delete out.checkpoint;
    else out.checkpoint = old.checkpoint;
  }
  return out;
}

/** Mesos `validateSuppressedRoles`: every suppressed role must be one of the framework's roles. */
export function validateSuppressedRoles(roles: readonly string[], suppressed: readonly string[]): string | undefined {
  const invalid = [...new Set(suppressed.filter((r) => !roles.includes(r)))].sort();
  return invalid.length === 0 ? undefined : `Suppressed roles { ${invalid.join(', ')} } are not contained in the set of roles`;
}
