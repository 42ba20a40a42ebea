/**
 * The master's metrics under Mesos' keys (`/metrics/snapshot`): gauges computed from the state
 * (agents, frameworks, tasks by state, outstanding offers, resources total/used/percent) plus the
 * counters master.ts keeps (terminal task counts, messages). Pure.
 */
import { Resources } from '../common/resources/resources.ts';
import type { MasterState } from './master-state.ts';
import { usedByFramework } from './operator-views.ts';

export interface MetricInputs {
  readonly uptimeSecs: number;
  readonly elected: boolean;
}

const TASK_GAUGES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE'] as const;
const TASK_COUNTERS = ['finished', 'failed', 'killed', 'lost', 'error', 'dropped', 'gone', 'gone_by_operator'] as const;
const RESOURCES = ['cpus', 'mem', 'disk', 'gpus'] as const;

export function computeMetrics(state: MasterState, counters: ReadonlyMap<string, number>, inputs: MetricInputs): Record<string, number> {
  const m: Record<string, number> = {
    'master/uptime_secs': inputs.uptimeSecs,
    'master/elected': inputs.elected ? 1 : 0,
  };
  let active = 0;
  let connected = 0;
  for (const a of state.agents.values()) {
    if (a.active) active++;
    if (a.connected) connected++;
  }
  m['master/slaves_active'] = active;
  m['master/slaves_inactive'] = state.agents.size - active;
  m['master/slaves_connected'] = connected;
  m['master/slaves_disconnected'] = state.agents.size - connected;
  m['master/slaves_unreachable'] = state.unreachableAgents.size;
  m['master/slave_registrations'] = counters.get('master/messages_register_slave') ?? 0;
  m['master/slave_reregistrations'] = counters.get('master/messages_reregister_slave') ?? 0;
  m['master/slave_removals'] = counters.get('master/slave_removals') ?? 0;
  m['master/slave_removals/reason_unhealthy'] = counters.get('master/slave_removals/reason_unhealthy') ?? 0;

  let fActive = 0;
  let fConnected = 0;
  const byState = new Map<string, number>();
  let used = Resources.empty;
  for (const f of state.frameworks.values()) {
    if (f.recovered) continue;
    if (f.active) fActive++;
    if (f.connected) fConnected++;
    for (const t of f.tasks.values()) byState.set(t.task.state, (byState.get(t.task.state) ?? 0) + 1);
    byState.set('TASK_UNREACHABLE', (byState.get('TASK_UNREACHABLE') ?? 0) + f.unreachableTasks.size);
    for (const r of usedByFramework(f).values()) used = used.plus(r);
  }
  const registered = [...state.frameworks.values()].filter((f) => !f.recovered).length;
  m['master/frameworks_active'] = fActive;
  m['master/frameworks_inactive'] = registered - fActive;
  m['master/frameworks_connected'] = fConnected;
  m['master/frameworks_disconnected'] = registered - fConnected;
  for (const s of TASK_GAUGES) m[`master/tasks_${s.slice(5).toLowerCase()}`] = byState.get(s) ?? 0;
  for (const c of TASK_COUNTERS) m[`master/tasks_${c}`] = counters.get(`master/tasks_${c}`) ?? 0;
  m['master/outstanding_offers'] = state.offers.size;

  let total = Resources.empty;
  for (const a of state.agents.values()) total = total.plus(a.total);
  let offered = Resources.empty;
  for (const o of state.offers.values()) offered = offered.plus(o.resources);
  for (const r of RESOURCES) {
    const t = total.scalar(r);
    const u = used.unallocate().scalar(r);
    m[`master/${r}_total`] = t;
    m[`master/${r}_used`] = u;
    m[`master/${r}_percent`] = t === 0 ? 0 : u / t;
    m[`master/${r}_offered`] = offered.unallocate().scalar(r);
  }
  for (const [k, v] of counters) if (k.startsWith('master/messages_') || k.endsWith('_status_updates')) m[k] = v;
  m['master/valid_status_updates'] = counters.get('master/valid_status_updates') ?? 0;
  m['master/invalid_status_updates'] = counters.get('master/invalid_status_updates') ?? 0;
  return m;
}
