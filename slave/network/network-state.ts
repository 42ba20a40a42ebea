/**
 * The bridge network's state on disk: one JSON file per attached container under the network's
 * state dir (`<work_dir>/network/<containerId>.json`) with its address, veth, namespace and port
 * mappings. The file is the lease of the address and the host ports.
 *
 * Invariants: a file is written whole to a `.tmp` sibling and renamed, so a reader sees all or
 * nothing; it is written BEFORE any host object of the container is made and removed AFTER the
 * last one is gone, so every namespace, veth or rule of a container is covered by a file (or is
 * found by its name or comment, see network-names.ts) and recovery can clean it. Not fsynced:
 * what it describes (namespaces under /run, veths, NAT rules) does not survive a reboot either.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PortMapping } from './container-network.ts';
import { idOfStateFile, stateFileName } from './network-names.ts';

export interface NetworkRecord {
  readonly containerId: string;
  readonly ip: string;
  readonly gateway: string;
  readonly prefixLength: number;
  readonly netns: string;
  /** Path of the namespace's bind mount (`/run/netns/<netns>`). */
  readonly netnsPath: string;
  /** The host end of the veth pair. */
  readonly veth: string;
  readonly mappings: readonly PortMapping[];
}

const isMapping = (m: unknown): m is PortMapping => {
  const v = m as Partial<PortMapping> | null;
  return typeof v === 'object' && v !== null && Number.isInteger(v.hostPort) && Number.isInteger(v.containerPort) && (v.protocol === 'tcp' || v.protocol === 'udp');
};

/** A record from a file's text; undefined when it is torn or not one. */
export function parseNetworkRecord(text: string): NetworkRecord | undefined {
  try {
    const v = JSON.parse(text) as Partial<NetworkRecord> | null;
    if (typeof v !== 'object' || v === null) return undefined;
    const strings = [v.containerId, v.ip, v.gateway, v.netns, v.netnsPath, v.veth];
    if (strings.some((s) => typeof s !== 'string') || !Number.isInteger(v.prefixLength)) return undefined;
    if (!Array.isArray(v.mappings) || !v.mappings.every(isMapping)) return undefined;
    return v as NetworkRecord;
  } catch {
    return undefined;
  }
}

/** Every file of the dir by container id: the record, or undefined when the file is unreadable or torn. */
export async function readNetworkRecords(dir: string): Promise<Map<string, NetworkRecord | undefined>> {
  const out = new Map<string, NetworkRecord | undefined>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const id = idOfStateFile(name);
    if (id === undefined) continue;
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    const record = text === undefined ? undefined : parseNetworkRecord(text);
    out.set(id, record !== undefined && record.containerId === id ? record : undefined);
  }
  return out;
}

/** One container's file: absent, or present with its record (undefined when torn). */
export async function readNetworkRecord(dir: string, containerId: string): Promise<{ readonly present: false } | { readonly present: true; readonly record: NetworkRecord | undefined }> {
  let text: string;
  try {
    text = await readFile(join(dir, stateFileName(containerId)), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { present: false } : { present: true, record: undefined };
  }
  const record = parseNetworkRecord(text);
  return { present: true, record: record !== undefined && record.containerId === containerId ? record : undefined };
}

/** Synchronous: two small page-cache operations cost less than a round trip through libuv's pool. */
export function writeNetworkRecord(dir: string, record: NetworkRecord): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, stateFileName(record.containerId));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function removeNetworkRecord(dir: string, containerId: string): void {
  const file = join(dir, stateFileName(containerId));
  rmSync(`${file}.tmp`, { force: true });
  rmSync(file, { force: true });
}
