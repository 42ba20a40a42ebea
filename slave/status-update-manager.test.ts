import test from 'ava';
import fc from 'fast-check';
import { ManualTime } from '../master/test-fixtures.ts';
import type { mesos } from '../proto/types.generated.ts';
import { StatusUpdateManager, type JournalRecord, type StatusUpdate } from './status-update-manager.ts';

function harness(retry = { initialMs: 10_000, maxMs: 600_000 }) {
  const time = new ManualTime();
  const journal: { path: string; record: JournalRecord }[] = [];
  const sent: StatusUpdate[] = [];
  const completed: string[] = [];
  let connected = true;
  const sum = new StatusUpdateManager({
    timers: time,
    retry,
    journal: { append: (path, record) => { journal.push({ path, record }); } },
    send: (u) => {
      if (connected) sent.push(u);
      return connected;
    },
    onTerminalAcknowledged: (f, t) => completed.push(`${f}/${t}`),
  });
  return { time, journal, sent, completed, sum, setConnected: (c: boolean) => { connected = c; } };
}

const upd = (taskId: string, state: mesos.v1.TaskState, uuid: string): StatusUpdate => ({
  framework_id: { value: 'F' },
  status: { task_id: { value: taskId }, state, uuid },
});

test('an update is journaled before it is sent, and only the head of a stream is in flight', (t) => {
  const h = harness();
  h.sum.open('F', 'a', '/j/a');
  const order: string[] = [];
  const sum = new StatusUpdateManager({
    timers: h.time,
    journal: { append: () => { order.push('journal'); } },
    send: () => { order.push('send'); return true; },
    onTerminalAcknowledged: () => undefined,
  });
  sum.open('F', 'a', '/j/a');
  sum.update(upd('a', 'TASK_STARTING', 'u1'));
  t.deepEqual(order, ['journal', 'send']);

  t.is(h.sum.update(upd('a', 'TASK_STARTING', 'u1')), 'queued');
  t.is(h.sum.update(upd('a', 'TASK_RUNNING', 'u2')), 'queued');
  t.is(h.sum.update(upd('a', 'TASK_RUNNING', 'u2')), 'duplicate');
  t.deepEqual(h.sent.map((u) => u.status.uuid), ['u1']);
  t.deepEqual(h.journal.map((j) => j.record), [{ update: upd('a', 'TASK_STARTING', 'u1') }, { update: upd('a', 'TASK_RUNNING', 'u2') }]);
  t.is(h.sum.update(upd('nope', 'TASK_RUNNING', 'x')), 'unknown-stream');
});

test('resends back off 10 s doubling up to the maximum; an ack releases the next update at once', (t) => {
  const h = harness({ initialMs: 10_000, maxMs: 40_000 });
  h.sum.open('F', 'a', '/j/a');
  h.sum.update(upd('a', 'TASK_STARTING', 'u1'));
  h.sum.update(upd('a', 'TASK_RUNNING', 'u2'));
  // sends at t=0, 10, 30 (10+20), 70 (30+40), 110 (70+40): 5 sends by 110 s
  const sendsAt: number[] = [];
  for (let s = 1; s <= 110; s++) {
    const before = h.sent.length;
    h.time.advance(1000);
    if (h.sent.length > before) sendsAt.push(s);
  }
  t.deepEqual(sendsAt, [10, 30, 70, 110]);
  t.true(h.sent.every((u) => u.status.uuid === 'u1'));
  // latest_state: what the stream held at each send (u2 was queued after the first send).
  t.is(h.sent[0].latest_state, 'TASK_STARTING');
  t.is(h.sent[1].latest_state, 'TASK_RUNNING');
  t.is(h.sum.acknowledge('F', 'a', 'u2'), 'unexpected');
  t.is(h.sum.acknowledge('F', 'a', 'u1'), 'acknowledged');
  t.is(h.sent[h.sent.length - 1].status.uuid, 'u2');
  t.deepEqual(h.journal[h.journal.length - 1].record, { ack: 'u1' });
  // The next head starts over at the initial backoff.
  const n = h.sent.length;
  h.time.advance(10_000);
  t.is(h.sent.length, n + 1);
});

test('a terminal update acknowledged ends the stream; flush resends every head with the backoff reset', (t) => {
  const h = harness();
  h.sum.open('F', 'a', '/j/a');
  h.sum.open('F', 'b', '/j/b');
  h.setConnected(false);
  h.sum.update(upd('a', 'TASK_FINISHED', 'a1'));
  h.sum.update(upd('b', 'TASK_RUNNING', 'b1'));
  t.deepEqual(h.sent, []);
  h.setConnected(true);
  h.sum.flush();
  t.deepEqual(h.sent.map((u) => u.status.uuid).sort(), ['a1', 'b1']);
  t.is(h.sum.acknowledge('F', 'a', 'a1'), 'terminal-acknowledged');
  t.deepEqual(h.completed, ['F/a']);
  t.false(h.sum.has('F', 'a'));
  t.is(h.sum.acknowledge('F', 'a', 'a1'), 'unknown-stream');
  t.is(h.sum.totalPending(), 1);
});

test('recover rebuilds a stream from its journal: acked updates dropped, duplicates ignored, nothing sent until flush', (t) => {
  const h = harness();
  const records: JournalRecord[] = [
    { update: upd('a', 'TASK_STARTING', 'u1') },
    { update: upd('a', 'TASK_STARTING', 'u1') },
    { ack: 'u1' },
    { update: upd('a', 'TASK_RUNNING', 'u2') },
    { update: upd('a', 'TASK_FINISHED', 'u3') },
    { ack: 'zzz' },
  ];
  const r = h.sum.recover('F', 'a', '/j/a', records);
  t.deepEqual({ done: r.done, pending: r.pending, latest: r.latest?.status.state }, { done: false, pending: 2, latest: 'TASK_FINISHED' });
  t.deepEqual(h.sent, []);
  h.sum.flush();
  t.deepEqual(h.sent.map((u) => [u.status.uuid, u.latest_state]), [['u2', 'TASK_FINISHED']]);

  const done = h.sum.recover('F', 'b', '/j/b', [{ update: upd('b', 'TASK_FAILED', 'x') }, { ack: 'x' }]);
  t.true(done.done);
  t.false(h.sum.has('F', 'b'));
});

test('property: whatever the interleaving of acks, each stream delivers its updates in order and acks only release the head', (t) => {
  fc.assert(fc.property(
    fc.array(fc.record({ task: fc.constantFrom('a', 'b'), ack: fc.boolean() }), { minLength: 1, maxLength: 40 }),
    (steps) => {
      const h = harness();
      h.sum.open('F', 'a', '/j/a');
      h.sum.open('F', 'b', '/j/b');
      const issued: Record<string, string[]> = { a: [], b: [] };
      let n = 0;
      for (const s of steps) {
        if (s.ack) {
          const head = h.sum.pending('F', s.task)[0];
          if (head !== undefined) h.sum.acknowledge('F', s.task, head.status.uuid!);
        } else {
          const uuid = `${s.task}${n++}`;
          issued[s.task].push(uuid);
          h.sum.update(upd(s.task, 'TASK_RUNNING', uuid));
        }
      }
      for (const task of ['a', 'b']) {
        const firstSends = [...new Set(h.sent.filter((u) => u.status.task_id.value === task).map((u) => u.status.uuid!))];
        // Sent in issue order, and exactly the prefix that was released.
        if (JSON.stringify(firstSends) !== JSON.stringify(issued[task].slice(0, firstSends.length))) return false;
        const pending = h.sum.pending('F', task).map((u) => u.status.uuid);
        if (JSON.stringify(pending) !== JSON.stringify(issued[task].slice(issued[task].length - pending.length))) return false;
      }
      return true;
    },
  ));
  t.pass();
});

test('an asynchronous journal: appends are handed over at once and in order; an update is sent only once its append (and everything before it in the stream) is durable; a failed append is reported and the update still sent', async (t) => {
  const time = new ManualTime();
  const started: string[] = [];
  const finish: (() => void)[] = [];
  const failures: string[] = [];
  const sent: string[] = [];
  let failNext = false;
  const sum = new StatusUpdateManager({
    timers: time,
    journal: {
      append: (_path, record) => {
        started.push('update' in record ? record.update.status.uuid! : `ack:${record.ack}`);
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('ENOSPC'));
        }
        return new Promise<void>((resolve) => finish.push(resolve));
      },
    },
    send: (u) => { sent.push(u.status.uuid!); return true; },
    onTerminalAcknowledged: () => undefined,
    onJournalError: (path, e) => failures.push(`${path}: ${e.message}`),
  });
  sum.open('F', 'a', '/j/a');
  sum.update(upd('a', 'TASK_STARTING', 'u1'));
  sum.update(upd('a', 'TASK_RUNNING', 'u2'));
  // Both appends are with the journal at once (it may write them together), in call order.
  t.deepEqual(started, ['u1', 'u2']);
  t.deepEqual(sent, []); // not durable yet
  // u2 durable first (a journal that settles out of order): nothing goes before u1 is durable.
  const [finishU1, finishU2] = finish.splice(0, 2);
  finishU2();
  await new Promise((r) => setImmediate(r));
  t.deepEqual(sent, []);
  finishU1();
  await sum.settled();
  t.deepEqual(sent, ['u1']); // u2 is durable but not the head
  failNext = true;
  sum.acknowledge('F', 'a', 'u1'); // the ack's append fails: reported, and u2 still goes once it settled
  t.deepEqual(sent, ['u1']);
  await sum.settled();
  t.deepEqual(sent, ['u1', 'u2']);
  t.deepEqual(failures, ['/j/a: ENOSPC']);
});

test('cleanup(framework) drops that framework\'s streams: no more resends, other frameworks untouched', (t) => {
  const h = harness({ initialMs: 1_000, maxMs: 1_000 });
  h.sum.open('F', 'a', '/j/a');
  h.sum.open('G', 'b', '/j/b');
  h.sum.update(upd('a', 'TASK_KILLED', 'u1'));
  h.sum.update({ ...upd('b', 'TASK_RUNNING', 'u2'), framework_id: { value: 'G' } });
  t.deepEqual(h.sum.cleanup('F'), ['a']);
  t.false(h.sum.has('F', 'a'));
  const before = h.sent.length;
  h.time.advance(5_000);
  t.true(h.sent.slice(before).every((u) => u.framework_id.value === 'G'), 'only G is resent');
  t.true(h.sent.length > before);
  t.deepEqual(h.sum.cleanup('F'), []);
});

test('an acknowledged uuid is forgotten from the pending set but a late duplicate of a recent one is still dropped', (t) => {
  const h = harness();
  h.sum.open('F', 'a', '/j/a');
  for (let i = 0; i < 40; i++) {
    t.is(h.sum.update(upd('a', 'TASK_RUNNING', `u${i}`)), 'queued');
    t.is(h.sum.acknowledge('F', 'a', `u${i}`), 'acknowledged');
  }
  t.is(h.sum.update(upd('a', 'TASK_RUNNING', 'u39')), 'duplicate', 'a recent acknowledged uuid');
  t.is(h.sum.update(upd('a', 'TASK_RUNNING', 'u0')), 'queued', 'an old one is not remembered for ever');
});
