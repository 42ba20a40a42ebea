import test from 'ava';
import fc from 'fast-check';
import type { Constraint } from '../model.ts';
import { meetsConstraint, unmetConstraints, type PlacementFacts } from './constraints.ts';

const agent = (hostname: string, attributes: Record<string, string> = {}, region?: string, zone?: string): PlacementFacts =>
  ({ hostname, attributes, ...(region ? { region } : {}), ...(zone ? { zone } : {}) });

const a1 = agent('a1', { rack: 'r1', dc: 'east' }, 'eu', 'eu-1');
const a2 = agent('a2', { rack: 'r2', dc: 'east' }, 'eu', 'eu-2');
const a3 = agent('a3', { rack: 'r3' }, 'us', 'us-1');
const bare = agent('bare');

// [constraint, agent, placed, expected, why]
const cases: ReadonlyArray<[Constraint, PlacementFacts, readonly PlacementFacts[], boolean, string]> = [
  // UNIQUE
  [['hostname', 'UNIQUE'], a1, [], true, 'nothing placed'],
  [['hostname', 'UNIQUE'], a1, [a2], true, 'other host'],
  [['hostname', 'UNIQUE'], a1, [a1], false, 'same host'],
  [['@hostname', 'UNIQUE'], a1, [a1], false, '@hostname is hostname'],
  [['rack', 'UNIQUE'], a1, [agent('x', { rack: 'r1' })], false, 'same rack on another host'],
  [['rack', 'UNIQUE'], bare, [], false, 'agent without the attribute'],
  // CLUSTER
  [['rack', 'CLUSTER', 'r1'], a1, [], true, 'value matches'],
  [['rack', 'CLUSTER', 'r1'], a2, [], false, 'value differs'],
  [['rack', 'CLUSTER'], a2, [], true, 'no value, nothing placed: any'],
  [['rack', 'CLUSTER'], a2, [a2, a1], true, 'no value: pinned to the first placed value'],
  [['rack', 'CLUSTER'], a1, [a2, a1], false, 'no value: not the first placed value'],
  [['hostname', 'CLUSTER', 'a1'], a1, [], true, 'hostname value'],
  [['hostname', 'CLUSTER', ''], a2, [a1], false, 'empty value behaves as none'],
  // GROUP_BY
  [['rack', 'GROUP_BY'], a1, [a2, a2], true, 'unused value is accepted'],
  [['rack', 'GROUP_BY'], a1, [a1, a2], true, 'groups even: 1 and 1'],
  [['rack', 'GROUP_BY'], a1, [a1, a1, a2], false, 'r1 has 2, r2 has 1'],
  [['rack', 'GROUP_BY'], a2, [a1, a1, a2], true, 'r2 is the smallest'],
  [['rack', 'GROUP_BY', '3'], a1, [a1, a2], false, 'fewer than 3 groups, value used'],
  [['rack', 'GROUP_BY', '3'], a3, [a1, a2], true, 'a third value'],
  [['rack', 'GROUP_BY', '2'], a1, [a1, a2], true, '2 groups, smallest'],
  [['@zone', 'GROUP_BY'], a1, [a1], true, 'one group, it is the smallest'],
  // MAX_PER
  [['rack', 'MAX_PER', '2'], a1, [a1], true, '1 < 2'],
  [['rack', 'MAX_PER', '2'], a1, [a1, a1], false, '2 = 2'],
  [['dc', 'MAX_PER', '1'], a2, [a1], false, 'same dc on another rack'],
  [['rack', 'MAX_PER', 'x'], a1, [], false, 'not a number'],
  // LIKE / UNLIKE
  [['hostname', 'LIKE', 'a[12]'], a1, [], true, 'full match'],
  [['hostname', 'LIKE', 'a'], a1, [], false, 'partial match is not a match'],
  [['hostname', 'LIKE', 'srv2.*'], agent('srv2.example'), [], true, 'app.json example'],
  [['rack', 'LIKE', ''], a1, [], false, 'value required'],
  [['rack', 'LIKE', '('], a1, [], false, 'invalid regex'],
  [['rack', 'UNLIKE', 'r[12]'], a1, [], false, 'matches'],
  [['rack', 'UNLIKE', 'r[12]'], a3, [], true, 'does not match'],
  [['rack', 'UNLIKE', 'r1'], bare, [], true, 'missing attribute satisfies UNLIKE'],
  [['rack', 'LIKE', '.*'], bare, [], false, 'missing attribute fails LIKE'],
  // IS / IN
  [['dc', 'IS', 'east'], a1, [], true, 'equal'],
  [['dc', 'IS', 'west'], a1, [], false, 'not equal'],
  [['rack', 'IN', 'r1, r3'], a3, [], true, 'in the list'],
  [['rack', 'IN', 'r1,r3'], a2, [], false, 'not in the list'],
  // fields
  [['@region', 'IS', 'eu'], a1, [], true, 'region'],
  [['@region', 'IS', 'eu'], a3, [], false, 'other region'],
  [['@zone', 'UNIQUE'], a1, [a2], true, 'zones differ'],
  [['@zone', 'IS', 'x'], bare, [], false, 'no fault domain'],
  [['rack', 'FOO'], a1, [], false, 'unknown operator'],
];

for (const [c, ag, placed, want, why] of cases) {
  test(`${c.join(':')} on ${ag.hostname} with [${placed.map((p) => p.hostname).join(',')}]: ${want} (${why})`, (t) => {
    t.is(meetsConstraint(c, ag, placed), want);
  });
}

test('unmetConstraints lists the failing ones in order', (t) => {
  const cs: Constraint[] = [['rack', 'IS', 'r2'], ['hostname', 'UNIQUE'], ['dc', 'IS', 'east'], ['@region', 'IS', 'us']];
  t.deepEqual(unmetConstraints(cs, a1, [a1]), [cs[0], cs[1], cs[3]]);
});

test('property: hostname UNIQUE never accepts a host that already has an instance', (t) => {
  const host = fc.constantFrom('h1', 'h2', 'h3', 'h4');
  fc.assert(fc.property(fc.array(host, { maxLength: 6 }), host, (placedHosts, h) => {
    const ok = meetsConstraint(['hostname', 'UNIQUE'], agent(h), placedHosts.map((x) => agent(x)));
    return ok === !placedHosts.includes(h);
  }));
  t.pass();
});

test('property: placing only where GROUP_BY n allows keeps groups within one of each other once n values exist', (t) => {
  fc.assert(fc.property(fc.array(fc.constantFrom('r1', 'r2', 'r3'), { minLength: 1, maxLength: 40 }), (offers) => {
    const placed: PlacementFacts[] = [];
    for (const rack of offers) {
      const ag = agent(`h-${rack}`, { rack });
      if (meetsConstraint(['rack', 'GROUP_BY', '3'], ag, placed)) placed.push(ag);
    }
    const counts = ['r1', 'r2', 'r3'].map((r) => placed.filter((p) => p.attributes.rack === r).length);
    const used = counts.filter((c) => c > 0);
    return used.length < 3 ? used.every((c) => c <= 1) : Math.max(...counts) - Math.min(...counts) <= 1;
  }));
  t.pass();
});
