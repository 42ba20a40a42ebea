/**
 * The BRIDGE container network (slave/network/bridge-network.ts) on this host's real kernel:
 * network namespaces, veth pairs, a bridge and iptables NAT rules (nf_tables or legacy backend).
 * Servers are Debian's busybox-static `nc` started inside a container's namespace with
 * `ip netns exec`; they are reached from the host through 127.0.0.1:hostPort and the bridge's
 * gateway address, and from the other container through the bridge.
 *
 * Every test has its own bridge, subnet (a 10.x.y.0/24 that no route of the host overlaps),
 * nat chain and namespace prefix, all different from the agent's `maestro0`/`MAESTRO`/`maestro-`,
 * so tests never touch the agent's network; traffic goes only to loopback and to the test's own
 * namespaces. Teardown, also on failure: a fresh instance recovers with nothing running (removes
 * every namespace, veth, rule and state file of the test), the host setup is removed, servers
 * are killed. Attach and detach times are logged, never asserted.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { asContainerId, type ContainerId } from '../slave/containerizer.ts';
import { createBridgeNetwork, type BridgeNetwork, type BridgeNetworkOptions } from '../slave/network/bridge-network.ts';
import type { PortMapping } from '../slave/network/container-network.ts';
import { conflictingRoute, parseSubnet } from '../slave/network/ipv4-subnet.ts';
import { netnsName, vethName } from '../slave/network/network-names.ts';
import { writeNetworkRecord } from '../slave/network/network-state.ts';

let sequence = 0;
const children = new Set<ChildProcess>();

function sh(file: string, args: string[], input?: string): { code: number; out: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', input, timeout: 20_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A 10.x.y.0/24 that no route of this host overlaps. */
function freeSubnet(): string {
  const routes = JSON.parse(sh('ip', ['-j', '-4', 'route', 'show']).out) as { dst?: string; dev?: string }[];
  for (;;) {
    const cidr = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}.0/24`;
    const parsed = parseSubnet(cidr);
    if (parsed.ok && conflictingRoute(routes, parsed.subnet, '') === undefined) return cidr;
  }
}

interface Fixture {
  readonly opts: BridgeNetworkOptions & { bridge: string; chain: string; netnsPrefix: string };
  readonly net: BridgeNetwork;
  /** What is left of a container on the host: namespace, veth, state file, NAT rules. Empty when nothing. */
  leftovers(id: string): string[];
  natRules(): string[];
}

function fixture(t: ExecutionContext): Fixture {
  const tag = `${process.pid % 100_000}x${++sequence}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'maestro-net-test-'));
  const opts = { bridge: `mtb${tag}`, subnet: freeSubnet(), stateDir, chain: `MT${tag}`, netnsPrefix: `mtn${tag}-` };
  const net = createBridgeNetwork(opts);
  t.teardown(async () => {
    await createBridgeNetwork(opts).recover(new Set());
    await net.removeHostSetup();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const natRules = () =>
    sh('iptables', ['-w', '-t', 'nat', '-S'])
      .out.split('\n')
      .filter((l) => l.includes(opts.chain) || l.includes(opts.bridge));
  return {
    opts,
    net,
    natRules,
    leftovers(id: string): string[] {
      const left: string[] = [];
      const ns = netnsName(opts.netnsPrefix, id);
      const veth = vethName(opts.bridge, id);
      if (existsSync(join('/run/netns', ns)) || sh('ip', ['netns', 'list']).out.split('\n').some((l) => l.split(' ')[0] === ns)) left.push(`netns ${ns}`);
      if (sh('ip', ['link', 'show', veth]).code === 0) left.push(`veth ${veth}`);
      if (readdirSync(stateDir).some((f) => f.startsWith(`${id}.json`))) left.push(`state ${id}.json`);
      for (const rule of natRules()) if (rule.includes(`maestro:${id}"`) || rule.includes(`maestro:${id} `)) left.push(`rule ${rule}`);
      return left;
    },
  };
}

/** `busybox nc` inside a namespace answering every connection on `port` with `reply`. */
async function serveIn(netns: string, port: number, reply: string): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', netns, 'busybox', 'nc', '-ll', '-p', String(port), '-e', 'busybox', 'echo', reply], { stdio: 'ignore' });
  children.add(child);
  // Listening once `ss` inside the namespace shows the port.
  for (let i = 0; i < 200; i++) {
    if (sh('ip', ['netns', 'exec', netns, 'busybox', 'netstat', '-ltn']).out.includes(`:${port} `)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`nc in ${netns} did not listen on ${port}`);
}

/** What a TCP server at host:port says before closing; the error text when it does not answer in 5 s. */
function fetchLine(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`timeout after '${data}'`);
    }, 5000);
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve(`error ${err.message}`);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data.trim());
    });
  });
}

/**
 * The first of `count` consecutive TCP ports that nothing on this host listens on now, below the
 * kernel's ephemeral range (32768-60999) and the agent's default offers (31000-32000), so that
 * the test's DNAT rules take no port another test is using.
 */
async function freeHostPorts(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
    });
  for (;;) {
    const first = 21_000 + Math.floor(Math.random() * 9_000);
    let all = true;
    for (let p = first; p < first + count && all; p++) all = await free(p);
    if (all) return first;
  }
}

test.after.always(() => {
  for (const c of children) c.kill('SIGKILL');
});

test.serial('two containers get their own addresses and reach each other through the bridge', async (t) => {
  const fx = fixture(t);
  const a = asContainerId('c-a');
  const b = asContainerId('c-b');
  const ra = await fx.net.attach(a, []);
  const rb = await fx.net.attach(b, []);
  if (!ra.ok || !rb.ok) return t.fail(`attach: ${JSON.stringify([ra, rb])}`);
  const gateway = fx.net.gateway;
  t.is(ra.gateway, gateway);
  t.is(ra.ip, gateway.replace(/\.1$/, '.2'));
  t.is(rb.ip, gateway.replace(/\.1$/, '.3'));
  t.is(ra.netnsPath, `/run/netns/${fx.opts.netnsPrefix}c-a`);
  const nsA = netnsName(fx.opts.netnsPrefix, a);
  const nsB = netnsName(fx.opts.netnsPrefix, b);
  t.regex(sh('ip', ['-n', nsA, 'route', 'show', 'default']).out, new RegExp(`default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
  t.regex(sh('ip', ['-n', nsB, '-4', 'addr', 'show', 'dev', 'eth0']).out, new RegExp(`inet ${rb.ip.replace(/\./g, '\\.')}/24`));
  const ping = sh('ip', ['netns', 'exec', nsA, 'busybox', 'ping', '-c', '1', '-W', '3', rb.ip]);
  t.is(ping.code, 0, ping.out);
  await serveIn(nsB, 7000, 'from-b');
  const viaBridge = sh('ip', ['netns', 'exec', nsA, 'busybox', 'nc', '-w', '3', rb.ip, '7000'], '');
  t.is(viaBridge.out.trim(), 'from-b');
  // Through a host port of b on the gateway address: the reply comes back through the host.
  const port = await freeHostPorts(1);
  const rc = await fx.net.attach(asContainerId('c-c'), [{ hostPort: port, containerPort: 7000, protocol: 'tcp' }]);
  if (!rc.ok) return t.fail(rc.message);
  await serveIn(netnsName(fx.opts.netnsPrefix, 'c-c'), 7000, 'from-c');
  const viaHostPort = sh('ip', ['netns', 'exec', nsA, 'busybox', 'nc', '-w', '3', gateway, String(port)], '');
  t.is(viaHostPort.out.trim(), 'from-c');
  await fx.net.detach(asContainerId('c-c'));
  t.deepEqual(
    [...(await fx.net.attached())].sort(),
    [
      [a, { netnsPath: ra.netnsPath, ip: ra.ip, gateway }],
      [b, { netnsPath: rb.netnsPath, ip: rb.ip, gateway }],
    ],
  );
});

test.serial('a server in the namespace answers on 127.0.0.1:hostPort and on the gateway address; detach leaves nothing', async (t) => {
  const fx = fixture(t);
  const id = asContainerId('c-web');
  const port = await freeHostPorts(3);
  const mappings: PortMapping[] = [
    { hostPort: port, containerPort: 8080, protocol: 'tcp' },
    { hostPort: port + 1, containerPort: 5353, protocol: 'udp' },
  ];
  await fx.net.attach(asContainerId('c-warm'), []); // the host setup, so that the timing below is the launch path's
  const t0 = performance.now();
  const r = await fx.net.attach(id, mappings);
  const attachMs = performance.now() - t0;
  if (!r.ok) return t.fail(r.message);
  const ns = netnsName(fx.opts.netnsPrefix, id);
  t.is(fx.natRules().filter((l) => l.includes('DNAT') && l.includes(`maestro:${id}`)).length, 2);
  await serveIn(ns, 8080, 'hello-web');
  t.is(await fetchLine('127.0.0.1', port), 'hello-web');
  t.is(await fetchLine(fx.net.gateway, port), 'hello-web');
  const t1 = performance.now();
  await fx.net.detach(id);
  const detachMs = performance.now() - t1;
  t.log(`attach with 2 port mappings: ${attachMs.toFixed(1)} ms, detach: ${detachMs.toFixed(1)} ms`);
  t.deepEqual(fx.leftovers(id), []);
  t.false(sh('ip', ['link']).out.includes(vethName(fx.opts.bridge, id)));
  t.false(sh('ip', ['netns', 'list']).out.includes(ns));
  t.not(await fetchLine('127.0.0.1', port), 'hello-web');
  await fx.net.detach(id); // idempotent
  t.deepEqual(fx.leftovers(id), []);
  t.deepEqual([...(await fx.net.attached()).keys()], [asContainerId('c-warm')]);
});

test.serial('the host setup is made once per host and removed whole', async (t) => {
  const fx = fixture(t);
  t.true((await fx.net.attach(asContainerId('c-1'), [])).ok);
  const again = createBridgeNetwork(fx.opts); // an agent restart: the host setup is checked again
  t.true((await again.attach(asContainerId('c-2'), [])).ok);
  const rules = fx.natRules();
  t.is(rules.filter((l) => l.endsWith(`-j ${fx.opts.chain}`)).length, 2, rules.join('\n')); // PREROUTING and OUTPUT
  t.is(rules.filter((l) => l.includes('MASQUERADE')).length, 3, rules.join('\n'));
  t.is(sh('cat', [`/proc/sys/net/ipv4/conf/${fx.opts.bridge}/route_localnet`]).out.trim(), '1');
  t.is(sh('cat', ['/proc/sys/net/ipv4/ip_forward']).out.trim(), '1');
  await again.detach(asContainerId('c-1'));
  await again.detach(asContainerId('c-2'));
  await fx.net.removeHostSetup();
  t.deepEqual(fx.natRules(), []);
  t.not(sh('ip', ['link', 'show', fx.opts.bridge]).code, 0);
});

test.serial('recover after a crash removes what a dead instance left and keeps the running containers', async (t) => {
  const fx = fixture(t);
  const port = await freeHostPorts(3);
  t.true((await fx.net.attach(asContainerId('c-done'), [{ hostPort: port, containerPort: 80, protocol: 'tcp' }])).ok);
  const kept = await fx.net.attach(asContainerId('c-kept'), [{ hostPort: port + 1, containerPort: 8080, protocol: 'tcp' }]);
  if (!kept.ok) return t.fail(kept.message);
  // A crash right after the lease and `ip netns add` of c-half: its state file and namespace are left.
  const half = 'c-half';
  const gw = fx.net.gateway;
  writeNetworkRecord(fx.opts.stateDir, {
    containerId: half,
    ip: gw.replace(/\.1$/, '.9'),
    gateway: gw,
    prefixLength: 24,
    netns: netnsName(fx.opts.netnsPrefix, half),
    netnsPath: `/run/netns/${netnsName(fx.opts.netnsPrefix, half)}`,
    veth: vethName(fx.opts.bridge, half),
    mappings: [],
  });
  t.is(sh('ip', ['netns', 'add', netnsName(fx.opts.netnsPrefix, half)]).code, 0);
  // A namespace without a state file, and a rule of a container this network has no file for.
  t.is(sh('ip', ['netns', 'add', netnsName(fx.opts.netnsPrefix, 'c-orphan')]).code, 0);
  const stray = sh('iptables', ['-w', '-t', 'nat', '-A', fx.opts.chain, '-p', 'tcp', '--dport', String(port + 2), '-m', 'comment', '--comment', 'maestro:c-stray', '-j', 'DNAT', '--to-destination', `${gw.replace(/\.1$/, '.7')}:80`]);
  t.is(stray.code, 0, stray.out);

  const successor = createBridgeNetwork(fx.opts);
  const removed = await successor.recover(new Set([asContainerId('c-kept')]));
  t.deepEqual([...removed].sort(), ['c-done', 'c-half', 'c-orphan', 'c-stray']);
  for (const id of ['c-done', 'c-half', 'c-orphan', 'c-stray']) t.deepEqual(fx.leftovers(id), [], id);
  t.deepEqual([...(await successor.attached()).keys()], [asContainerId('c-kept')]);
  await serveIn(netnsName(fx.opts.netnsPrefix, 'c-kept'), 8080, 'still-here');
  t.is(await fetchLine('127.0.0.1', port + 1), 'still-here');
  // The successor leases around the kept container.
  const next = await successor.attach(asContainerId('c-next'), [{ hostPort: port, containerPort: 80, protocol: 'tcp' }]);
  t.true(next.ok && next.ip !== kept.ip, JSON.stringify(next));

  t.deepEqual([...(await successor.recover(new Set()))].sort(), ['c-kept', 'c-next']);
  for (const id of ['c-kept', 'c-next']) t.deepEqual(fx.leftovers(id), [], id);
  t.deepEqual(await successor.recover(new Set()), []);
});

test.serial('a refused or failed attach leaves nothing behind and disturbs no other container', async (t) => {
  const fx = fixture(t);
  const port = await freeHostPorts(3);
  const first = await fx.net.attach(asContainerId('c-first'), [{ hostPort: port, containerPort: 80, protocol: 'tcp' }]);
  if (!first.ok) return t.fail(first.message);

  const conflict = await fx.net.attach(asContainerId('c-second'), [{ hostPort: port, containerPort: 80, protocol: 'tcp' }]);
  t.false(conflict.ok);
  t.regex(conflict.ok ? '' : conflict.message, new RegExp(`tcp/${port} is already mapped to container c-first`));
  t.deepEqual(fx.leftovers('c-second'), []);

  const zero = await fx.net.attach(asContainerId('c-zero'), [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  t.false(zero.ok);
  t.deepEqual(fx.leftovers('c-zero'), []);

  const twice = await fx.net.attach(asContainerId('c-first'), []);
  t.false(twice.ok);
  t.deepEqual(fx.leftovers('c-first').length, 4); // netns, veth, state, rule: untouched

  // The kernel refuses the veth (its name is taken): the lease and namespace are rolled back.
  const blocked = 'c-blocked';
  t.is(sh('ip', ['link', 'add', vethName(fx.opts.bridge, blocked), 'type', 'bridge']).code, 0);
  const failed = await fx.net.attach(asContainerId(blocked), [{ hostPort: port + 1, containerPort: 80, protocol: 'tcp' }]);
  t.false(failed.ok);
  t.regex(failed.ok ? '' : failed.message, /File exists/);
  t.deepEqual(fx.leftovers(blocked), []);

  // The NAT chain is gone behind the network's back: the rules fail last, and everything before them is rolled back.
  const jump = `-m addrtype --dst-type LOCAL -j ${fx.opts.chain}`;
  const dropped = sh('iptables-restore', ['--noflush', '-w'], `*nat\n-D PREROUTING ${jump}\n-D OUTPUT ${jump}\n-F ${fx.opts.chain}\n-X ${fx.opts.chain}\nCOMMIT\n`);
  t.is(dropped.code, 0, dropped.out);
  const late = await fx.net.attach(asContainerId('c-late'), [{ hostPort: port + 2, containerPort: 80, protocol: 'tcp' }]);
  t.false(late.ok);
  t.regex(late.ok ? '' : late.message, /iptables-restore/);
  t.deepEqual(fx.leftovers('c-late'), []);

  const afterwards = await fx.net.attach(asContainerId('c-third'), []);
  t.true(afterwards.ok && afterwards.ip === fx.net.gateway.replace(/\.1$/, '.3'), JSON.stringify(afterwards));
  t.deepEqual([...(await fx.net.attached()).keys()].sort(), ['c-first', 'c-third'] as ContainerId[]);
});

test.serial('concurrent attaches get distinct addresses and host ports are leased once', async (t) => {
  const fx = fixture(t);
  const port = await freeHostPorts(1);
  const ids = Array.from({ length: 6 }, (_, i) => asContainerId(`c-par${i}`));
  const t0 = performance.now();
  const results = await Promise.all(ids.map((id) => fx.net.attach(id, [{ hostPort: port, containerPort: 80, protocol: 'tcp' }])));
  t.log(`6 concurrent attaches (host setup included): ${(performance.now() - t0).toFixed(1)} ms`);
  const won = results.filter((r) => r.ok);
  t.is(won.length, 1, JSON.stringify(results));
  const more = await Promise.all(ids.slice(1).map((id) => fx.net.attach(asContainerId(`${id}-b`), [])));
  const ips = [...won, ...more].map((r) => (r.ok ? r.ip : r.message));
  t.is(new Set(ips).size, 6, ips.join(' '));
  t.deepEqual(ips.map((ip) => Number(ip.split('.')[3])).sort((a, b) => a - b), [2, 3, 4, 5, 6, 7]);
  for (const [i, r] of results.entries()) if (!r.ok) t.deepEqual(fx.leftovers(ids[i]), [], ids[i]);
  const t1 = performance.now();
  await Promise.all([...(await fx.net.attached()).keys()].map((id) => fx.net.detach(id)));
  t.log(`6 concurrent detaches: ${(performance.now() - t1).toFixed(1)} ms`);
  t.deepEqual((await fx.net.attached()).size, 0);
  t.deepEqual(fx.natRules().filter((l) => l.includes('-j DNAT')), []);
});
