/**
 * The batch framework's `/v1/metrics` (and `/metrics`): the Dropwizard JSON Metronome serves
 * (`version`, `counters`, `gauges`, `histograms`, `meters`, `timers`). Gauges are read from the
 * service when asked (jobs, schedules, active runs: all, initial, starting, running; uptime); HTTP responses by status
 * class and request durations are recorded by the app's hooks into an `HttpMetrics` recorder.
 *
 * Invariants: pure apart from the recorder's own state; time comes from the caller (Clock port).
 * Names follow Metronome's (`http.responses.2xx.rate`) under the `metronome.` prefix.
 */
import type { RunStatus } from '../model.ts';
import type { BatchService } from '../ports.ts';

export interface HttpMetrics {
  started(): void;
  finished(status: number, durationMs: number): void;
  snapshot(): HttpMetricsSnapshot;
}

export interface HttpMetricsSnapshot {
  readonly active: number;
  readonly count: number;
  readonly responses: Readonly<Record<string, number>>;
  readonly durationsMs: readonly number[];
}

/** Request counters by status class and the last `window` request durations. */
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

/** Dropwizard's timer statistics over samples (nearest-rank quantiles, population stddev). */
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

export interface MetricsJson {
  readonly version: string;
  readonly counters: Record<string, { count: number }>;
  readonly gauges: Record<string, { value: number }>;
  readonly histograms: Record<string, Record<string, number>>;
  readonly meters: Record<string, Record<string, number | string>>;
  readonly timers: Record<string, Record<string, number | string>>;
}

/** Active runs by status; `active` is all of them, so ACTIVE (its task runs) is named `running`. */
const RUN_GAUGES: readonly [RunStatus, string][] = [['INITIAL', 'initial'], ['STARTING', 'starting'], ['ACTIVE', 'running']];

export function metricsJson(service: BatchService, http: HttpMetricsSnapshot, uptimeMs: number): MetricsJson {
  const jobs = service.jobs();
  const runs = service.activeRuns();
  const seconds = Math.max(uptimeMs / 1000, 1e-9);
  const gauges: Record<string, { value: number }> = {
    'metronome.jobs.gauge': { value: jobs.length },
    'metronome.schedules.gauge': { value: jobs.reduce((n, j) => n + service.schedules(j.id).length, 0) },
    'metronome.runs.active.gauge': { value: runs.length },
    'metronome.http.requests.active.gauge': { value: http.active },
    'metronome.uptime.gauge.seconds': { value: uptimeMs / 1000 },
  };
  for (const [status, name] of RUN_GAUGES) {
    gauges[`metronome.runs.${name}.gauge`] = { value: runs.filter((r) => r.status === status).length };
  }
  const meters: MetricsJson['meters'] = {};
  for (const [cls, n] of Object.entries(http.responses)) {
    meters[`metronome.http.responses.${cls}.rate`] = { count: n, mean_rate: n / seconds, units: 'events/second' };
  }
  return {
    version: '3.0.0',
    counters: { 'metronome.http.requests.count': { count: http.count } },
    gauges,
    histograms: {},
    meters,
    timers: {
      'metronome.http.requests.duration.timer.seconds': {
        ...durationSummary(http.durationsMs.map((ms) => ms / 1000)),
        count: http.count,
        mean_rate: http.count / seconds,
        duration_units: 'seconds',
        rate_units: 'calls/second',
      },
    },
  };
}
