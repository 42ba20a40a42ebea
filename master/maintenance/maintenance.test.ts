/** The pure maintenance rules: validation with Mesos' texts, and the mode transitions. */
import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import {
  EMPTY_MAINTENANCE, clusterStatus, modeOf, startMaintenance, stopMaintenance, updateSchedule,
  type MaintenanceState, type Schedule,
} from './maintenance.ts';

const a = { hostname: 'a.example', ip: '10.0.0.1' };
const b = { hostname: 'b.example', ip: '10.0.0.2' };
const soon = { start: { nanoseconds: 1e18 }, duration: { nanoseconds: 3600e9 } };
const later = { start: { nanoseconds: 2e18 } };
const schedule = (...windows: Array<[mesos.v1.MachineID[], mesos.v1.Unavailability]>): Schedule => ({ windows: windows.map(([machine_ids, unavailability]) => ({ machine_ids, unavailability })) });

function must<T>(r: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

test('a scheduled machine is DRAINING; down makes it DOWN; up makes it UP and takes it out of the schedule', (t) => {
  const s1 = must(updateSchedule(EMPTY_MAINTENANCE, schedule([[a, b], soon])));
  t.deepEqual(s1.draining, [a, b]);
  t.is(modeOf(s1.state, a), 'DRAINING');
  t.is(modeOf(s1.state, { hostname: 'A.EXAMPLE', ip: '10.0.0.1' }), 'DRAINING', 'hostnames match without regard to case');
  t.is(modeOf(s1.state, { hostname: 'a.example' }), 'UP', 'the ip is part of the machine');
  const s2 = must(startMaintenance(s1.state, [a]));
  t.deepEqual(s2.down, [a]);
  t.is(modeOf(s2.state, a), 'DOWN');
  t.is(modeOf(s2.state, b), 'DRAINING');
  t.deepEqual(clusterStatus(s2.state, () => []), { draining_machines: [{ id: b }], down_machines: [a] });
  const s3 = must(stopMaintenance(s2.state, [a]));
  t.deepEqual(s3.up, [a]);
  t.is(modeOf(s3.state, a), 'UP');
  t.deepEqual(s3.state.schedule, schedule([[b], soon]));
  // The last machine of the last window leaves: the schedule is empty.
  const s4 = must(stopMaintenance(must(startMaintenance(s3.state, [b])).state, [b]));
  t.deepEqual(s4.state.schedule, {});
  t.is(s4.state.machines.size, 0);
});

test('a new schedule: machines left out go UP, kept ones keep their mode and take the new unavailability', (t) => {
  const down = must(startMaintenance(must(updateSchedule(EMPTY_MAINTENANCE, schedule([[a], soon], [[b], soon]))).state, [a])).state;
  const next = must(updateSchedule(down, schedule([[a], later])));
  t.deepEqual(next.up, [b]);
  t.deepEqual(next.draining, []);
  t.is(modeOf(next.state, a), 'DOWN');
  t.deepEqual(next.state.machines.get('a.example\u000010.0.0.1')?.unavailability, later);
  const moved = must(updateSchedule(must(updateSchedule(EMPTY_MAINTENANCE, schedule([[b], soon]))).state, schedule([[b], later])));
  t.deepEqual(moved.draining, [b], 'a DRAINING machine whose unavailability changed is reported again');
});

const draining: MaintenanceState = must(updateSchedule(EMPTY_MAINTENANCE, schedule([[a], soon]))).state;
const withDown: MaintenanceState = must(startMaintenance(must(updateSchedule(EMPTY_MAINTENANCE, schedule([[a, b], soon]))).state, [a])).state;

const rejected: Array<[string, () => { ok: boolean; message?: string }, string]> = [
  ['window without machines', () => updateSchedule(EMPTY_MAINTENANCE, { windows: [{ machine_ids: [], unavailability: soon }] }), 'List of machines in the maintenance window is empty'],
  ['negative duration', () => updateSchedule(EMPTY_MAINTENANCE, schedule([[a], { start: { nanoseconds: 0 }, duration: { nanoseconds: -1 } }])), "Unavailability 'duration' is negative"],
  ['empty MachineID', () => updateSchedule(EMPTY_MAINTENANCE, schedule([[{}], soon])), "Both 'hostname' and 'ip' for a machine are empty"],
  ['bad ip', () => updateSchedule(EMPTY_MAINTENANCE, schedule([[{ hostname: 'x', ip: '10.0.0' }], soon])), "Failed to parse IP '10.0.0': not an IPv4 address"],
  ['machine in two windows', () => updateSchedule(EMPTY_MAINTENANCE, schedule([[a], soon], [[{ ...a, hostname: 'A.example' }], later])), 'Machine \'hostname: "A.example"\nip: "10.0.0.1"\n\' appears more than once in the schedule'],
  ['DOWN machine removed', () => updateSchedule(withDown, schedule([[b], soon])), 'Machine \'hostname: "a.example"\nip: "10.0.0.1"\n\' is deactivated and cannot be removed from the schedule'],
  ['down: empty list', () => startMaintenance(draining, []), 'List of machines is empty'],
  ['down: twice in the list', () => startMaintenance(draining, [a, a]), 'Machine \'hostname: "a.example"\nip: "10.0.0.1"\n\' appears more than once in the schedule'],
  ['down: not scheduled', () => startMaintenance(draining, [b]), 'Machine \'{"hostname":"b.example","ip":"10.0.0.2"}\' is not part of a maintenance schedule'],
  ['down: already DOWN', () => startMaintenance(withDown, [a]), 'Machine \'{"hostname":"a.example","ip":"10.0.0.1"}\' is not in DRAINING mode and cannot be brought down'],
  ['up: DRAINING', () => stopMaintenance(withDown, [b]), 'Machine \'{"hostname":"b.example","ip":"10.0.0.2"}\' is not in DOWN mode and cannot be brought up'],
  ['up: not scheduled', () => stopMaintenance(EMPTY_MAINTENANCE, [a]), 'Machine \'{"hostname":"a.example","ip":"10.0.0.1"}\' is not part of a maintenance schedule'],
];
for (const [name, run, message] of rejected) {
  test(`rejected with Mesos' text: ${name}`, (t) => {
    const r = run();
    t.false(r.ok);
    t.is(r.message, message);
  });
}

test('a rejected change leaves the state as it was', (t) => {
  const before = [...withDown.machines.entries()];
  t.false(updateSchedule(withDown, schedule([[b], soon])).ok);
  t.false(startMaintenance(withDown, [a]).ok);
  t.deepEqual([...withDown.machines.entries()], before);
});
