import test from 'ava';
import fc from 'fast-check';
import type { SchedulerEvent } from '../scheduler-endpoint.ts';
import { createEventStream, type RecordWriter, type Ticker } from './event-stream.ts';

/** A ticker driven by hand: `fire()` runs every registered tick once. */
function manualTicker() {
  const ticks = new Map<number, () => void>();
  let next = 0;
  const intervals: number[] = [];
  const ticker: Ticker = {
    every(intervalMs, tick) {
      const id = next++;
      intervals.push(intervalMs);
      ticks.set(id, tick);
      return () => ticks.delete(id);
    },
  };
  return { ticker, intervals, active: () => ticks.size, fire: () => { for (const tick of [...ticks.values()]) tick(); } };
}

function recorder() {
  const records: string[] = [];
  let ended = 0;
  const writer: RecordWriter = { write: (r) => records.push(r.toString()), end: () => { ended++; } };
  return { writer, records, ended: () => ended };
}

const ev = (type: string) => ({ type }) as SchedulerEvent;
const frame = (e: SchedulerEvent) => Buffer.from(String(e.type));

test('events sent before open are flushed in order, each as its own write, then live events follow', (t) => {
  const clock = manualTicker();
  const stream = createEventStream({ frame, heartbeatIntervalSeconds: 15, ticker: clock.ticker });
  stream.sink.send(ev('SUBSCRIBED'));
  stream.sink.send(ev('OFFERS'));
  const out = recorder();
  stream.open(out.writer);
  stream.sink.send(ev('UPDATE'));
  t.deepEqual(out.records, ['SUBSCRIBED', 'OFFERS', 'UPDATE']);
  t.deepEqual(clock.intervals, [15_000]);
});

test('heartbeats go out on every tick while open and stop when the core closes the stream', (t) => {
  const clock = manualTicker();
  let closedBy: boolean | undefined;
  const stream = createEventStream({ frame, heartbeatIntervalSeconds: 1, ticker: clock.ticker, onClosed: (c) => { closedBy = c; } });
  const out = recorder();
  stream.open(out.writer);
  clock.fire();
  clock.fire();
  stream.sink.close();
  clock.fire();
  stream.sink.send(ev('OFFERS'));
  t.deepEqual(out.records, ['HEARTBEAT', 'HEARTBEAT']);
  t.is(out.ended(), 1);
  t.is(clock.active(), 0);
  t.is(closedBy, true);
  t.true(stream.closedByCore());
  stream.sink.close();
  t.is(out.ended(), 1); // idempotent
});

test('close requested while pending ends the response right after the flush', (t) => {
  const clock = manualTicker();
  const stream = createEventStream({ frame, heartbeatIntervalSeconds: 1, ticker: clock.ticker });
  stream.sink.send(ev('SUBSCRIBED'));
  stream.sink.close();
  const out = recorder();
  stream.open(out.writer);
  t.deepEqual(out.records, ['SUBSCRIBED']);
  t.is(out.ended(), 1);
  t.is(clock.active(), 0);
  t.is(stream.state(), 'closed');
});

test('a rejected subscription writes nothing', (t) => {
  const clock = manualTicker();
  const stream = createEventStream({ frame, heartbeatIntervalSeconds: 1, ticker: clock.ticker });
  stream.sink.send(ev('SUBSCRIBED'));
  stream.discard();
  const out = recorder();
  stream.open(out.writer);
  t.deepEqual(out.records, []);
  t.is(stream.state(), 'discarded');
});

test('client going away stops heartbeats without ending the response from our side', (t) => {
  const clock = manualTicker();
  let closedBy: boolean | undefined;
  const stream = createEventStream({ frame, heartbeatIntervalSeconds: 1, ticker: clock.ticker, onClosed: (c) => { closedBy = c; } });
  const out = recorder();
  stream.open(out.writer);
  stream.detach();
  clock.fire();
  stream.sink.send(ev('OFFERS'));
  t.deepEqual(out.records, []);
  t.is(out.ended(), 0);
  t.is(closedBy, false);
});

test('whatever the interleaving, records come out in send order and never after close', (t) => {
  fc.assert(fc.property(
    fc.array(fc.constantFrom('send', 'open', 'close'), { maxLength: 30 }),
    (ops) => {
      const clock = manualTicker();
      const stream = createEventStream({ frame, heartbeatIntervalSeconds: 0, ticker: clock.ticker });
      const out = recorder();
      const sent: string[] = [];
      let closed = false;
      ops.forEach((op, i) => {
        if (op === 'send') {
          if (!closed) sent.push(`E${i}`);
          stream.sink.send(ev(`E${i}`));
        } else if (op === 'open') stream.open(out.writer);
        else {
          stream.sink.close();
          closed = true;
        }
      });
      stream.open(out.writer);
      return JSON.stringify(out.records) === JSON.stringify(sent) && out.ended() === (closed ? 1 : 0);
    },
  ));
  t.pass();
});
