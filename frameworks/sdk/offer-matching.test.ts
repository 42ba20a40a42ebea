import test from 'ava';
import { matchOffer, portsLeft } from './offer-matching.ts';
import type { Offer } from './scheduler-handler.ts';
import type { mesos } from '../../proto/types.generated.ts';

const alloc = { allocation_info: { role: 'web' } };
const scalar = (name: string, value: number, extra: Partial<mesos.v1.Resource> = {}): mesos.v1.Resource => ({ name, type: 'SCALAR', scalar: { value }, ...alloc, ...extra });
const ports = (begin: number, end: number): mesos.v1.Resource => ({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin, end }] }, ...alloc });
const reserved = { reservations: [{ type: 'STATIC' as const, role: 'web' }] };

function offer(resources: mesos.v1.Resource[]): Offer {
  return { id: { value: 'o1' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, hostname: 'h', resources };
}

test('a fitting need takes exactly what it asks and leaves the rest', (t) => {
  const m = matchOffer(offer([scalar('cpus', 2), scalar('mem', 1024), ports(31000, 31010)]), { scalars: { cpus: 0.5, mem: 128 }, ports: 2 });
  t.true(m.ok);
  if (!m.ok) return;
  t.deepEqual(m.ports, [31000, 31001]);
  t.is(m.take.scalar('cpus'), 0.5);
  t.is(m.take.scalar('mem'), 128);
  t.is(m.rest.scalar('cpus'), 1.5); // 2 - 0.5
  t.is(m.rest.scalar('mem'), 896); // 1024 - 128
  t.deepEqual(m.rest.ranges('ports'), [[31002, 31010]]);
  t.true(m.toProto().every((r) => r.allocation_info?.role === 'web'));
});

test('reserved resources are used before unreserved ones, and the take keeps the reservation', (t) => {
  const m = matchOffer(offer([scalar('cpus', 1), scalar('cpus', 0.25, reserved)]), { scalars: { cpus: 0.5 } });
  t.true(m.ok);
  if (!m.ok) return;
  const proto = m.toProto();
  const fromReserved = proto.find((r) => (r.reservations ?? []).length > 0);
  const fromUnreserved = proto.find((r) => (r.reservations ?? []).length === 0);
  t.is(fromReserved?.scalar?.value, 0.25);
  t.is(fromUnreserved?.scalar?.value, 0.25);
});

test('a miss gives one reason per missing resource', (t) => {
  const m = matchOffer(offer([scalar('cpus', 0.1), ports(31000, 31000)]), { scalars: { cpus: 1, mem: 64 }, ports: 3 });
  t.false(m.ok);
  if (m.ok) return;
  t.deepEqual(m.reasons, ['INSUFFICIENT_CPUS: need 1, offered 0.1', 'INSUFFICIENT_MEM: need 64, offered 0', 'INSUFFICIENT_PORTS: need 3, offered 1']);
});

test('revocable resources are never taken', (t) => {
  const m = matchOffer(offer([scalar('cpus', 4, { revocable: {} })]), { scalars: { cpus: 1 } });
  t.false(m.ok);
});

test('ports spread over several ranges', (t) => {
  const o = offer([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 10, end: 10 }, { begin: 20, end: 25 }] }, ...alloc }]);
  const m = matchOffer(o, { scalars: {}, ports: 3 });
  t.true(m.ok);
  if (m.ok) t.deepEqual(m.ports, [10, 20, 21]);
  t.deepEqual(portsLeft([[10, 10], [20, 25]], [10, 20, 21]), [[22, 25]]);
});
