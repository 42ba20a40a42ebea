import test from 'ava';
import { loadRoot } from './load-root.ts';

// Field numbers and enum values checked against Apache Mesos 1.x (include/mesos/v1/*.proto).
// A wrong number here breaks protobuf interoperability silently, so the table is explicit.
const fieldNumbers: ReadonlyArray<[string, string, number]> = [
  ['mesos.v1.FrameworkInfo', 'user', 1],
  ['mesos.v1.FrameworkInfo', 'id', 3],
  ['mesos.v1.FrameworkInfo', 'failover_timeout', 4],
  ['mesos.v1.FrameworkInfo', 'role', 6],
  ['mesos.v1.FrameworkInfo', 'capabilities', 10],
  ['mesos.v1.FrameworkInfo', 'labels', 11],
  ['mesos.v1.FrameworkInfo', 'roles', 12],
  ['mesos.v1.FrameworkInfo', 'offer_filters', 13],
  ['mesos.v1.TaskStatus', 'message', 4],
  ['mesos.v1.TaskStatus', 'timestamp', 6],
  ['mesos.v1.TaskStatus', 'reason', 10],
  ['mesos.v1.TaskStatus', 'uuid', 11],
  ['mesos.v1.TaskStatus', 'check_status', 15],
  ['mesos.v1.TaskStatus', 'limitation', 16],
  ['mesos.v1.Resource', 'provider_id', 12],
  ['mesos.v1.Resource', 'allocation_info', 11],
  ['mesos.v1.Resource', 'reservation', 8],
  ['mesos.v1.Resource', 'reservations', 13],
  ['mesos.v1.Resource.ReservationInfo', 'type', 4],
  ['mesos.v1.Resource.ReservationInfo', 'principal', 1],
  ['mesos.v1.Attribute', 'set', 6],
  ['mesos.v1.Attribute', 'text', 5],
  ['mesos.v1.Offer', 'url', 8],
  ['mesos.v1.Offer', 'allocation_info', 10],
  ['mesos.v1.Offer', 'domain', 11],
  ['mesos.v1.Offer.Operation', 'id', 12],
  ['mesos.v1.Offer.Operation', 'launch_group', 7],
  ['mesos.v1.TaskInfo', 'check', 13],
  ['mesos.v1.TaskInfo', 'max_completion_time', 14],
  ['mesos.v1.ExecutorInfo', 'type', 15],
  ['mesos.v1.HealthCheck', 'http', 1],
  ['mesos.v1.HealthCheck', 'type', 8],
  ['mesos.v1.AgentInfo', 'port', 8],
  ['mesos.v1.ContainerInfo', 'network_infos', 7],
  ['mesos.v1.scheduler.Call', 'framework_id', 1],
  ['mesos.v1.scheduler.Call', 'type', 2],
  ['mesos.v1.scheduler.Call', 'revive', 15],
  ['mesos.v1.scheduler.Call', 'suppress', 16],
  ['mesos.v1.scheduler.Call', 'acknowledge_operation_status', 17],
  ['mesos.v1.scheduler.Call', 'reconcile_operations', 18],
  ['mesos.v1.scheduler.Call', 'update_framework', 19],
  ['mesos.v1.scheduler.Call.Subscribe', 'offer_constraints', 3],
  ['mesos.v1.scheduler.Event', 'update_operation_status', 11],
  ['mesos.v1.master.Call', 'update_quota', 20],
  ['mesos.v1.master.Call', 'drain_agent', 21],
  ['mesos.v1.master.Call', 'reactivate_agent', 23],
  ['mesos.v1.master.Response.GetAgents.Agent', 'deactivated', 12],
  ['mesos.v1.master.Response.GetAgents.Agent', 'drain_info', 13],
  ['mesos.v1.master.Response.GetFrameworks.Framework', 'offer_constraints', 12],
  ['mesos.v1.scheduler.Event.Subscribed', 'master_info', 3],
  ['mesos.v1.master.Response', 'get_operations', 20],
  ['mesos.v1.master.Response.GetFrameworks.Framework', 'recovered', 11],
  ['mesos.v1.master.Response.GetTasks', 'unreachable_tasks', 5],
  ['mesos.v1.executor.Call', 'type', 3],
  ['mesos.v1.executor.Event', 'launch_group', 8],
  ['mesos.v1.agent.Call', 'get_containers', 20],
  ['mesos.v1.agent.Call', 'launch_container', 13],
  ['mesos.v1.agent.Response', 'get_agent', 15],
  ['mesos.v1.agent.Response', 'wait_container', 16],
];
for (const [typeName, field, id] of fieldNumbers) {
  test(`${typeName}.${field} = ${id}`, (t) => {
    t.is(loadRoot().lookupType(typeName).fields[field]?.id, id);
  });
}

const enumValues: ReadonlyArray<[string, string, number]> = [
  ['mesos.v1.TaskState', 'TASK_STAGING', 6],
  ['mesos.v1.TaskState', 'TASK_STARTING', 0],
  ['mesos.v1.TaskState', 'TASK_KILLING', 8],
  ['mesos.v1.TaskState', 'TASK_ERROR', 7],
  ['mesos.v1.TaskState', 'TASK_DROPPED', 9],
  ['mesos.v1.TaskState', 'TASK_UNKNOWN', 13],
  ['mesos.v1.TaskStatus.Reason', 'REASON_CONTAINER_LIMITATION_MEMORY', 8],
  ['mesos.v1.TaskStatus.Reason', 'REASON_RECONCILIATION', 9],
  ['mesos.v1.TaskStatus.Reason', 'REASON_AGENT_REMOVED_BY_OPERATOR', 31],
  ['mesos.v1.TaskStatus.Reason', 'REASON_MAX_COMPLETION_TIME_REACHED', 33],
  ['mesos.v1.TaskStatus.Reason', 'REASON_AGENT_DRAINING', 34],
  ['mesos.v1.FrameworkInfo.Capability.Type', 'MULTI_ROLE', 6],
  ['mesos.v1.FrameworkInfo.Capability.Type', 'REGION_AWARE', 8],
  ['mesos.v1.Offer.Operation.Type', 'LAUNCH_GROUP', 6],
  ['mesos.v1.Offer.Operation.Type', 'GROW_VOLUME', 11],
  ['mesos.v1.Value.Type', 'SCALAR', 0],
  ['mesos.v1.Value.Type', 'TEXT', 3],
  ['mesos.v1.Resource.ReservationInfo.Type', 'DYNAMIC', 2],
  ['mesos.v1.CapabilityInfo.Capability', 'CHOWN', 1000],
  ['mesos.v1.scheduler.Event.Type', 'HEARTBEAT', 8],
  ['mesos.v1.scheduler.Event.Type', 'INVERSE_OFFERS', 9],
  ['mesos.v1.scheduler.Call.Type', 'REVIVE', 5],
  ['mesos.v1.scheduler.Call.Type', 'SUPPRESS', 12],
  ['mesos.v1.scheduler.Call.Type', 'ACCEPT_INVERSE_OFFERS', 13],
  ['mesos.v1.scheduler.Call.Type', 'UPDATE_FRAMEWORK', 17],
  ['mesos.v1.master.Call.Type', 'UPDATE_QUOTA', 36],
  ['mesos.v1.master.Call.Type', 'DRAIN_AGENT', 37],
  ['mesos.v1.master.Call.Type', 'REACTIVATE_AGENT', 39],
  ['mesos.v1.master.Call.Type', 'GET_STATE', 9],
  ['mesos.v1.master.Call.Type', 'SUBSCRIBE', 18],
  ['mesos.v1.master.Call.Type', 'GET_OPERATIONS', 33],
  ['mesos.v1.master.Call.Type', 'MARK_AGENT_GONE', 32],
  ['mesos.v1.master.Response.Type', 'GET_STATE', 8],
  ['mesos.v1.master.Event.Type', 'HEARTBEAT', 9],
  ['mesos.v1.executor.Event.Type', 'LAUNCH_GROUP', 8],
  ['mesos.v1.agent.Call.Type', 'GET_AGENT', 20],
  ['mesos.v1.agent.Call.Type', 'GET_OPERATIONS', 31],
  ['mesos.v1.agent.Call.Type', 'LAUNCH_CONTAINER', 22],
  ['mesos.v1.agent.Response.Type', 'GET_AGENT', 14],
];
for (const [enumName, value, number] of enumValues) {
  test(`${enumName}.${value} = ${number}`, (t) => {
    t.is(loadRoot().lookupEnum(enumName).values[value], number);
  });
}

test('defaults Mesos relies on are declared', (t) => {
  const root = loadRoot();
  t.is(root.lookupType('mesos.v1.Filters').fields.refuse_seconds.defaultValue, 5);
  t.is(root.lookupType('mesos.v1.FrameworkInfo').fields.role.defaultValue, '*');
  t.is(root.lookupType('mesos.v1.CommandInfo').fields.shell.defaultValue, true);
});
