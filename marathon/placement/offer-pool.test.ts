import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import { agentFacts, attributeText, createOfferPool } from './offer-pool.ts';
import { offer } from './test-builders.ts';

const attrCases: ReadonlyArray<[mesos.v1.Attribute, string]> = [
  [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }, 'r1'],
  [{ name: 'n', type: 'SCALAR', scalar: { value: 3 } }, '3'],
  [{ name: 'n', type: 'SCALAR', scalar: { value: 2.5 } }, '2.5'],
  [{ name: 'n', type: 'SCALAR', scalar: { value: 1234.56789 } }, '1,234.568'], // Java NumberFormat: grouping, 3 decimals
  [{ name: 'p', type: 'RANGES', ranges: { range: [{ begin: 300, end: 400 }, { begin: 100, end: 200 }] } }, '[100-200,300-400]'],
  [{ name: 's', type: 'SET', set: { item: ['c', 'a', 'b'] } }, '{a,b,c}'],
];

for (const [a, want] of attrCases) {
  test(`attribute text: ${a.type} -> ${want}`, (t) => t.is(attributeText(a), want));
}

test('agent facts: hostname, id, attributes (first of a repeated name), fault domain', (t) => {
  const o = offer().hostname('h1').agentId('S7').attr('rack', 'r1').attr('rack', 'r9')
    .attribute({ name: 'ssd', type: 'SET', set: { item: ['y'] } }).faultDomain('eu', 'eu-1').build();
  t.deepEqual(agentFacts(o), { agentId: 'S7', hostname: 'h1', attributes: { rack: 'r1', ssd: '{y}' }, region: 'eu', zone: 'eu-1' });
  t.deepEqual(agentFacts(offer().build()), { agentId: 'agent-1', hostname: 'agent-1.example', attributes: {} });
});

test('pool: everything offered is free, allocation role, gpus and maintenance window recorded', (t) => {
  const p = createOfferPool(offer().offerId('O1').allocatedTo('web').cpus(2).mem(64).gpus(1).ports(1, 3).maintenance(5000, 1000).build());
  t.is(p.offerId, 'O1');
  t.is(p.remaining.scalar('cpus'), 2);
  t.deepEqual(p.remaining.ranges('ports'), [[1, 3]]);
  t.is(p.allocationRole, 'web');
  t.true(p.offeredGpus);
  t.deepEqual(p.unavailability, { startNanos: 5e9, durationNanos: 1e9 });
  const q = createOfferPool(offer().allocatedTo(undefined).cpus(1).build());
  t.is(q.allocationRole, undefined);
  t.false(q.offeredGpus);
  t.is(q.unavailability, undefined);
});

test('pool: invalid offered resources throw (a master never sends them)', (t) => {
  const o = offer().build();
  o.resources = [{ name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }];
  t.throws(() => createOfferPool(o));
});
