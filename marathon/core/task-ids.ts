/**
 * Marathon's instance and task ids: the app id with its slashes turned into underscores (no
 * leading one), `.instance-`, a UUID; the task of an app instance appends `._app.1`, the tasks of a
 * pod instance `.<container name>`. An id never holds a slash, so it fits a URL path segment.
 */
import type { PathId } from '../model.ts';

export interface InstanceIds {
  readonly instanceId: string;
  readonly taskId: string;
}

export const appIdPrefix = (appId: PathId): string => appId.replace(/^\//, '').replace(/\//g, '_');

export function instanceIds(appId: PathId, uuid: string): InstanceIds {
  const instanceId = `${appIdPrefix(appId)}.instance-${uuid}`;
  return { instanceId, taskId: `${instanceId}._app.1` };
}

/** The instance id of a task id (the id itself when it has no task suffix). */
export const instanceIdOfTask = (taskId: string): string => taskId.replace(/\._app\.\d+$/, '');

export interface PodInstanceIds {
  readonly instanceId: string;
  /** The default executor of the instance's task group. */
  readonly executorId: string;
  /** One per container, in the pod's order: `<instanceId>.<container name>`. */
  readonly taskIds: readonly string[];
}

export function podInstanceIds(pod: { readonly id: PathId; readonly containers: readonly { readonly name: string }[] }, uuid: string): PodInstanceIds {
  const instanceId = `${appIdPrefix(pod.id)}.instance-${uuid}`;
  return { instanceId, executorId: `instance-${instanceId}`, taskIds: pod.containers.map((c) => `${instanceId}.${c.name}`) };
}
