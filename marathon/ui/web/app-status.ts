/**
 * What the app list shows per app, computed from the app JSON of `/v2/apps` (counts and
 * deployments embedded) and the launch queue, as Marathon's own UI does:
 *
 *   deploying  a deployment holds the app
 *   delayed    waiting in the launch queue with a backoff delay still running
 *   waiting    fewer tasks running than instances (in the queue, or being placed)
 *   suspended  instances 0 and nothing running
 *   running    every instance running
 *
 * Health: only apps with health checks have one: `healthy` when every running task is healthy,
 * `unhealthy` when one is not, `unknown` while the checks have not answered yet. Pure: no DOM.
 */
import type { Json } from '../../../common/ui/web/api.ts';

export type AppStatus = 'deploying' | 'delayed' | 'waiting' | 'suspended' | 'running';
export type AppHealth = 'healthy' | 'unhealthy' | 'unknown' | 'none';

export interface QueueInfo {
  readonly count: number;
  readonly delayed: boolean;
}

export function appStatus(app: Json, queued: QueueInfo | undefined): AppStatus {
  const running = Number(app.tasksRunning ?? 0);
  const instances = Number(app.instances ?? 0);
  if (Array.isArray(app.deployments) && app.deployments.length > 0) return 'deploying';
  if (queued !== undefined && queued.delayed) return 'delayed';
  if (instances === 0 && running === 0) return 'suspended';
  if (running < instances) return 'waiting';
  return 'running';
}

export function appHealth(app: Json): AppHealth {
  if (!Array.isArray(app.healthChecks) || app.healthChecks.length === 0) return 'none';
  const healthy = Number(app.tasksHealthy ?? 0);
  const unhealthy = Number(app.tasksUnhealthy ?? 0);
  if (unhealthy > 0) return 'unhealthy';
  if (healthy > 0 && healthy >= Number(app.tasksRunning ?? 0)) return 'healthy';
  return 'unknown';
}

/** Queue entries by app id: `/v2/queue`'s `queue[]` (`count`, `delay.timeLeftSeconds`). */
export function queueByApp(queue: readonly Json[]): Map<string, QueueInfo> {
  const out = new Map<string, QueueInfo>();
  for (const q of queue) {
    const id = q?.app?.id;
    if (typeof id !== 'string') continue;
    out.set(id, { count: Number(q.count ?? 0), delayed: Number(q.delay?.timeLeftSeconds ?? 0) > 0 && q.delay?.overdue !== true });
  }
  return out;
}
