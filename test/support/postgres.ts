/**
 * A fresh PostgreSQL database per test. The server, chosen once per test process:
 *   1. `MAESTRO_TEST_DATABASE_URL` or `DATABASE_URL` (a url whose user may CREATE DATABASE);
 *   2. else the local server at 127.0.0.1:5432 (user `postgres`, trust), if it answers;
 *   3. else one embedded PostgreSQL (common/db/embedded-postgres.ts) in a temp dir, stopped when
 *      the process exits (its pdeathsig, and a SIGINT from our 'exit' handler) and its dir then
 *      removed by a small detached watcher, also when the process was killed.
 * `MAESTRO_TEST_EMBEDDED_POSTGRES=1` forces 3 (a fresh Debian machine has no PostgreSQL).
 *
 * Each `createTestDatabase()` creates a uniquely named database (`maestro_test_<pid>_<n>_<hex>`);
 * `drop()` removes it `WITH (FORCE)` (PostgreSQL 13+), so connections a failed test left open do
 * not block it. Call `drop` from `t.teardown`. (Databases of a killed test process stay: a
 * server may be shared by test runs in other pid namespaces, so a pid in a name proves nothing.)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { silentLogger } from '../../common/ports.ts';
import { canConnect, startEmbeddedPostgres } from '../../common/db/embedded-postgres.ts';

export type TestServerKind = 'env' | 'local' | 'embedded';

export interface TestDatabase {
  readonly url: string;
  /** The database's name. */
  readonly name: string;
  drop(): Promise<void>;
}

export interface TestServer {
  readonly kind: TestServerKind;
  /** A url of the server's maintenance database, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  /** Embedded only: the temp dir and the postmaster's pid (both gone after this process exits). */
  readonly dir?: string;
  readonly pid?: number;
}

const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

let server: Promise<TestServer> | undefined;
let counter = 0;

/** The server this process's test databases live on (started if needed). */
export function testServerInfo(): Promise<TestServer> {
  return testServer();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl } = await testServer();
  const name = `maestro_test_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: u.toString(),
    name,
    drop: () => (dropped ??= adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

function testServer(): Promise<TestServer> {
  server ??= chooseServer();
  return server;
}

async function chooseServer(): Promise<TestServer> {
  if (process.env.MAESTRO_TEST_EMBEDDED_POSTGRES !== '1') {
    const fromEnv = process.env.MAESTRO_TEST_DATABASE_URL || process.env.DATABASE_URL;
    if (fromEnv) return { kind: 'env', adminUrl: fromEnv };
    if (await canConnect(LOCAL_URL)) return { kind: 'local', adminUrl: LOCAL_URL };
  }
  return startEmbeddedServer();
}

async function startEmbeddedServer(): Promise<TestServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maestro-test-pg-'));
  await fs.chmod(dir, 0o755); // the server runs as `postgres` when we are root
  let pg_: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    pg_ = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), logger: silentLogger });
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  // Removes the dir once both this process and the server are gone, however this process ends.
  spawn('/bin/sh', ['-c', 'while kill -0 "$1" 2>/dev/null || kill -0 "$2" 2>/dev/null; do sleep 0.2; done; rm -rf "$3"', 'sh',
    String(process.pid), String(pg_.pid), dir], { detached: true, stdio: 'ignore' }).unref();
  process.once('exit', () => {
    try {
      process.kill(pg_.pid, 'SIGINT');
    } catch {
      // already gone
    }
  });
  return { kind: 'embedded', adminUrl: pg_.urlFor('postgres'), dir, pid: pg_.pid };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/** What a helper needs of a test (ava's `t`): teardowns run last-registered first. */
export interface Teardowns {
  teardown(fn: () => unknown): void;
}

export interface TestPools {
  readonly url: string;
  /** The first pool on the database (`max` connections). */
  readonly pool: pg.Pool;
  /** Another pool on it: another process's connections. */
  newPool(max?: number): pg.Pool;
}

/**
 * A fresh database for one test and pools on it, all ended and the database dropped when the test
 * ends (a teardown registered here, so the test's own later teardowns, such as a leader
 * election's stop, run before it). The stores under test migrate it themselves.
 */
export async function openTestPools(t: Teardowns, options: { max?: number } = {}): Promise<TestPools> {
  const db = await createTestDatabase();
  const pools: pg.Pool[] = [];
  t.teardown(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
    await db.drop();
  });
  const newPool = (max = options.max ?? 4) => {
    const pool = new pg.Pool({ connectionString: db.url, max });
    // An idle client whose session the drop's FORCE ends reports it here; unheard, it would be an
    // uncaught exception of the test process.
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };
  return { url: db.url, pool: newPool(), newPool };
}
