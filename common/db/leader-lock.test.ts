import test, { type ExecutionContext } from 'ava';
import net from 'node:net';
import pg from 'pg';
import { silentLogger } from '../ports.ts';
import { createTestDatabase } from '../../test/support/postgres.ts';
import { createLeaderElection, type LeaderElection, type LeaderElectionOptions } from './leader-lock.ts';

interface Elector {
  readonly name: string;
  readonly election: LeaderElection;
  readonly events: string[];
}

async function database(t: ExecutionContext): Promise<string> {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  return db.url;
}

function elector(t: ExecutionContext, name: string, url: string, extra: Partial<LeaderElectionOptions> = {}): Elector {
  const events: string[] = [];
  const election = createLeaderElection({
    url, lockKey: 'test-leader', component: 'thing', address: name, logger: silentLogger,
    retryIntervalMs: 100, keepaliveIntervalMs: 100, keepaliveTimeoutMs: 500,
    onElected: () => events.push('elected'),
    onDefeated: (reason) => events.push(`defeated: ${reason}`),
    ...extra,
  });
  t.teardown(() => election.stop());
  return { name, election, events };
}

async function eventually(t: ExecutionContext, what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.fail(`timed out waiting for: ${what}`);
}

async function adminQuery(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

const leaders = (es: readonly Elector[]) => es.filter((e) => e.election.isLeader()).map((e) => e.name);

test('exactly one of three electors leads, and all name it', async (t) => {
  const url = await database(t);
  const es = [elector(t, 'a:1', url), elector(t, 'b:2', url), elector(t, 'c:3', url)];
  await Promise.all(es.map((e) => e.election.start()));
  t.is(leaders(es).length, 1);
  const [leader] = leaders(es);
  for (const e of es) t.is(await e.election.currentLeader(), leader, e.name);
  // Followers keep trying and stay followers while the leader holds the lock.
  await new Promise((r) => setTimeout(r, 400));
  t.deepEqual(leaders(es), [leader]);
  for (const e of es) t.deepEqual(e.events, e.name === leader ? ['elected'] : [], e.name);
});

test('a leader whose backend is terminated steps down at once (once); another takes over', async (t) => {
  const url = await database(t);
  const a = elector(t, 'a:1', url);
  await a.election.start();
  const b = elector(t, 'b:2', url);
  await b.election.start();
  t.deepEqual(leaders([a, b]), ['a:1']);

  const { rows } = await adminQuery(url, "SELECT pg_terminate_backend(backend_pid) AS ok FROM leaders WHERE component = 'thing'");
  t.deepEqual(rows, [{ ok: true }]);
  await eventually(t, 'a defeated', () => !a.election.isLeader());
  t.is(a.events.length, 2);
  t.regex(a.events[1]!, /^defeated: (database session (error|ended)|keepalive failed: terminating connection due to administrator command)/);
  await eventually(t, 'b elected', () => b.election.isLeader());
  t.is(await b.election.currentLeader(), 'b:2');
  t.is(await a.election.currentLeader(), 'b:2');
  // a competes again but does not lead while b holds the lock; its defeat was reported once.
  await new Promise((r) => setTimeout(r, 400));
  t.deepEqual(leaders([a, b]), ['b:2']);
  t.is(a.events.filter((e) => e.startsWith('defeated')).length, 1);
});

test('stop() frees the lock without a callback; the follower takes over; nobody leads after all stop', async (t) => {
  const url = await database(t);
  const a = elector(t, 'a:1', url);
  const b = elector(t, 'b:2', url);
  await a.election.start();
  await b.election.start();
  await a.election.stop();
  t.deepEqual(a.events, ['elected']);
  t.false(a.election.isLeader());
  await eventually(t, 'b elected', () => b.election.isLeader());
  t.is(await a.election.currentLeader(), 'b:2'); // a stopped elector still answers who leads
  await b.election.stop();
  t.is(await a.election.currentLeader(), undefined);
  t.deepEqual((await adminQuery(url, 'SELECT count(*)::int AS n FROM leaders')).rows, [{ n: 0 }]);
});

test('a leaders row whose session is gone names nobody', async (t) => {
  const url = await database(t);
  const a = elector(t, 'a:1', url, { onDefeated: () => {} });
  await a.election.start();
  await adminQuery(url, "SELECT pg_terminate_backend(backend_pid) FROM leaders WHERE component = 'thing'");
  await eventually(t, 'a defeated', () => !a.election.isLeader());
  await a.election.stop();
  t.deepEqual((await adminQuery(url, 'SELECT address FROM leaders')).rows, [{ address: 'a:1' }]); // stale row stays
  t.is(await a.election.currentLeader(), undefined);
});

test('a leader cut off from the database (no answer, no error) steps down by keepalive; nobody else leads until the server drops its session', async (t) => {
  const url = await database(t);
  const target = new URL(url);
  // A TCP proxy in front of PostgreSQL that can stop forwarding without closing anything.
  let frozen = false;
  const pairs: [net.Socket, net.Socket][] = [];
  const proxy = net.createServer((client) => {
    const server = net.connect(Number(target.port), target.hostname);
    pairs.push([client, server]);
    client.on('data', (d) => { if (!frozen) server.write(d); });
    server.on('data', (d) => { if (!frozen) client.write(d); });
    // Frozen, nothing gets through, not even a close: like a cable pulled.
    client.on('error', () => { if (!frozen) server.destroy(); });
    server.on('error', () => client.destroy());
    client.on('close', () => { if (!frozen) server.destroy(); });
    server.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const [c, s] of pairs) { c.destroy(); s.destroy(); }
    proxy.close();
  });
  const proxied = new URL(url);
  proxied.port = String((proxy.address() as net.AddressInfo).port);

  const a = elector(t, 'a:1', proxied.toString());
  await a.election.start();
  t.true(a.election.isLeader());
  const b = elector(t, 'b:2', url);
  await b.election.start();

  frozen = true;
  await eventually(t, 'a defeated by keepalive', () => !a.election.isLeader());
  t.regex(a.events[1] ?? '', /^defeated: keepalive: no answer within 500 ms/);
  // The server still sees a's session and its lock: b must not lead yet.
  await new Promise((r) => setTimeout(r, 500));
  t.false(b.election.isLeader());
  // The server drops the session (here: its TCP connection closes) -> the lock frees -> b leads.
  for (const [, s] of pairs) s.destroy();
  await eventually(t, 'b elected', () => b.election.isLeader());
  t.is(await b.election.currentLeader(), 'b:2');
});

test('an unreachable database: start() resolves as a follower and keeps retrying', async (t) => {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  let connects = 0;
  srv.on('connection', () => connects++);
  const a = elector(t, 'a:1', `postgres://postgres@127.0.0.1:${(srv.address() as net.AddressInfo).port}/x`);
  await a.election.start();
  t.false(a.election.isLeader());
  await eventually(t, 'several attempts', () => connects >= 3);
  t.deepEqual(a.events, []);
});
