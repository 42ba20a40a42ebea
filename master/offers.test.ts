import test from 'ava';
import { Resources } from '../common/resources/resources.ts';
import { agentUrl, buildOffer, offerForFramework, type OfferInput } from './offers.ts';
import type { mesos } from '../proto/types.generated.ts';

const agentInfo: mesos.v1.AgentInfo = {
  hostname: 'h1', resources: [], attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }],
  domain: { fault_domain: { region: { name: 'eu' }, zone: { name: 'a' } } },
};
const input = (): OfferInput => ({
  offerId: 'M-O0', frameworkId: 'M-0000', role: 'dev', agentId: 'M-S0', agentInfo, agentEndpoint: '10.0.0.5:5051',
  resources: Resources.parse('cpus:2;mem:512').allocate('dev').toProto(), executorIds: ['e1'],
});

test('the master keeps allocation info on every offer and its resources', (t) => {
  const o = buildOffer(input());
  t.deepEqual(o.allocation_info, { role: 'dev' });
  t.true((o.resources ?? []).every((r) => r.allocation_info?.role === 'dev'));
  t.deepEqual(buildOffer({ ...input(), executorIds: [], agentInfo: { hostname: 'h2' } }).executor_ids, undefined, 'no empty lists');
});

test('MULTI_ROLE frameworks see allocation info on the offer and its resources', (t) => {
  const o = offerForFramework(buildOffer(input()), true);
  t.deepEqual(o.allocation_info, { role: 'dev' });
  t.true((o.resources ?? []).every((r) => r.allocation_info?.role === 'dev'));
  t.is(o.hostname, 'h1');
  t.deepEqual(o.executor_ids, [{ value: 'e1' }]);
  t.deepEqual(o.attributes, agentInfo.attributes);
  t.deepEqual(o.domain, agentInfo.domain);
});

test('other frameworks get the allocation info stripped', (t) => {
  const master = buildOffer(input());
  const o = offerForFramework(master, false);
  t.is(o.allocation_info, undefined);
  t.true((o.resources ?? []).every((r) => r.allocation_info === undefined));
  t.is(o.resources?.length, 2);
  t.deepEqual(master.allocation_info, { role: 'dev' }, 'the master record is not changed');
});

test('offer url points at the agent endpoint', (t) => {
  t.deepEqual(agentUrl(agentInfo, '10.0.0.5:5051'), { scheme: 'http', address: { hostname: 'h1', ip: '10.0.0.5', port: 5051 }, path: '/slave(1)' });
  t.deepEqual(agentUrl({ ...agentInfo, port: 5052 }, undefined), { scheme: 'http', address: { hostname: 'h1', port: 5052 }, path: '/slave(1)' });
});
