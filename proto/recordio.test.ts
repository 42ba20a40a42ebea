import test from 'ava';
import fc from 'fast-check';
import { encodeRecord, RecordIoDecoder, RecordIoError } from './recordio.ts';

test('encodeRecord prefixes the byte length, not the character length', (t) => {
  t.is(encodeRecord('hello').toString(), '5\nhello');
  t.is(encodeRecord('').toString(), '0\n');
  t.is(encodeRecord('wörld').toString(), '6\nwörld'); // ö is 2 bytes in UTF-8
  t.deepEqual([...encodeRecord(new Uint8Array([0, 10, 255]))], [0x33, 0x0a, 0, 10, 255]);
});

test('several records in one chunk come out in order', (t) => {
  const d = new RecordIoDecoder();
  const chunk = Buffer.concat([encodeRecord('a'), encodeRecord('bc'), encodeRecord('')]);
  t.deepEqual(d.feed(chunk).map((r) => r.toString()), ['a', 'bc', '']);
  t.is(d.pendingBytes, 0);
});

test('a record split inside its length prefix and its payload is reassembled', (t) => {
  const d = new RecordIoDecoder();
  const text = 'x'.repeat(123);
  const framed = encodeRecord(text); // "123\nxxx..."
  t.deepEqual(d.feed(framed.subarray(0, 2)), []);
  t.deepEqual(d.feed(framed.subarray(2, 10)), []);
  t.is(d.pendingBytes, 6); // 6 payload bytes held back
  t.deepEqual(d.feed(framed.subarray(10)).map((r) => r.toString()), [text]);
});

test('returned records do not alias the fed chunk', (t) => {
  const d = new RecordIoDecoder();
  const chunk = Buffer.from(encodeRecord('abc'));
  const [record] = d.feed(chunk);
  chunk.fill(0);
  t.is(record.toString(), 'abc');
});

const badStreams: ReadonlyArray<[string, string, RegExp]> = [
  ['a letter in the length', '1a\nx', /invalid byte 0x61 in RecordIO length prefix/],
  ['an empty length', '\nabc', /empty RecordIO length prefix/],
  ['a sign', '-1\n', /invalid byte 0x2d/],
  ['a length over the limit', '2000\n', /RecordIO record of 2000 bytes exceeds the limit of 1000 bytes/],
  ['a 21-digit length', '123456789012345678901\n', /too long/],
];
for (const [title, stream, message] of badStreams) {
  test(`a bad frame is an error: ${title}`, (t) => {
    const d = new RecordIoDecoder({ maxRecordBytes: 1000 });
    t.throws(() => d.feed(stream), { instanceOf: RecordIoError, message });
    t.throws(() => d.feed('1\nx'), { instanceOf: RecordIoError }, 'the decoder stays failed');
  });
}

test('any payloads, split at any boundaries, decode back to the same list', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => encodeRecord(p)));
        const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)))].sort((a, b) => a - b);
        const d = new RecordIoDecoder();
        const out: Buffer[] = [];
        let from = 0;
        for (const p of [...points, stream.length]) {
          out.push(...d.feed(stream.subarray(from, p)));
          from = p;
        }
        return (
          d.pendingBytes === 0 &&
          out.length === payloads.length &&
          out.every((r, i) => Buffer.compare(r, Buffer.from(payloads[i])) === 0)
        );
      },
    ),
    { numRuns: 500, seed: 7 },
  );
  t.pass();
});
