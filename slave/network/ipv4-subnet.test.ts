import test from 'ava';
import { conflictingRoute, formatIpv4, lowestFreeAddress, overlaps, parseCidr, parseIpv4, parseSubnet, type Ipv4Subnet } from './ipv4-subnet.ts';

function subnet(text: string): Ipv4Subnet {
  const r = parseSubnet(text);
  if (!r.ok) throw new Error(r.message);
  return r.subnet;
}

test('addresses round-trip through their 32-bit form', (t) => {
  for (const ip of ['0.0.0.0', '10.0.0.1', '172.31.255.254', '255.255.255.255']) t.is(formatIpv4(parseIpv4(ip)!), ip);
  t.is(parseIpv4('172.31.0.1'), 0xac1f0001);
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '', '1.2.3.4 ']) t.is(parseIpv4(bad), undefined, bad);
});

test('a subnet is normalised and its gateway is its first address', (t) => {
  t.deepEqual(subnet('172.31.0.0/16'), { network: 0xac1f0000, prefixLength: 16, cidr: '172.31.0.0/16', gateway: '172.31.0.1' });
  t.is(subnet('10.9.8.77/24').cidr, '10.9.8.0/24');
  t.is(subnet('10.9.8.77/24').gateway, '10.9.8.1');
});

test('a subnet that is malformed or holds no container is refused', (t) => {
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/31', '10.0.0.0/32', '10.0.0/8', '10.0.0.0/x', '10.0.0.0/8/8']) {
    const r = parseSubnet(bad);
    t.false(r.ok, bad);
  }
  t.true(parseSubnet('10.0.0.0/30').ok);
});

test('the lowest free address skips the network, gateway, broadcast and leased addresses', (t) => {
  const s = subnet('10.1.2.0/24');
  t.is(lowestFreeAddress(s, new Set()), '10.1.2.2');
  t.is(lowestFreeAddress(s, new Set(['10.1.2.2', '10.1.2.4'])), '10.1.2.3');
  const small = subnet('10.1.2.8/30'); // .8 network, .9 gateway, .10 the only container, .11 broadcast
  t.is(lowestFreeAddress(small, new Set()), '10.1.2.10');
  t.is(lowestFreeAddress(small, new Set(['10.1.2.10'])), undefined);
  const all = new Set(Array.from({ length: 253 }, (_, i) => `10.1.2.${i + 2}`)); // .2 … .254
  t.is(lowestFreeAddress(s, all), undefined);
});

test('prefixes overlap when one contains the other', (t) => {
  const p = (c: string) => parseCidr(c)!;
  t.true(overlaps(p('10.0.0.0/8'), p('10.1.2.0/24')));
  t.true(overlaps(p('10.1.2.0/24'), p('10.1.2.7')));
  t.false(overlaps(p('10.1.2.0/24'), p('10.1.3.0/24')));
  t.false(overlaps(p('192.0.2.0/24'), p('172.31.0.0/16')));
  t.true(overlaps(p('0.0.0.0/0'), p('172.31.0.0/16')));
});

test('a route through another device that overlaps the subnet is a conflict; the default route and the bridge are not', (t) => {
  const s = subnet('10.1.2.0/24');
  const routes = [
    { dst: 'default', dev: 'eth0' },
    { dst: '192.0.2.0/24', dev: 'eth0' },
    { dst: '10.1.2.0/24', dev: 'br9' },
  ];
  t.is(conflictingRoute(routes, s, 'br9'), undefined);
  t.is(conflictingRoute(routes, s, 'br8'), '10.1.2.0/24 dev br9');
  t.is(conflictingRoute([{ dst: '10.0.0.0/8', dev: 'tun0' }], s, 'br9'), '10.0.0.0/8 dev tun0');
  t.is(conflictingRoute([{ dst: '10.1.2.9', dev: 'wg0' }], s, 'br9'), '10.1.2.9 dev wg0');
});
