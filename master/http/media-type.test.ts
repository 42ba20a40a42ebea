import test from 'ava';
import fc from 'fast-check';
import { acceptsMediaType, checkContentType, negotiateEncoding } from './media-type.ts';

const J = 'application/json';
const P = 'application/x-protobuf';

test('Accept negotiation, table', (t) => {
  const cases: [accept: string | undefined, expected: ReturnType<typeof negotiateEncoding>][] = [
    [undefined, 'json'], // absent: everything acceptable, JSON first
    ['', 'json'],
    ['*/*', 'json'],
    [J, 'json'],
    [P, 'protobuf'],
    [`${P}, ${J}`, 'json'], // both: JSON wins, as in Mesos
    [`${J};q=0, ${P}`, 'protobuf'],
    ['application/*', 'json'],
    [`application/*, ${J};q=0`, 'protobuf'], // the exact range beats the wildcard
    ['text/html', undefined],
    ['*/*;q=0', undefined],
    ['text/plain, application/xml', undefined],
    ['APPLICATION/X-PROTOBUF', 'protobuf'],
  ];
  for (const [accept, expected] of cases) t.is(negotiateEncoding(accept), expected, `Accept: ${accept}`);
});

test('Content-Type classification, table', (t) => {
  t.deepEqual(checkContentType(undefined), { kind: 'missing' });
  t.deepEqual(checkContentType(J), { kind: 'ok', encoding: 'json' });
  t.deepEqual(checkContentType('application/json; charset=utf-8'), { kind: 'ok', encoding: 'json' });
  t.deepEqual(checkContentType(P), { kind: 'ok', encoding: 'protobuf' });
  t.deepEqual(checkContentType('text/plain'), { kind: 'unsupported', mediaType: 'text/plain' });
  t.deepEqual(checkContentType(''), { kind: 'unsupported', mediaType: '' });
});

test('a media type listed with q>0 and nothing more specific is always accepted', (t) => {
  fc.assert(fc.property(
    fc.constantFrom(J, P),
    fc.array(fc.constantFrom('text/html', 'image/png', 'application/xml'), { maxLength: 3 }),
    fc.integer({ min: 1, max: 1000 }),
    (type, others, q) => acceptsMediaType([...others, `${type};q=${q / 1000}`].join(', '), type),
  ));
  t.pass();
});
