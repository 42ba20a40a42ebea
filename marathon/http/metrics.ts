/**
 * Marathon's `/metrics` (the Dropwizard JSON Marathon 1.x serves: `version`, `counters`, `gauges`,
 * `histograms`, `meters`, `timers`) and `/metrics/prometheus` (the same values in the Prometheus
 * text format). Gauges are read from the core when asked (apps, groups, instances by state,
 * deployments, launch queue, leadership, uptime); HTTP request counts and durations are recorded
 * by the app's hooks into `HttpMetrics`.
 *
 * Invariants: pure apart from the recorder's own state; time comes from the Clock port.
 * Names follow Marathon 1.9 (`marathon.apps.active.gauge`, `marathon.http.requests.duration.timer`, ...).
 */
import type { Clock } from '../../common/ports.ts';
import type { Group } from '../model.ts';
import type { MarathonService } from '../ports.ts';
import { durationSummary, type HttpMetrics, type MetricsDocument } from '../../common/http-metrics.ts';
import { isActive } from './app-info.ts';

export type { HttpMetrics } from '../../common/http-metrics.ts';
export { createHttpMetrics } from '../../common/http-metrics.ts';

const countGroups = (g: Group): number => g.groups.reduce((s, c) => s + 1 + countGroups(c), 0);

export type MetricsSnapshot = MetricsDocument;

export function metricsSnapshot(service: MarathonService, http: HttpMetrics, clock: Clock, startedAtMs: number): MetricsSnapshot {
  const instances = service.instances().filter(isActive);
  const byState = (s: string) => instances.filter((i) => i.state === s).length;
  const status = service.status();
  const queue = service.queue();
  const h = http.snapshot();
  const uptimeMs = Math.max(0, clock.now() - startedAtMs);
  const seconds = Math.max(uptimeMs / 1000, 1e-9);
  const gauges: Record<string, { value: number }> = {
    'marathon.apps.active.gauge': { value: service.apps().length },
    'marathon.groups.active.gauge': { value: countGroups(service.rootGroup()) },
    'marathon.deployments.active.gauge': { value: service.deployments().length },
    'marathon.instances.running.gauge': { value: byState('TASK_RUNNING') },
    'marathon.instances.staged.gauge': { value: instances.filter((i) => i.state === 'TASK_STAGING' || i.state === 'TASK_STARTING' || i.state === undefined).length },
    'marathon.instances.unreachable.gauge': { value: byState('TASK_UNREACHABLE') },
    'marathon.instances.launch-overdue.gauge': { value: queue.filter((q) => q.delay.overdue).reduce((s, q) => s + q.count, 0) },
    'marathon.instances.inflight-kills.gauge': { value: instances.filter((i) => i.goal !== 'Running').length },
    'marathon.leadership.gauge': { value: status.isLeader ? 1 : 0 },
    'marathon.mesos.subscribed.gauge': { value: status.subscribed ? 1 : 0 },
    'marathon.http.requests.active.gauge': { value: h.active },
    'marathon.uptime.gauge.seconds': { value: uptimeMs / 1000 },
  };
  const meters: MetricsSnapshot['meters'] = {};
  for (const [cls, n] of Object.entries(h.responses)) {
    meters[`marathon.http.responses.${cls}.rate`] = { count: n, mean_rate: n / seconds, units: 'events/second' };
  }
  const d = durationSummary(h.durationsMs.map((ms) => ms / 1000));
  return {
    version: '4.0.0',
    counters: { 'marathon.http.requests.count': { count: h.count } },
    gauges,
    histograms: {},
    meters,
    timers: {
      'marathon.http.requests.duration.timer.seconds': {
        ...d, count: h.count, mean_rate: h.count / seconds, duration_units: 'seconds', rate_units: 'calls/second',
      },
    },
  };
}

const promName = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** The snapshot in the Prometheus text exposition format (0.0.4). */
export function prometheusText(m: MetricsSnapshot): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, value: number, labels = '') => {
    const n = promName(name);
    lines.push(`# TYPE ${n} ${type}`, `${n}${labels} ${Number.isFinite(value) ? value : 0}`);
  };
  for (const [name, c] of Object.entries(m.counters)) metric(name, 'counter', c.count);
  for (const [name, g] of Object.entries(m.gauges)) metric(name, 'gauge', g.value);
  for (const [name, v] of Object.entries(m.meters)) metric(`${name}_count`, 'counter', Number(v.count));
  for (const [name, t] of Object.entries(m.timers)) {
    const n = promName(name);
    lines.push(`# TYPE ${n} summary`);
    for (const [q, key] of [['0.5', 'p50'], ['0.75', 'p75'], ['0.95', 'p95'], ['0.99', 'p99'], ['0.999', 'p999']] as const) {
      lines.push(`${n}{quantile="${q}"} ${Number(t[key])}`);
    }
    lines.push(`${n}_count ${Number(t.count)}`, `${n}_sum ${Number(t.mean) * Number(t.count)}`);
  }
  return lines.join('\n') + '\n';
}
