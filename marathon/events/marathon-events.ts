/**
 * Pure constructors of Marathon 1.x `/v2/events` events: each returns the event exactly as
 * Marathon serialises it (`eventType`, `timestamp` and the event's own fields, Marathon's JSON
 * names). Time is passed in; nothing here reads a clock.
 *
 * The events that carry an app definition or a deployment plan are in deployment-events.ts.
 *
 * Invariants: `eventType` is one of `EVENT_TYPES`; every event has `timestamp`; ids are
 * Marathon's (`slaveId` is the agent id, `runSpecId` the app id).
 */
import type {
  HealthCheck, Instance, MarathonEvent, PathId, Timestamp,
} from '../model.ts';

/** Every event type this marathon publishes (Marathon 1.x names). */
export const EVENT_TYPES = [
  'api_post_event',
  'deployment_info', 'deployment_success', 'deployment_failed', 'deployment_step_success', 'deployment_step_failure',
  'status_update_event', 'instance_changed_event',
  'health_status_changed_event', 'instance_health_changed_event', 'failed_health_check_event',
  'unhealthy_instance_kill_event', 'unhealthy_task_kill_event',
  'add_health_check_event', 'remove_health_check_event',
  'app_terminated_event', 'group_change_success', 'group_change_failed',
  'scheduler_registered_event', 'scheduler_reregistered_event', 'scheduler_disconnected_event',
  'event_stream_attached', 'event_stream_detached', 'framework_message_event',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const event = (eventType: EventType, now: Timestamp, fields: Record<string, unknown>): MarathonEvent =>
  ({ ...fields, eventType, timestamp: now });

/** A Mesos status update of an instance's task (the instance already carries the new state). */
export const statusUpdateEvent = (i: Instance, s: { readonly message?: string }, now: Timestamp): MarathonEvent =>
  event('status_update_event', now, {
    slaveId: i.agentId,
    taskId: i.taskId,
    taskStatus: i.state ?? 'TASK_STAGING',
    message: s.message ?? '',
    appId: i.appId,
    host: i.host,
    ipAddresses: i.ipAddresses.map((a) => ({ ipAddress: a.ipAddress, protocol: a.protocol })),
    ports: [...i.ports],
    version: i.version,
  });

export const instanceChangedEvent = (i: Instance, now: Timestamp): MarathonEvent =>
  event('instance_changed_event', now, {
    instanceId: i.instanceId,
    condition: i.condition,
    runSpecId: i.appId,
    agentId: i.agentId,
    host: i.host,
    runSpecVersion: i.version,
  });

export const healthStatusChangedEvent = (i: Instance, alive: boolean, now: Timestamp): MarathonEvent =>
  event('health_status_changed_event', now, {
    appId: i.appId, taskId: i.taskId, instanceId: i.instanceId, version: i.version, alive,
  });

/** `healthy` undefined: health unknown (Marathon writes `null`). */
export const instanceHealthChangedEvent = (i: Instance, healthy: boolean | undefined, now: Timestamp): MarathonEvent =>
  event('instance_health_changed_event', now, {
    instanceId: i.instanceId, runSpecId: i.appId, runSpecVersion: i.version, healthy: healthy ?? null,
  });

export const failedHealthCheckEvent = (i: Instance, healthCheck: HealthCheck, now: Timestamp): MarathonEvent =>
  event('failed_health_check_event', now, { appId: i.appId, taskId: i.taskId, instanceId: i.instanceId, healthCheck });

export const unhealthyInstanceKillEvent = (i: Instance, reason: string, now: Timestamp): MarathonEvent =>
  event('unhealthy_instance_kill_event', now, {
    appId: i.appId, taskId: i.taskId, instanceId: i.instanceId, version: i.version, reason, host: i.host, slaveId: i.agentId,
  });

export const unhealthyTaskKillEvent = (i: Instance, reason: string, now: Timestamp): MarathonEvent =>
  event('unhealthy_task_kill_event', now, {
    appId: i.appId, taskId: i.taskId, version: i.version, reason, host: i.host, slaveId: i.agentId,
  });

export const addHealthCheckEvent = (appId: PathId, version: Timestamp, healthCheck: HealthCheck, now: Timestamp): MarathonEvent =>
  event('add_health_check_event', now, { appId, version, healthCheck });

export const removeHealthCheckEvent = (appId: PathId, now: Timestamp): MarathonEvent =>
  event('remove_health_check_event', now, { appId });

export const appTerminatedEvent = (appId: PathId, now: Timestamp): MarathonEvent =>
  event('app_terminated_event', now, { appId });

export const groupChangeSuccessEvent = (groupId: PathId, version: Timestamp, now: Timestamp): MarathonEvent =>
  event('group_change_success', now, { groupId, version });

export const groupChangeFailedEvent = (groupId: PathId, version: Timestamp, reason: string, now: Timestamp): MarathonEvent =>
  event('group_change_failed', now, { groupId, version, reason });

export const schedulerRegisteredEvent = (frameworkId: string, master: string, now: Timestamp): MarathonEvent =>
  event('scheduler_registered_event', now, { frameworkId, master });

export const schedulerReregisteredEvent = (master: string, now: Timestamp): MarathonEvent =>
  event('scheduler_reregistered_event', now, { master });

export const schedulerDisconnectedEvent = (now: Timestamp): MarathonEvent =>
  event('scheduler_disconnected_event', now, {});

export const eventStreamAttachedEvent = (remoteAddress: string, now: Timestamp): MarathonEvent =>
  event('event_stream_attached', now, { remoteAddress });

export const eventStreamDetachedEvent = (remoteAddress: string, now: Timestamp): MarathonEvent =>
  event('event_stream_detached', now, { remoteAddress });

/** A framework message from an executor; the bytes are carried base64-encoded. */
export const frameworkMessageEvent = (executorId: string, slaveId: string, message: Uint8Array, now: Timestamp): MarathonEvent =>
  event('framework_message_event', now, { executorId, slaveId, message: Buffer.from(message).toString('base64') });
