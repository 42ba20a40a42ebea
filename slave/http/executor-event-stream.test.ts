import test from 'ava';
import type { ExecutorEvent } from '../executor-endpoint.ts';
import { createExecutorEventStream } from './executor-event-stream.ts';

const event = (message: string): ExecutorEvent => ({ type: 'ERROR', error: { message } });
const frame = (e: ExecutorEvent): Buffer => Buffer.from(e.error?.message ?? '');

function recorder() {
  const writes: string[] = [];
  let ends = 0;
  return {
    writes,
    ends: () => ends,
    writer: { write: (record: Buffer) => void writes.push(record.toString()), end: () => void ends++ },
  };
}

test('events sent while pending are written first, in order, one write each; later ones as they come', (t) => {
  const closes: boolean[] = [];
  const stream = createExecutorEventStream({ frame, onClosed: (byCore) => closes.push(byCore) });
  stream.sink.send(event('a'));
  stream.sink.send(event('b'));
  const out = recorder();
  stream.open(out.writer);
  t.deepEqual(out.writes, ['a', 'b']);
  stream.sink.send(event('c'));
  t.deepEqual(out.writes, ['a', 'b', 'c']);
  t.is(stream.state(), 'open');
  stream.sink.close();
  stream.sink.close();
  stream.sink.send(event('d'));
  t.deepEqual(out.writes, ['a', 'b', 'c']);
  t.is(out.ends(), 1);
  t.deepEqual(closes, [true]);
});

test('a close while pending is kept: open writes the buffered events, then ends', (t) => {
  const closes: boolean[] = [];
  const stream = createExecutorEventStream({ frame, onClosed: (byCore) => closes.push(byCore) });
  stream.sink.send(event('a'));
  stream.sink.close();
  stream.sink.send(event('dropped'));
  const out = recorder();
  stream.open(out.writer);
  t.deepEqual(out.writes, ['a']);
  t.is(out.ends(), 1);
  t.is(stream.state(), 'closed');
  t.deepEqual(closes, [true]);
});

test('detach: the client went away; nothing more is written, the response is not ended, onClosed(false) once', (t) => {
  const closes: boolean[] = [];
  const stream = createExecutorEventStream({ frame, onClosed: (byCore) => closes.push(byCore) });
  const out = recorder();
  stream.open(out.writer);
  stream.detach();
  stream.detach();
  stream.sink.send(event('late'));
  stream.sink.close();
  t.deepEqual(out.writes, []);
  t.is(out.ends(), 0);
  t.deepEqual(closes, [false]);
});

test('discard: a rejected SUBSCRIBE drops what was buffered and never opens', (t) => {
  const closes: boolean[] = [];
  const stream = createExecutorEventStream({ frame, onClosed: (byCore) => closes.push(byCore) });
  stream.sink.send(event('a'));
  stream.discard();
  const out = recorder();
  stream.open(out.writer);
  stream.sink.send(event('b'));
  t.is(stream.state(), 'discarded');
  t.deepEqual(out.writes, []);
  t.deepEqual(closes, []);
});

test('an event that cannot be framed is reported, not written and not thrown to the core; the stream goes on', (t) => {
  const failures: string[] = [];
  const stream = createExecutorEventStream({
    frame: (e) => {
      if (e.error?.message === 'bad') throw new Error('cannot encode');
      return frame(e);
    },
    onFrameError: (error, e) => failures.push(`${(error as Error).message}: ${e.error?.message}`),
  });
  stream.sink.send(event('bad'));
  const out = recorder();
  stream.open(out.writer);
  t.notThrows(() => stream.sink.send(event('bad')));
  stream.sink.send(event('good'));
  t.deepEqual(out.writes, ['good']);
  t.deepEqual(failures, ['cannot encode: bad', 'cannot encode: bad']);
});
