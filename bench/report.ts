/**
 * Benchmark reporting: every figure is printed as one JSON object per line on stdout,
 * `{"bench","config","metric","value","unit"}`, and `printTable` follows with a readable table.
 * Benchmarks that run simulated agents say so in their `config` (`"agents_kind": "simulated"`).
 */
export interface BenchResult {
  readonly bench: string;
  readonly config: Readonly<Record<string, string | number | boolean>>;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

export function emit(result: BenchResult): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

export function printTable(results: readonly BenchResult[]): void {
  if (results.length === 0) return;
  const configKeys = [...new Set(results.flatMap((r) => Object.keys(r.config)))];
  const header = ['bench', ...configKeys, 'metric', 'value', 'unit'];
  const rows = results.map((r) => [
    r.bench,
    ...configKeys.map((k) => (r.config[k] === undefined ? '' : String(r.config[k]))),
    r.metric,
    Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(3),
    r.unit,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write('\n' + line(header) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const row of rows) process.stdout.write(line(row) + '\n');
}

/** Times `fn` `runs` times after `warmup` runs; returns the per-run milliseconds. */
export function timeRuns(fn: () => void, runs: number, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
