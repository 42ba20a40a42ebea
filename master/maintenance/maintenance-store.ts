/**
 * The port in front of wherever the maintenance state is kept (Mesos keeps the schedule and the
 * machine modes in its registry). The master stores each change before acting on it and a newly
 * elected master starts from `load()`. postgres-maintenance-store.ts keeps it in PostgreSQL next
 * to the registry; without `--database` there is no store (the master's memory is the registry).
 */
import type { MaintenanceState } from './maintenance.ts';

export interface MaintenanceStore {
  load(): Promise<MaintenanceState>;
  /** Durable once resolved; a rejected save changed nothing. */
  save(state: MaintenanceState): Promise<void>;
}
