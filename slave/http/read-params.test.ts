import test from 'ava';
import fc from 'fast-check';
import { MAX_READ_LENGTH, parseReadQuery, readWindow } from './read-params.ts';

const queries: [Record<string, string>, ReturnType<typeof parseReadQuery>][] = [
  [{}, { ok: false, message: "Expecting 'path=value' in query.\n" }],
  [{ path: '' }, { ok: false, message: "Expecting 'path=value' in query.\n" }],
  [{ path: '/p' }, { ok: true, path: '/p', offset: -1, length: undefined }],
  [{ path: '/p', offset: '0' }, { ok: true, path: '/p', offset: 0, length: undefined }],
  [{ path: '/p', offset: '-1', length: '-1' }, { ok: true, path: '/p', offset: -1, length: undefined }],
  [{ path: '/p', offset: '5', length: '10' }, { ok: true, path: '/p', offset: 5, length: 10 }],
  [{ path: '/p', offset: '-2' }, { ok: false, message: 'Negative offset provided: -2.\n' }],
  [{ path: '/p', length: '-5' }, { ok: false, message: 'Negative length provided: -5.\n' }],
  [{ path: '/p', offset: 'abc' }, { ok: false, message: "Failed to parse offset: Failed to convert 'abc' to number.\n" }],
  [{ path: '/p', offset: '1.5' }, { ok: false, message: "Failed to parse offset: Failed to convert '1.5' to number.\n" }],
  [{ path: '/p', length: '0x10' }, { ok: false, message: "Failed to parse length: Failed to convert '0x10' to number.\n" }],
  [{ path: '/p', offset: '' }, { ok: false, message: "Failed to parse offset: Failed to convert '' to number.\n" }],
  [{ path: '/p', offset: '99999999999999999999' }, { ok: false, message: "Failed to parse offset: Failed to convert '99999999999999999999' to number.\n" }],
];

for (const [query, expected] of queries) {
  test(`parseReadQuery(${JSON.stringify(query)})`, (t) => {
    t.deepEqual(parseReadQuery(query), expected);
  });
}

// [size, offset, length, expected window]
const windows: [number, number, number | undefined, { offset: number; length: number }][] = [
  [100, -1, undefined, { offset: 100, length: 0 }], // offset -1: the size, no data
  [100, 0, undefined, { offset: 0, length: 100 }],
  [100, 10, 20, { offset: 10, length: 20 }],
  [100, 90, 20, { offset: 90, length: 10 }], // short at the end
  [100, 100, 5, { offset: 100, length: 0 }],
  [100, 150, 5, { offset: 150, length: 0 }], // past the end: empty data at the requested offset
  [100, 0, 0, { offset: 0, length: 0 }],
  [200_000, 0, undefined, { offset: 0, length: MAX_READ_LENGTH }], // capped at 16 pages = 65536
  [200_000, 0, 100_000, { offset: 0, length: 65_536 }],
  [0, 0, undefined, { offset: 0, length: 0 }],
];

for (const [size, offset, length, expected] of windows) {
  test(`readWindow(size ${size}, offset ${offset}, length ${length})`, (t) => {
    t.deepEqual(readWindow(size, offset, length), expected);
  });
}

test('property: the window stays inside the file and under the cap', (t) => {
  fc.assert(fc.property(
    fc.nat(1_000_000), fc.integer({ min: -1, max: 1_100_000 }), fc.option(fc.nat(1_000_000), { nil: undefined }),
    (size, offset, length) => {
      const w = readWindow(size, offset, length);
      return w.offset >= 0 && w.length >= 0 && (w.length === 0 || w.offset + w.length <= size) && w.length <= MAX_READ_LENGTH
        && w.offset === (offset === -1 ? size : offset);
    },
  ));
  t.pass();
});
