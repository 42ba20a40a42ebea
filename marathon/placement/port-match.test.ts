import test from 'ava';
import fc from 'fast-check';
import { Resources } from '../../common/resources/resources.ts';
import { matchPorts } from './port-match.ts';

const ranges = (text: string) => Resources.parse(text);

// [requests, offered, expected ports (undefined: no fit), why]
const cases: ReadonlyArray<[number[], string, number[] | undefined, string]> = [
  [[], 'ports:[31000-31001]', [], 'nothing asked'],
  [[0, 0], 'ports:[31000-31001]', [31000, 31001], 'lowest free'],
  [[0, 0, 0], 'ports:[31000-31001]', undefined, 'one short'],
  [[31001], 'ports:[31000-31001]', [31001], 'fixed'],
  [[0, 31000], 'ports:[31000-31001]', [31001, 31000], 'fixed first, then dynamic around it'],
  [[8080], 'ports:[31000-31001]', undefined, 'fixed port not offered'],
  [[31000, 31000], 'ports:[31000-31001]', undefined, 'same fixed port twice'],
  [[0, 0], 'ports:[31000-31000,32000-32000]', [31000, 32000], 'across ranges'],
  [[0], 'ports:[31000-31001];ports(web):[20000-20000]', [20000], 'reserved range first'],
  [[0], 'cpus:1', undefined, 'no ports at all'],
];

for (const [req, offered, want, why] of cases) {
  test(`ports ${JSON.stringify(req)} from ${offered}: ${why}`, (t) => {
    const m = matchPorts(req, ranges(offered));
    if (want === undefined) return t.false(m.ok);
    if (!m.ok) return t.fail();
    t.deepEqual(m.ports, want);
    t.deepEqual(Resources.of(m.take).ranges('ports').flatMap(([b, e]) => Array.from({ length: e - b + 1 }, (_, i) => b + i)), [...want].sort((a, b) => a - b));
  });
}

test('the take keeps the reservation of the range each port came from', (t) => {
  const m = matchPorts([0, 31000], ranges('ports:[31000-31001];ports(web):[20000-20000]'));
  if (!m.ok) return t.fail();
  t.deepEqual(Resources.of(m.take).toString(), 'ports(web):[20000-20000]; ports(*):[31000-31000]');
});

test('property: a match takes distinct ports, all offered, honouring fixed requests', (t) => {
  const arb = fc.record({
    lo: fc.integer({ min: 1000, max: 1100 }),
    len: fc.integer({ min: 0, max: 20 }),
    requests: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 995, max: 1125 })), { maxLength: 12 }),
  });
  fc.assert(fc.property(arb, ({ lo, len, requests }) => {
    const offered = ranges(`ports:[${lo}-${lo + len}]`);
    const m = matchPorts(requests, offered);
    if (!m.ok) return true;
    const take = Resources.of(m.take);
    return new Set(m.ports).size === m.ports.length
      && m.ports.every((p, i) => requests[i] === 0 || requests[i] === p)
      && offered.contains(take)
      && take.ranges('ports').reduce((n, [b, e]) => n + e - b + 1, 0) === requests.length;
  }));
  t.pass();
});

test('property: a miss means the fixed ports are not all offered or distinct, or too few ports are left', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 10 }), fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 12 })), { maxLength: 12 }), (len, requests) => {
    const m = matchPorts(requests, ranges(`ports:[0-${len}]`));
    const fixed = requests.filter((p) => p !== 0);
    const fits = fixed.every((p) => p <= len) && new Set(fixed).size === fixed.length && requests.length <= len + 1;
    return m.ok === fits;
  }));
  t.pass();
});
