/**
 * IPv4 subnet arithmetic for the bridge network (pure): parse `a.b.c.d/len`, the gateway (the
 * subnet's first address), the lowest free container address, and overlap with routes.
 *
 * Invariants: addresses are handled as unsigned 32-bit integers; a subnet is normalised to its
 * network address (`10.1.2.3/24` is `10.1.2.0/24`); container addresses never are the network
 * address, the gateway or the broadcast address, so a subnet needs a prefix of at most /30.
 */

export interface Ipv4Subnet {
  /** The network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefixLength: number;
  /** `a.b.c.d/len`, normalised. */
  readonly cidr: string;
  /** The first address of the subnet, held by the bridge. */
  readonly gateway: string;
}

export type SubnetResult = { readonly ok: true; readonly subnet: Ipv4Subnet } | { readonly ok: false; readonly message: string };

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** `a.b.c.d/len` → a subnet whose network address is normalised; `a.b.c.d` alone is a /32. */
export function parseCidr(text: string): { readonly network: number; readonly prefixLength: number } | undefined {
  const [addr, len, ...rest] = text.split('/');
  if (rest.length > 0) return undefined;
  const ip = parseIpv4(addr);
  if (ip === undefined) return undefined;
  if (len !== undefined && !/^\d{1,2}$/.test(len)) return undefined;
  const prefixLength = len === undefined ? 32 : Number(len);
  if (prefixLength > 32) return undefined;
  return { network: (ip & mask(prefixLength)) >>> 0, prefixLength };
}

/** A subnet for containers: at most /30, so that it holds a gateway and at least one container. */
export function parseSubnet(text: string): SubnetResult {
  const c = parseCidr(text);
  if (c === undefined || !text.includes('/')) return { ok: false, message: `Invalid subnet '${text}': expected a.b.c.d/len` };
  if (c.prefixLength > 30) return { ok: false, message: `Subnet '${text}' is too small: at most /30 holds a gateway and a container` };
  return {
    ok: true,
    subnet: { network: c.network, prefixLength: c.prefixLength, cidr: `${formatIpv4(c.network)}/${c.prefixLength}`, gateway: formatIpv4(c.network + 1) },
  };
}

/** The lowest address of the subnet that is not the network, gateway or broadcast address and not in `used`; undefined when full. */
export function lowestFreeAddress(subnet: Ipv4Subnet, used: ReadonlySet<string>): string | undefined {
  const broadcast = subnet.network + 2 ** (32 - subnet.prefixLength) - 1;
  for (let n = subnet.network + 2; n < broadcast; n++) {
    const ip = formatIpv4(n);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** Whether two prefixes share an address. */
export function overlaps(a: { network: number; prefixLength: number }, b: { network: number; prefixLength: number }): boolean {
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  return ((a.network & mask(shorter)) >>> 0) === ((b.network & mask(shorter)) >>> 0);
}

/**
 * The first route (from `ip -j -4 route show`) whose destination overlaps the subnet through
 * another device than the bridge, as `dst dev DEV`; the default route does not count.
 */
export function conflictingRoute(routes: readonly { readonly dst?: string; readonly dev?: string }[], subnet: Ipv4Subnet, bridge: string): string | undefined {
  for (const r of routes) {
    if (r.dst === undefined || r.dst === 'default' || r.dev === bridge) continue;
    const dst = parseCidr(r.dst);
    if (dst !== undefined && overlaps(dst, subnet)) return `${r.dst} dev ${r.dev ?? '?'}`;
  }
  return undefined;
}
