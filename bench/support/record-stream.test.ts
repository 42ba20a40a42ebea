import test from 'ava';
import fc from 'fast-check';
import { ChunkedDecoder, RecordIoDecoder } from './record-stream.ts';

const chunk = (payload: string) => `${Buffer.byteLength(payload).toString(16)}\r\n${payload}\r\n`;
const record = (payload: string) => `${Buffer.byteLength(payload)}\n${payload}`;

/** Feeds `input` in pieces cut at `cuts` (byte offsets); returns the payloads as text, and whether it ended. */
function feed(decoder: ChunkedDecoder | RecordIoDecoder, input: Buffer, cuts: readonly number[]): { payloads: string[]; ended: boolean; error?: string } {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const payloads: string[] = [];
  let ended = false;
  let from = 0;
  for (const to of [...points, input.length]) {
    const out = decoder.push(input.subarray(from, to));
    if (!out.ok) return { payloads, ended, error: out.message };
    payloads.push(...out.payloads.map((p) => p.toString('utf8')));
    ended = out.ended;
    from = to;
  }
  return { payloads, ended };
}

const chunkedCases: Array<[string, string, number[], string[], boolean]> = [
  // name, wire, cuts, payloads, ended
  ['one chunk, one read', chunk('hello'), [], ['hello'], false],
  ['two chunks, then the last chunk', chunk('a') + chunk('bc') + '0\r\n\r\n', [], ['a', 'bc'], true],
  ['cut inside the size line', chunk('0123456789abcdef0123'), [1], ['0123456789abcdef0123'], false], // size "14"
  ['cut inside the payload and the CRLF', chunk('payload'), [5, 11, 12], ['payload'], false],
  ['multi-byte UTF-8 counted in bytes', chunk('é€'), [4], ['é€'], false],
  ['hex size in upper case', 'A\r\n0123456789\r\n', [], ['0123456789'], false],
];

for (const [name, wire, cuts, payloads, ended] of chunkedCases) {
  test(`chunked: ${name}`, (t) => {
    t.deepEqual(feed(new ChunkedDecoder(), Buffer.from(wire), cuts), { payloads, ended });
  });
}

const recordCases: Array<[string, string, number[], string[]]> = [
  ['one record', record('{"type":"HEARTBEAT"}'), [], ['{"type":"HEARTBEAT"}']],
  ['two records in one read', record('a') + record('bcd'), [], ['a', 'bcd']],
  ['a record split in every byte', record('xyz'), [1, 2, 3, 4], ['xyz']],
  ['an empty record', record('') + record('z'), [], ['', 'z']],
];

for (const [name, wire, cuts, payloads] of recordCases) {
  test(`recordio: ${name}`, (t) => {
    t.deepEqual(feed(new RecordIoDecoder(), Buffer.from(wire), cuts), { payloads, ended: false });
  });
}

const malformed: Array<[string, () => ChunkedDecoder | RecordIoDecoder, string, string]> = [
  ['chunk size not hex', () => new ChunkedDecoder(), 'zz\r\nab\r\n', "bad chunk size 'zz'"],
  ['chunk size line never ends', () => new ChunkedDecoder(), 'f'.repeat(40), 'chunk size line too long'],
  ['record length not decimal', () => new RecordIoDecoder(), '1a\nx', "bad record length '1a'"],
  ['record length never ends', () => new RecordIoDecoder(), '9'.repeat(30), 'record length too long'],
];

for (const [name, make, wire, message] of malformed) {
  test(`malformed: ${name}`, (t) => {
    t.is(feed(make(), Buffer.from(wire), []).error, message);
  });
}

test('chunked then RecordIO gives back the events whatever the read boundaries', (t) => {
  fc.assert(fc.property(
    fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.nat(4000), { maxLength: 30 }),
    fc.boolean(),
    (events, cuts, oneChunkPerEvent) => {
      const stream = events.map(record).join('');
      // Mesos sends one event per chunk; the decoder must not depend on it.
      const body = oneChunkPerEvent ? events.map((e) => chunk(record(e))).join('') : chunk(stream);
      const wire = Buffer.from(body + '0\r\n\r\n');
      const chunks = feed(new ChunkedDecoder(), wire, cuts);
      const records = new RecordIoDecoder();
      const out: string[] = [];
      for (const c of chunks.payloads) {
        const r = records.push(Buffer.from(c));
        if (!r.ok) return false;
        out.push(...r.payloads.map((p) => p.toString('utf8')));
      }
      return JSON.stringify(out) === JSON.stringify(events) && chunks.ended && chunks.error === undefined;
    },
  ));
  t.pass();
});
