/**
 * Mesos maintenance primitives, the pure part: the schedule (windows of machines with an
 * unavailability), each scheduled machine's mode, and the checks Mesos makes before any change
 * (src/master/maintenance.cpp and the /maintenance and /machine handlers), with Mesos' 400 texts.
 * No I/O; `MaintenanceBook` (maintenance-book.ts) holds the current value in the master.
 *
 * Machine modes (Mesos `MachineInfo.Mode`):
 *
 *   UP ─(in a window of UPDATE_MAINTENANCE_SCHEDULE)─► DRAINING ─(START_MAINTENANCE, machine/down)─► DOWN
 *   DRAINING ─(left out of a new schedule)─► UP
 *   DOWN ─(STOP_MAINTENANCE, machine/up: also leaves the schedule)─► UP
 *
 * Invariants (checked by `validateSchedule`, kept by every transition):
 * - a machine appears at most once in the schedule;
 * - every machine in `machines` is in the schedule, with that window's unavailability;
 * - a DOWN machine cannot leave the schedule except through STOP_MAINTENANCE;
 * - UP machines are not kept (absent = UP).
 *
 * Machines are matched as Mesos does (type_utils `MachineID ==`): the hostname without regard to
 * case and the ip exactly; an agent's machine is its AgentInfo hostname and the IP it serves on.
 */
import type { mesos } from '../../proto/types.generated.ts';

export type MachineID = mesos.v1.MachineID;
export type Unavailability = mesos.v1.Unavailability;
export type Schedule = mesos.v1.maintenance.Schedule;
export type ClusterStatus = mesos.v1.maintenance.ClusterStatus;
export type InverseOfferStatus = mesos.v1.allocator.InverseOfferStatus;
export type MachineMode = 'UP' | 'DRAINING' | 'DOWN';

export interface ScheduledMachine {
  readonly id: MachineID;
  readonly mode: 'DRAINING' | 'DOWN';
  readonly unavailability: Unavailability;
}

export interface MaintenanceState {
  /** The one schedule Mesos keeps (it has room for more, and uses one). */
  readonly schedule: Schedule;
  /** Scheduled machines by `machineKey`. */
  readonly machines: ReadonlyMap<string, ScheduledMachine>;
}

export const EMPTY_MAINTENANCE: MaintenanceState = Object.freeze({ schedule: {}, machines: new Map() });

/** What a transition did, for the master to act on (offers, agents, inverse offers). */
export interface MaintenanceChange {
  readonly state: MaintenanceState;
  /** Machines now DRAINING that were UP, or whose unavailability changed. */
  readonly draining: readonly MachineID[];
  /** Machines now DOWN. */
  readonly down: readonly MachineID[];
  /** Machines now UP that were scheduled. */
  readonly up: readonly MachineID[];
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** The map key of a machine: hostname lower-cased, ip as given (Mesos' equality). */
export function machineKey(id: MachineID): string {
  return `${(id.hostname ?? '').toLowerCase()}\u0000${id.ip ?? ''}`;
}

/** A MachineID as protobuf's DebugString prints it (Mesos' schedule validation messages). */
export function debugString(id: MachineID): string {
  let s = '';
  if (id.hostname !== undefined) s += `hostname: ${JSON.stringify(id.hostname)}\n`;
  if (id.ip !== undefined) s += `ip: ${JSON.stringify(id.ip)}\n`;
  return s;
}

/** A MachineID as Mesos' JSON rendering prints it (machine/down and machine/up messages). */
export function jsonString(id: MachineID): string {
  const o: Record<string, string> = {};
  if (id.hostname !== undefined) o.hostname = id.hostname;
  if (id.ip !== undefined) o.ip = id.ip;
  return JSON.stringify(o);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Mesos `validation::machine`: one of hostname and ip present; the ip an IPv4 address. */
export function validateMachine(id: MachineID): string | undefined {
  if ((id.hostname ?? '') === '' && (id.ip ?? '') === '') return "Both 'hostname' and 'ip' for a machine are empty";
  if ((id.ip ?? '') !== '' && !IPV4.test(id.ip!)) return `Failed to parse IP '${id.ip}': not an IPv4 address`;
  return undefined;
}

/** Mesos `validation::unavailability`: the duration is not negative. */
export function validateUnavailability(u: Unavailability): string | undefined {
  if ((u.duration?.nanoseconds ?? 0) < 0) return "Unavailability 'duration' is negative";
  return undefined;
}

/** Mesos `validation::machines` (machine/down, machine/up, START/STOP_MAINTENANCE). */
export function validateMachines(ids: readonly MachineID[]): string | undefined {
  if (ids.length === 0) return 'List of machines is empty';
  const seen = new Set<string>();
  for (const id of ids) {
    const bad = validateMachine(id);
    if (bad !== undefined) return bad;
    const key = machineKey(id);
    if (seen.has(key)) return `Machine '${debugString(id)}' appears more than once in the schedule`;
    seen.add(key);
  }
  return undefined;
}

/** Mesos `validation::schedule`: each window has machines and a sane unavailability; no machine twice; no DOWN machine dropped. */
export function validateSchedule(schedule: Schedule, current: MaintenanceState): string | undefined {
  const updated = new Set<string>();
  for (const window of schedule.windows ?? []) {
    if ((window.machine_ids ?? []).length === 0) return 'List of machines in the maintenance window is empty';
    const badTime = validateUnavailability(window.unavailability);
    if (badTime !== undefined) return badTime;
    for (const id of window.machine_ids ?? []) {
      const bad = validateMachine(id);
      if (bad !== undefined) return bad;
      const key = machineKey(id);
      if (updated.has(key)) return `Machine '${debugString(id)}' appears more than once in the schedule`;
      updated.add(key);
    }
  }
  for (const [key, m] of current.machines) {
    if (m.mode === 'DOWN' && !updated.has(key)) return `Machine '${debugString(m.id)}' is deactivated and cannot be removed from the schedule`;
  }
  return undefined;
}

/**
 * UPDATE_MAINTENANCE_SCHEDULE: the new schedule replaces the old. New machines are DRAINING,
 * machines left out go UP, the others keep their mode and take their window's unavailability.
 */
export function updateSchedule(current: MaintenanceState, schedule: Schedule): Checked<MaintenanceChange> {
  const bad = validateSchedule(schedule, current);
  if (bad !== undefined) return fail(bad);
  const machines = new Map<string, ScheduledMachine>();
  const draining: MachineID[] = [];
  for (const window of schedule.windows ?? []) {
    for (const id of window.machine_ids ?? []) {
      const key = machineKey(id);
      const old = current.machines.get(key);
      const mode = old?.mode ?? 'DRAINING';
      machines.set(key, { id, mode, unavailability: window.unavailability });
      if (mode === 'DRAINING' && (old === undefined || !sameUnavailability(old.unavailability, window.unavailability))) draining.push(id);
    }
  }
  const up = [...current.machines].filter(([key]) => !machines.has(key)).map(([, m]) => m.id);
  const windows = schedule.windows ?? [];
  return { ok: true, value: { state: { schedule: windows.length > 0 ? { windows } : {}, machines }, draining, down: [], up } };
}

function sameUnavailability(a: Unavailability, b: Unavailability): boolean {
  return a.start.nanoseconds === b.start.nanoseconds && a.duration?.nanoseconds === b.duration?.nanoseconds;
}

/** Mesos' message for the first machine of `ids` that is invalid, unscheduled or not in `mode`; undefined when all are. */
function machinesIn(current: MaintenanceState, ids: readonly MachineID[], mode: 'DRAINING' | 'DOWN', to: 'down' | 'up'): string | undefined {
  const bad = validateMachines(ids);
  if (bad !== undefined) return bad;
  for (const id of ids) {
    const m = current.machines.get(machineKey(id));
    if (m === undefined) return `Machine '${jsonString(id)}' is not part of a maintenance schedule`;
    if (m.mode !== mode) return `Machine '${jsonString(id)}' is not in ${mode} mode and cannot be brought ${to}`;
  }
  return undefined;
}

/** START_MAINTENANCE / machine/down: scheduled DRAINING machines go DOWN. */
export function startMaintenance(current: MaintenanceState, ids: readonly MachineID[]): Checked<MaintenanceChange> {
  const bad = machinesIn(current, ids, 'DRAINING', 'down');
  if (bad !== undefined) return fail(bad);
  const machines = new Map(current.machines);
  const down: MachineID[] = [];
  for (const id of ids) {
    const key = machineKey(id);
    const m = machines.get(key)!;
    machines.set(key, { ...m, mode: 'DOWN' });
    down.push(m.id);
  }
  return { ok: true, value: { state: { schedule: current.schedule, machines }, draining: [], down, up: [] } };
}

/** STOP_MAINTENANCE / machine/up: DOWN machines go UP and leave the schedule (emptied windows go too). */
export function stopMaintenance(current: MaintenanceState, ids: readonly MachineID[]): Checked<MaintenanceChange> {
  const bad = machinesIn(current, ids, 'DOWN', 'up');
  if (bad !== undefined) return fail(bad);
  const gone = new Set(ids.map(machineKey));
  const machines = new Map([...current.machines].filter(([key]) => !gone.has(key)));
  const windows = (current.schedule.windows ?? [])
    .map((w) => ({ ...w, machine_ids: (w.machine_ids ?? []).filter((id) => !gone.has(machineKey(id))) }))
    .filter((w) => w.machine_ids.length > 0);
  const up = ids.map((id) => current.machines.get(machineKey(id))!.id);
  return { ok: true, value: { state: { schedule: windows.length > 0 ? { windows } : {}, machines }, draining: [], down: [], up } };
}

/** The mode of a machine (UP when not scheduled). */
export function modeOf(state: MaintenanceState, id: MachineID): MachineMode {
  return state.machines.get(machineKey(id))?.mode ?? 'UP';
}

/**
 * GET_MAINTENANCE_STATUS: DRAINING machines with the frameworks' latest answers to inverse offers
 * for their agents (`statusesOf`), DOWN machines. In schedule order.
 */
export function clusterStatus(state: MaintenanceState, statusesOf: (id: MachineID) => readonly InverseOfferStatus[]): ClusterStatus {
  const draining: mesos.v1.maintenance.ClusterStatus.DrainingMachine[] = [];
  const down: MachineID[] = [];
  for (const m of state.machines.values()) {
    if (m.mode === 'DOWN') down.push(m.id);
    else {
      const statuses = statusesOf(m.id);
      draining.push(statuses.length > 0 ? { id: m.id, statuses: [...statuses] } : { id: m.id });
    }
  }
  const out: ClusterStatus = {};
  if (draining.length > 0) out.draining_machines = draining;
  if (down.length > 0) out.down_machines = down;
  return out;
}
