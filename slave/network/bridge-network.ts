/**
 * BRIDGE container networking on this host (the ContainerNetwork of container-network.ts), with
 * `ip` (iproute2) and `iptables` (nf_tables or legacy backend); see README.md for the steps.
 *
 * Host setup, once per instance before its first attach: the bridge with the subnet's first
 * address, up; `net.ipv4.ip_forward=1` and `net.ipv4.conf.<bridge>.route_localnet=1` (so that
 * 127.0.0.1:hostPort reaches a container through DNAT); the nat chain and the rules of
 * nat-rules.ts, each added only when `iptables -C` does not find it.
 *
 * attach: lease (address, host ports) → state file → `ip -b`: namespace, veth pair whose
 * container end is made inside the namespace as `eth0`, host end on the bridge → `ip -n NS -b`:
 * lo up, address, eth0 up, default route → one `iptables-restore --noflush` with the DNAT rules.
 * Any failure after the state file is written tears down whatever was made (the same code as
 * detach), so a failed attach leaves nothing.
 *
 * Invariants: the state file is written before the first host object and removed after the
 * last, so every object is covered by a file, a derived name or a rule comment and `recover`
 * finds it; detach is idempotent and keeps the state file when something could not be removed,
 * so a later detach or recover retries; leases are decided under one lock per instance, so two
 * concurrent attaches never get the same address or host port; `recover` takes the same lock and
 * skips attaches in flight. `recover` must not run while another instance uses the same names.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/ports.ts';
import { silentLogger } from '../../common/ports.ts';
import type { ContainerId } from '../containerizer.ts';
import type { AttachedNetwork, AttachResult, ContainerNetwork, PortMapping } from './container-network.ts';
import { describeFailure, runHostCommand } from './host-command.ts';
import { conflictingRoute, parseSubnet, type Ipv4Subnet } from './ipv4-subnet.ts';
import {
  appendLine,
  baseNatRules,
  chainDeclared,
  chainPolicy,
  checkArgs,
  containerRules,
  declareChainLine,
  deleteLine,
  deleteSavedLine,
  forwardRules,
  mappingRules,
  restoreScript,
  type NatConfig,
  type RuleSpec,
} from './nat-rules.ts';
import { planLease } from './network-lease.ts';
import { isNetworkableId, netnsName, vethName } from './network-names.ts';
import { readNetworkRecord, readNetworkRecords, removeNetworkRecord, writeNetworkRecord, type NetworkRecord } from './network-state.ts';

export interface BridgeNetworkOptions {
  /** The bridge's name (at most 15 characters); default `maestro0`. */
  readonly bridge?: string;
  /** Default `172.31.0.0/16`; its first address is the bridge's (the containers' gateway). */
  readonly subnet?: string;
  /** Where the state files live (`<work_dir>/network`); made on the first attach. */
  readonly stateDir: string;
  readonly logger?: Logger;
  /** Namespaces are `<prefix><containerId>` under /run/netns; default `maestro-`. Must not be empty. */
  readonly netnsPrefix?: string;
  /** The nat chain of the DNAT rules; default `MAESTRO`. */
  readonly chain?: string;
}

export interface BridgeNetwork extends ContainerNetwork {
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly chain: string;
  readonly netnsPrefix: string;
  /**
   * Removes what the host setup made: the rules of nat-rules.ts, the chain and the bridge (for
   * tests and uninstall; the ip_forward sysctl stays). Containers still attached lose their
   * network: detach them first. Idempotent; a later attach sets the host up again.
   */
  removeHostSetup(): Promise<void>;
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly message: string };
const OK: Outcome = { ok: true };
const NETNS_DIR = '/run/netns';
const IP = 'ip';
const IPTABLES = 'iptables';

const exists = (path: string) => existsSync(path);

/** `ip -j` output as a list; empty when it is not one. */
function jsonList<T>(text: string): T[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}
const linkExists = (name: string) => exists(join('/sys/class/net', name));

async function run(file: string, args: readonly string[], input?: string): Promise<Outcome> {
  const r = await runHostCommand(file, args, input);
  return r.code === 0 ? OK : { ok: false, message: describeFailure(file, args, r) + (input === undefined ? '' : ` (script: ${input.trim().split('\n').join(' | ')})`) };
}

async function iptablesSave(table: 'nat' | 'filter'): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  const r = await runHostCommand('iptables-save', ['-t', table]);
  return r.code === 0 ? { ok: true, text: r.stdout } : { ok: false, message: describeFailure('iptables-save', ['-t', table], r) };
}

function restore(script: string): Promise<Outcome> {
  return script === '' ? Promise.resolve(OK) : run('iptables-restore', ['--noflush', '-w'], script);
}

async function ruleExists(rule: RuleSpec): Promise<boolean> {
  return (await runHostCommand(IPTABLES, checkArgs(rule))).code === 0;
}

async function writeSysctl(path: string, value: string): Promise<Outcome> {
  try {
    if ((await readFile(path, 'utf8')).trim() !== value) await writeFile(path, value);
    return OK;
  } catch (err) {
    return { ok: false, message: `Cannot set ${path} to ${value}: ${(err as Error).message}` };
  }
}

function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const result = tail.then(fn);
    tail = result.catch(() => undefined);
    return result;
  };
}

function checkOptions(bridge: string, chain: string, prefix: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new Error(`Invalid bridge name '${bridge}': 1-15 of A-Z a-z 0-9 _ . -`);
  if (!/^[A-Za-z0-9_-]{1,28}$/.test(chain)) throw new Error(`Invalid chain name '${chain}': 1-28 of A-Z a-z 0-9 _ -`);
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(prefix)) throw new Error(`Invalid namespace prefix '${prefix}': 1-40 of A-Z a-z 0-9 _ . -`);
}

/** Throws on invalid options (a configuration error); every runtime failure is a value. */
export function createBridgeNetwork(opts: BridgeNetworkOptions): BridgeNetwork {
  const bridge = opts.bridge ?? 'maestro0';
  const chain = opts.chain ?? 'MAESTRO';
  const prefix = opts.netnsPrefix ?? 'maestro-';
  const log = opts.logger ?? silentLogger;
  checkOptions(bridge, chain, prefix);
  const parsed = parseSubnet(opts.subnet ?? '172.31.0.0/16');
  if (!parsed.ok) throw new Error(parsed.message);
  const subnet: Ipv4Subnet = parsed.subnet;
  const nat: NatConfig = { bridge, subnetCidr: subnet.cidr, chain };
  const lock = createMutex();
  /** The valid records, loaded from disk on the first lease and kept in step under the lock. */
  let records: Map<string, NetworkRecord> | undefined;
  const inFlight = new Set<string>();
  let hostReady: Promise<Outcome> | undefined;

  async function loadedRecords(): Promise<Map<string, NetworkRecord>> {
    if (records === undefined) {
      records = new Map();
      for (const [id, r] of await readNetworkRecords(opts.stateDir)) if (r !== undefined) records.set(id, r);
    }
    return records;
  }

  function ensureHost(): Promise<Outcome> {
    hostReady ??= setUpHost().then((r) => {
      if (!r.ok) hostReady = undefined;
      return r;
    });
    return hostReady;
  }

  async function setUpHost(): Promise<Outcome> {
    const routes = await runHostCommand(IP, ['-j', '-4', 'route', 'show']);
    if (routes.code !== 0) return { ok: false, message: describeFailure(IP, ['-j', '-4', 'route', 'show'], routes) };
    const conflict = conflictingRoute(jsonList<{ dst?: string; dev?: string }>(routes.stdout), subnet, bridge);
    if (conflict !== undefined) return { ok: false, message: `Subnet ${subnet.cidr} of bridge ${bridge} overlaps the route ${conflict}` };
    const setup = [`addr replace ${subnet.gateway}/${subnet.prefixLength} dev ${bridge}`, `link set ${bridge} up`];
    let made = await run(IP, ['-b', '-'], [...(linkExists(bridge) ? [] : [`link add ${bridge} type bridge`]), ...setup].join('\n') + '\n');
    if (!made.ok && linkExists(bridge)) made = await run(IP, ['-b', '-'], setup.join('\n') + '\n'); // made by someone else meanwhile
    if (!made.ok) return made;
    for (const [path, value] of [
      ['/proc/sys/net/ipv4/ip_forward', '1'],
      [`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1'],
    ] as const) {
      const set = await writeSysctl(path, value);
      if (!set.ok) return set;
    }
    const [natSave, filterSave] = await Promise.all([iptablesSave('nat'), iptablesSave('filter')]);
    if (!natSave.ok) return natSave;
    if (!filterSave.ok) return filterSave;
    const wanted = [...baseNatRules(nat), ...(chainPolicy(filterSave.text, 'FORWARD') === 'ACCEPT' ? [] : forwardRules(bridge))];
    const present = await Promise.all(wanted.map(ruleExists));
    const missing = wanted.filter((_, i) => !present[i]);
    const natLines = [...(chainDeclared(natSave.text, chain) ? [] : [declareChainLine(chain)]), ...missing.filter((r) => r.table === 'nat').map(appendLine)];
    const added = await restore(restoreScript({ nat: natLines, filter: missing.filter((r) => r.table === 'filter').map(appendLine) }));
    if (added.ok) log.info({ bridge, subnet: subnet.cidr, chain, rulesAdded: missing.length }, 'Bridge network set up');
    return added;
  }

  /** Removes every host object of a container, then its state file; keeps the file when something stays. */
  async function teardown(id: string, record: NetworkRecord | undefined): Promise<Outcome> {
    const problems: string[] = [];
    // Fast path: the rules the record says were added, deleted as written; when one is missing
    // (a rollback, a rule removed by hand) the transaction fails whole and the save is searched.
    const known = record === undefined ? [] : mappingRules(chain, id, record.ip, record.mappings).map(deleteLine);
    const deletedAsKnown = known.length > 0 && (await restore(restoreScript({ nat: known }))).ok;
    if (!deletedAsKnown && (record === undefined || record.mappings.length > 0)) {
      const saved = await iptablesSave('nat');
      if (!saved.ok) problems.push(saved.message);
      else {
        const lines = containerRules(saved.text, chain).get(id) ?? [];
        const removed = await restore(restoreScript({ nat: lines.map(deleteSavedLine) }));
        if (!removed.ok) problems.push(removed.message);
      }
    }
    const veth = record?.veth ?? vethName(bridge, id);
    const netns = record?.netns ?? netnsName(prefix, id);
    // The veth goes first and explicitly: the kernel destroys a namespace's devices asynchronously.
    const batch = [...(linkExists(veth) ? [`link del ${veth}`] : []), ...(exists(join(NETNS_DIR, netns)) ? [`netns del ${netns}`] : [])];
    if (batch.length > 0) {
      const removed = await run(IP, ['-force', '-b', '-'], batch.join('\n') + '\n');
      if (!removed.ok && (linkExists(veth) || exists(join(NETNS_DIR, netns)))) problems.push(removed.message);
    }
    if (problems.length > 0) {
      log.error({ containerId: id, problems }, 'Container network not fully removed; its state file stays for a retry');
      return { ok: false, message: problems.join('; ') };
    }
    removeNetworkRecord(opts.stateDir, id);
    records?.delete(id);
    return OK;
  }

  async function plumb(record: NetworkRecord): Promise<Outcome> {
    const { netns, veth, ip, gateway, prefixLength } = record;
    const links = await run(IP, ['-b', '-'], [`netns add ${netns}`, `link add ${veth} type veth peer name eth0 netns ${netns}`, `link set ${veth} master ${bridge}`, `link set ${veth} up`].join('\n') + '\n');
    if (!links.ok) return links;
    const inside = await run(IP, ['-n', netns, '-b', '-'], [`link set lo up`, `addr add ${ip}/${prefixLength} dev eth0`, `link set eth0 up`, `route add default via ${gateway} dev eth0`].join('\n') + '\n');
    if (!inside.ok) return inside;
    return restore(restoreScript({ nat: mappingRules(chain, record.containerId, ip, record.mappings).map(appendLine) }));
  }

  async function attach(containerId: ContainerId, portMappings: readonly PortMapping[]): Promise<AttachResult> {
    const id: string = containerId;
    if (!isNetworkableId(id)) return { ok: false, message: `Container id '${id}' cannot be networked: up to 200 of A-Z a-z 0-9 _ . : -` };
    const host = await ensureHost();
    if (!host.ok) return { ok: false, message: `Bridge network setup failed: ${host.message}` };
    const leased = await lock(async () => {
      const attached = await loadedRecords();
      const lease = planLease(subnet, attached, id, portMappings);
      if (!lease.ok) return lease;
      const netns = netnsName(prefix, id);
      const record: NetworkRecord = {
        containerId: id,
        ip: lease.ip,
        gateway: subnet.gateway,
        prefixLength: subnet.prefixLength,
        netns,
        netnsPath: join(NETNS_DIR, netns),
        veth: vethName(bridge, id),
        mappings: portMappings.map((m) => ({ hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol })),
      };
      try {
        writeNetworkRecord(opts.stateDir, record);
      } catch (err) {
        return { ok: false as const, message: `Cannot write the network state of ${id}: ${(err as Error).message}` };
      }
      attached.set(id, record);
      inFlight.add(id);
      return { ok: true as const, record };
    });
    if (!leased.ok) return leased;
    const { record } = leased;
    try {
      const made = await plumb(record);
      if (made.ok) {
        log.debug({ containerId: id, ip: record.ip, netns: record.netns }, 'Container attached to the bridge');
        return { ok: true, netnsPath: record.netnsPath, ip: record.ip, gateway: record.gateway };
      }
      const undone = await teardown(id, record);
      return { ok: false, message: `Attaching ${id} to bridge ${bridge} failed: ${made.message}${undone.ok ? '' : ` (and its rollback: ${undone.message})`}` };
    } finally {
      inFlight.delete(id);
    }
  }

  async function detach(containerId: ContainerId): Promise<void> {
    const id: string = containerId;
    if (!isNetworkableId(id)) return;
    const file = await readNetworkRecord(opts.stateDir, id);
    if (!file.present) return; // never attached, or gone already
    await teardown(id, file.record);
  }

  async function recover(running: ReadonlySet<ContainerId>): Promise<readonly ContainerId[]> {
    return lock(async () => {
      const isRunning = (id: string) => running.has(id as ContainerId) || inFlight.has(id);
      const onDisk = await readNetworkRecords(opts.stateDir);
      records = new Map([...onDisk].filter((e): e is [string, NetworkRecord] => e[1] !== undefined));
      const removed = new Set<string>();
      for (const [id, record] of onDisk) {
        if (isRunning(id)) continue;
        await teardown(id, record);
        removed.add(id);
      }
      const kept = new Set([...onDisk.keys()].filter(isRunning));
      const namespaces = await readdir(NETNS_DIR).catch(() => [] as string[]);
      const strayNetns = namespaces.filter((n) => n.startsWith(prefix) && !kept.has(n.slice(prefix.length)));
      const keptVeths = new Set([...kept].map((id) => onDisk.get(id)?.veth ?? vethName(bridge, id)));
      const ports = await runHostCommand(IP, ['-j', 'link', 'show', 'master', bridge]);
      const strayVeths = ports.code === 0 ? jsonList<{ ifname?: string }>(ports.stdout).flatMap((l) => (typeof l.ifname === 'string' && l.ifname.startsWith('mv') && !keptVeths.has(l.ifname) ? [l.ifname] : [])) : [];
      const batch = [...strayVeths.map((v) => `link del ${v}`), ...strayNetns.map((n) => `netns del ${n}`)];
      if (batch.length > 0) {
        const r = await run(IP, ['-force', '-b', '-'], batch.join('\n') + '\n');
        if (!r.ok) log.warn({ message: r.message }, 'Some stray container network objects could not be removed');
        for (const n of strayNetns) removed.add(n.slice(prefix.length));
      }
      const saved = await iptablesSave('nat');
      if (saved.ok) {
        const stray = [...containerRules(saved.text, chain)].filter(([id]) => !running.has(id as ContainerId) && !inFlight.has(id));
        const r = await restore(restoreScript({ nat: stray.flatMap(([, lines]) => lines.map(deleteSavedLine)) }));
        if (!r.ok) log.warn({ message: r.message }, 'Stray NAT rules could not be removed');
        for (const [id] of stray) removed.add(id);
      }
      if (removed.size > 0) log.info({ removed: [...removed] }, 'Container networks of containers not running removed');
      return [...removed] as ContainerId[];
    });
  }

  async function attached(): Promise<ReadonlyMap<ContainerId, AttachedNetwork>> {
    const out = new Map<ContainerId, AttachedNetwork>();
    for (const [id, r] of await readNetworkRecords(opts.stateDir)) {
      if (r !== undefined) out.set(id as ContainerId, { netnsPath: r.netnsPath, ip: r.ip, gateway: r.gateway });
    }
    return out;
  }

  async function removeHostSetup(): Promise<void> {
    hostReady = undefined;
    const [natSave, filterSave] = await Promise.all([iptablesSave('nat'), iptablesSave('filter')]);
    const candidates = [...baseNatRules(nat), ...forwardRules(bridge)];
    const present = await Promise.all(candidates.map(ruleExists));
    const found = candidates.filter((_, i) => present[i]);
    const natLines = found.filter((r) => r.table === 'nat').map(deleteLine);
    if (natSave.ok && chainDeclared(natSave.text, chain)) natLines.push(`-F ${chain}`, `-X ${chain}`);
    const r = await restore(restoreScript({ nat: natLines, filter: found.filter((x) => x.table === 'filter').map(deleteLine) }));
    if (!r.ok || !filterSave.ok) log.warn({ message: r.ok ? 'iptables-save -t filter failed' : r.message }, 'Bridge network rules not fully removed');
    if (linkExists(bridge)) {
      const del = await run(IP, ['link', 'del', bridge]);
      if (!del.ok) log.warn({ message: del.message }, 'Bridge not removed');
    }
  }

  return { bridge, subnet: subnet.cidr, gateway: subnet.gateway, chain, netnsPrefix: prefix, attach, detach, recover, attached, removeHostSetup };
}
