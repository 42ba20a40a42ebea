// The sandbox topics: their parameters, what they push when the agent cannot (or must not) be asked,
// and the tail against the agent's real /files API (its Fastify app on a loopback socket over a
// temporary sandbox): byte offsets, a shrinking file, a backed-up browser. The whole path in a
// browser is test/ui-master.test.ts.
import test from 'ava';
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { AgentId } from '../../common/ids.ts';
import type { StreamEmitter } from '../../common/ui/live-server.ts';
import { emptyMasterState, type AgentRecord, type MasterState } from '../master-state.ts';
import { createAgentApp } from '../../slave/http/app.ts';
import { fakeAgentView, sandboxFixture } from '../../slave/http/test-fixtures.ts';
import type { TailChunk } from './web/master-protocol.ts';
import { agentBaseUrl, createSandboxTopics, parseSandboxParams } from './sandbox-proxy.ts';

test('parameters: an agent id and an absolute path, each refused by name', (t) => {
  t.deepEqual(parseSandboxParams({ agent: 'A-S0', path: '/frameworks/F/executors/E/runs/latest' }), { ok: true, value: { agent: 'A-S0', path: '/frameworks/F/executors/E/runs/latest' } });
  t.like(parseSandboxParams({ path: '/x' }), { ok: false, field: 'agent' });
  t.like(parseSandboxParams({ agent: 'A', path: 'relative' }), { ok: false, field: 'path' });
  t.like(parseSandboxParams({ agent: 'A', path: 7 }), { ok: false, field: 'path' });
  t.like(parseSandboxParams({ agent: 'x'.repeat(300), path: '/x' }), { ok: false, field: 'agent' });
});

test('an unknown agent is reported once on the agent field, and the stream stops cleanly', async (t) => {
  const topics = createSandboxTopics({ state: emptyMasterState(), listIntervalMs: 5, tailIntervalMs: 5 });
  for (const name of ['sandbox-files', 'sandbox-tail'] as const) {
    const errors: { message: string; field: string | undefined }[] = [];
    let pushed = 0;
    let rounds = 0;
    let fiveRounds: () => void = () => undefined;
    const done = new Promise<void>((resolve) => { fiveRounds = resolve; });
    const stop = topics[name].stream!({ agent: 'nope', path: '/x' }, {
      snapshot: () => { pushed++; },
      append: () => { pushed++; },
      error: (message, field) => { errors.push({ message, field }); },
      // Asked once a round: counts the rounds without a clock.
      backedUp: () => { if (++rounds === 6) fiveRounds(); return false; },
    });
    // Several more rounds run after the first without repeating the same error.
    await done;
    stop();
    t.deepEqual(errors, [{ message: 'agent nope is not registered (or has no HTTP endpoint)', field: 'agent' }], name);
    t.is(pushed, 0);
  }
});

/** A master state with one agent whose registered endpoint is `endpoint`. */
function stateWithAgent(endpoint: string): MasterState {
  const state = emptyMasterState();
  state.agents.set('S1' as AgentId, { id: 'S1' as AgentId, endpoint } as AgentRecord);
  return state;
}

async function agentFiles(t: ExecutionContext) {
  const fixture = sandboxFixture();
  let requests = 0;
  const app = createAgentApp({ view: fakeAgentView(fixture), logger: false, version: '0.1.0' });
  app.addHook('onRequest', async () => { requests++; });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await app.close();
    fixture.cleanup();
  });
  return { fixture, endpoint: `127.0.0.1:${(app.server.address() as AddressInfo).port}`, requests: () => requests };
}

/** What a stream pushes, with waits for the next of each kind. */
function recorder(backedUp?: () => boolean) {
  const seen: { op: 'snapshot' | 'append' | 'error'; data: unknown; field?: string }[] = [];
  const waiters: (() => void)[] = [];
  const push = (m: (typeof seen)[number]) => {
    seen.push(m);
    for (const w of waiters.splice(0)) w();
  };
  const emit: StreamEmitter = {
    snapshot: (data) => push({ op: 'snapshot', data }),
    append: (data) => push({ op: 'append', data }),
    error: (message, field) => push({ op: 'error', data: message, field }),
    ...(backedUp ? { backedUp } : {}),
  };
  const until = (probe: () => boolean) => new Promise<void>((resolve) => {
    const check = () => (probe() ? resolve() : waiters.push(check));
    check();
  });
  /** The text the browser shows: the last snapshot and every append after it. */
  const text = () => {
    const last = seen.map((m) => m.op).lastIndexOf('snapshot');
    return seen.slice(last).filter((m) => m.op !== 'error').map((m) => (m.data as TailChunk).data).join('');
  };
  return { emit, seen, until, text };
}

test('the tail counts bytes: bytes that are not UTF-8 do not shift the offset, appends arrive whole', async (t) => {
  const agent = await agentFiles(t);
  const file = join(agent.fixture.sandbox, 'binary.log');
  // 0xff 0xfe are not UTF-8: the agent answers them as two U+FFFD (6 bytes of text for 2 bytes of file).
  writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('abc\n')]));
  const topics = createSandboxTopics({ state: stateWithAgent(agent.endpoint), tailIntervalMs: 5 });
  const r = recorder();
  const stop = topics['sandbox-tail'].stream!({ agent: 'S1', path: `${agent.fixture.virtual}/binary.log` }, r.emit);
  t.teardown(stop);
  await r.until(() => r.seen.some((m) => m.op === 'snapshot'));
  t.deepEqual(r.seen[0], { op: 'snapshot', data: { offset: 0, data: '\ufffd\ufffdabc\n' } });
  appendFileSync(file, 'hello\n');
  await r.until(() => r.text().includes('hello'));
  t.deepEqual(r.seen[1], { op: 'append', data: { offset: 6, data: 'hello\n' } });
  appendFileSync(file, 'world\n');
  await r.until(() => r.text().includes('world'));
  t.is(r.text(), '\ufffd\ufffdabc\nhello\nworld\n');
});

test('a file that shrinks (truncated, rotated) is tailed again from its new content', async (t) => {
  const agent = await agentFiles(t);
  const file = join(agent.fixture.sandbox, 'rotating.log');
  writeFileSync(file, 'old line one\nold line two\n');
  const topics = createSandboxTopics({ state: stateWithAgent(agent.endpoint), tailIntervalMs: 5 });
  const r = recorder();
  const stop = topics['sandbox-tail'].stream!({ agent: 'S1', path: `${agent.fixture.virtual}/rotating.log` }, r.emit);
  t.teardown(stop);
  await r.until(() => r.text().includes('old line two'));
  truncateSync(file, 0);
  appendFileSync(file, 'new\n');
  await r.until(() => r.text() === 'new\n');
  t.deepEqual(r.seen.at(-1), { op: 'snapshot', data: { offset: 0, data: 'new\n' } });
});

test('an agent endpoint that is not host:port is never asked (a path or query in it would redirect the request)', async (t) => {
  let requests = 0;
  const other = createServer((_req, res) => { requests++; res.writeHead(200, { 'content-type': 'application/json' }).end('[]'); });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const port = (other.address() as AddressInfo).port;
  for (const endpoint of [`127.0.0.1:${port}/admin?x=`, `user@127.0.0.1:${port}`, `127.0.0.1:${port}#`, '127.0.0.1', `127.0.0.1:${port}0000`]) {
    t.is(agentBaseUrl(endpoint), undefined, endpoint);
    const topics = createSandboxTopics({ state: stateWithAgent(endpoint), listIntervalMs: 5, tailIntervalMs: 5 });
    for (const name of ['sandbox-files', 'sandbox-tail'] as const) {
      const r = recorder();
      const stop = topics[name].stream!({ agent: 'S1', path: '/x' }, r.emit);
      await r.until(() => r.seen.length > 0);
      stop();
      t.deepEqual(r.seen, [{ op: 'error', data: 'agent S1 registered an HTTP endpoint that is not host:port', field: 'agent' }], `${name} ${endpoint}`);
    }
  }
  t.is(requests, 0);
  t.is(agentBaseUrl(`127.0.0.1:${port}`), `http://127.0.0.1:${port}`);
  t.is(agentBaseUrl('[::1]:5051'), 'http://[::1]:5051');
  t.is(agentBaseUrl('agent-7.example.com:5051'), 'http://agent-7.example.com:5051');
});

test('while the browser is backed up the tail reads nothing; it resumes when the socket drains', async (t) => {
  const agent = await agentFiles(t);
  let asked = 0;
  let blocked = true;
  const topics = createSandboxTopics({ state: stateWithAgent(agent.endpoint), tailIntervalMs: 5 });
  const r = recorder(() => { asked++; return blocked; });
  const stop = topics['sandbox-tail'].stream!({ agent: 'S1', path: `${agent.fixture.virtual}/stdout` }, r.emit);
  t.teardown(stop);
  // Several rounds ask and find the socket backed up...
  await new Promise<void>((resolve) => { const check = () => (asked >= 5 ? resolve() : setImmediate(check)); check(); });
  t.is(agent.requests(), 0);
  t.deepEqual(r.seen, []);
  // ...then it drains.
  blocked = false;
  await r.until(() => r.seen.length > 0);
  t.like(r.seen[0], { op: 'snapshot' });
  t.true(agent.requests() > 0);
});

test('stopping a stream aborts its request in flight (an agent that never answers holds nothing open)', async (t) => {
  let closed: () => void = () => undefined;
  const requestClosed = new Promise<void>((resolve) => { closed = resolve; });
  let arrived: () => void = () => undefined;
  const requestArrived = new Promise<void>((resolve) => { arrived = resolve; });
  // Accepts the request and never answers.
  const silent = createServer((req) => { req.socket.once('close', () => closed()); arrived(); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { silent.closeAllConnections(); silent.close(() => resolve()); }));
  // The request timeout (10 s by default) is out of reach here: only the abort can close the request.
  const topics = createSandboxTopics({ state: stateWithAgent(`127.0.0.1:${(silent.address() as AddressInfo).port}`), requestTimeoutMs: 3_600_000 });
  const r = recorder();
  const stop = topics['sandbox-tail'].stream!({ agent: 'S1', path: '/x' }, r.emit);
  await requestArrived;
  stop();
  await requestClosed;
  t.deepEqual(r.seen, []);
});
