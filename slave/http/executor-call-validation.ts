/**
 * Structural validation of a decoded `mesos.v1.executor.Call`, the checks Mesos makes before an
 * executor's call reaches the agent (src/slave/validation.cpp, `executor::call::validate`):
 *   - `type`, `executor_id` and `framework_id` are present;
 *   - SUBSCRIBE carries `subscribe`, MESSAGE carries `message`;
 *   - UPDATE carries `update` whose status has a 16-byte `uuid`, names the call's executor when it
 *     names one, comes from SOURCE_EXECUTOR and is not TASK_STAGING (only the agent stages).
 * UNKNOWN passes, as in Mesos, and is answered 501 by the route. Pure: a call in, `undefined` or
 * an error message naming the field out; the HTTP layer prefixes "Failed to validate Executor::Call: ".
 */
import type { ExecutorCall } from '../executor-endpoint.ts';

const UUID_BYTES = 16;

/** Bytes of a base64 string (the canonical form of a protobuf `bytes` field). */
function byteLength(base64: string): number {
  return Buffer.from(base64, 'base64').length;
}

function isPresent(id: { readonly value?: string } | undefined): boolean {
  return id !== undefined && typeof id.value === 'string';
}

function validateUpdate(call: ExecutorCall): string | undefined {
  const update = call.update;
  if (update === undefined) return "Expecting 'update' to be present";
  const status = update.status;
  if (status === undefined) return "Expecting 'update.status' to be present";
  if (status.uuid === undefined) return "Expecting 'update.status.uuid' to be present";
  const bytes = byteLength(status.uuid);
  if (bytes !== UUID_BYTES) return `'update.status.uuid' is not a valid UUID: ${bytes} bytes, expecting ${UUID_BYTES}`;
  const executorId = call.executor_id.value;
  if (status.executor_id !== undefined && status.executor_id.value !== executorId) {
    return `'update.status.executor_id' (${status.executor_id.value}) does not match 'executor_id' (${executorId})`;
  }
  if (status.source !== 'SOURCE_EXECUTOR') {
    return `'update.status.source' is ${status.source ?? 'not set'}, expecting SOURCE_EXECUTOR`;
  }
  if (status.state === 'TASK_STAGING') {
    return "'update.status.state' TASK_STAGING is not allowed from an executor";
  }
  return undefined;
}

export function validateExecutorCall(call: ExecutorCall): string | undefined {
  if (call.type === undefined) return "Expecting 'type' to be present";
  if (!isPresent(call.executor_id)) return "Expecting 'executor_id' to be present";
  if (!isPresent(call.framework_id)) return "Expecting 'framework_id' to be present";
  switch (call.type) {
    case 'SUBSCRIBE':
      return call.subscribe === undefined ? "Expecting 'subscribe' to be present" : undefined;
    case 'UPDATE':
      return validateUpdate(call);
    case 'MESSAGE':
      return call.message === undefined ? "Expecting 'message' to be present" : undefined;
    case 'UNKNOWN':
      return undefined;
    default:
      return `Unknown 'type' ${String(call.type)}`;
  }
}
