/**
 * The operator API's dispatch: a validated `mesos.v1.master.Call` and the OperatorEndpoint in,
 * an answer value out (a `mesos.v1.master.Response` of the matching type, a bare 200 for the
 * mutations Mesos answers with an empty OK, a rejection, or 501 for calls this master does not
 * implement yet, named so). No HTTP here; operator-api.ts turns answers into responses.
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { OperatorEndpoint } from '../operator-endpoint.ts';
import type { OperatorCall } from './operator-call-validation.ts';
import { versionInfo, type BuildInfo } from './version-info.ts';

type Response = mesos.v1.master.Response;

export type OperatorAnswer =
  | { readonly kind: 'response'; readonly response: Response }
  /** `written`: answer once it settles (the registry holds the change); a failed write is a 503. */
  | { readonly kind: 'ok'; readonly written?: Promise<void> }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string };

export function notImplementedMessage(type: string): string {
  return `Call '${type}' is not implemented by this master`;
}

/** Scalar map of the canonical form (`{"cpus": {"value": 1}}`) to plain numbers. */
function scalars(map: Readonly<Record<string, { value?: number } | undefined>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, scalar] of Object.entries(map ?? {})) out[name] = scalar?.value ?? 0;
  return out;
}

function response(r: Response): OperatorAnswer {
  return { kind: 'response', response: r };
}

function fromOutcome(outcome: { ok: true; written?: Promise<void> } | { ok: false; status: number; message: string }): OperatorAnswer {
  if (!outcome.ok) return { kind: 'rejected', status: outcome.status, message: outcome.message };
  return outcome.written === undefined ? { kind: 'ok' } : { kind: 'ok', written: outcome.written };
}

export function answerOperatorCall(
  operator: OperatorEndpoint,
  call: OperatorCall,
  version: string,
  build: BuildInfo,
): OperatorAnswer {
  const type = call.type as string;
  switch (type) {
    case 'GET_HEALTH':
      return response({ type: 'GET_HEALTH', get_health: { healthy: true } } as Response);
    case 'GET_FLAGS':
      return response({
        type: 'GET_FLAGS',
        get_flags: { flags: Object.entries(operator.flags()).map(([name, value]) => ({ name, value })) },
      } as Response);
    case 'GET_VERSION':
      return response({ type: 'GET_VERSION', get_version: { version_info: versionInfo(version, build) } } as Response);
    case 'GET_METRICS':
      return response({
        type: 'GET_METRICS',
        get_metrics: { metrics: Object.entries(operator.metrics()).map(([name, value]) => ({ name, value })) },
      } as Response);
    case 'GET_STATE':
      return response({ type: 'GET_STATE', get_state: operator.getState() } as Response);
    case 'GET_AGENTS':
      return response({ type: 'GET_AGENTS', get_agents: operator.getAgents() } as Response);
    case 'GET_FRAMEWORKS':
      return response({ type: 'GET_FRAMEWORKS', get_frameworks: operator.getFrameworks() } as Response);
    case 'GET_EXECUTORS':
      return response({ type: 'GET_EXECUTORS', get_executors: operator.getExecutors() } as Response);
    case 'GET_TASKS':
      return response({ type: 'GET_TASKS', get_tasks: operator.getTasks() } as Response);
    case 'GET_ROLES':
      return response({ type: 'GET_ROLES', get_roles: operator.getRoles() } as Response);
    case 'GET_WEIGHTS':
      return response({ type: 'GET_WEIGHTS', get_weights: operator.getWeights() } as Response);
    case 'GET_QUOTA':
      return response({ type: 'GET_QUOTA', get_quota: operator.getQuota() } as Response);
    case 'GET_MASTER': {
      const getMaster: Record<string, unknown> = { master_info: operator.masterInfo(), start_time: operator.startTime() };
      const elected = operator.electedTime();
      if (elected !== undefined) getMaster.elected_time = elected;
      return response({ type: 'GET_MASTER', get_master: getMaster } as Response);
    }
    case 'UPDATE_WEIGHTS':
      return fromOutcome(operator.updateWeights(call.update_weights?.weight_infos ?? []));
    case 'UPDATE_QUOTA':
      return fromOutcome(operator.updateQuota((call.update_quota?.quota_configs ?? []).map((config) => ({
        role: config.role,
        guarantees: scalars(config.guarantees as Record<string, { value?: number }> | undefined),
        limits: scalars(config.limits as Record<string, { value?: number }> | undefined),
      }))));
    case 'TEARDOWN':
      return fromOutcome(operator.teardown(call.teardown!.framework_id.value));
    case 'MARK_AGENT_GONE':
      return fromOutcome(operator.markAgentGone(call.mark_agent_gone!.agent_id?.value ?? ''));
    case 'GET_MAINTENANCE_SCHEDULE':
      return response({ type: 'GET_MAINTENANCE_SCHEDULE', get_maintenance_schedule: { schedule: operator.getMaintenanceSchedule() } } as Response);
    case 'GET_MAINTENANCE_STATUS':
      return response({ type: 'GET_MAINTENANCE_STATUS', get_maintenance_status: { status: operator.getMaintenanceStatus() } } as Response);
    case 'UPDATE_MAINTENANCE_SCHEDULE':
      return fromOutcome(operator.updateMaintenanceSchedule(call.update_maintenance_schedule!.schedule));
    case 'START_MAINTENANCE':
      return fromOutcome(operator.startMaintenance(call.start_maintenance!.machines ?? []));
    case 'STOP_MAINTENANCE':
      return fromOutcome(operator.stopMaintenance(call.stop_maintenance!.machines ?? []));
    default:
  }
  return { kind: 'rejected', status: 501, message: notImplementedMessage(type) };
}
