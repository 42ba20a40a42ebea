/**
 * The HTTP side of the Dropwizard-style metrics JSON that marathon (`/metrics`) and batch
 * (`/v1/metrics`) serve, as Marathon and Metronome do: a recorder of requests (in flight, count,
 * responses by status class, the last `window` durations) fed by an app's hooks, the timer
 * statistics of those durations, and the document's shape.
 *
 * Invariants: pure apart from the recorder's own state; quantiles are nearest-rank, stddev the
 * population's.
 */

export interface HttpMetricsSnapshot {
  readonly active: number;
  readonly count: number;
  readonly responses: Readonly<Record<string, number>>;
  readonly durationsMs: readonly number[];
}

export interface HttpMetrics {
  started(): void;
  finished(status: number, durationMs: number): void;
  snapshot(): HttpMetricsSnapshot;
}

export function createHttpMetrics(window = 1024): HttpMetrics {
  let active = 0;
  let count = 0;
  const responses: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  const durations: number[] = [];
  return {
    started: () => { active++; },
    finished: (status, durationMs) => {
      active = Math.max(0, active - 1);
      count++;
      const cls = `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;
      responses[cls] = (responses[cls] ?? 0) + 1;
      durations.push(durationMs);
      if (durations.length > window) durations.shift();
    },
    snapshot: () => ({ active, count, responses: { ...responses }, durationsMs: [...durations] }),
  };
}

/** Dropwizard's histogram/timer statistics over samples (in the samples' unit). */
export function durationSummary(samples: readonly number[]): Record<string, number> {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const q = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]);
  const mean = n === 0 ? 0 : sorted.reduce((s, x) => s + x, 0) / n;
  const variance = n === 0 ? 0 : sorted.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  return {
    count: n, min: n === 0 ? 0 : sorted[0], max: n === 0 ? 0 : sorted[n - 1], mean, stddev: Math.sqrt(variance),
    p50: q(0.5), p75: q(0.75), p95: q(0.95), p98: q(0.98), p99: q(0.99), p999: q(0.999),
  };
}

/** The Dropwizard metrics document. */
export interface MetricsDocument {
  readonly version: string;
  readonly counters: Record<string, { count: number }>;
  readonly gauges: Record<string, { value: number }>;
  readonly histograms: Record<string, Record<string, number>>;
  readonly meters: Record<string, Record<string, number | string>>;
  readonly timers: Record<string, Record<string, number | string>>;
}
