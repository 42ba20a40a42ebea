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
import { durationSummary, type HttpMetricsSnapshot, type MetricsDocument } from '../../../common/http-metrics.ts';

export type { HttpMetrics, HttpMetricsSnapshot } from '../../../common/http-metrics.ts';
export { createHttpMetrics, durationSummary } from '../../../common/http-metrics.ts';
export type MetricsJson = MetricsDocument;

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
