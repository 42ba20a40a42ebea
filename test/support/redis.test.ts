import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createTestRedis, startRedisServer } from './redis.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const exists = (p: string) => fs.access(p).then(() => true, () => false);

async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function connect(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 3 });
  c.on('error', () => {});
  return c;
}

interface ChildReport { kind: string; url: string; pid?: number; dir?: string; got: string | null; ready: string[] }

/** A test process of its own that picks its server under `env`, queues a run through BullMQ, removes its keys and reports. */
function childProcess(env: Record<string, string>, exit: 'exit' | 'wait') {
  const script = `
    import { createTestRedis } from './test/support/redis.ts';
    import { createBullRunQueue } from './frameworks/batch/queue/bull-run-queue.ts';
    import { silentLogger } from './common/ports.ts';
    import { Redis } from 'ioredis';
    const r = await createTestRedis();
    const c = new Redis(r.url);
    await c.set(r.prefix + ':k', 'v');
    const got = await c.get(r.prefix + ':k');
    c.disconnect();
    const q = await createBullRunQueue({ connection: r.url, prefix: r.prefix, name: 'runs', logger: silentLogger });
    await q.enqueue({ jobId: 'j', runId: 'r1', priority: 0, notBefore: 0 });
    const ready = (await q.ready(Date.now(), 10)).map((x) => x.runId);
    await q.close();
    await r.close(); // its keys (a shared embedded server keeps running until the process ends)
    console.log(JSON.stringify({ kind: r.kind, url: r.url, pid: r.pid, dir: r.dir, got, ready }));
    ${exit === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const report = new Promise<ChildReport>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.trim()) as ChildReport);
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code} before reporting: ${err}`)));
  });
  report.catch(() => {});
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, report, exited, stderr: () => err };
}

test('each createTestRedis has its own prefix; close removes its keys and no others', async (t) => {
  const a = await createTestRedis();
  const b = await createTestRedis();
  t.teardown(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  t.not(a.prefix, b.prefix);
  t.regex(a.prefix, /^maestro-test:\d+:\d+:[0-9a-f]{6}$/);
  t.is(a.url, b.url); // one server per test process
  const c = connect(a.url);
  t.teardown(() => c.disconnect());
  await c.mset(`${a.prefix}:x`, '1', `${a.prefix}:y:z`, '2', `${b.prefix}:x`, '3');
  await a.close();
  await a.close(); // idempotent
  t.deepEqual(await c.mget(`${a.prefix}:x`, `${a.prefix}:y:z`, `${b.prefix}:x`), [null, null, '3']);
});

test('forced embedded path (a machine without Redis): a real redis-server that BullMQ works on, stopped and removed when the process exits', async (t) => {
  const { report, exited, stderr } = childProcess({ MAESTRO_TEST_EMBEDDED_REDIS: '1', MAESTRO_TEST_REDIS_URL: '', REDIS_URL: '' }, 'exit');
  const r = await report;
  t.is(await exited, 0, stderr());
  t.is(r.kind, 'embedded');
  t.regex(r.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
  t.not(r.url, 'redis://127.0.0.1:6379');
  t.is(r.got, 'v');
  t.deepEqual(r.ready, ['r1']);
  t.true(typeof r.pid === 'number' && typeof r.dir === 'string' && r.dir.startsWith('/'));
  t.true(await eventually(() => !isAlive(r.pid!)), 'the redis-server stopped');
  t.true(await eventually(async () => !(await exists(r.dir!))), 'its temp dir is gone');
});

test('embedded path, test process killed outright (SIGKILL): the watcher stops the server and removes its dir', async (t) => {
  const { child, report, exited } = childProcess({ MAESTRO_TEST_EMBEDDED_REDIS: '1' }, 'wait');
  const r = await report;
  t.is(r.kind, 'embedded');
  t.true(isAlive(r.pid!));
  child.kill('SIGKILL');
  await exited;
  t.true(await eventually(() => !isAlive(r.pid!)), 'the redis-server stopped');
  t.true(await eventually(async () => !(await exists(r.dir!))), 'its temp dir is gone');
});

test('MAESTRO_TEST_REDIS_URL that does not answer is passed over', async (t) => {
  const dead = await startRedisServer();
  await dead.stop();
  const { report, exited, stderr } = childProcess({ MAESTRO_TEST_REDIS_URL: dead.url }, 'exit');
  const r = await report;
  t.is(await exited, 0, stderr());
  t.not(r.kind, 'env');
  t.not(r.url, dead.url);
  t.deepEqual(r.ready, ['r1']);
});

test('MAESTRO_TEST_REDIS_URL that answers is used', async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.stop());
  const { report, exited, stderr } = childProcess({ MAESTRO_TEST_REDIS_URL: server.url }, 'exit');
  const r = await report;
  t.is(await exited, 0, stderr());
  t.is(r.kind, 'env');
  t.is(r.url, server.url);
  t.is(r.pid, undefined);
});

test('a private server is the test\'s own: FLUSHALL there leaves the shared server alone; close stops it and removes its dir', async (t) => {
  const shared = await createTestRedis();
  const mine = await createTestRedis({ privateServer: true });
  t.teardown(() => Promise.all([shared.close(), mine.close()]).then(() => undefined));
  t.is(mine.kind, 'private');
  t.not(mine.url, shared.url);
  const s = connect(shared.url);
  const m = connect(mine.url);
  t.teardown(() => {
    s.disconnect();
    m.disconnect();
  });
  await s.set(`${shared.prefix}:keep`, '1');
  await m.set(`${mine.prefix}:gone`, '1');
  await m.flushall();
  t.is(await m.get(`${mine.prefix}:gone`), null);
  t.is(await s.get(`${shared.prefix}:keep`), '1');
  await mine.close();
  t.false(isAlive(mine.pid!));
  t.false(await exists(mine.dir!));
});
