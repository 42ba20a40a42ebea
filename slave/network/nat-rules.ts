/**
 * The iptables rules of the bridge network as data (pure): the rules the host needs once, the
 * DNAT rules of one container, `iptables-restore` scripts that add or delete them, and the
 * reading of `iptables-save` output to find a container's rules by their comment.
 *
 *   nat PREROUTING   -m addrtype --dst-type LOCAL -j <chain>          (traffic from other hosts)
 *   nat OUTPUT       -m addrtype --dst-type LOCAL -j <chain>          (from this host, loopback too)
 *   nat <chain>      -p tcp --dport H -m comment --comment maestro:<id> -j DNAT --to-destination IP:C
 *   nat POSTROUTING  -s 127.0.0.0/8 -o <bridge> -j MASQUERADE          (127.0.0.1:H needs a real source)
 *   nat POSTROUTING  -s <subnet> ! -o <bridge> -j MASQUERADE           (containers reach out)
 *   nat POSTROUTING  -s <subnet> -o <bridge> --ctstate DNAT -j MASQUERADE
 *                    (a container reaches another through a host port: the reply must come back
 *                    through the host, not straight over the bridge; direct traffic is untouched)
 *   filter FORWARD   -i/-o <bridge> -j ACCEPT                          (only where the policy is not ACCEPT)
 *
 * Invariants: a container's rules live only in the network's own chain and each carries its
 * container's comment, so finding them never needs the state file and never touches another
 * network's rules; scripts are for `iptables-restore --noflush`, which applies a table's lines
 * as one transaction and never declares an existing chain (declaring one would flush it).
 */
import { COMMENT_PREFIX, ruleComment } from './network-names.ts';
import type { PortMapping } from './container-network.ts';

export interface RuleSpec {
  readonly table: 'nat' | 'filter';
  readonly chain: string;
  readonly args: readonly string[];
}

export interface NatConfig {
  readonly bridge: string;
  /** Normalised `a.b.c.d/len`. */
  readonly subnetCidr: string;
  /** The nat chain of this network's DNAT rules. */
  readonly chain: string;
}

/** The host's rules in the nat table, in the order they are added. */
export function baseNatRules(cfg: NatConfig): RuleSpec[] {
  const jump = ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', cfg.chain];
  return [
    { table: 'nat', chain: 'PREROUTING', args: jump },
    { table: 'nat', chain: 'OUTPUT', args: jump },
    { table: 'nat', chain: 'POSTROUTING', args: ['-s', '127.0.0.0/8', '-o', cfg.bridge, '-j', 'MASQUERADE'] },
    { table: 'nat', chain: 'POSTROUTING', args: ['-s', cfg.subnetCidr, '!', '-o', cfg.bridge, '-j', 'MASQUERADE'] },
    { table: 'nat', chain: 'POSTROUTING', args: ['-s', cfg.subnetCidr, '-o', cfg.bridge, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'MASQUERADE'] },
  ];
}

/** Accepts forwarding to and from the bridge, for hosts whose FORWARD policy drops. */
export function forwardRules(bridge: string): RuleSpec[] {
  return [
    { table: 'filter', chain: 'FORWARD', args: ['-i', bridge, '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', args: ['-o', bridge, '-j', 'ACCEPT'] },
  ];
}

/** One DNAT rule per mapping, tagged with the container's comment. */
export function mappingRules(chain: string, containerId: string, ip: string, mappings: readonly PortMapping[]): RuleSpec[] {
  return mappings.map((m) => ({
    table: 'nat',
    chain,
    args: ['-p', m.protocol, '--dport', String(m.hostPort), '-m', 'comment', '--comment', ruleComment(containerId), '-j', 'DNAT', '--to-destination', `${ip}:${m.containerPort}`],
  }));
}

/** `iptables -C` arguments: exit status 0 when the rule exists. */
export function checkArgs(rule: RuleSpec): string[] {
  return ['-w', '-t', rule.table, '-C', rule.chain, ...rule.args];
}

export const appendLine = (rule: RuleSpec): string => ['-A', rule.chain, ...rule.args].join(' ');
export const deleteLine = (rule: RuleSpec): string => ['-D', rule.chain, ...rule.args].join(' ');

/** An `iptables-restore --noflush` script: each table's lines between `*table` and `COMMIT`; tables without lines are left out. */
export function restoreScript(tables: Partial<Record<'nat' | 'filter', readonly string[]>>): string {
  let out = '';
  for (const table of ['nat', 'filter'] as const) {
    const lines = tables[table] ?? [];
    if (lines.length > 0) out += `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  }
  return out;
}

/** The line that declares a new user chain in a restore script. */
export const declareChainLine = (chain: string): string => `:${chain} - [0:0]`;

/** Whether `iptables-save -t <table>` output declares `chain`. */
export function chainDeclared(saveText: string, chain: string): boolean {
  return saveText.split('\n').some((line) => line.startsWith(`:${chain} `));
}

/** The policy of a built-in chain in `iptables-save` output (`ACCEPT`, `DROP`), or undefined. */
export function chainPolicy(saveText: string, chain: string): string | undefined {
  for (const line of saveText.split('\n')) {
    const m = /^:(\S+) (\S+) /.exec(line);
    if (m !== null && m[1] === chain) return m[2];
  }
  return undefined;
}

/**
 * The rules of `chain` in `iptables-save` output, grouped by the container their comment names
 * (`--comment maestro:<id>` or `--comment "maestro:<id>"`); each as the `-A` line iptables-save
 * printed, which `-D` in place of `-A` deletes.
 */
export function containerRules(saveText: string, chain: string): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  const escaped = COMMENT_PREFIX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const comment = new RegExp(`--comment "?${escaped}([^"\\s]+)"?(?:\\s|$)`);
  for (const line of saveText.split('\n')) {
    if (!line.startsWith(`-A ${chain} `)) continue;
    const m = comment.exec(line);
    if (m === null) continue;
    const lines = byId.get(m[1]) ?? [];
    lines.push(line);
    byId.set(m[1], lines);
  }
  return byId;
}

/** The `-D` line for a saved `-A` line. */
export function deleteSavedLine(appendLineText: string): string {
  return `-D${appendLineText.slice(2)}`;
}
