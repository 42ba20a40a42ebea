/**
 * Structural validation of a decoded `mesos.v1.scheduler.Call`, the checks Mesos makes before a
 * call reaches the master (src/master/validation.cpp, `scheduler::call::validate`): the type is
 * present, the sub-message that goes with the type is present, every call but SUBSCRIBE names
 * its framework, SUBSCRIBE and UPDATE_FRAMEWORK name the same framework in both places, and
 * acknowledgement uuids are 16 bytes. Pure: a call in, `undefined` or an error message out.
 * The HTTP layer prefixes the message with "Failed to validate scheduler::Call: ".
 */
import type { SchedulerCall } from '../scheduler-endpoint.ts';

type CallType = NonNullable<SchedulerCall['type']>;

/** For each call type, the field that must be set (undefined: none required). */
const REQUIRED_FIELD: Readonly<Record<string, keyof SchedulerCall | undefined>> = {
  UNKNOWN: undefined,
  SUBSCRIBE: 'subscribe',
  TEARDOWN: undefined,
  ACCEPT: 'accept',
  DECLINE: 'decline',
  ACCEPT_INVERSE_OFFERS: 'accept_inverse_offers',
  DECLINE_INVERSE_OFFERS: 'decline_inverse_offers',
  REVIVE: undefined,
  SUPPRESS: undefined,
  KILL: 'kill',
  SHUTDOWN: 'shutdown',
  ACKNOWLEDGE: 'acknowledge',
  ACKNOWLEDGE_OPERATION_STATUS: 'acknowledge_operation_status',
  RECONCILE: 'reconcile',
  RECONCILE_OPERATIONS: 'reconcile_operations',
  MESSAGE: 'message',
  REQUEST: 'request',
  UPDATE_FRAMEWORK: 'update_framework',
};

/** Bytes of a base64 string (the canonical form of a protobuf `bytes` field). */
function byteLength(base64: string | undefined): number {
  return base64 === undefined ? 0 : Buffer.from(base64, 'base64').length;
}

const NOT_A_UUID = 'Not a valid UUID';

export function validateSchedulerCall(call: SchedulerCall): string | undefined {
  const type = call.type as CallType | undefined;
  if (type === undefined) return "Expecting 'type' to be present";

  if (type === 'SUBSCRIBE') {
    if (call.subscribe === undefined) return "Expecting 'subscribe' to be present";
    if (call.subscribe.framework_info?.id?.value !== call.framework_id?.value) {
      return "'framework_id' differs from 'subscribe.framework_info.id'";
    }
    return undefined;
  }

  if (call.framework_id === undefined) return "Expecting 'framework_id' to be present";

  const required = REQUIRED_FIELD[type];
  if (required !== undefined && call[required] === undefined) {
    return `Expecting '${required}' to be present`;
  }

  switch (type) {
    case 'ACKNOWLEDGE':
      return byteLength(call.acknowledge?.uuid) === 16 ? undefined : NOT_A_UUID;
    case 'ACKNOWLEDGE_OPERATION_STATUS': {
      const ack = call.acknowledge_operation_status;
      if (byteLength(ack?.uuid) !== 16) return NOT_A_UUID;
      return ack?.agent_id === undefined ? "Expecting 'agent_id' to be present" : undefined;
    }
    case 'UPDATE_FRAMEWORK':
      return call.update_framework?.framework_info?.id?.value === call.framework_id.value
        ? undefined
        : "'framework_id' differs from 'update_framework.framework_info.id'";
    default:
      return undefined;
  }
}
