/**
 * Command-line flags, Mesos style: `--name=value`, `--name value`, `--name` / `--no-name` for
 * booleans, each also settable as `MAESTRO_<NAME>` in the environment (the command line wins).
 * Durations take Mesos' units (`ns`, `us`, `ms`, `secs`, `mins`, `hrs`, `days`, and the short
 * `s`, `m`, `h`) and are returned in seconds. Unknown flags and bad values are errors that name
 * the flag.
 */

export type FlagType = 'string' | 'number' | 'boolean' | 'duration';

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly help: string;
  readonly default?: string | number | boolean;
}

export type FlagValue = string | number | boolean;
export type FlagValues = Readonly<Record<string, FlagValue | undefined>>;

export class FlagError extends Error {
  constructor(readonly flag: string, message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, secs: 1, sec: 1, m: 60, mins: 60, min: 60,
  h: 3600, hrs: 3600, hr: 3600, days: 86400, day: 86400, weeks: 604800,
};

/** Parses `5secs`, `1.5mins`, `200ms`, or a bare number of seconds; returns seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2] === '' ? 1 : DURATION_UNITS[m[2]];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.type) {
    case 'string':
      return raw;
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new FlagError(spec.name, `--${spec.name}: expected a number, got '${raw}'`);
      return n;
    }
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      throw new FlagError(spec.name, `--${spec.name}: expected true or false, got '${raw}'`);
    case 'duration': {
      const d = parseDuration(raw);
      if (d === undefined) throw new FlagError(spec.name, `--${spec.name}: expected a duration such as 5secs or 200ms, got '${raw}'`);
      return d;
    }
  }
}

export interface ParsedFlags {
  readonly values: FlagValues;
  readonly help: boolean;
  /** Arguments that are not flags (after the subcommand). */
  readonly positional: readonly string[];
}

export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, FlagValue | undefined> = {};
  for (const s of specs) {
    const fromEnv = env[`MAESTRO_${s.name.toUpperCase()}`];
    values[s.name] = fromEnv !== undefined ? convert(s, fromEnv) : s.default;
  }
  let help = false;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') { help = true; continue; }
    if (!arg.startsWith('--')) { positional.push(arg); continue; }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    if (!spec && raw === undefined && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      name = name.slice(3);
      spec = byName.get(name);
      raw = 'false';
    }
    if (!spec) throw new FlagError(name, `unknown flag --${name} (see --help)`);
    if (raw === undefined) {
      if (spec.type === 'boolean') raw = 'true';
      else if (i + 1 < argv.length) raw = argv[++i];
      else throw new FlagError(name, `--${name}: missing value`);
    }
    values[name] = convert(spec, raw);
  }
  return { values, help, positional };
}

export function formatHelp(usage: string, summary: string, specs: readonly FlagSpec[]): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Flags (each also settable as MAESTRO_<FLAG>):'];
  for (const s of specs) {
    const def = s.default === undefined ? '' : ` (default: ${s.default})`;
    lines.push(`  --${s.name}${s.type === 'boolean' ? '' : '=VALUE'}`);
    lines.push(`      ${s.help}${def}`);
  }
  return lines.join('\n') + '\n';
}
