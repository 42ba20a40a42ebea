/**
 * Leasing an address and host ports to a container (pure): checks the port mappings of an attach
 * against each other and against the containers already attached, and picks the lowest free
 * address of the subnet.
 *
 * Invariants: a host port (per protocol) is leased to at most one container of the network;
 * hostPort 0 is refused (the agent passes the host ports it offered, never "any"); a container id
 * is leased once; nothing is decided from the clock or randomness, so the same records and
 * request give the same lease.
 */
import type { PortMapping } from './container-network.ts';
import { lowestFreeAddress, type Ipv4Subnet } from './ipv4-subnet.ts';
import type { NetworkRecord } from './network-state.ts';

export type LeaseResult = { readonly ok: true; readonly ip: string } | { readonly ok: false; readonly message: string };

const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

/** The first thing wrong with a list of mappings; undefined when they are valid together. */
export function mappingsProblem(mappings: readonly PortMapping[]): string | undefined {
  const seen = new Set<string>();
  for (const m of mappings) {
    if (m.protocol !== 'tcp' && m.protocol !== 'udp') return `Unsupported protocol '${String(m.protocol)}' (tcp or udp)`;
    if (!isPort(m.hostPort)) return `Invalid host port ${m.hostPort} (1-65535; the agent passes the offered port)`;
    if (!isPort(m.containerPort)) return `Invalid container port ${m.containerPort} (1-65535)`;
    const key = `${m.protocol}/${m.hostPort}`;
    if (seen.has(key)) return `Host port ${key} is mapped twice`;
    seen.add(key);
  }
  return undefined;
}

export function planLease(subnet: Ipv4Subnet, attached: ReadonlyMap<string, NetworkRecord>, containerId: string, mappings: readonly PortMapping[]): LeaseResult {
  if (attached.has(containerId)) return { ok: false, message: `Container ${containerId} is already attached to the network` };
  const problem = mappingsProblem(mappings);
  if (problem !== undefined) return { ok: false, message: problem };
  const owners = new Map<string, string>();
  for (const r of attached.values()) for (const m of r.mappings) owners.set(`${m.protocol}/${m.hostPort}`, r.containerId);
  for (const m of mappings) {
    const owner = owners.get(`${m.protocol}/${m.hostPort}`);
    if (owner !== undefined) return { ok: false, message: `Host port ${m.protocol}/${m.hostPort} is already mapped to container ${owner}` };
  }
  const ip = lowestFreeAddress(subnet, new Set([...attached.values()].map((r) => r.ip)));
  if (ip === undefined) return { ok: false, message: `No free address left in ${subnet.cidr}` };
  return { ok: true, ip };
}
