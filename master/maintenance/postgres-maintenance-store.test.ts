/** The maintenance store on a real PostgreSQL database (one per test): what is saved is loaded, by a second master too. */
import test from 'ava';
import { openTestPools } from '../../test/support/postgres.ts';
import { openPostgresMaintenanceStore } from './postgres-maintenance-store.ts';
import { fencedMasters } from '../../common/db/leader-fence-fixture.ts';
import { EMPTY_MAINTENANCE, startMaintenance, updateSchedule, type MaintenanceState } from './maintenance.ts';

const a = { hostname: 'a.example', ip: '10.0.0.1' };
const b = { hostname: 'B.example' };
const unavailability = { start: { nanoseconds: 1_700_000_000_000_000_000 }, duration: { nanoseconds: 3600e9 } };

function must(r: { ok: true; value: { state: MaintenanceState } } | { ok: false; message: string }): MaintenanceState {
  if (!r.ok) throw new Error(r.message);
  return r.value.state;
}

test('postgres maintenance store: empty at first; a saved schedule and modes load back whole, also through a second store', async (t) => {
  const { pool } = await openTestPools(t, { max: 2 });
  const store = await openPostgresMaintenanceStore(pool);
  t.deepEqual(await store.load(), EMPTY_MAINTENANCE);
  const scheduled = must(updateSchedule(EMPTY_MAINTENANCE, { windows: [{ machine_ids: [a], unavailability }, { machine_ids: [b], unavailability: { start: unavailability.start } }] }));
  const down = must(startMaintenance(scheduled, [a]));
  await store.save(down);
  const other = await openPostgresMaintenanceStore(pool); // a second master: the migration is not applied twice
  const loaded = await other.load();
  t.deepEqual(loaded.schedule, down.schedule);
  t.deepEqual([...loaded.machines], [...down.machines]);
  await other.save(EMPTY_MAINTENANCE);
  t.deepEqual(await store.load(), { schedule: {}, machines: new Map() });
});

test('postgres maintenance store: a fenced store saves only while its master holds the leader lock', async (t) => {
  const { pool, url } = await openTestPools(t);
  const masters = fencedMasters(t, url);
  const { election } = masters;
  const store = await openPostgresMaintenanceStore(pool, { fence: masters.leader });
  const other = await openPostgresMaintenanceStore(pool, { fence: masters.other });
  const state = must(updateSchedule(EMPTY_MAINTENANCE, { windows: [{ machine_ids: [a], unavailability }] }));
  await t.throwsAsync(store.save(state), undefined, 'nobody leads yet');
  await election.start();
  t.true(election.isLeader());
  await store.save(state);
  await t.throwsAsync(other.save(EMPTY_MAINTENANCE), { name: 'NotLeaderError' });
  t.deepEqual((await store.load()).schedule, state.schedule);
});
