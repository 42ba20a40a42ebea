import test from 'ava';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { appDef, FakeService } from './test-fixtures.ts';
import { CONFIG, call, makeApp } from './test-app.ts';
import { createHttpLeaderProxy, endToEndHeaders, leaderDecision, VIA_HEADER } from './leader-proxy.ts';
import type { MarathonStatus } from '../ports.ts';

const status = (over: Partial<MarathonStatus>): MarathonStatus => ({
  leader: 'b:8080', isLeader: false, frameworkId: undefined, elected: true, master: undefined, subscribed: false, ...over,
});

const decisions: [string, MarathonStatus, boolean, boolean, ReturnType<typeof leaderDecision>['kind']][] = [
  ['leading', status({ isLeader: true, leader: 'a:8080' }), true, false, 'serve'],
  ['another leads, proxy on', status({}), true, false, 'forward'],
  ['another leads, proxy off', status({}), false, false, 'redirect'],
  ['no leader', status({ leader: undefined }), true, false, 'unavailable'],
  ['"leader" is this marathon but it does not lead', status({ leader: 'a:8080' }), true, false, 'unavailable'],
  ['already forwarded once', status({}), true, true, 'unavailable'],
];
for (const [name, s, proxyEnabled, alreadyForwarded, kind] of decisions) {
  test(`leaderDecision: ${name} -> ${kind}`, (t) => {
    t.is(leaderDecision(s, 'a:8080', { proxyEnabled, alreadyForwarded }).kind, kind);
  });
}

test('endToEndHeaders drops hop-by-hop headers', (t) => {
  t.deepEqual(endToEndHeaders({ connection: 'keep-alive', host: 'x', 'content-type': 'application/json', 'transfer-encoding': 'chunked', accept: '*/*' }),
    { 'content-type': 'application/json', accept: '*/*' });
});

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

test('a non-leader forwards method, path, query and body to the leader and relays status, headers and body', async (t) => {
  const leaderService = new FakeService([appDef('/web')]);
  const { app: leaderApp } = makeApp(leaderService);
  const leaderPort = await listen(leaderApp);
  t.teardown(() => leaderApp.close());
  const followerService = new FakeService();
  followerService.statusValue = { ...followerService.statusValue, isLeader: false, leader: `127.0.0.1:${leaderPort}` };
  const { app: follower } = makeApp(followerService, { proxy: createHttpLeaderProxy({ self: 'localhost:8080' }) });
  t.teardown(() => follower.close());

  const get = await call(follower, 'GET', '/v2/apps/web?embed=apps.tasks');
  t.is(get.status, 200);
  t.is(get.json.app.id, '/web');
  t.truthy(get.headers[VIA_HEADER]);

  const put = await call(follower, 'PUT', '/v2/apps/web?force=true', { instances: 3 });
  t.is(put.status, 200);
  t.deepEqual(put.json, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  t.is(put.headers['marathon-deployment-id'], 'dep-1');
  t.deepEqual(followerService.calls, []);
  t.is(leaderService.calls.length, 1);
  t.deepEqual(leaderService.calls[0].args[1], { force: true });

  const missing = await call(follower, 'GET', '/v2/apps/nope');
  t.is(missing.status, 404);
  t.deepEqual(missing.json, { message: "App '/nope' does not exist" });
});

test('the leader sees X-Marathon-Via and refuses to forward again (no loop): 503', async (t) => {
  // Two marathons each believing the other leads.
  const a = new FakeService();
  const b = new FakeService();
  const { app: appA } = makeApp(a, { proxy: createHttpLeaderProxy({ self: 'a' }) });
  const { app: appB } = makeApp(b, { proxy: createHttpLeaderProxy({ self: 'b' }) });
  const portA = await listen(appA);
  const portB = await listen(appB);
  t.teardown(async () => { await appA.close(); await appB.close(); });
  a.statusValue = { ...a.statusValue, isLeader: false, leader: `127.0.0.1:${portB}` };
  b.statusValue = { ...b.statusValue, isLeader: false, leader: `127.0.0.1:${portA}` };
  const r = await call(appA, 'GET', '/v2/apps');
  t.is(r.status, 503);
  t.deepEqual(r.json, { message: 'Could not determine the current leader' });
});

test('no leader: 503 "Could not determine the current leader", nothing changed; /ping and /v2/leader stay local', async (t) => {
  const s = new FakeService([appDef('/web')]);
  s.statusValue = { ...s.statusValue, isLeader: false, leader: undefined };
  const { app } = makeApp(s, { proxy: createHttpLeaderProxy({ self: 'localhost:8080' }) });
  const r = await call(app, 'DELETE', '/v2/apps/web');
  t.is(r.status, 503);
  t.deepEqual(r.json, { message: 'Could not determine the current leader' });
  t.deepEqual(s.calls, []);
  t.is((await call(app, 'GET', '/ping')).text, 'pong');
  t.is((await call(app, 'GET', '/v2/leader')).status, 404);
});

test('leader proxying switched off: 307 to the leader', async (t) => {
  const s = new FakeService();
  s.statusValue = { ...s.statusValue, isLeader: false, leader: 'other:8080' };
  const { app } = makeApp(s, { config: { ...CONFIG, leaderProxy: false } });
  const r = await call(app, 'GET', '/v2/apps?id=x');
  t.is(r.status, 307);
  t.is(r.headers.location, 'http://other:8080/v2/apps?id=x');
});

test('an unreachable leader: 502 with a message', async (t) => {
  const free = http.createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const port = (free.address() as AddressInfo).port;
  await new Promise<void>((r) => free.close(() => r()));
  const s = new FakeService();
  s.statusValue = { ...s.statusValue, isLeader: false, leader: `127.0.0.1:${port}` };
  const { app } = makeApp(s, { proxy: createHttpLeaderProxy({ self: 'localhost:8080' }) });
  const r = await call(app, 'GET', '/v2/apps');
  t.is(r.status, 502);
  t.deepEqual(r.json, { message: `Could not reach the current leader at 127.0.0.1:${port}` });
});

test('the event stream is relayed through a non-leader as it flows', async (t) => {
  const leaderService = new FakeService();
  const { app: leaderApp } = makeApp(leaderService);
  const leaderPort = await listen(leaderApp);
  const followerService = new FakeService();
  followerService.statusValue = { ...followerService.statusValue, isLeader: false, leader: `127.0.0.1:${leaderPort}` };
  const { app: follower } = makeApp(followerService, { proxy: createHttpLeaderProxy({ self: 'localhost:8080' }) });
  const followerPort = await listen(follower);
  t.teardown(async () => { await follower.close(); await leaderApp.close(); });
  const controller = new AbortController();
  const res = await fetch(`http://127.0.0.1:${followerPort}/v2/events?event_type=app_terminated_event`, {
    headers: { accept: 'text/event-stream' }, signal: controller.signal,
  });
  t.is(res.status, 200);
  t.regex(String(res.headers.get('content-type')), /^text\/event-stream/);
  for (let k = 0; k < 100 && leaderService.listeners.size === 0; k++) await new Promise((r) => setTimeout(r, 10));
  leaderService.emit({ eventType: 'app_terminated_event', timestamp: '2026-11-22T12:00:00.000Z', appId: '/x' });
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  t.is(text, 'event: app_terminated_event\ndata: {"eventType":"app_terminated_event","timestamp":"2026-11-22T12:00:00.000Z","appId":"/x"}\n\n');
  t.is(followerService.listeners.size, 0);
  controller.abort();
});
