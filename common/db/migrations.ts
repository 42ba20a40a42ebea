/**
 * Versioned schema migrations per component (`master`, `marathon`, `batch`, ...), recorded in
 * one table:
 *
 *   schema_migrations(component text, version int, name text, applied_at timestamptz,
 *                     PRIMARY KEY (component, version))
 *
 * Invariants:
 * - a component's migrations are applied in version order, each in its own transaction together
 *   with its `schema_migrations` row, so a failed migration leaves nothing behind and the next
 *   start retries it;
 * - starters that race (two masters at once) are serialised by a session advisory lock held for
 *   the whole run: the second finds the work done;
 * - a database that has a version this code does not know (a newer maestro migrated it), or
 *   whose applied migration has another name than the code's, is refused with
 *   `SchemaMismatchError` before anything is changed.
 */
import pg from 'pg';
import { advisoryKey } from './advisory-key.ts';

export interface Migration {
  /** 1, 2, 3...: strictly increasing within a component. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  readonly applied: readonly number[];
  /** The component's version after the call. */
  readonly version: number;
}

/** The database does not fit this code: newer than known, or a different history. */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
}

/** Everything migrations may run on: a pool (a client is checked out) or one connected client. */
export type Queryable = pg.Pool | pg.ClientBase;

const MIGRATION_LOCK = advisoryKey('maestro.schema_migrations');

export async function migrate(db: Queryable, component: string, migrations: readonly Migration[]): Promise<MigrateResult> {
  checkList(component, migrations);
  return withClient(db, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        component text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version))`);
      const { rows } = await client.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations WHERE component = $1 ORDER BY version', [component]);
      checkHistory(component, migrations, rows);
      const done = new Set(rows.map((r) => r.version));
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)', [component, m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`migration ${component} ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.version);
      }
      const version = Math.max(0, ...rows.map((r) => r.version), ...applied);
      return { applied, version };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => {});
    }
  });
}

function checkList(component: string, migrations: readonly Migration[]): void {
  let last = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= last) {
      throw new Error(`migrations of ${component} must have increasing positive integer versions (${m.version} after ${last})`);
    }
    last = m.version;
  }
}

function checkHistory(component: string, migrations: readonly Migration[], rows: readonly { version: number; name: string }[]): void {
  const known = new Map(migrations.map((m) => [m.version, m.name]));
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  for (const row of rows) {
    const name = known.get(row.version);
    if (row.version > newest) {
      throw new SchemaMismatchError(
        `the database's ${component} schema is at version ${Math.max(...rows.map((r) => r.version))}, ` +
        `newer than this maestro knows (${newest}): run a maestro at least as new, or use another database`);
    }
    if (name === undefined) {
      throw new SchemaMismatchError(`the database has ${component} migration ${row.version} (${row.name}), which this maestro does not know`);
    }
    if (name !== row.name) {
      throw new SchemaMismatchError(`${component} migration ${row.version} was applied as "${row.name}" but this maestro calls it "${name}"`);
    }
  }
}

function isPool(db: Queryable): db is pg.Pool {
  return db instanceof pg.Pool || ('totalCount' in db && 'idleCount' in db);
}

/**
 * Runs `fn` on one client: checked out of a pool (and released), or the client given. A
 * checked-out client has no 'error' listener of the pool's; one is added here, so a session the
 * server ends while we hold it (or while a broken client closes) rejects the query in flight
 * instead of crashing the process.
 */
export async function withClient<T>(db: Queryable, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (!isPool(db)) return fn(db);
  const client = await db.connect();
  const ignore = (): void => {};
  client.on('error', ignore);
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A client whose transaction or lock state is unknown is not handed back to the pool; it
    // keeps its listener while it closes.
    if (!broken) client.removeListener('error', ignore);
    client.release(broken);
  }
}
