import test from 'ava';
import fc from 'fast-check';
import { Resources } from './resources.ts';
import { ResourceError } from './resource-error.ts';
import { makeResource, toMilli } from './resource.ts';
import type { ResourceProto } from './proto-adapter.ts';

const R = (text: string, role?: string) => Resources.parse(text, role);

test('parse text form and print it back in Mesos text form', (t) => {
  const cases: Array<[string, string]> = [
    ['cpus:2;mem:1024;disk:4096;ports:[31000-32000]', 'cpus(*):2; mem(*):1024; disk(*):4096; ports(*):[31000-32000]'],
    ['cpus:1;cpus:1.5', 'cpus(*):2.5'],
    ['cpus(ops):1;cpus:2', 'cpus(ops):1; cpus(*):2'],
    ['ports:[1-2,3-4, 10-12]', 'ports(*):[1-4, 10-12]'],
    ['disks:{b,a}', 'disks(*):{a, b}'],
    ['gpus:1;;mem:0', 'gpus(*):1'],
  ];
  for (const [input, printed] of cases) t.is(R(input).toString(), printed, input);
});

test('parse applies the default role as a static reservation', (t) => {
  const r = R('cpus:2;mem(*):10', 'ops');
  t.is(r.toString(), 'cpus(ops):2; mem(*):10');
  t.deepEqual(r.entries[0].reservations, [{ type: 'STATIC', role: 'ops' }]);
});

test('parse rejects bad input with the item index', (t) => {
  const cases: Array<[string, number, string]> = [
    ['cpus', 0, 'value'],
    ['cpus:2;mem:-1', 1, 'scalar'],
    ['cpus:2;mem:abc', 1, 'scalar'],
    ['ports:[5-1]', 0, 'ranges'],
    ['ports:[1-2', 0, 'ranges'],
    ['(x):1', 0, 'name'],
  ];
  for (const [input, index, field] of cases) {
    const r = Resources.tryParse(input);
    t.false(r.ok, input);
    if (!r.ok) {
      t.is(r.error.index, index, input);
      t.is(r.error.field, field, input);
    }
  }
  t.throws(() => R('cpus'), { instanceOf: ResourceError });
});

test('parse accepts the JSON array form', (t) => {
  const r = R('[{"name":"cpus","type":"SCALAR","scalar":{"value":2}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":5}]},"role":"web"}]');
  t.is(r.toString(), 'cpus(*):2; ports(web):[1-5]');
});

test('fixed-point scalars: 0.1 + 0.2 == 0.3', (t) => {
  const a = R('cpus:0.1').plus(R('cpus:0.2'));
  t.true(a.equals(R('cpus:0.3')));
  t.is(a.scalar('cpus'), 0.3);
  t.is(R('cpus:1').minus(R('cpus:0.9')).scalar('cpus'), 0.1);
});

test('arithmetic table', (t) => {
  // [a, op, b, expected]
  const cases: Array<[string, 'plus' | 'minus', string, string]> = [
    ['cpus:2;mem:100', 'plus', 'cpus:1', 'cpus(*):3; mem(*):100'],
    ['cpus:2;mem:100', 'minus', 'cpus:2', 'mem(*):100'],
    ['ports:[1-10]', 'minus', 'ports:[3-4]', 'ports(*):[1-2, 5-10]'],
    ['ports:[1-2]', 'plus', 'ports:[3-5]', 'ports(*):[1-5]'],
    ['disks:{a,b,c}', 'minus', 'disks:{b}', 'disks(*):{a, c}'],
    ['cpus(ops):1;cpus:1', 'minus', 'cpus(ops):1', 'cpus(*):1'],
  ];
  for (const [a, op, b, want] of cases) t.is(R(a)[op](R(b)).toString(), want, `${a} ${op} ${b}`);
});

test('contains and minus of what is not contained', (t) => {
  t.true(R('cpus:2;mem:10').contains(R('cpus:1')));
  t.false(R('cpus:2').contains(R('cpus(ops):1')));
  t.false(R('ports:[1-10]').contains(R('ports:[9-11]')));
  t.throws(() => R('cpus:1').minus(R('cpus:2')), { instanceOf: ResourceError });
  t.is(R('cpus:1').tryMinus(R('mem:1')), undefined);
});

test('reservations: unreserved, reserved, allocatableTo with hierarchical roles', (t) => {
  const r = R('cpus:1;cpus(a):2;cpus(a/b):4;cpus(c):8');
  t.is(r.unreserved().scalar('cpus'), 1);
  t.is(r.reserved().scalar('cpus'), 14);
  t.is(r.reserved('a').scalar('cpus'), 2);
  // role -> unreserved + its own and ancestors' reservations
  const cases: Array<[string, number]> = [
    ['a', 3], // 1 + a
    ['a/b', 7], // 1 + a + a/b
    ['a/b/c', 7],
    ['ab', 1],
    ['c', 9],
    ['x', 1],
  ];
  for (const [role, cpus] of cases) t.is(r.allocatableTo(role).scalar('cpus'), cpus, role);
});

test('push and pop reservations (RESERVE / UNRESERVE)', (t) => {
  const r = R('cpus:2');
  const reserved = r.pushReservation({ type: 'DYNAMIC', role: 'ops', principal: 'alice' });
  t.is(reserved.reserved('ops').scalar('cpus'), 2);
  t.is(reserved.toString(), 'cpus(reservations: [(DYNAMIC,ops,alice)]):2');
  t.true(reserved.popReservation().equals(r));
  t.false(reserved.equals(R('cpus(ops):2')));
});

test('allocate, unallocate and revocable views', (t) => {
  const r = R('cpus:2;mem:10');
  const a = r.allocate('web');
  t.false(a.equals(r));
  t.true(a.unallocate().equals(r));
  t.is(a.toString(), 'cpus(*)(allocated: web):2; mem(*)(allocated: web):10');
  t.true(a.allocatedTo('web').equals(a));
  const rev = Resources.of([makeResource({ name: 'cpus', kind: 'SCALAR', milli: toMilli(1), revocable: true })]);
  const both = r.plus(rev);
  t.is(both.revocable().scalar('cpus'), 1);
  t.is(both.nonRevocable().scalar('cpus'), 2);
  t.is(both.scalar('cpus'), 3);
});

test('fromProto validates and names the index and field', (t) => {
  const bad: Array<[unknown[], number, string]> = [
    [[{ name: '', type: 'SCALAR', scalar: { value: 1 } }], 0, 'name'],
    [[{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: -1 } }], 1, 'scalar.value'],
    [[{ name: 'mem', type: 'SCALAR', scalar: { value: Number.POSITIVE_INFINITY } }], 0, 'scalar.value'],
    [[{ name: 'mem', type: 'SCALAR', ranges: { range: [] } }], 0, 'scalar'],
    [[{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 5, end: 1 }] } }], 0, 'ranges.range[0]'],
    [[{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 5 }, { begin: 5, end: 9 }] } }], 0, 'ranges.range'],
    [[{ name: 'd', type: 'SET', set: { item: ['a', 'a'] } }], 0, 'set.item'],
    [[{ name: 't', type: 'TEXT' }], 0, 'type'],
    [[{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: '*' }] }], 0, 'reservations[0].role'],
  ];
  for (const [list, index, field] of bad) {
    const err = t.throws(() => Resources.fromProto(list as ResourceProto[]), { instanceOf: ResourceError });
    t.is(err?.index, index, JSON.stringify(list));
    t.is(err?.field, field, JSON.stringify(list));
  }
});

test('fromProto accepts both reservation formats, null as absent, and toProto round-trips', (t) => {
  // Clients send explicit nulls for unset fields.
  const wire = JSON.parse(
    '[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"ops","reservation":{"principal":"p"},"ranges":null,"set":null},{"name":"mem","type":"SCALAR","scalar":{"value":64},"role":"ops"}]',
  ) as ResourceProto[];
  const legacy = Resources.fromProto(wire);
  t.deepEqual(legacy.entries[0].reservations, [{ type: 'DYNAMIC', role: 'ops', principal: 'p' }]);
  t.deepEqual(legacy.entries[1].reservations, [{ type: 'STATIC', role: 'ops' }]);
  const proto = legacy.allocate('ops').toProto({ legacyRole: true });
  t.deepEqual(proto[0], {
    name: 'cpus',
    type: 'SCALAR',
    scalar: { value: 1 },
    reservations: [{ type: 'DYNAMIC', role: 'ops', principal: 'p' }],
    role: 'ops',
    reservation: { principal: 'p' },
    allocation_info: { role: 'ops' },
  });
  t.true(Resources.fromProto(legacy.toProto()).equals(legacy));
});

test('atomic entries (persistent volumes, shared) are never merged and subtract whole', (t) => {
  const vol = (id: string, size = 10) => makeResource({ name: 'disk', kind: 'SCALAR', milli: toMilli(size), disk: { persistence: { id } }, reservations: [{ type: 'DYNAMIC', role: 'r' }] });
  const two = Resources.of([vol('a'), vol('a')]);
  t.is(two.size, 2);
  t.is(two.scalar('disk'), 20);
  t.is(two.minus(Resources.of([vol('a')])).size, 1);
  const half = Resources.of([vol('a', 5)]);
  t.false(two.contains(half));
  t.true(two.contains(Resources.of([vol('a'), vol('a')])));
  t.false(two.contains(Resources.of([vol('a'), vol('a'), vol('a')])));
});

const names = fc.constantFrom('cpus', 'mem', 'disk', 'gpus');
const roles = fc.constantFrom('*', 'a', 'a/b', 'c');
const entryText = fc.oneof(
  fc.tuple(names, roles, fc.integer({ min: 0, max: 100_000 })).map(([n, r, m]) => `${n}(${r}):${m / 1000}`),
  fc.tuple(roles, fc.array(fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 20 })), { maxLength: 4 })).map(
    ([r, rs]) => `ports(${r}):[${rs.map(([b, l]) => `${b}-${b + l}`).join(',')}]`,
  ),
  fc.tuple(roles, fc.uniqueArray(fc.constantFrom('x', 'y', 'z', 'w'), { maxLength: 3 })).map(([r, xs]) => `disks(${r}):{${xs.join(',')}}`),
);
const resources = fc.array(entryText, { maxLength: 8 }).map((xs) => R(xs.join(';')));

/** Ranges and sets are unions, not sums: (a + b) - b == a needs them disjoint, as in Mesos. */
function disjoint(a: Resources, b: Resources): boolean {
  const qa = a.quantitiesMilli();
  const qb = b.quantitiesMilli();
  const qs = a.plus(b).quantitiesMilli();
  return [...qs].every(([k, v]) => v === (qa.get(k) ?? 0) + (qb.get(k) ?? 0));
}

test('property: (a + b) - b == a, a + b contains a and b', (t) => {
  fc.assert(
    fc.property(resources, resources, (a, b) => {
      fc.pre(disjoint(a, b));
      const s = a.plus(b);
      return s.minus(b).equals(a) && s.contains(a) && s.contains(b);
    }),
  );
  t.pass();
});

test('property: contains is consistent with minus', (t) => {
  fc.assert(
    fc.property(resources, resources, (a, b) => {
      const d = a.tryMinus(b);
      return a.contains(b) === (d !== undefined) && (d === undefined || d.plus(b).equals(a));
    }),
  );
  t.pass();
});

test('property: parse(toString(x)) == x, and toProto/fromProto round-trips', (t) => {
  fc.assert(
    fc.property(resources, (a) => Resources.parse(a.toString()).equals(a) && Resources.fromProto(a.toProto()).equals(a)),
  );
  t.pass();
});

test('allocate: equal resources share one allocated value; memoised vectors by resource name id', (t) => {
  const text = 'cpus:2;mem:1024;ports:[31000-32000]';
  const a = R(text);
  const b = R(text);
  const c = R('cpus:3;mem:1024;ports:[31000-32000]');
  const fa = a.allocate('web');
  // b equals a: the allocated form is the very same value; c differs: its own
  t.is(b.allocate('web'), fa);
  t.not(c.allocate('web'), fa);
  t.true(c.allocate('web').unallocate().equals(c));
  // another role is never taken from the cache
  t.is(b.allocate('batch').entries[0].allocationRole, 'batch');
  t.true(fa.unallocate().equals(b));
  t.is(fa.entries[0].allocationRole, 'web');
  // scalar sums and quantities in milli, indexed by resource name id
  const ids = ['cpus', 'mem', 'ports'].map((n) => a.entries.find((e) => e.name === n)!.shape.nameId);
  const scalars = a.scalarMilliById();
  const quantities = a.quantityMilliById();
  t.deepEqual(ids.map((k) => scalars[k] ?? 0), [2000, 1024000, 0]); // ports is not a scalar
  t.deepEqual(ids.map((k) => quantities[k]), [2000, 1024000, 1001000]); // 1001 ports
  t.is(a.scalarMilliById(), scalars);
});
