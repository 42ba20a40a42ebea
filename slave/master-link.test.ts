/**
 * MasterLink against a real `ws` server on loopback playing the master: registration, pongs,
 * messages after registration only, reconnection with backoff and re-registration, several
 * masters tried in turn. Backoff waits are tiny (the RNG is fixed), so tests wait for events.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { codec } from '../proto/codec.ts';
import { silentLogger, systemTimers } from '../common/ports.ts';
import type { maestro } from '../proto/types.generated.ts';
import { MasterLink, parseMasters, type Envelope } from './master-link.ts';

const envelopeCodec = codec<maestro.agent.Envelope>('maestro.agent.Envelope');

interface FakeMaster {
  readonly address: string;
  readonly received: Envelope[];
  readonly sockets: WebSocket[];
  next(predicate: (e: Envelope) => boolean): Promise<Envelope>;
  close(): Promise<void>;
}

async function fakeMaster(t: ExecutionContext, answer: (e: Envelope, ws: WebSocket) => void): Promise<FakeMaster> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/maestro/agent/v1' });
  await new Promise((r) => wss.once('listening', r));
  const received: Envelope[] = [];
  const sockets: WebSocket[] = [];
  const waiters: (() => void)[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data: Buffer) => {
      const e = envelopeCodec.decode(data);
      received.push(e);
      answer(e, ws);
      for (const w of [...waiters]) w();
    });
  });
  const m: FakeMaster = {
    address: `127.0.0.1:${(wss.address() as AddressInfo).port}`,
    received,
    sockets,
    next: (predicate) => new Promise((resolve) => {
      const check = () => {
        const found = received.find(predicate);
        if (found === undefined) return;
        waiters.splice(waiters.indexOf(check), 1);
        resolve(found);
      };
      waiters.push(check);
      check();
    }),
    close: () => new Promise<void>((resolve) => {
      for (const s of wss.clients) s.terminate();
      wss.close(() => resolve());
    }),
  };
  t.teardown(() => m.close());
  return m;
}

const send = (ws: WebSocket, e: Envelope) => ws.send(envelopeCodec.encode(e), { binary: true });
const registeredAnswer: Envelope = { agent_registered: { agent_id: { value: 'S1' }, master_info: { id: 'm', ip: 0, port: 1 }, ping_interval_seconds: 15 } };
const reregisteredAnswer: Envelope = { agent_reregistered: { agent_id: { value: 'S1' }, master_info: { id: 'm', ip: 0, port: 1 }, ping_interval_seconds: 15 } };

function link(t: ExecutionContext, masters: string[], events: string[], hasId: () => boolean) {
  const l = new MasterLink({
    masters, timers: systemTimers, logger: silentLogger, random: () => 0.01, backoff: { initialMs: 20, maxMs: 100 },
    hello: () => (hasId()
      ? { reregister_agent: { agent_info: { hostname: 'h', id: { value: 'S1' } }, version: 't' } }
      : { register_agent: { agent_info: { hostname: 'h' }, version: 't' } }),
    onRegistered: (e) => events.push(e.agent_registered !== undefined ? 'registered' : 'reregistered'),
    onMessage: (e) => events.push(Object.keys(e)[0]),
    onDisconnected: () => events.push('disconnected'),
  });
  t.teardown(() => l.stop());
  return l;
}

test('registers, answers pings itself, passes other messages on, and sends only once registered', async (t) => {
  const events: string[] = [];
  const master = await fakeMaster(t, (e, ws) => {
    if (e.register_agent !== undefined) {
      send(ws, registeredAnswer);
      send(ws, { ping: { sequence: 7 } });
      send(ws, { kill_task: { framework_id: { value: 'F' }, task_id: { value: 't' } } });
    }
  });
  const l = link(t, [master.address], events, () => false);
  t.false(l.send({ pong: { sequence: 1 } }));
  l.start();
  const pong = await master.next((e) => e.pong !== undefined);
  t.is(pong.pong!.sequence, 7);
  await master.next(() => events.includes('kill_task'));
  t.deepEqual(events, ['registered', 'kill_task']);
  t.true(l.registered);
  t.true(l.send({ executor_exited: { framework_id: { value: 'F' }, executor_id: { value: 'e' } } }));
  await master.next((e) => e.executor_exited !== undefined);
  t.is(l.address, master.address);
});

test('a lost connection is retried with backoff and the agent re-registers with its id', async (t) => {
  const events: string[] = [];
  let hasId = false;
  const master = await fakeMaster(t, (e, ws) => {
    if (e.register_agent !== undefined) { hasId = true; send(ws, registeredAnswer); }
    if (e.reregister_agent !== undefined) send(ws, reregisteredAnswer);
  });
  const l = link(t, [master.address], events, () => hasId);
  l.start();
  await master.next((e) => e.register_agent !== undefined);
  while (!l.registered) await new Promise((r) => setImmediate(r));
  master.sockets[0].close(1000, 'master says bye');
  const again = await master.next((e) => e.reregister_agent !== undefined);
  t.is(again.reregister_agent!.agent_info.id?.value, 'S1');
  while (!events.includes('reregistered')) await new Promise((r) => setImmediate(r));
  t.deepEqual(events, ['registered', 'disconnected', 'reregistered']);
});

test('several masters: a master that is down is skipped for the next one', async (t) => {
  const events: string[] = [];
  const down = await fakeMaster(t, () => undefined);
  const downAddress = down.address;
  await down.close();
  const up = await fakeMaster(t, (e, ws) => { if (e.register_agent !== undefined) send(ws, registeredAnswer); });
  const l = link(t, [downAddress, up.address], events, () => false);
  l.start();
  await up.next((e) => e.register_agent !== undefined);
  while (!l.registered) await new Promise((r) => setImmediate(r));
  t.is(l.address, up.address);
});

test('parseMasters: host:port lists, schemes and paths dropped', (t) => {
  t.deepEqual(parseMasters('a:5050, http://b:5050/ ,,ws://c:1/x'), ['a:5050', 'b:5050', 'c:1']);
});

test('a master that stops pinging is given up after 5 ping intervals: the link reconnects and re-registers', async (t) => {
  const events: string[] = [];
  let hasId = false;
  const master = await fakeMaster(t, (e, ws) => {
    // A 10 ms ping interval and no pings at all: the agent's watchdog fires after 50 ms of silence.
    const answer = { agent_id: { value: 'S1' }, master_info: { id: 'm', ip: 0, port: 1 }, ping_interval_seconds: 0.01 };
    if (e.register_agent !== undefined) { hasId = true; send(ws, { agent_registered: answer }); }
    if (e.reregister_agent !== undefined) send(ws, { agent_reregistered: answer });
  });
  const l = link(t, [master.address], events, () => hasId);
  l.start();
  await master.next((e) => e.reregister_agent !== undefined);
  t.true(master.sockets.length >= 2);
  t.deepEqual(events.slice(0, 2), ['registered', 'disconnected']);
});

test('a refused registration is reported and retried with backoff', async (t) => {
  const refusals: string[] = [];
  let attempts = 0;
  const master = await fakeMaster(t, (e, ws) => {
    if (e.register_agent === undefined) return;
    attempts++;
    if (attempts === 1) {
      send(ws, { registration_refused: { message: 'Agent token is missing' } });
      ws.close(1000, 'refused');
    } else {
      send(ws, registeredAnswer);
    }
  });
  const l = new MasterLink({
    masters: [master.address], timers: systemTimers, logger: silentLogger, random: () => 0.01, backoff: { initialMs: 20, maxMs: 100 },
    hello: () => ({ register_agent: { agent_info: { hostname: 'h' }, version: 't' } }),
    onRegistered: () => undefined, onMessage: () => undefined, onDisconnected: () => undefined,
    onRefused: (m) => refusals.push(m),
  });
  t.teardown(() => l.stop());
  l.start();
  await master.next(() => attempts === 2);
  while (!l.registered) await new Promise((r) => setImmediate(r));
  t.deepEqual(refusals, ['Agent token is missing']);
});
