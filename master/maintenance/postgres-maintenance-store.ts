/**
 * The maintenance state in PostgreSQL, next to the registry (Mesos keeps it in its registry): one
 * row with the schedule and the scheduled machines' modes, replaced whole by each change (a
 * schedule is small; Mesos rewrites it whole too). Component `master_maintenance` in
 * `schema_migrations`:
 *
 *   master_maintenance(id = 1, schedule jsonb (mesos.v1.maintenance.Schedule),
 *                      machines jsonb ([{id: MachineID, mode: DRAINING|DOWN, unavailability}]))
 *
 * Fencing (`fence`, as the registry's: master/registry/postgres-registry-store.ts): a save first
 * checks, in its transaction, that the leaders row names this master and that the row's session
 * still holds the leader lock; else it fails with NotLeaderError and nothing is written.
 */
import type pg from 'pg';
import { migrate, withClient, type Migration } from '../../common/db/migrations.ts';
import { createFenceCheck } from '../../common/db/leader-fence.ts';
import type { RegistryFence } from '../registry/postgres-registry-store.ts';
import { toStoredJson } from '../../common/db/storable.ts';
import type { MaintenanceStore } from './maintenance-store.ts';
import { EMPTY_MAINTENANCE, machineKey, type MaintenanceState, type Schedule, type ScheduledMachine } from './maintenance.ts';

export const MAINTENANCE_COMPONENT = 'master_maintenance';

export const maintenanceMigrations: readonly Migration[] = [{
  version: 1,
  name: 'maintenance',
  sql: `
    CREATE TABLE master_maintenance (
      id smallint PRIMARY KEY CHECK (id = 1),
      schedule jsonb NOT NULL,
      machines jsonb NOT NULL);`,
}];

const UPSERT_SQL = `
  INSERT INTO master_maintenance (id, schedule, machines) VALUES (1, $1::jsonb, $2::jsonb)
  ON CONFLICT (id) DO UPDATE SET schedule = excluded.schedule, machines = excluded.machines`;

/** Migrates the table (idempotent) and opens the store on `pool` (the caller owns the pool). */
export async function openPostgresMaintenanceStore(pool: pg.Pool, opts: { readonly fence?: RegistryFence } = {}): Promise<MaintenanceStore> {
  await migrate(pool, MAINTENANCE_COMPONENT, maintenanceMigrations);
  const checkFence = opts.fence === undefined ? undefined : createFenceCheck(opts.fence);
  return {
    async load() {
      const r = await pool.query<{ schedule: Schedule; machines: ScheduledMachine[] }>('SELECT schedule, machines FROM master_maintenance WHERE id = 1');
      const row = r.rows[0];
      if (row === undefined) return EMPTY_MAINTENANCE;
      return { schedule: row.schedule, machines: new Map(row.machines.map((m) => [machineKey(m.id), m])) };
    },
    async save(state: MaintenanceState) {
      const schedule = toStoredJson(state.schedule, 'maintenance schedule');
      const machines = toStoredJson([...state.machines.values()], 'maintenance machines');
      if (checkFence === undefined) {
        await pool.query(UPSERT_SQL, [schedule, machines]);
        return;
      }
      await withClient(pool, async (client) => {
        await client.query('BEGIN');
        try {
          await checkFence(client, 'maintenance');
          await client.query(UPSERT_SQL, [schedule, machines]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      });
    },
  };
}
