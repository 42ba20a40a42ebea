/**
 * Builds the Mesos TaskInfo for one instance of an app on a match (Marathon's TaskBuilder):
 * - `name`: the app id as a host name, path segments reversed (`/prod/web` -> `web.prod`);
 * - `resources`: exactly the match's; `labels`: the app's;
 * - `command` (command executor: `executor` '' or '//cmd'): `cmd` runs through the shell;
 *   without `cmd` the shell is off; `args` (which win over `cmd`) are the argument vector with
 *   shell off, and without a container `value` is `args[0]` (the command executor execs it);
 *   `user`, `uris` from `fetch`, the environment of task-env.ts;
 * - an executor path (any other `executor`): a fresh ExecutorInfo `marathon-<task id>` that runs
 *   `chmod ug+rx '<path>' && exec '<path>' <cmd or args>` with the same environment;
 * - `container` (container-info.ts), `health_check` (health-check.ts), `discovery`
 *   (discovery-info.ts), `kill_policy.grace_period` from `taskKillGracePeriodSeconds`.
 * Pure: the same app, ids and match give the same TaskInfo.
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition, FetchUri } from '../model.ts';
import { alignHostPorts, declaredPorts, networkMode } from '../placement/app-ports.ts';
import type { Match } from '../placement/place-instance.ts';
import { containerInfo } from './container-info.ts';
import { discoveryInfo } from './discovery-info.ts';
import { taskHealthCheck } from './health-check.ts';
import { taskEnvironment } from './task-env.ts';

/** Marathon's `PathId.toHostname`: `/prod/web` -> `web.prod`. */
export function appHostName(appId: string): string {
  return appId.split('/').filter((s) => s !== '').reverse().join('.');
}

export function fetchUri(f: FetchUri): mesos.v1.CommandInfo.URI {
  const uri: mesos.v1.CommandInfo.URI = { value: f.uri, executable: f.executable, extract: f.extract, cache: f.cache };
  const out = f.outputFile ?? f.destPath;
  if (out !== undefined) uri.output_file = out;
  return uri;
}

function isCommandExecutor(executor: string): boolean {
  return executor === '' || executor === '//cmd';
}

function commandInfo(app: AppDefinition, environment: mesos.v1.Environment): mesos.v1.CommandInfo {
  const command: mesos.v1.CommandInfo = { environment };
  if (app.cmd !== undefined && app.cmd !== '') command.value = app.cmd;
  else command.shell = false;
  if (app.args !== undefined && app.args.length > 0) {
    command.shell = false;
    command.arguments = [...app.args];
    if (app.container === undefined) command.value = app.args[0];
  }
  if (app.fetch.length > 0) command.uris = app.fetch.map(fetchUri);
  if (app.user !== undefined) command.user = app.user;
  return command;
}

export function buildTaskInfo(app: AppDefinition, ids: { readonly taskId: string }, match: Match): mesos.v1.TaskInfo {
  const declared = declaredPorts(app);
  const hostPorts = alignHostPorts(app, match.hostPorts);
  const name = appHostName(app.id);
  const env = taskEnvironment(app, ids.taskId, match.hostname, declared, hostPorts);
  const environment: mesos.v1.Environment = { variables: env.map(([n, value]) => ({ name: n, value })) };
  const task: mesos.v1.TaskInfo = {
    name,
    task_id: { value: ids.taskId },
    agent_id: { value: match.agentId },
    resources: match.resources.map((r) => structuredClone(r)),
  };
  const container = containerInfo(app, ids.taskId, hostPorts);
  if (isCommandExecutor(app.executor)) {
    task.command = commandInfo(app, environment);
    if (container !== undefined) task.container = container;
  } else {
    const path = `'${app.executor}'`;
    const cmd = app.cmd ?? (app.args ?? []).join(' ');
    const { arguments: _args, ...command } = commandInfo(app, environment);
    const executor: mesos.v1.ExecutorInfo = {
      executor_id: { value: `marathon-${ids.taskId}` },
      command: { ...command, shell: true, value: `chmod ug+rx ${path} && exec ${path} ${cmd}` },
    };
    if (container !== undefined) executor.container = container;
    task.executor = executor;
  }
  const labels = Object.entries(app.labels);
  if (labels.length > 0) task.labels = { labels: labels.map(([key, value]) => ({ key, value })) };
  task.discovery = discoveryInfo(name, networkMode(app), declared, hostPorts);
  const check = taskHealthCheck(app.healthChecks, declared, hostPorts);
  if (check !== undefined) task.health_check = check;
  if (app.taskKillGracePeriodSeconds !== undefined) {
    task.kill_policy = { grace_period: { nanoseconds: Math.round(app.taskKillGracePeriodSeconds * 1e9) } };
  }
  return task;
}
