/**
 * Safety properties of placement under random offers, apps and packing sequences:
 * - a match never takes more than the offer holds;
 * - placing repeatedly on the returned pools never uses a port or a scalar twice (the sum of all
 *   matches fits in the offer, and no host port repeats);
 * - with `hostname UNIQUE`, no two instances land on one hostname, however the offers come;
 * - the same inputs give the same result.
 */
import test from 'ava';
import fc from 'fast-check';
import { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition } from '../model.ts';
import { createOfferPool } from './offer-pool.ts';
import { placeInstance, type PlacedInstance } from './place-instance.ts';
import { app, offer } from './test-builders.ts';

const offerArb: fc.Arbitrary<mesos.v1.Offer> = fc.record({
  cpus: fc.integer({ min: 0, max: 80 }).map((x) => x / 10),
  reservedCpus: fc.integer({ min: 0, max: 20 }).map((x) => x / 10),
  mem: fc.integer({ min: 0, max: 4096 }),
  disk: fc.integer({ min: 0, max: 100 }),
  gpus: fc.integer({ min: 0, max: 2 }),
  portLo: fc.integer({ min: 31000, max: 31010 }),
  portLen: fc.integer({ min: 0, max: 12 }),
  host: fc.constantFrom('h1', 'h2', 'h3'),
}).map((o) => {
  const b = offer().allocatedTo('web').hostname(o.host).agentId(`agent-${o.host}`);
  if (o.cpus > 0) b.cpus(o.cpus);
  if (o.reservedCpus > 0) b.cpus(o.reservedCpus, { role: 'web' });
  if (o.mem > 0) b.mem(o.mem);
  if (o.disk > 0) b.disk(o.disk);
  if (o.gpus > 0) b.gpus(o.gpus);
  b.ports(o.portLo, o.portLo + o.portLen);
  return b.build();
});

const appArb: fc.Arbitrary<AppDefinition> = fc.record({
  cpus: fc.integer({ min: 1, max: 30 }).map((x) => x / 10),
  mem: fc.integer({ min: 0, max: 1024 }),
  disk: fc.integer({ min: 0, max: 50 }),
  gpus: fc.integer({ min: 0, max: 1 }),
  ports: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 31000, max: 31015 })), { maxLength: 4 }),
  requirePorts: fc.boolean(),
}).map((a) => app({
  role: 'web', cpus: a.cpus, mem: a.mem, disk: a.disk, gpus: a.gpus, requirePorts: a.requirePorts,
  portDefinitions: a.ports.map((port) => ({ port, protocol: 'tcp' })),
}));

const taken = (m: { resources: mesos.v1.Resource[] }) => Resources.fromProto(m.resources);

test('property: a match never takes more than the offer holds', (t) => {
  fc.assert(fc.property(offerArb, appArb, (o, a) => {
    const r = placeInstance(a, createOfferPool(o), []);
    return !r.ok || Resources.fromProto(o.resources).contains(taken(r.match));
  }));
  t.pass();
});

test('property: packing one offer never uses a port or a scalar twice', (t) => {
  fc.assert(fc.property(offerArb, fc.array(appArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 12 }), (o, apps, rounds) => {
    let pool = createOfferPool(o);
    let sum = Resources.empty;
    const ports: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = placeInstance(apps[i % apps.length], pool, []);
      if (!r.ok) continue;
      sum = sum.plus(taken(r.match));
      ports.push(...r.match.hostPorts);
      pool = r.pool;
      if (!pool.remaining.equals(Resources.fromProto(o.resources).minus(sum))) return false;
    }
    return Resources.fromProto(o.resources).contains(sum) && new Set(ports).size === ports.length;
  }));
  t.pass();
});

test('property: hostname UNIQUE never places two instances on one hostname', (t) => {
  fc.assert(fc.property(fc.array(offerArb, { minLength: 1, maxLength: 10 }), (offers) => {
    const a = app({ role: 'web', cpus: 0.1, mem: 0, portDefinitions: [], constraints: [['hostname', 'UNIQUE']] });
    const placed: PlacedInstance[] = [];
    for (const o of offers) {
      let pool = createOfferPool(o);
      for (let k = 0; k < 3; k++) {
        const r = placeInstance(a, pool, placed);
        if (!r.ok) break;
        placed.push(r.match);
        pool = r.pool;
      }
    }
    return new Set(placed.map((p) => p.hostname)).size === placed.length;
  }));
  t.pass();
});

test('property: the same inputs give the same result', (t) => {
  fc.assert(fc.property(offerArb, appArb, (o, a) => {
    const x = placeInstance(a, createOfferPool(o), []);
    const y = placeInstance(a, createOfferPool(structuredClone(o)), []);
    return JSON.stringify(x.ok ? x.match : x.reasons) === JSON.stringify(y.ok ? y.match : y.reasons);
  }));
  t.pass();
});
