import test from 'ava';
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';
import { incompatibility } from './reconfiguration.ts';

const info = (resources: string, attrs: Record<string, string> = {}, extra: Partial<mesos.v1.AgentInfo> = {}): mesos.v1.AgentInfo => ({
  hostname: 'h', port: 5051, resources: Resources.parse(resources).toProto(),
  attributes: Object.entries(attrs).map(([name, value]) => ({ name, type: 'TEXT', text: { value } })),
  ...extra,
});

const cases: [string, mesos.v1.AgentInfo, 'equal' | 'additive', boolean][] = [
  ['same info', info('cpus:2;mem:100', { rack: 'a' }), 'equal', true],
  ['more cpus, equal', info('cpus:4;mem:100', { rack: 'a' }), 'equal', false],
  ['more cpus, additive', info('cpus:4;mem:100', { rack: 'a' }), 'additive', true],
  ['fewer cpus, additive', info('cpus:1;mem:100', { rack: 'a' }), 'additive', false],
  ['attribute added, equal', info('cpus:2;mem:100', { rack: 'a', zone: 'z' }), 'equal', false],
  ['attribute added, additive', info('cpus:2;mem:100', { rack: 'a', zone: 'z' }), 'additive', true],
  ['attribute changed, additive', info('cpus:2;mem:100', { rack: 'b' }), 'additive', false],
  ['hostname changed, additive', info('cpus:2;mem:100', { rack: 'a' }, { hostname: 'other' }), 'additive', false],
  ['port changed', info('cpus:2;mem:100', { rack: 'a' }, { port: 5052 }), 'additive', false],
];

for (const [name, now, policy, ok] of cases) {
  test(`${name}: ${ok ? 'compatible' : 'refused'}`, (t) => {
    const r = incompatibility(info('cpus:2;mem:100', { rack: 'a' }), now, policy);
    t.is(r === undefined, ok, r);
  });
}
