/**
 * The driver's logic behind its ports: a scripted transport (SUBSCRIBE answers, event streams as
 * PassThrough bodies, recorded calls) and manual timers. The real HTTP path is covered by
 * test/sdk-scheduler.test.ts against a real master.
 */
import test from 'ava';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { TimerHandle, Timers } from '../../common/ports.ts';
import { createSchedulerDriver, type SchedulerDriver } from './scheduler-driver.ts';
import { encodeRecord } from './recordio-decoder.ts';
import type { SchedulerHandler, TaskStatus } from './scheduler-handler.ts';
import type { CallAnswer, SchedulerTransport, SubscribeAnswer } from './scheduler-transport.ts';

class ManualTimers implements Timers {
  now = 0;
  private next = 0;
  readonly pending = new Map<number, { at: number; fn: () => void; every?: number }>();
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return { timer: id };
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn, every: ms });
    return { timer: id };
  }
  clear(h: TimerHandle): void {
    this.pending.delete(h.timer as number);
  }
  /** Delays of the pending one-shot timers. */
  delays(): number[] {
    return [...this.pending.values()].filter((p) => p.every === undefined).map((p) => p.at - this.now);
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      const [id, p] = due;
      this.now = p.at;
      if (p.every !== undefined) p.at += p.every;
      else this.pending.delete(id);
      p.fn();
      await settle();
    }
    this.now = end;
  }
}

const settle = () => new Promise((r) => setImmediate(r));

interface Script {
  answers: Array<(master: string) => SubscribeAnswer>;
  tried: string[];
  subscribes: Array<Record<string, any>>;
  calls: Array<Record<string, any>>;
  streams: PassThrough[];
  callStatus: number;
}

function scriptedTransport(s: Script): SchedulerTransport {
  return {
    async openSubscription(master, call) {
      s.tried.push(master);
      s.subscribes.push(call as Record<string, any>);
      const next = s.answers.shift();
      return next ? next(master) : { kind: 'unreachable', message: 'no script' };
    },
    async postCall(_master, call): Promise<CallAnswer> {
      s.calls.push(call as Record<string, any>);
      return { status: s.callStatus, text: s.callStatus >= 400 ? 'Bad call' : '' };
    },
    close() {},
  };
}

function stream(s: Script): () => SubscribeAnswer {
  return () => {
    const body = new PassThrough();
    s.streams.push(body);
    return { kind: 'stream', streamId: `stream-${s.streams.length}`, body: body as unknown as IncomingMessage, abort: () => body.destroy() };
  };
}

const send = (body: PassThrough, event: object) => body.write(encodeRecord(JSON.stringify(event)));
const subscribedEvent = (id = 'fw-1', heartbeat = 15) => ({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: id }, heartbeat_interval_seconds: heartbeat } });

function setup(handler: Partial<SchedulerHandler> = {}, frameworkId?: string) {
  const s: Script = { answers: [], tried: [], subscribes: [], calls: [], streams: [], callStatus: 202 };
  const timers = new ManualTimers();
  const seen: string[] = [];
  const driver: SchedulerDriver = createSchedulerDriver({
    masters: ['m1:5050', 'm2:5050'],
    frameworkInfo: { user: 'root', name: 'unit' },
    frameworkId,
    handler: {
      subscribed: (id) => void seen.push(`subscribed ${id}`),
      offers: (o) => void seen.push(`offers ${o.length}`),
      rescind: (id) => void seen.push(`rescind ${id}`),
      update: (st) => void seen.push(`update ${st.state}`),
      error: (m) => void seen.push(`error ${m}`),
      disconnected: () => void seen.push('disconnected'),
      ...handler,
    },
    timers,
    clock: { now: () => timers.now },
    random: { next: () => 0.5 },
    backoff: { initialMs: 100, maxMs: 1000 },
    transport: scriptedTransport(s),
  });
  return { s, timers, seen, driver };
}

test('unreachable masters are tried in turn with growing backoff; a redirect is followed at once', async (t) => {
  const { s, timers, seen, driver } = setup();
  s.answers.push(
    () => ({ kind: 'unreachable', message: 'ECONNREFUSED' }),
    () => ({ kind: 'unreachable', message: 'ECONNREFUSED' }),
    () => ({ kind: 'redirect', leader: 'leader:5050' }),
    stream(s),
  );
  driver.start();
  await settle();
  t.is(driver.state, 'DISCONNECTED');
  t.deepEqual(timers.delays(), [75]); // cap 100, jitter 0.5: 50 + 25
  await timers.advance(75);
  t.deepEqual(timers.delays(), [150]); // cap 200
  await timers.advance(150);
  t.deepEqual(s.tried, ['m1:5050', 'm2:5050', 'm1:5050', 'leader:5050']);
  t.is(driver.state, 'SUBSCRIBING');
  send(s.streams[0], subscribedEvent());
  await settle();
  t.is(driver.state, 'SUBSCRIBED');
  t.is(driver.master, 'leader:5050');
  t.deepEqual(seen, ['subscribed fw-1']);
});

test('a lost stream reconnects with the framework id (failover), backoff reset after SUBSCRIBED', async (t) => {
  const { s, timers, seen, driver } = setup({}, 'persisted-fw');
  s.answers.push(stream(s), stream(s));
  driver.start();
  await settle();
  t.is(s.subscribes[0].framework_id.value, 'persisted-fw');
  t.is(s.subscribes[0].subscribe.framework_info.id.value, 'persisted-fw');
  send(s.streams[0], subscribedEvent('persisted-fw'));
  await settle();
  s.streams[0].end();
  await settle();
  t.is(driver.state, 'DISCONNECTED');
  t.deepEqual(timers.delays(), [75]);
  await timers.advance(75);
  t.is(s.subscribes[1].framework_id.value, 'persisted-fw');
  send(s.streams[1], subscribedEvent('persisted-fw'));
  await settle();
  t.deepEqual(seen, ['subscribed persisted-fw', 'disconnected', 'subscribed persisted-fw']);
});

test('the heartbeat watchdog drops a silent stream after 5 intervals; events keep it alive', async (t) => {
  const { s, timers, driver } = setup();
  s.answers.push(stream(s), stream(s));
  driver.start();
  await settle();
  send(s.streams[0], subscribedEvent('fw-1', 2));
  await settle();
  await timers.advance(9000);
  send(s.streams[0], { type: 'HEARTBEAT' });
  await settle();
  await timers.advance(9000);
  t.is(driver.state, 'SUBSCRIBED', '18 s, but a heartbeat at 9 s');
  await timers.advance(1000);
  t.is(driver.state, 'DISCONNECTED', '10 s (5 × 2 s) of silence');
  t.true(s.streams[0].destroyed);
});

test('updates are acknowledged after the handler resolves, never when it throws or without a uuid', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const { s, driver } = setup({
    update: async (st: TaskStatus) => {
      if (st.task_id.value === 'slow') await gate;
      if (st.task_id.value === 'bad') throw new Error('handler failed');
    },
  });
  s.answers.push(stream(s));
  driver.start();
  await settle();
  send(s.streams[0], subscribedEvent());
  const update = (task: string, uuid?: string) => ({ type: 'UPDATE', update: { status: { task_id: { value: task }, state: 'TASK_RUNNING', agent_id: { value: 'a1' }, ...(uuid ? { uuid } : {}) } } });
  send(s.streams[0], update('slow', 'dXVpZDE='));
  send(s.streams[0], update('bad', 'dXVpZDI='));
  send(s.streams[0], update('reconciled'));
  send(s.streams[0], update('fine', 'dXVpZDM='));
  await settle();
  t.deepEqual(s.calls.filter((c) => c.type === 'ACKNOWLEDGE'), []);
  release();
  for (let i = 0; i < 5; i++) await settle();
  const acks = s.calls.filter((c) => c.type === 'ACKNOWLEDGE');
  t.deepEqual(acks.map((c) => [c.acknowledge.task_id.value, c.acknowledge.uuid]), [['slow', 'dXVpZDE='], ['fine', 'dXVpZDM=']]);
  t.is(acks[0].framework_id.value, 'fw-1');
});

test('ERROR stops the driver for good; a 4xx SUBSCRIBE answer too', async (t) => {
  const a = setup();
  a.s.answers.push(stream(a.s));
  a.driver.start();
  await settle();
  send(a.s.streams[0], subscribedEvent());
  send(a.s.streams[0], { type: 'ERROR', error: { message: 'Framework failed over' } });
  await settle();
  t.is(a.driver.state, 'STOPPED');
  t.deepEqual(a.seen, ['subscribed fw-1', 'error Framework failed over']);
  t.deepEqual(a.timers.delays(), []);
  const r = await a.driver.revive();
  t.false(r.ok);

  const b = setup();
  b.s.answers.push(() => ({ kind: 'refused', status: 400, message: 'Framework has been removed' }));
  b.driver.start();
  await settle();
  await settle();
  t.is(b.driver.state, 'STOPPED');
  t.deepEqual(b.seen, ['error SUBSCRIBE refused: 400 Framework has been removed']);
});

test('setDemand: SUPPRESS/REVIVE once per change, SUPPRESS again after a re-subscription; a 4xx call is a value', async (t) => {
  const { s, timers, driver } = setup();
  s.answers.push(stream(s), stream(s));
  driver.start();
  await settle();
  send(s.streams[0], subscribedEvent());
  await settle();
  await driver.setDemand(false);
  await driver.setDemand(false);
  await driver.setDemand(true);
  await driver.setDemand(false);
  t.deepEqual(s.calls.map((c) => c.type), ['SUPPRESS', 'REVIVE', 'SUPPRESS']);
  s.streams[0].destroy();
  await settle();
  await timers.advance(1000);
  send(s.streams[1], subscribedEvent());
  for (let i = 0; i < 3; i++) await settle();
  t.deepEqual(s.calls.map((c) => c.type), ['SUPPRESS', 'REVIVE', 'SUPPRESS', 'SUPPRESS']);
  s.callStatus = 400;
  t.deepEqual(await driver.kill('t1'), { ok: false, status: 400, message: 'Bad call' });
  // A REVIVE that failed is not recorded: the same demand asked again is sent again.
  t.like(await driver.setDemand(true), { ok: false, status: 400 });
  s.callStatus = 202;
  t.deepEqual(await driver.setDemand(true), { ok: true });
  t.deepEqual(s.calls.map((c) => c.type).slice(-3), ['KILL', 'REVIVE', 'REVIVE']);
});

test('setDemand(true) before a (re-)subscription: REVIVE once SUBSCRIBED (filters of an earlier subscription would hold back offers)', async (t) => {
  const { s, driver } = setup();
  s.answers.push(stream(s));
  await driver.setDemand(true);
  driver.start();
  await settle();
  send(s.streams[0], subscribedEvent());
  for (let i = 0; i < 3; i++) await settle();
  t.deepEqual(s.calls.map((c) => c.type), ['REVIVE']);
});

test('periodic reconciliation: explicit then implicit at SUBSCRIBED and every interval', async (t) => {
  const { s, timers, driver } = setup();
  s.answers.push(stream(s));
  driver.startReconciliation({ intervalMs: 1000, tasks: () => [{ taskId: 't1', agentId: 'a1' }] });
  driver.start();
  await settle();
  send(s.streams[0], subscribedEvent());
  for (let i = 0; i < 3; i++) await settle();
  const rounds = () => s.calls.filter((c) => c.type === 'RECONCILE').map((c) => c.reconcile.tasks.map((x: any) => x.task_id.value).join(',') || 'implicit');
  t.deepEqual(rounds(), ['t1', 'implicit']);
  await timers.advance(1000);
  await settle();
  t.deepEqual(rounds(), ['t1', 'implicit', 't1', 'implicit']);
});
