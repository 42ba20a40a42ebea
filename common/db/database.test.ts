import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../ports.ts';
import { createTestDatabase } from '../../test/support/postgres.ts';
import { openDatabase, redactUrl } from './database.ts';
import { RELOCATED_ROOT } from './embedded-postgres.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 20_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until && isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  return !isAlive(pid);
}

/** A work dir made as mkdtemp makes it (0700, so the server's user needs o+x on it). */
async function workDir(t: ExecutionContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maestro-db-test-'));
  t.teardown(async () => {
    // A server this test left running would keep files open: stop it first.
    const pidText = await fs.readFile(path.join(dir, 'postgres', 'data', 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number.parseInt(pidText.split('\n')[0] ?? '', 10);
    if (pid > 0 && isAlive(pid)) {
      process.kill(pid, 'SIGINT');
      await waitGone(pid);
    }
    await fs.rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Runs a script (ESM, repo root as cwd) in a child node with tsx; resolves at its first line of output. */
function startChild(t: ExecutionContext, script: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, line: out.slice(0, nl) });
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
  });
}

const childScript = (dir: string, dieWithOwner: boolean) => `
  import pg from 'pg';
  import { startEmbeddedPostgres } from './common/db/embedded-postgres.ts';
  import { createDatabaseIfMissing } from './common/db/database.ts';
  const server = await startEmbeddedPostgres({ dir: ${JSON.stringify(path.join(dir, 'postgres'))}, logger: { debug() {}, info() {}, warn() {}, error() {} }, dieWithOwner: ${dieWithOwner} });
  await createDatabaseIfMissing(server.urlFor('postgres'), 'maestro');
  const c = new pg.Client(server.urlFor('maestro'));
  await c.connect();
  await c.query("CREATE TABLE survivors (name text); INSERT INTO survivors VALUES ('before the kill')");
  await c.end();
  console.log(String(server.pid));
  setInterval(() => {}, 1000);
`;

test('embedded: a restart finds its data (initialised once, in <workDir>/postgres)', async (t) => {
  const dir = await workDir(t);
  const first = await openDatabase({ workDir: dir, logger: silentLogger });
  t.true(first.embedded);
  t.regex(first.url, /^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/maestro$/);
  await first.pool.query("CREATE TABLE kept (x text); INSERT INTO kept VALUES ('hello')");
  const versionFile = await fs.stat(path.join(dir, 'postgres', 'data', 'PG_VERSION'));
  await first.close();
  await first.close(); // idempotent
  t.deepEqual(await fs.readdir(path.join(dir, 'postgres')).then((f) => f.sort()), ['data', 'password', 'postgres.log']); // owner.pid gone

  const second = await openDatabase({ workDir: dir, logger: silentLogger });
  t.teardown(() => second.close());
  t.deepEqual((await second.pool.query('SELECT x FROM kept')).rows, [{ x: 'hello' }]);
  t.is((await fs.stat(path.join(dir, 'postgres', 'data', 'PG_VERSION'))).ino, versionFile.ino); // not re-initialised
  t.is(((await fs.stat(path.join(dir, 'postgres', 'password'))).mode & 0o777), 0o600);
});

test('embedded: a work dir the server\'s user cannot reach (a checkout under a 0700 home) gets the server relocated and linked', async (t) => {
  const home = await workDir(t); // 0700, like /root
  const dir = path.join(home, 'checkout', 'work');
  const first = await openDatabase({ workDir: dir, logger: silentLogger });
  const link = path.join(dir, 'postgres');
  const target = await fs.realpath(link);
  t.teardown(async () => {
    await first.close();
    await fs.rm(target, { recursive: true, force: true });
  });
  t.true((await fs.lstat(link)).isSymbolicLink());
  t.true(target.startsWith(`${RELOCATED_ROOT}/`), target);
  t.is((await fs.stat(home)).mode & 0o777, 0o700, 'the home above stays as it was');
  await first.pool.query("CREATE TABLE kept (x text); INSERT INTO kept VALUES ('relocated')");
  await first.close();
  const second = await openDatabase({ workDir: dir, logger: silentLogger });
  t.teardown(() => second.close());
  t.deepEqual((await second.pool.query('SELECT x FROM kept')).rows, [{ x: 'relocated' }]);
  t.is(await fs.realpath(link), target, 'the next start goes through the link to the same server');
});

test('embedded: a second process (or a second open) on the same work dir is refused while the first runs', async (t) => {
  const dir = await workDir(t);
  const db = await openDatabase({ workDir: dir, logger: silentLogger });
  t.teardown(() => db.close());
  await t.throwsAsync(openDatabase({ workDir: dir, logger: silentLogger }), { message: new RegExp(`in use by process ${process.pid}`) });
  t.deepEqual((await db.pool.query('SELECT 1 AS one')).rows, [{ one: 1 }]); // the first is unharmed
});

test('embedded: kill -9 of the owner stops its server (pdeathsig); the next start has the data', async (t) => {
  const dir = await workDir(t);
  const { child, line } = await startChild(t, childScript(dir, true));
  const pgPid = Number(line);
  t.true(isAlive(pgPid));
  child.kill('SIGKILL');
  t.true(await waitGone(pgPid), 'the server stopped with its owner');
  const db = await openDatabase({ workDir: dir, logger: silentLogger });
  t.teardown(() => db.close());
  t.deepEqual((await db.pool.query('SELECT name FROM survivors')).rows, [{ name: 'before the kill' }]);
});

test('embedded: a server left running by a killed owner is stopped and replaced at the next start', async (t) => {
  const dir = await workDir(t);
  const { child, line } = await startChild(t, childScript(dir, false));
  const orphan = Number(line);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.true(isAlive(orphan), 'without pdeathsig the server outlives its owner');
  const db = await openDatabase({ workDir: dir, logger: silentLogger });
  t.teardown(() => db.close());
  t.false(isAlive(orphan), 'the leftover server was stopped');
  t.deepEqual((await db.pool.query('SELECT name FROM survivors')).rows, [{ name: 'before the kill' }]);
});

test('embedded: a stale postmaster.pid naming an unrelated live process does not block the start', async (t) => {
  const dir = await workDir(t);
  const db = await openDatabase({ workDir: dir, logger: silentLogger });
  await db.pool.query('CREATE TABLE t (x int); INSERT INTO t VALUES (7)');
  await db.close();
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill('SIGKILL'));
  const pidFile = path.join(dir, 'postgres', 'data', 'postmaster.pid');
  await fs.writeFile(pidFile, `${sleeper.pid}\n${path.join(dir, 'postgres', 'data')}\n1700000000\n5432\n\n127.0.0.1\n 1 2\nready\n`);
  const again = await openDatabase({ workDir: dir, logger: silentLogger });
  t.teardown(() => again.close());
  t.deepEqual((await again.pool.query('SELECT x FROM t')).rows, [{ x: 7 }]);
  t.true(isAlive(sleeper.pid!), 'the unrelated process was left alone');
});

test('with a url: a pool on that server; a wrong url fails at open with the password hidden', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const db = await openDatabase({ url: testDb.url, workDir: '/nonexistent', logger: silentLogger });
  t.false(db.embedded);
  t.deepEqual((await db.pool.query('SELECT current_database() AS d')).rows, [{ d: testDb.name }]);
  await db.close();
  const err = await t.throwsAsync(openDatabase({ url: 'postgres://someone:s3cret@127.0.0.1:1/nope', workDir: '/nonexistent', logger: silentLogger }));
  t.regex(err.message, /cannot reach the database at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nope/);
  t.notRegex(err.message, /s3cret/);
  t.is(redactUrl('postgres://u@h/d'), 'postgres://u@h/d');
});
