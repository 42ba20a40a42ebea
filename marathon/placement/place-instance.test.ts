import test from 'ava';
import { Resources } from '../../common/resources/resources.ts';
import type { AppDefinition } from '../model.ts';
import { createOfferPool } from './offer-pool.ts';
import { placeInstance, REJECT_REASONS, type PlacedInstance, type RejectReason } from './place-instance.ts';
import { app, offer, type OfferBuilder } from './test-builders.ts';

const basic = (): OfferBuilder => offer().cpus(4).mem(1024).disk(1000).ports(31000, 31009);
const used = (resources: ReturnType<typeof Resources.prototype.toProto>) => Resources.fromProto(resources);

test('a fitting app takes exactly its cpus, mem and ports; the pool keeps the rest', (t) => {
  const r = placeInstance(app({ cpus: 0.5, mem: 128 }), createOfferPool(basic().build()), []);
  if (!r.ok) return t.fail(r.reasons.join());
  const take = used(r.match.resources);
  t.is(take.scalar('cpus'), 0.5);
  t.is(take.scalar('mem'), 128);
  t.is(take.scalar('disk'), 0); // disk 0: not taken
  t.deepEqual(r.match.hostPorts, [31000]); // lowest offered port
  t.deepEqual(take.ranges('ports'), [[31000, 31000]]);
  t.is(r.pool.remaining.scalar('cpus'), 3.5); // 4 - 0.5
  t.is(r.pool.remaining.scalar('mem'), 896); // 1024 - 128
  t.deepEqual(r.pool.remaining.ranges('ports'), [[31001, 31009]]);
  t.is(r.match.role, '*');
  t.is(r.match.hostname, 'agent-1.example');
  t.true(r.match.resources.every((x) => x.allocation_info?.role === '*'));
});

const reasonCases: ReadonlyArray<[string, AppDefinition, OfferBuilder, readonly RejectReason[]]> = [
  ['cpus short', app({ cpus: 5 }), basic(), ['InsufficientCpus']],
  ['mem short', app({ mem: 2048 }), basic(), ['InsufficientMemory']],
  ['disk short', app({ disk: 2000 }), basic(), ['InsufficientDisk']],
  ['gpus short', app({ gpus: 1 }), basic(), ['InsufficientGpus']],
  ['ports short', app({ portDefinitions: Array.from({ length: 11 }, () => ({ port: 0, protocol: 'tcp' })) }), basic(), ['InsufficientPorts']],
  ['required port not offered', app({ requirePorts: true, portDefinitions: [{ port: 8080, protocol: 'tcp' }] }), basic(), ['InsufficientPorts']],
  ['everything short, funnel order', app({ cpus: 5, mem: 2048, disk: 2000, gpus: 1, constraints: [['hostname', 'LIKE', 'other']] }), basic(),
    ['UnfulfilledConstraint', 'InsufficientCpus', 'InsufficientMemory', 'InsufficientDisk', 'InsufficientGpus']],
  ['offer allocated to another role', app({ role: 'web' }), basic(), ['UnfulfilledRole']],
  ['only resources of a role not accepted', app({ acceptedResourceRoles: ['web'] }), basic(),
    ['UnfulfilledRole', 'InsufficientCpus', 'InsufficientMemory', 'InsufficientPorts']],
  ['revocable cpus are not used', app({ cpus: 1 }), offer().revocableCpus(8).mem(1024).ports(31000, 31000), ['InsufficientCpus']],
  ['persistent volume needs a reservation', app({ container: { type: 'MESOS', volumes: [{ containerPath: 'data', mode: 'RW', persistent: { size: 10 } }] } }), basic(),
    ['NoCorrespondingReservationFound']],
];

for (const [name, a, o, want] of reasonCases) {
  test(`rejects: ${name}`, (t) => {
    const r = placeInstance(a, createOfferPool(o.build()), []);
    t.false(r.ok);
    if (!r.ok) t.deepEqual(r.reasons, want);
  });
}

test('reasons are a subsequence of the funnel order', (t) => {
  const r = placeInstance(app({ cpus: 99, mem: 99999, role: 'x' }), createOfferPool(basic().build()), []);
  if (r.ok) return t.fail();
  const idx = r.reasons.map((x) => REJECT_REASONS.indexOf(x));
  t.deepEqual(idx, [...idx].sort((a, b) => a - b));
});

test('accepted roles: reserved resources of the app role are used, reserved first', (t) => {
  const o = offer().allocatedTo('web').cpus(1, { role: 'web' }).cpus(2).mem(256).ports(31000, 31001, { role: 'web' }).build();
  const r = placeInstance(app({ role: 'web', cpus: 1.5 }), createOfferPool(o), []);
  if (!r.ok) return t.fail(r.reasons.join());
  const cpus = r.match.resources.filter((x) => x.name === 'cpus');
  t.deepEqual(cpus.map((x) => [x.scalar?.value, x.reservations?.[0]?.role ?? '*']).sort(), [[0.5, '*'], [1, 'web']]);
  t.deepEqual(r.match.hostPorts, [31000]);
  t.is(r.match.role, 'web');
});

test('acceptedResourceRoles ["*"] leaves reserved resources alone', (t) => {
  const o = offer().allocatedTo('web').cpus(4, { role: 'web' }).cpus(0.5).mem(256).ports(31000, 31001).build();
  const r = placeInstance(app({ role: 'web', cpus: 1, acceptedResourceRoles: ['*'] }), createOfferPool(o), []);
  t.deepEqual(r.ok ? [] : r.reasons, ['InsufficientCpus']); // only 0.5 unreserved
});

test('resident reservations (Marathon labels) are not used by other apps', (t) => {
  const o = offer().allocatedTo('web').cpus(4, { role: 'web', labels: { marathon_task_id: 't1' } }).mem(256).ports(31000, 31001).build();
  const r = placeInstance(app({ role: 'web', cpus: 1 }), createOfferPool(o), []);
  t.deepEqual(r.ok ? [] : r.reasons, ['InsufficientCpus']);
});

test('maintenance: declined inside a window and while draining towards it, accepted after', (t) => {
  const start = Date.UTC(2026, 10, 22, 12);
  const o = createOfferPool(basic().maintenance(start, 3_600_000).build());
  const at = (now: number, drainingSeconds = 0) => {
    const r = placeInstance(app(), o, [], { now, drainingSeconds });
    return r.ok ? 'ok' : r.reasons.join();
  };
  t.is(at(start - 1000), 'ok'); // before the window
  t.is(at(start - 1000, 60), 'AgentMaintenance'); // draining 60 s before
  t.is(at(start + 1000), 'AgentMaintenance'); // inside
  t.is(at(start + 3_600_001), 'ok'); // after it ended
  t.true(placeInstance(app(), o, []).ok); // no `now`: not checked
});

test('gpu scheduling behaviour restricted keeps GPU agents for GPU apps', (t) => {
  const pool = createOfferPool(basic().gpus(2).build());
  t.true(placeInstance(app(), pool, []).ok); // default 'undefined'
  const r = placeInstance(app(), pool, [], { gpuSchedulingBehavior: 'restricted' });
  t.deepEqual(r.ok ? [] : r.reasons, ['DeclinedScarceResources']);
  t.true(placeInstance(app({ gpus: 1 }), pool, [], { gpuSchedulingBehavior: 'restricted' }).ok);
  t.true(placeInstance(app({ labels: { GPU_SCHEDULING_BEHAVIOR: 'unrestricted' } }), pool, [], { gpuSchedulingBehavior: 'restricted' }).ok); // label wins
  const byLabel = placeInstance(app({ labels: { GPU_SCHEDULING_BEHAVIOR: 'restricted' } }), pool, []);
  t.deepEqual(byLabel.ok ? [] : byLabel.reasons, ['DeclinedScarceResources']);
});

test('repeated placement on one pool packs instances until a resource runs out', (t) => {
  let pool = createOfferPool(offer().cpus(2).mem(1024).ports(31000, 31009).build());
  const placed: PlacedInstance[] = [];
  const a = app({ cpus: 0.5, mem: 100, portDefinitions: [{ port: 0, protocol: 'tcp' }, { port: 0, protocol: 'tcp' }] });
  const ports: number[][] = [];
  for (;;) {
    const r = placeInstance(a, pool, placed);
    if (!r.ok) {
      t.deepEqual(r.reasons, ['InsufficientCpus']); // 4 × 0.5 = 2 cpus
      break;
    }
    ports.push(r.match.hostPorts);
    placed.push(r.match);
    pool = r.pool;
  }
  t.deepEqual(ports, [[31000, 31001], [31002, 31003], [31004, 31005], [31006, 31007]]);
});

test('UNIQUE hostname: a second instance does not go on the same agent', (t) => {
  const a = app({ constraints: [['hostname', 'UNIQUE']] });
  const first = placeInstance(a, createOfferPool(basic().build()), []);
  if (!first.ok) return t.fail();
  const second = placeInstance(a, first.pool, [first.match]);
  t.deepEqual(second.ok ? [] : second.reasons, ['UnfulfilledConstraint']);
});
