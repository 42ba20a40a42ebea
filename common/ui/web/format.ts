/**
 * Formatting for the UIs: sizes in MB as Mesos counts them, durations, ages, resources
 * (`cpus 1.5 · mem 1 GiB`), numbers. Pure (no DOM): unit-tested in common/ui/kit.test.ts.
 */

/** Megabytes (Mesos' unit for mem and disk) as text: `512 MiB`, `1.5 GiB`, `2 TiB`. */
export function formatMb(mb: number): string {
  if (!Number.isFinite(mb)) return '—';
  const units = ['MiB', 'GiB', 'TiB', 'PiB'];
  let v = mb;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

/** Bytes as text: `0 B`, `812 B`, `1.2 KiB`, `3.4 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

/** Up to 2 decimals, no trailing zeros: 1.5, 0.25, 3. */
export function trim(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A duration in ms as `450ms`, `12s`, `3m 4s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long ago `thenMs` was at `nowMs`: `12s`, `3m 4s`; `—` when unknown. */
export function formatAge(thenMs: number | undefined, nowMs: number): string {
  return thenMs === undefined ? '—' : formatDuration(nowMs - thenMs);
}

export interface ResourceAmounts {
  readonly cpus?: number;
  readonly mem?: number;
  readonly disk?: number;
  readonly gpus?: number;
  readonly [name: string]: number | undefined;
}

const ORDER = ['cpus', 'gpus', 'mem', 'disk'];

/** `cpus 1.5 · mem 1 GiB · disk 10 GiB` (mem and disk in MB; zero amounts left out; `—` when empty). */
export function formatResources(amounts: ResourceAmounts | object): string {
  // Any record of numbers (an interface without an index signature, too).
  const r = amounts as Readonly<Record<string, number | undefined>>;
  const names = Object.keys(r).filter((n) => (r[n] ?? 0) !== 0).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  if (names.length === 0) return '—';
  return names.map((n) => `${n} ${n === 'mem' || n === 'disk' ? formatMb(r[n]!) : trim(r[n]!)}`).join(' · ');
}

function rank(name: string): number {
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
}

/** 12,345 style grouping. */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A fraction as a percentage: 0.1234 -> `12.3%`. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${Math.round(fraction * 1000) / 10}%`;
}
