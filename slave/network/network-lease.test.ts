import test from 'ava';
import type { PortMapping } from './container-network.ts';
import { parseSubnet, type Ipv4Subnet } from './ipv4-subnet.ts';
import { mappingsProblem, planLease } from './network-lease.ts';
import type { NetworkRecord } from './network-state.ts';

const subnet = (parseSubnet('10.5.6.0/24') as { ok: true; subnet: Ipv4Subnet }).subnet;
const tcp = (hostPort: number, containerPort = 80): PortMapping => ({ hostPort, containerPort, protocol: 'tcp' });

function record(containerId: string, ip: string, mappings: PortMapping[] = []): NetworkRecord {
  return { containerId, ip, gateway: '10.5.6.1', prefixLength: 24, netns: `m-${containerId}`, netnsPath: `/run/netns/m-${containerId}`, veth: 'mv000000000000', mappings };
}
const attached = (...rs: NetworkRecord[]) => new Map(rs.map((r) => [r.containerId, r]));

test('the first container gets the address after the gateway, the next the lowest free one', (t) => {
  t.deepEqual(planLease(subnet, attached(), 'a', [tcp(31000)]), { ok: true, ip: '10.5.6.2' });
  t.deepEqual(planLease(subnet, attached(record('a', '10.5.6.2'), record('c', '10.5.6.4')), 'b', []), { ok: true, ip: '10.5.6.3' });
});

test('a host port leased to another container is refused, per protocol', (t) => {
  const others = attached(record('a', '10.5.6.2', [tcp(31000)]));
  const r = planLease(subnet, others, 'b', [tcp(31001), tcp(31000, 8080)]);
  t.deepEqual(r, { ok: false, message: 'Host port tcp/31000 is already mapped to container a' });
  t.true(planLease(subnet, others, 'b', [{ hostPort: 31000, containerPort: 53, protocol: 'udp' }]).ok);
});

test('an id already attached is refused', (t) => {
  t.false(planLease(subnet, attached(record('a', '10.5.6.2')), 'a', []).ok);
});

test('invalid mappings are refused with the first problem', (t) => {
  const cases: [PortMapping[], string | undefined][] = [
    [[], undefined],
    [[tcp(31000), { hostPort: 31000, containerPort: 53, protocol: 'udp' }], undefined],
    [[tcp(0)], 'Invalid host port 0 (1-65535; the agent passes the offered port)'],
    [[tcp(65536)], 'Invalid host port 65536 (1-65535; the agent passes the offered port)'],
    [[tcp(31000, 0)], 'Invalid container port 0 (1-65535)'],
    [[tcp(1.5)], 'Invalid host port 1.5 (1-65535; the agent passes the offered port)'],
    [[{ hostPort: 1, containerPort: 1, protocol: 'sctp' as 'tcp' }], "Unsupported protocol 'sctp' (tcp or udp)"],
    [[tcp(31000), tcp(31000, 81)], 'Host port tcp/31000 is mapped twice'],
  ];
  for (const [mappings, problem] of cases) t.is(mappingsProblem(mappings), problem, JSON.stringify(mappings));
});

test('a full subnet is refused', (t) => {
  const small = (parseSubnet('10.5.6.8/30') as { ok: true; subnet: Ipv4Subnet }).subnet;
  t.deepEqual(planLease(small, attached(record('a', '10.5.6.10')), 'b', []), { ok: false, message: 'No free address left in 10.5.6.8/30' });
});
