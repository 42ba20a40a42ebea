// The live feed hub over a real WebSocket on loopback: snapshots, coalescing, validation, streams.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { createLiveHub, type LiveHub, type LiveHubOptions } from './live-server.ts';
import type { ServerMessage } from './web/live-protocol.ts';

interface Harness { hub: LiveHub; url: string; state: { n: number }; stops: string[] }

async function harness(t: import('ava').ExecutionContext, extra: Omit<LiveHubOptions, 'topics'> & { readonly topics?: LiveHubOptions['topics'] } = {}): Promise<Harness> {
  const state = { n: 0 };
  const stops: string[] = [];
  const hub = createLiveHub({
    minIntervalMs: 20,
    ...extra,
    topics: {
      ...extra.topics,
      counter: {
        parse: (raw) => (raw.times === undefined || typeof raw.times === 'number' ? { ok: true, value: { times: (raw.times as number | undefined) ?? 1 } } : { ok: false, field: 'times', message: 'times must be a number' }),
        snapshot: (p: { times: number }) => ({ value: state.n * p.times }),
      },
      ticks: {
        parse: (raw) => ({ ok: true, value: String(raw.name ?? 'x') }),
        stream: (name: string, emit) => {
          emit.snapshot({ name, text: 'start' });
          emit.append({ text: 'more' });
          return () => stops.push(name);
        },
      },
    },
  });
  const server: Server = createServer((_q, s) => s.end());
  hub.attach(server, '/ui/ws', ['/other']);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await hub.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { hub, state, stops, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ui/ws` };
}

/** A client that queues what it receives. */
async function client(t: import('ava').ExecutionContext, url: string) {
  const ws = new WebSocket(url);
  const queue: ServerMessage[] = [];
  const waiters: ((m: ServerMessage) => void)[] = [];
  /** The server clock of each snapshot, taken out of the message (the tests compare the rest). */
  const nows: number[] = [];
  ws.on('message', (d) => {
    let m = JSON.parse(d.toString()) as ServerMessage;
    if (m.op === 'snapshot') {
      const { now, ...rest } = m;
      nows.push(now ?? Number.NaN);
      m = rest;
    }
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  t.teardown(() => ws.terminate());
  return {
    ws,
    nows,
    send: (m: object) => ws.send(JSON.stringify(m)),
    next: () => new Promise<ServerMessage>((resolve) => { const m = queue.shift(); if (m) resolve(m); else waiters.push(resolve); }),
  };
}

test('a subscription gets a snapshot, then one coalesced push per burst of changes', async (t) => {
  const h = await harness(t);
  const c = await client(t, h.url);
  c.send({ op: 'subscribe', id: 1, topic: 'counter', params: { times: 10 } });
  t.deepEqual(await c.next(), { op: 'snapshot', id: 1, data: { value: 0 } });
  for (let i = 0; i < 50; i++) {
    h.state.n++;
    h.hub.changed();
  }
  // Not 50 pushes with 10, 20, ...: the burst ends as one snapshot of the final state.
  t.deepEqual(await c.next(), { op: 'snapshot', id: 1, data: { value: 500 } });
  // New parameters on the same id: a fresh snapshot at once.
  c.send({ op: 'subscribe', id: 1, topic: 'counter', params: { times: 2 } });
  t.deepEqual(await c.next(), { op: 'snapshot', id: 1, data: { value: 100 } });
  // A change that leaves the view equal pushes nothing; the next real change does.
  h.hub.changed();
  h.state.n = 51;
  h.hub.changed();
  t.deepEqual(await c.next(), { op: 'snapshot', id: 1, data: { value: 102 } });
  t.true(h.hub.stats().bytes > 0);
  t.is(h.hub.stats().subscriptions, 1);
});

test('bad messages and parameters are answered with an error naming the field; nothing is subscribed', async (t) => {
  const h = await harness(t);
  const c = await client(t, h.url);
  c.send({ op: 'subscribe', id: 1, topic: 'counter', params: { times: 'x' } });
  t.deepEqual(await c.next(), { op: 'error', id: 1, field: 'times', message: 'times must be a number' });
  c.send({ op: 'subscribe', id: 2, topic: 'nope', params: {} });
  t.deepEqual(await c.next(), { op: 'error', id: 2, field: 'topic', message: "unknown topic 'nope'" });
  c.send({ op: 'bogus', id: 3 });
  t.like(await c.next(), { op: 'error', id: 3, field: 'op' });
  c.ws.send('not json');
  t.like(await c.next(), { op: 'error', id: -1, field: 'id' });
  t.is(h.hub.stats().subscriptions, 0);
});

test('stream topics push on their own and stop on unsubscribe and on close', async (t) => {
  const h = await harness(t);
  const c = await client(t, h.url);
  c.send({ op: 'subscribe', id: 7, topic: 'ticks', params: { name: 'a' } });
  t.deepEqual(await c.next(), { op: 'snapshot', id: 7, data: { name: 'a', text: 'start' } });
  t.deepEqual(await c.next(), { op: 'append', id: 7, data: { text: 'more' } });
  c.send({ op: 'unsubscribe', id: 7 });
  c.send({ op: 'subscribe', id: 8, topic: 'ticks', params: { name: 'b' } });
  t.like(await c.next(), { op: 'snapshot', id: 8 });
  t.deepEqual(h.stops, ['a']);
  c.ws.close();
  await new Promise<void>((resolve) => { const check = () => (h.stops.length === 2 ? resolve() : setImmediate(check)); check(); });
  t.deepEqual(h.stops, ['a', 'b']);
});

test('an upgrade on an unknown path is refused with 404', async (t) => {
  const h = await harness(t);
  const bad = new WebSocket(h.url.replace('/ui/ws', '/elsewhere'));
  const status = await new Promise<number>((resolve) => bad.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  t.is(status, 404);
});

test('a browser upgrade from another origin is refused with 403; the same origin is let in', async (t) => {
  const h = await harness(t);
  const host = new URL(h.url).host;
  const foreign = new WebSocket(h.url, { origin: 'http://evil.example' });
  const status = await new Promise<number>((resolve) => foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  t.is(status, 403);
  const same = new WebSocket(h.url, { origin: `http://${host}` });
  t.teardown(() => same.terminate());
  await new Promise((resolve, reject) => { same.once('open', resolve); same.once('error', reject); });
  t.is(h.hub.stats().clients, 1);
});


test('nothing a client sends and no throwing topic escapes the hub (the owner process would die of it)', async (t) => {
  const warnings: string[] = [];
  const h = await harness(t, {
    logger: { warn: (_o, msg) => { warnings.push(msg); } },
    topics: {
      'bad-parse': { parse: () => { throw new Error('parse blew up'); }, snapshot: () => 1 },
      'bad-stream': { parse: () => ({ ok: true, value: {} }), stream: () => { throw new Error('stream blew up'); } },
      'bad-json': { parse: () => ({ ok: true, value: {} }), snapshot: () => ({ n: 1n }) },
    },
  });
  const c = await client(t, h.url);
  // A topic that is not a string: turning {toString: 1} into a property key throws a TypeError.
  c.send({ op: 'subscribe', id: 1, topic: { toString: 1, valueOf: 1 }, params: {} });
  t.deepEqual(await c.next(), { op: 'error', id: 1, field: 'topic', message: 'topic must be a string' });
  c.send({ op: 'subscribe', id: 2, topic: 'bad-parse', params: {} });
  t.like(await c.next(), { op: 'error', id: -1, message: 'message failed: parse blew up' });
  c.send({ op: 'subscribe', id: 3, topic: 'bad-stream', params: {} });
  t.like(await c.next(), { op: 'error', id: -1, message: 'message failed: stream blew up' });
  c.send({ op: 'subscribe', id: 4, topic: 'bad-json', params: {} });
  t.like(await c.next(), { op: 'error', id: 4 });
  t.is(h.hub.stats().subscriptions, 1, 'only the snapshot subscription whose view failed stays (it may succeed later)');
  // The connection still works.
  c.send({ op: 'subscribe', id: 5, topic: 'counter', params: {} });
  t.deepEqual(await c.next(), { op: 'snapshot', id: 5, data: { value: 0 } });
  t.true(warnings.length >= 3);
});

test('a connection holds at most maxSubscriptions; re-subscribing an id does not count twice', async (t) => {
  const h = await harness(t, { maxSubscriptions: 3 });
  const c = await client(t, h.url);
  for (const id of [1, 2, 3, 3]) {
    c.send({ op: 'subscribe', id, topic: 'counter', params: {} });
    t.like(await c.next(), { op: 'snapshot', id });
  }
  c.send({ op: 'subscribe', id: 4, topic: 'counter', params: {} });
  t.deepEqual(await c.next(), { op: 'error', id: 4, field: 'id', message: 'at most 3 subscriptions per connection' });
  c.send({ op: 'unsubscribe', id: 1 });
  c.send({ op: 'subscribe', id: 4, topic: 'counter', params: {} });
  t.like(await c.next(), { op: 'snapshot', id: 4 });
  t.is(h.hub.stats().subscriptions, 3);
});

test('a stream sees backedUp() when its client stops reading, and the bytes held for it stay bounded', async (t) => {
  const chunk = 'x'.repeat(64 * 1024);
  let emitted = 0;
  let sawBackedUp = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  const h = await harness(t, {
    maxBufferedBytes: 256 * 1024,
    topics: {
      flood: {
        parse: () => ({ ok: true, value: {} }),
        stream: (_p, emit) => {
          let stopped = false;
          const pump = () => {
            if (stopped) return;
            if (emit.backedUp?.() === true) { sawBackedUp = true; resolveDone(); return; }
            // Without the signal this would queue without bound; give up at 256 MiB.
            if (emitted > 256 * 1024 * 1024) { resolveDone(); return; }
            emit.append(chunk);
            emitted += chunk.length;
            setImmediate(pump);
          };
          pump();
          return () => { stopped = true; };
        },
      },
    },
  });
  const c = await client(t, h.url);
  // The browser stops reading: the kernel's socket buffers fill, then the server's queue grows.
  (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  c.send({ op: 'subscribe', id: 1, topic: 'flood', params: {} });
  await done;
  t.true(sawBackedUp);
  t.true(emitted < 64 * 1024 * 1024, `emitted ${emitted} bytes before backing off`);
});

test('every snapshot carries the server clock (now), so that a page with a wrong clock shows true ages', async (t) => {
  const h = await harness(t);
  const c = await client(t, h.url);
  const before = Date.now();
  c.send({ op: 'subscribe', id: 1, topic: 'counter', params: {} });
  c.send({ op: 'subscribe', id: 2, topic: 'ticks', params: { name: 'a' } });
  const ops = [await c.next(), await c.next(), await c.next()].map((m) => `${m.op}:${m.id}`).sort();
  t.deepEqual(ops, ['append:2', 'snapshot:1', 'snapshot:2']);
  t.is(c.nows.length, 2, 'a topic snapshot and a stream snapshot');
  for (const now of c.nows) t.true(now >= before && now <= Date.now(), String(now));
});
