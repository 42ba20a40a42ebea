import test from 'ava';
import { createRecordIoDecoder, encodeRecord } from './recordio-decoder.ts';

const texts = (r: ReturnType<ReturnType<typeof createRecordIoDecoder>['push']>) => (r.ok ? r.records.map((b) => b.toString()) : r.message);

test('one whole record in one chunk', (t) => {
  const d = createRecordIoDecoder();
  t.deepEqual(texts(d.push(Buffer.from('5\nhello'))), ['hello']);
  t.is(d.pending, 0);
});

test('several records in one chunk come out in order', (t) => {
  const d = createRecordIoDecoder();
  const chunk = Buffer.concat([encodeRecord('{"a":1}'), encodeRecord(''), encodeRecord('xyz')]);
  t.deepEqual(texts(d.push(chunk)), ['{"a":1}', '', 'xyz']);
});

test('a record split across chunks, at every byte boundary', (t) => {
  const whole = Buffer.concat([encodeRecord('{"type":"HEARTBEAT"}'), encodeRecord('second')]);
  for (let cut = 0; cut <= whole.length; cut++) {
    const d = createRecordIoDecoder();
    const first = d.push(whole.subarray(0, cut));
    const second = d.push(whole.subarray(cut));
    t.true(first.ok && second.ok);
    if (first.ok && second.ok) t.deepEqual([...first.records, ...second.records].map(String), ['{"type":"HEARTBEAT"}', 'second'], `cut at ${cut}`);
  }
});

test('a record fed one byte at a time', (t) => {
  const d = createRecordIoDecoder();
  const whole = encodeRecord('0123456789abc');
  const out: string[] = [];
  for (const byte of whole) {
    const r = d.push(Buffer.from([byte]));
    if (r.ok) out.push(...r.records.map(String));
  }
  t.deepEqual(out, ['0123456789abc']);
});

test('multi-byte UTF-8 is counted in bytes', (t) => {
  const d = createRecordIoDecoder();
  t.deepEqual(texts(d.push(encodeRecord('héé'))), ['héé']);
});

test('a bad length line breaks the stream for good', (t) => {
  const d = createRecordIoDecoder();
  const bad = d.push(Buffer.from('x5\nhello'));
  t.false(bad.ok);
  t.false(d.push(encodeRecord('ok')).ok);
});

test('a length line without newline past the header limit is refused', (t) => {
  const d = createRecordIoDecoder();
  t.false(d.push(Buffer.from('1'.repeat(30))).ok);
});

test('a record over the size limit is refused', (t) => {
  const d = createRecordIoDecoder(10);
  t.false(d.push(Buffer.from('11\n')).ok);
});
