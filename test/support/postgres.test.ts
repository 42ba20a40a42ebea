import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, testServerInfo } from './postgres.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('each call gives a fresh, empty, separate database; drop removes it even with a client still connected', async (t) => {
  const a = await createTestDatabase();
  const b = await createTestDatabase();
  t.teardown(() => Promise.all([a.drop(), b.drop()]).then(() => undefined));
  t.not(a.name, b.name);
  const ca = new pg.Client(a.url);
  ca.on('error', () => {}); // the forced drop ends this session
  await ca.connect();
  await ca.query('CREATE TABLE only_in_a (x int)');
  const cb = new pg.Client(b.url);
  await cb.connect();
  t.deepEqual((await cb.query("SELECT to_regclass('only_in_a') AS r")).rows, [{ r: null }]);
  await cb.end();
  await a.drop(); // ca is still connected: WITH (FORCE)
  const { adminUrl } = await testServerInfo();
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  t.teardown(() => admin.end());
  t.deepEqual((await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname', [[a.name, b.name]])).rows, [{ datname: b.name }]);
});

test('forced embedded path (a machine without PostgreSQL): a real server, removed with its temp dir when the process ends', async (t) => {
  // A child test process, so its exit (without dropping anything) is what cleans up.
  const script = `
    import pg from 'pg';
    import { createTestDatabase, testServerInfo } from './test/support/postgres.ts';
    const db = await createTestDatabase();
    const c = new pg.Client(db.url);
    await c.connect();
    await c.query('CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)');
    const { rows } = await c.query('SELECT sum(x)::int AS s, version() AS v FROM t');
    await c.end();
    const info = await testServerInfo();
    console.log(JSON.stringify({ kind: info.kind, dir: info.dir, pid: info.pid, sum: rows[0].s, version: rows[0].v }));
    process.exit(0);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAESTRO_TEST_EMBEDDED_POSTGRES: '1', MAESTRO_TEST_DATABASE_URL: '', DATABASE_URL: '' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise((r) => child.on('exit', r));
  t.is(code, 0, err);
  const report = JSON.parse(out.trim()) as { kind: string; dir: string; pid: number; sum: number; version: string };
  t.is(report.kind, 'embedded');
  t.is(report.sum, 3);
  t.regex(report.version, /^PostgreSQL \d+/);
  t.true(report.dir.startsWith('/'));
  t.true(await eventually(() => !isAlive(report.pid)), 'the embedded server stopped');
  t.true(await eventually(() => fs.access(report.dir).then(() => false, () => true)), 'its temp dir was removed');
});
