/**
 * The app as `/v2/apps` serves it (Marathon's `AppInfo`): the definition (appToJson) plus the
 * run-time parts the `embed` parameters ask for — task counts, tasks, deployments, the last task
 * failure, readiness results and task statistics.
 *
 * Embed resolution follows Marathon's InfoEmbedResolver: a value may carry the prefix `apps.`,
 * `app.` or `group.apps.` or none; `tasks` brings deployments too; `failures` is tasks +
 * lastTaskFailure + deployments; unknown values are ignored. The list route always adds counts and
 * deployments, the single-app route counts, tasks, lastTaskFailure and deployments.
 *
 * Invariants: pure (`nowMs` passed in); counts are over the app's active (non-terminal) instances.
 */
import type { AppDefinition, Deployment, Instance, ReadinessResult, TaskFailure } from '../model.ts';
import { appToJson } from '../app/app-json.ts';
import { taskJson } from './task-json.ts';

export type AppEmbed = 'tasks' | 'counts' | 'deployments' | 'readiness' | 'lastTaskFailure' | 'taskStats';

const PREFIXES = ['group.apps.', 'apps.', 'app.'];

export function resolveAppEmbed(values: readonly string[]): Set<AppEmbed> {
  const out = new Set<AppEmbed>();
  for (const raw of values) {
    const prefix = PREFIXES.find((p) => raw.startsWith(p)) ?? '';
    const name = raw.slice(prefix.length);
    switch (name) {
      case 'tasks': out.add('tasks'); out.add('deployments'); break;
      case 'failures': out.add('tasks'); out.add('lastTaskFailure'); out.add('deployments'); break;
      case 'deployments': case 'readiness': case 'lastTaskFailure': case 'counts': case 'taskStats': out.add(name); break;
      default: break;
    }
  }
  return out;
}

/** What the app's run-time JSON is made from (a snapshot taken by the route). */
export interface AppView {
  readonly instances: readonly Instance[];
  /** All running deployments; those naming the app in `affectedApps` are listed. */
  readonly deployments: readonly Deployment[];
  readonly lastTaskFailure: TaskFailure | undefined;
  readonly readiness: readonly ReadinessResult[];
  readonly nowMs: number;
}

const TERMINAL = new Set(['Finished', 'Failed', 'Killed', 'Error', 'Dropped', 'Gone']);
export const isActive = (i: Instance): boolean => !TERMINAL.has(i.condition);

export interface TaskCounts { readonly staged: number; readonly running: number; readonly healthy: number; readonly unhealthy: number }

export function countTasks(instances: readonly Instance[]): TaskCounts {
  let staged = 0, running = 0, healthy = 0, unhealthy = 0;
  for (const i of instances) {
    if (!isActive(i)) continue;
    if (i.state === 'TASK_RUNNING') running++;
    else if (i.startedAt === undefined) staged++;
    if (i.healthy === true) healthy++;
    if (i.healthy === false) unhealthy++;
  }
  return { staged, running, healthy, unhealthy };
}

export function taskFailureJson(f: TaskFailure): Record<string, unknown> {
  return {
    appId: f.appId, host: f.host, message: f.message, state: f.state, taskId: f.taskId,
    instanceId: f.instanceId, slaveId: f.slaveId, timestamp: f.timestamp, version: f.version,
  };
}

function statsOf(instances: readonly Instance[], nowMs: number): Record<string, unknown> | undefined {
  if (instances.length === 0) return undefined;
  const c = countTasks(instances);
  const lifetimes = instances
    .filter((i) => i.startedAt !== undefined)
    .map((i) => Math.max(0, (nowMs - Date.parse(i.startedAt as string)) / 1000))
    .sort((a, b) => a - b);
  const mid = Math.floor(lifetimes.length / 2);
  const median = lifetimes.length === 0 ? 0 : lifetimes.length % 2 === 1 ? lifetimes[mid] : (lifetimes[mid - 1] + lifetimes[mid]) / 2;
  const average = lifetimes.length === 0 ? 0 : lifetimes.reduce((s, x) => s + x, 0) / lifetimes.length;
  return {
    stats: {
      counts: { staged: c.staged, running: c.running, healthy: c.healthy, unhealthy: c.unhealthy },
      ...(lifetimes.length > 0 ? { lifeTime: { averageSeconds: average, medianSeconds: median } } : {}),
    },
  };
}

/** Marathon's `taskStats`: a category appears only when it has tasks. */
export function taskStatsJson(app: AppDefinition, instances: readonly Instance[], nowMs: number): Record<string, unknown> {
  const active = instances.filter(isActive);
  const lastScaling = Date.parse(app.versionInfo.lastScalingAt);
  const lastConfig = Date.parse(app.versionInfo.lastConfigChangeAt);
  const categories: [string, readonly Instance[]][] = [
    ['startedAfterLastScaling', active.filter((i) => i.startedAt !== undefined && Date.parse(i.startedAt) >= lastScaling)],
    ['withLatestConfig', active.filter((i) => Date.parse(i.version) >= lastConfig)],
    ['withOutdatedConfig', active.filter((i) => Date.parse(i.version) < lastConfig)],
    ['totalSummary', active],
  ];
  const out: Record<string, unknown> = {};
  for (const [name, list] of categories) {
    const s = statsOf(list, nowMs);
    if (s !== undefined) out[name] = s;
  }
  return out;
}

export function appInfoJson(app: AppDefinition, view: AppView, embed: ReadonlySet<AppEmbed>): Record<string, unknown> {
  const json: Record<string, unknown> = { ...appToJson(app) };
  const instances = view.instances;
  if (embed.has('counts')) {
    const c = countTasks(instances);
    json.tasksStaged = c.staged;
    json.tasksRunning = c.running;
    json.tasksHealthy = c.healthy;
    json.tasksUnhealthy = c.unhealthy;
  }
  if (embed.has('deployments')) {
    json.deployments = view.deployments.filter((d) => d.affectedApps.includes(app.id)).map((d) => ({ id: d.id }));
  }
  if (embed.has('readiness')) {
    json.readinessCheckResults = view.readiness.map((r) => ({
      name: r.name, taskId: r.taskId, ready: r.ready, ...(r.lastResponse !== undefined ? { lastResponse: r.lastResponse } : {}),
    }));
  }
  if (embed.has('tasks')) json.tasks = instances.filter(isActive).map((i) => taskJson(i, app));
  if (embed.has('lastTaskFailure') && view.lastTaskFailure !== undefined) json.lastTaskFailure = taskFailureJson(view.lastTaskFailure);
  if (embed.has('taskStats')) json.taskStats = taskStatsJson(app, instances, view.nowMs);
  return json;
}
