/**
 * The names the bridge network gives a container's host objects (pure): its network namespace,
 * the host end of its veth pair, the comment that tags its NAT rules and its state file.
 *
 * Invariants: every name is derived from the container id alone (plus the network's own names),
 * so a container can be cleaned from its id even when its state file is lost or torn; a veth
 * name is at most 15 characters (IFNAMSIZ - 1) whatever the id's length, and differs between two
 * networks on other bridges for the same id; ids are limited to characters that are safe in a
 * file name, an interface comment and an iptables-restore line without quoting.
 */
import { createHash } from 'node:crypto';

const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/;

/** The tag of every NAT rule of a container: `maestro:<id>`. */
export const COMMENT_PREFIX = 'maestro:';

export function isNetworkableId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function netnsName(prefix: string, id: string): string {
  return `${prefix}${id}`;
}

/** `mv` and 12 hex digits of a hash of bridge and id: 14 characters. */
export function vethName(bridge: string, id: string): string {
  return `mv${createHash('sha256').update(`${bridge}\0${id}`).digest('hex').slice(0, 12)}`;
}

export function ruleComment(id: string): string {
  return `${COMMENT_PREFIX}${id}`;
}

export function stateFileName(id: string): string {
  return `${id}.json`;
}

/** The container id of a state file name; undefined for anything else (temporary files included). */
export function idOfStateFile(name: string): string | undefined {
  if (!name.endsWith('.json')) return undefined;
  const id = name.slice(0, -'.json'.length);
  return isNetworkableId(id) ? id : undefined;
}
