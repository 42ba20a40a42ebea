/**
 * Structural validation of a decoded `mesos.v1.master.Call`, as Mesos does before dispatching an
 * operator call (src/master/validation.cpp, `master::call::validate`): the type is present and
 * the calls that carry arguments have their sub-message (named as the lower-cased type). Pure.
 * The HTTP layer prefixes the message with "Failed to validate master::Call: ".
 */
import type { mesos } from '../../proto/types.generated.ts';

export type OperatorCall = mesos.v1.master.Call;

/** Calls whose same-named, lower-cased sub-message must be present. */
const CALLS_WITH_ARGUMENTS: ReadonlySet<string> = new Set([
  'GET_METRICS', 'SET_LOGGING_LEVEL', 'LIST_FILES', 'READ_FILE', 'UPDATE_WEIGHTS',
  'RESERVE_RESOURCES', 'UNRESERVE_RESOURCES', 'CREATE_VOLUMES', 'DESTROY_VOLUMES', 'GROW_VOLUME',
  'SHRINK_VOLUME', 'UPDATE_MAINTENANCE_SCHEDULE', 'START_MAINTENANCE', 'STOP_MAINTENANCE',
  'DRAIN_AGENT', 'DEACTIVATE_AGENT', 'REACTIVATE_AGENT', 'UPDATE_QUOTA', 'SET_QUOTA',
  'REMOVE_QUOTA', 'TEARDOWN', 'MARK_AGENT_GONE',
]);

/**
 * The check Mesos makes of every operator call, master or agent: `type` present, and the calls in
 * `withArguments` carry their sub-message, named as the lower-cased type.
 */
export function validateCallArguments(call: { readonly type?: string }, withArguments: ReadonlySet<string>): string | undefined {
  const type = call.type;
  if (type === undefined) return "Expecting 'type' to be present";
  if (withArguments.has(type)) {
    const field = type.toLowerCase();
    if ((call as Record<string, unknown>)[field] === undefined) return `Expecting '${field}' to be present`;
  }
  return undefined;
}

export function validateOperatorCall(call: OperatorCall): string | undefined {
  const missing = validateCallArguments(call, CALLS_WITH_ARGUMENTS);
  if (missing !== undefined) return missing;
  if (call.type === 'MARK_AGENT_GONE') {
    const agentId = call.mark_agent_gone?.agent_id as { value?: string } | undefined;
    if (agentId === undefined) return "Expecting 'mark_agent_gone.agent_id' to be present";
    if (agentId.value === undefined || agentId.value === '') return "Expecting 'mark_agent_gone.agent_id.value' to be non-empty";
  }
  return undefined;
}
