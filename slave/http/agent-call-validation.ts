/**
 * Structural validation of a decoded `mesos.v1.agent.Call`, as Mesos checks an agent operator
 * call before dispatching it (src/slave/validation.cpp, `agent::call::validate`): the type is
 * present, and each call that carries arguments has its sub-message (named as the lower-cased
 * type). Pure; the HTTP layer prefixes "Failed to validate agent::Call: ".
 */
import type { mesos } from '../../proto/types.generated.ts';
import { validateCallArguments } from '../../master/http/operator-call-validation.ts';

export type AgentCall = mesos.v1.agent.Call;

const CALLS_WITH_ARGUMENTS: ReadonlySet<string> = new Set([
  'GET_METRICS', 'SET_LOGGING_LEVEL', 'LIST_FILES', 'READ_FILE',
  'LAUNCH_NESTED_CONTAINER', 'WAIT_NESTED_CONTAINER', 'KILL_NESTED_CONTAINER', 'REMOVE_NESTED_CONTAINER',
  'LAUNCH_NESTED_CONTAINER_SESSION', 'ATTACH_CONTAINER_INPUT', 'ATTACH_CONTAINER_OUTPUT',
  'LAUNCH_CONTAINER', 'WAIT_CONTAINER', 'KILL_CONTAINER', 'REMOVE_CONTAINER',
  'ADD_RESOURCE_PROVIDER_CONFIG', 'UPDATE_RESOURCE_PROVIDER_CONFIG', 'REMOVE_RESOURCE_PROVIDER_CONFIG',
  'MARK_RESOURCE_PROVIDER_GONE',
]);

export function validateAgentCall(call: AgentCall): string | undefined {
  return validateCallArguments(call, CALLS_WITH_ARGUMENTS);
}
