import test from 'ava';
import fc from 'fast-check';
import { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { PodContainer, PodDefinition } from '../pod/pod-definition.ts';
import { createOfferPool } from './offer-pool.ts';
import { type PlacedInstance, type PlacementResult } from './place-instance.ts';
import { alignEndpointHostPorts, placePod, podConstraints, podDemand, podScalars } from './place-pod.ts';
import { offer, pod, podContainer } from './test-builders.ts';

const endpoint = (name: string, hostPort?: number, containerPort?: number) => ({
  name, protocol: ['tcp'], labels: {}, ...(hostPort !== undefined ? { hostPort } : {}), ...(containerPort !== undefined ? { containerPort } : {}),
});

const withPlacement = (p: PodDefinition, placement: Partial<PodDefinition['scheduling']['placement']>): PodDefinition =>
  pod({ ...p, scheduling: { ...p.scheduling, placement: { ...p.scheduling.placement, ...placement } } });

const scalarsOf = (r: PlacementResult) => {
  if (!r.ok) return r.reasons;
  const res = Resources.fromProto(r.match.resources);
  return { cpus: res.scalar('cpus'), mem: res.scalar('mem'), disk: res.scalar('disk'), gpus: res.scalar('gpus'), ports: r.match.hostPorts };
};

/** Two containers of pod.json's size on a host network: web (any host port) and admin (fixed 8080, then any). */
const twoContainers: PodContainer[] = [
  podContainer({ name: 'web', resources: { cpus: 0.5, mem: 64, disk: 5, gpus: 0 }, endpoints: [endpoint('http', 0), endpoint('admin', 8080)] }),
  podContainer({ name: 'sidecar', resources: { cpus: 0.25, mem: 32, disk: 0, gpus: 0 }, endpoints: [endpoint('metrics', 0)] }),
];

test('podScalars: containers plus the executor, exact to the thousandth', (t) => {
  const cases: [PodDefinition, { cpus: number; mem: number; disk: number; gpus: number }][] = [
    [pod(), { cpus: 1.1, mem: 160, disk: 10, gpus: 0 }], // 1 + 0.1, 128 + 32, 0 + 10
    [pod({ containers: twoContainers }), { cpus: 0.85, mem: 128, disk: 15, gpus: 0 }], // .5 + .25 + .1, 64 + 32 + 32, 5 + 0 + 10
    [pod({ containers: [podContainer({ resources: { cpus: 0.1, mem: 0.2, disk: 0, gpus: 1 } }), podContainer({ name: 'b', resources: { cpus: 0.2, mem: 0.1, disk: 0, gpus: 2 } })], executorResources: { cpus: 0, mem: 0, disk: 0 } }),
      { cpus: 0.3, mem: 0.3, disk: 0, gpus: 3 }], // 0.1 + 0.2 is 0.3, not 0.30000000000000004
  ];
  for (const [p, want] of cases) t.deepEqual(podScalars(p), want);
});

test('placePod: what a fit takes and why a miss misses (table)', (t) => {
  const base = offer().cpus(2).mem(1024).disk(100).ports(31000, 31005);
  const cases: [string, PodDefinition, mesos.v1.Offer, PlacedInstance[], ReturnType<typeof scalarsOf>][] = [
    ['one container: 1 + executor 0.1 cpus', pod(), base.build(), [], { cpus: 1.1, mem: 160, disk: 10, gpus: 0, ports: [] }],
    ['host ports in endpoint order: fixed first, then the lowest free', pod({ containers: twoContainers }),
      offer().cpus(1).mem(256).disk(20).ports(8080, 8080).ports(31000, 31010).build(), [],
      { cpus: 0.85, mem: 128, disk: 15, gpus: 0, ports: [31000, 8080, 31001] }],
    ['an endpoint without a host port asks none (container networking)',
      pod({ networks: [{ mode: 'container', name: 'net', labels: {} }], containers: [podContainer({ endpoints: [endpoint('a', undefined, 80), endpoint('b', 0, 81)] })] }),
      base.build(), [], { cpus: 1.1, mem: 160, disk: 10, gpus: 0, ports: [31000] }],
    ['the executor\'s share makes it miss: 1 + 0.1 > 1.05 cpus', pod(), offer().cpus(1.05).mem(1024).disk(100).build(), [], ['InsufficientCpus']],
    ['executor disk: 0 + 10 > 5', pod(), offer().cpus(2).mem(1024).disk(5).build(), [], ['InsufficientDisk']],
    ['a fixed host port not offered', pod({ containers: [podContainer({ endpoints: [endpoint('a', 8080)] })] }), base.build(), [], ['InsufficientPorts']],
    ['more dynamic ports than offered: 7 > 6', pod({ containers: [podContainer({ endpoints: Array.from({ length: 7 }, (_, i) => endpoint(`e${i}`, 0)) })] }),
      base.build(), [], ['InsufficientPorts']],
    ['hostname UNIQUE against a placed instance on the agent', withPlacement(pod(), { constraints: [{ fieldName: 'hostname', operator: 'UNIQUE' }] }),
      base.build(), [{ agentId: 'agent-1', hostname: 'agent-1.example', attributes: {} }], ['UnfulfilledConstraint']],
    ['hostname UNIQUE with the placed instance elsewhere', withPlacement(pod(), { constraints: [{ fieldName: 'hostname', operator: 'UNIQUE' }] }),
      base.build(), [{ agentId: 'agent-2', hostname: 'agent-2.example', attributes: {} }], { cpus: 1.1, mem: 160, disk: 10, gpus: 0, ports: [] }],
    ['rack LIKE r[12] on rack r3', withPlacement(pod(), { constraints: [{ fieldName: 'rack', operator: 'LIKE', value: 'r[12]' }] }),
      offer().cpus(2).mem(1024).disk(100).attr('rack', 'r3').build(), [], ['UnfulfilledConstraint']],
    ['acceptedResourceRoles [web]: unreserved resources do not count', withPlacement(pod({ role: 'web' }), { acceptedResourceRoles: ['web'] }),
      offer().allocatedTo('web').cpus(2).mem(1024).disk(100).build(), [], ['UnfulfilledRole', 'InsufficientCpus', 'InsufficientMemory', 'InsufficientDisk']],
    ['acceptedResourceRoles [web]: reserved resources do', withPlacement(pod({ role: 'web' }), { acceptedResourceRoles: ['web'] }),
      offer().allocatedTo('web').cpus(2, { role: 'web' }).mem(1024, { role: 'web' }).disk(100, { role: 'web' }).build(), [],
      { cpus: 1.1, mem: 160, disk: 10, gpus: 0, ports: [] }],
    ['an offer for another role', pod({ role: 'web' }), offer().allocatedTo('batch').cpus(2).mem(1024).disk(100).build(), [], ['UnfulfilledRole']],
    ['a persistent volume needs a reservation', pod({ volumes: [{ name: 'data', persistent: { size: 10 } }] }), base.build(), [], ['NoCorrespondingReservationFound']],
    ['GPUs of all containers: 1 + 1 > 1', pod({ containers: [podContainer({ resources: { cpus: 0.1, mem: 1, disk: 0, gpus: 1 } }), podContainer({ name: 'b', resources: { cpus: 0.1, mem: 1, disk: 0, gpus: 1 } })] }),
      offer().cpus(2).mem(1024).disk(100).gpus(1).build(), [], ['InsufficientGpus']],
    ['label GPU_SCHEDULING_BEHAVIOR=restricted keeps a GPU agent from a pod without GPUs', pod({ labels: { GPU_SCHEDULING_BEHAVIOR: 'restricted' } }),
      offer().cpus(2).mem(1024).disk(100).gpus(1).build(), [], ['DeclinedScarceResources']],
  ];
  for (const [name, p, o, placed, want] of cases) t.deepEqual(scalarsOf(placePod(p, createOfferPool(o), placed)), want, name);
});

test('placePod: the match names the agent and the pod role, and the pool keeps the rest', (t) => {
  const o = offer().allocatedTo('web').hostname('h1').agentId('A1').faultDomain('eu', 'eu-1').attr('rack', 'r1').cpus(2).mem(512).disk(20).ports(31000, 31001).build();
  const r = placePod(pod({ role: 'web', containers: [podContainer({ endpoints: [endpoint('http', 0)] })] }), createOfferPool(o), []);
  if (!r.ok) return t.fail(r.reasons.join());
  t.like(r.match, { agentId: 'A1', hostname: 'h1', role: 'web', hostPorts: [31000], attributes: { rack: 'r1' }, region: 'eu', zone: 'eu-1' });
  // left: cpus 2 - 1.1, mem 512 - 160, disk 20 - 10, port 31001
  t.is(r.pool.remaining.scalar('cpus'), 0.9);
  t.is(r.pool.remaining.scalar('mem'), 352);
  t.is(r.pool.remaining.scalar('disk'), 10);
  t.deepEqual(r.pool.remaining.ranges('ports'), [[31001, 31001]]);
});

test('podConstraints: the apps\' tuple form, value only when given', (t) => {
  const p = withPlacement(pod(), { constraints: [{ fieldName: 'hostname', operator: 'UNIQUE' }, { fieldName: 'rack', operator: 'GROUP_BY', value: '2' }] });
  t.deepEqual(podConstraints(p), [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', '2']]);
});

test('podDemand: accepted roles only when some are named', (t) => {
  t.is(podDemand(pod()).acceptedResourceRoles, undefined);
  t.deepEqual(podDemand(withPlacement(pod(), { acceptedResourceRoles: ['*', 'web'] })).acceptedResourceRoles, ['*', 'web']);
});

test('alignEndpointHostPorts: the match\'s ports back beside their endpoints', (t) => {
  const p = pod({
    networks: [{ mode: 'container', name: 'net', labels: {} }],
    containers: [podContainer({ endpoints: [endpoint('a', 0, 80), endpoint('b', undefined, 81)] }), podContainer({ name: 'c', endpoints: [endpoint('d', 9000, 90)] })],
  });
  t.deepEqual(alignEndpointHostPorts(p, [31000, 9000]), [31000, undefined, 9000]);
});

// --- properties --------------------------------------------------------------------------------

const podArb: fc.Arbitrary<PodDefinition> = fc.array(fc.record({
  cpus: fc.integer({ min: 1, max: 20 }).map((x) => x / 10),
  mem: fc.integer({ min: 0, max: 512 }),
  disk: fc.integer({ min: 0, max: 20 }),
  gpus: fc.integer({ min: 0, max: 1 }),
  ports: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 31000, max: 31012 })), { maxLength: 3 }),
}), { minLength: 1, maxLength: 3 }).chain((cs) => fc.record({
  executor: fc.record({ cpus: fc.integer({ min: 0, max: 5 }).map((x) => x / 10), mem: fc.integer({ min: 0, max: 64 }), disk: fc.integer({ min: 0, max: 10 }) }),
}).map(({ executor }) => pod({
  role: 'web',
  executorResources: executor,
  containers: cs.map((c, i) => podContainer({
    name: `c${i}`, resources: { cpus: c.cpus, mem: c.mem, disk: c.disk, gpus: c.gpus }, endpoints: c.ports.map((p, j) => endpoint(`e${i}-${j}`, p)),
  })),
})));

const offerArb: fc.Arbitrary<mesos.v1.Offer> = fc.record({
  cpus: fc.integer({ min: 0, max: 60 }).map((x) => x / 10),
  reservedCpus: fc.integer({ min: 0, max: 20 }).map((x) => x / 10),
  mem: fc.integer({ min: 0, max: 2048 }),
  disk: fc.integer({ min: 0, max: 80 }),
  gpus: fc.integer({ min: 0, max: 2 }),
  portLo: fc.integer({ min: 31000, max: 31006 }),
  portLen: fc.integer({ min: 0, max: 10 }),
}).map((o) => {
  const b = offer().allocatedTo('web');
  if (o.cpus > 0) b.cpus(o.cpus);
  if (o.reservedCpus > 0) b.cpus(o.reservedCpus, { role: 'web' });
  if (o.mem > 0) b.mem(o.mem);
  if (o.disk > 0) b.disk(o.disk);
  if (o.gpus > 0) b.gpus(o.gpus);
  return b.ports(o.portLo, o.portLo + o.portLen).build();
});

test('property: a pod match takes exactly the pod\'s scalars, never more than the offer, and one host port per asking endpoint', (t) => {
  fc.assert(fc.property(offerArb, podArb, (o, p) => {
    const r = placePod(p, createOfferPool(o), []);
    if (!r.ok) return true;
    const took = Resources.fromProto(r.match.resources);
    const want = podScalars(p);
    const asking = p.containers.flatMap((c) => c.endpoints).filter((e) => e.hostPort !== undefined).length;
    return Resources.fromProto(o.resources).contains(took)
      && took.scalar('cpus') === want.cpus && took.scalar('mem') === want.mem && took.scalar('disk') === want.disk && took.scalar('gpus') === want.gpus
      && r.match.hostPorts.length === asking && new Set(r.match.hostPorts).size === asking;
  }));
  t.pass();
});

test('property: packing pods on one offer never uses a scalar or a port twice', (t) => {
  fc.assert(fc.property(offerArb, fc.array(podArb, { minLength: 1, maxLength: 4 }), (o, pods) => {
    let pool = createOfferPool(o);
    let all = Resources.empty;
    const ports: number[] = [];
    for (const p of pods) {
      const r = placePod(p, pool, []);
      if (!r.ok) continue;
      pool = r.pool;
      all = all.plus(Resources.fromProto(r.match.resources));
      ports.push(...r.match.hostPorts);
    }
    return Resources.fromProto(o.resources).contains(all) && new Set(ports).size === ports.length;
  }));
  t.pass();
});
