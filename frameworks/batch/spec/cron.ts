/**
 * Cron expressions for batch schedules: parsing and the ticks they make in a time zone.
 *
 * Syntax: five fields `minute hour day-of-month month day-of-week`, or six with `second` first
 * (maestro's extension for seconds-level schedules). A field is `*` (or `?` in the day fields), a
 * value, a range `a-b`, a stepped `*` or range (`a-b/n`; `a/n` runs from a to the field's end),
 * or a comma list of those. Months and weekdays may be named (`JAN`, `mon`); weekday 7 is Sunday like 0. Macros:
 * `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly`.
 * Day matching is cron's: when both day fields are restricted (neither starts with `*` or `?`)
 * a day matches if either field does, otherwise both must.
 *
 * Ticks are wall-clock times in the schedule's IANA zone, turned into instants:
 * - a wall time that does not exist (the gap when clocks spring forward) is skipped;
 * - a wall time that happens twice (clocks fall back) fires once, at its first occurrence.
 *
 * Invariants: `nextTick(c, tz, a)` is the least tick strictly after `a`; ticks are whole seconds
 * of wall time; the functions are pure (no clock: the caller passes the instant).
 */

export interface Cron {
  /** The expression as given (macros kept), trimmed. */
  readonly source: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday .. 6 = Saturday (7 is folded into 0). */
  readonly daysOfWeek: ReadonlySet<number>;
  /** Whether the day-of-month field is restricted (does not start with `*` or `?`). */
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

export type ParsedCron = { readonly ok: true; readonly cron: Cron } | { readonly ok: false; readonly message: string };

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names for min, min+1, ... */
  readonly names?: readonly string[];
  /** `?` allowed (day fields). */
  readonly question?: boolean;
}

const SECOND: FieldDef = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldDef = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldDef = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldDef = { name: 'day-of-month', min: 1, max: 31, question: true };
const MONTH: FieldDef = { name: 'month', min: 1, max: 12, names: MONTH_NAMES };
const DAY_OF_WEEK: FieldDef = { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, question: true };

/** Days in each month of a leap year: a day-of-month that fits none of the months never fires. */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Years searched ahead before giving up (Feb 29 on a given weekday recurs within 28..40 years). */
const SEARCH_YEARS = 60;

export function parseCron(expr: string): ParsedCron {
  if (typeof expr !== 'string') return { ok: false, message: 'cron expression must be a string' };
  const source = expr.trim();
  const expanded = source.startsWith('@') ? MACROS[source.toLowerCase()] : source;
  if (expanded === undefined) return { ok: false, message: `unknown cron macro '${source}'` };
  const parts = expanded.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5 && parts.length !== 6) {
    return { ok: false, message: `cron expression '${source}' must have 5 fields (or 6 with seconds first), has ${parts.length}` };
  }
  const fields = parts.length === 6 ? parts : ['0', ...parts];
  const defs = [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];
  const sets: Set<number>[] = [];
  for (let i = 0; i < 6; i++) {
    const r = parseField(fields[i], defs[i]);
    if (typeof r === 'string') return { ok: false, message: `cron expression '${source}': ${r}` };
    sets.push(r);
  }
  const dow = new Set([...sets[5]].map((d) => (d === 7 ? 0 : d)));
  const cron: Cron = {
    source,
    seconds: sets[0], minutes: sets[1], hours: sets[2], daysOfMonth: sets[3], months: sets[4], daysOfWeek: dow,
    domRestricted: !isUnrestricted(fields[3]),
    dowRestricted: !isUnrestricted(fields[5]),
  };
  // A restricted day-of-month that fits none of the months never fires (`0 0 30 2 *`), unless a
  // restricted day-of-week can match instead (OR semantics).
  if (!(cron.domRestricted && cron.dowRestricted)) {
    const fits = [...cron.months].some((m) => [...cron.daysOfMonth].some((d) => d <= MAX_DAYS[m - 1]));
    if (!fits) return { ok: false, message: `cron expression '${source}': day-of-month never occurs in the given months` };
  }
  return { ok: true, cron };
}

function isUnrestricted(field: string): boolean {
  return field.startsWith('*') || field.startsWith('?');
}

function parseField(text: string, def: FieldDef): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') return `empty list item in ${def.name} field '${text}'`;
    const slash = item.split('/');
    if (slash.length > 2) return `bad step in ${def.name} field '${item}'`;
    const [rangeText, stepText] = slash;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) return `bad step '${stepText}' in ${def.name} field`;
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (rangeText === '*' || (rangeText === '?' && def.question)) {
      if (rangeText === '?' && stepText !== undefined) return `'?' takes no step in ${def.name} field`;
      lo = def.min;
      hi = def.name === 'day-of-week' ? 6 : def.max;
    } else {
      const dash = rangeText.split('-');
      if (dash.length > 2) return `bad range '${rangeText}' in ${def.name} field`;
      const a = parseValue(dash[0], def);
      if (typeof a === 'string') return a;
      lo = a;
      if (dash.length === 2) {
        const b = parseValue(dash[1], def);
        if (typeof b === 'string') return b;
        hi = b;
        if (hi < lo) return `range '${rangeText}' runs backwards in ${def.name} field`;
      } else {
        // `a/n` means a, a+n, ... to the field's end; a bare value is itself.
        hi = stepText !== undefined ? (def.name === 'day-of-week' ? 6 : def.max) : lo;
      }
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function parseValue(text: string, def: FieldDef): number | string {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    if (v < def.min || v > def.max) return `${def.name} value ${v} is out of range ${def.min}-${def.max}`;
    return v;
  }
  const idx = def.names?.indexOf(text.toUpperCase()) ?? -1;
  if (idx >= 0) return def.min + idx;
  return `bad ${def.name} value '${text}'`;
}

// ---------------------------------------------------------------------------------------------
// Time zones: wall-clock fields of an instant, read through Intl (the runtime's tz database).

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` names a time zone the runtime knows (`UTC`, `Europe/Berlin`; not `+01:00`). */
export function isTimeZone(tz: unknown): tz is string {
  if (typeof tz !== 'string' || tz === '' || /^[+-]/.test(tz)) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time of `ms` in `tz`, as epoch ms of the same fields read as UTC (whole seconds). */
export function wallTime(tz: string, ms: number): number {
  const fields: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') fields[p.type] = Number(p.value);
  }
  const wall = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  // Date.UTC maps years 0..99 to 1900..1999; the zones we serve never see those years.
  return wall;
}

/** The instants whose wall time in `tz` is `wall`, earliest first: none (a gap), one, or two (a repeat). */
export function instantsOf(tz: string, wall: number): number[] {
  const day = 86_400_000;
  const found = new Set<number>();
  for (const probe of [wall - day, wall, wall + day]) {
    const offset = wallTime(tz, probe) - floorSecond(probe);
    const t = wall - offset;
    if (wallTime(tz, t) === wall) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
}

function floorSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

// ---------------------------------------------------------------------------------------------
// Matching and the next tick.

/** Whether the wall time `wall` (epoch ms read as UTC fields) matches the expression. */
export function matchesWall(cron: Cron, wall: number): boolean {
  const d = new Date(wall);
  return d.getUTCMilliseconds() === 0
    && cron.seconds.has(d.getUTCSeconds())
    && cron.minutes.has(d.getUTCMinutes())
    && cron.hours.has(d.getUTCHours())
    && cron.months.has(d.getUTCMonth() + 1)
    && dayMatches(cron, d);
}

/** Whether the instant `ms` is a tick of the expression in `tz` (a repeated wall time only at its first occurrence). */
export function isTick(cron: Cron, tz: string, ms: number): boolean {
  if (ms % 1000 !== 0) return false;
  const wall = wallTime(tz, ms);
  if (!matchesWall(cron, wall)) return false;
  return instantsOf(tz, wall)[0] === ms;
}

function dayMatches(cron: Cron, d: Date): boolean {
  const dom = cron.daysOfMonth.has(d.getUTCDate());
  const dow = cron.daysOfWeek.has(d.getUTCDay());
  if (cron.domRestricted && cron.dowRestricted) return dom || dow;
  return dom && dow;
}

/** The least wall time >= `from` (whole seconds) matching the expression, or undefined within the search horizon. */
function nextWallMatch(cron: Cron, from: number): number | undefined {
  let d = new Date(Math.ceil(from / 1000) * 1000);
  const lastYear = d.getUTCFullYear() + SEARCH_YEARS;
  while (d.getUTCFullYear() <= lastYear) {
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth();
    if (!cron.months.has(mo + 1)) {
      d = new Date(Date.UTC(y, mo + 1, 1));
      continue;
    }
    if (!dayMatches(cron, d)) {
      d = new Date(Date.UTC(y, mo, d.getUTCDate() + 1));
      continue;
    }
    const h = d.getUTCHours();
    if (!cron.hours.has(h)) {
      d = new Date(Date.UTC(y, mo, d.getUTCDate(), h + 1));
      continue;
    }
    const mi = d.getUTCMinutes();
    if (!cron.minutes.has(mi)) {
      d = new Date(Date.UTC(y, mo, d.getUTCDate(), h, mi + 1));
      continue;
    }
    if (!cron.seconds.has(d.getUTCSeconds())) {
      d = new Date(d.getTime() + 1000);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}

/**
 * The first tick strictly after `afterMs` (epoch ms) of `cron` in the zone `timezone`, or
 * undefined when none comes within the search horizon (about 60 years).
 */
export function nextTick(cron: Cron, timezone: string, afterMs: number): number | undefined {
  if (!Number.isFinite(afterMs)) return undefined;
  let from = floorSecond(wallTime(timezone, afterMs)) + 1000;
  // Wall times run backwards once when clocks fall back: a wall time before `from` cannot give an
  // instant after `afterMs` unless it is repeated, and a repeated one fires at its first occurrence,
  // which is not after `afterMs` when its wall time is before ours. So scanning forward from `from` is enough.
  for (;;) {
    const wall = nextWallMatch(cron, from);
    if (wall === undefined) return undefined;
    const instants = instantsOf(timezone, wall);
    if (instants.length > 0 && instants[0] > afterMs) return instants[0];
    from = wall + 1000;
  }
}

/** The ticks `t` with `fromMs < t <= toMs`, in order; at most `max` of them. */
export function ticksBetween(cron: Cron, timezone: string, fromMs: number, toMs: number, max = Number.POSITIVE_INFINITY): number[] {
  const out: number[] = [];
  let t = nextTick(cron, timezone, fromMs);
  while (t !== undefined && t <= toMs && out.length < max) {
    out.push(t);
    t = nextTick(cron, timezone, t);
  }
  return out;
}
