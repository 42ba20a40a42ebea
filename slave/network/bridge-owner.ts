/**
 * One agent per bridge on a host. An agent's bridge recovery removes the namespaces, veths and NAT
 * rules of its bridge that it has no record of, and its address leases know only its own
 * containers; two agents on one bridge would tear down each other's containers and hand out the
 * same addresses. So the first agent to use a bridge claims it, in a file under `/run/maestro`
 * (`bridge-<name>.owner`: its pid and work dir, created with O_EXCL), until it exits; a claim whose
 * process is gone is stale and taken over. Another agent that needs the bridge gets a failure
 * value that says which agent holds it and which flags to give.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BRIDGE_OWNER_DIR = '/run/maestro';

export interface BridgeOwner {
  readonly pid: number;
  readonly workDir: string;
  /** Its process's start time (/proc/<pid>/stat field 22). */
  readonly started?: string;
}

export type Claim = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Field 22 of /proc/<pid>/stat: when the process started (a pid reused later has another). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The claim's agent still runs: its pid is alive and started when the claim says (not a pid reused by another process). */
function alive(owner: BridgeOwner): boolean {
  const started = startTime(owner.pid);
  if (started === undefined) return false;
  return owner.started === undefined || owner.started === started;
}

function readOwner(file: string): BridgeOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<BridgeOwner>;
    return typeof v.pid === 'number' && typeof v.workDir === 'string' ? { pid: v.pid, workDir: v.workDir, ...(typeof v.started === 'string' ? { started: v.started } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Claims `bridge` for this process (idempotent); the claim goes when the process exits. */
export function claimBridge(bridge: string, workDir: string, dir = BRIDGE_OWNER_DIR): Claim {
  const file = join(dir, `bridge-${bridge}.owner`);
  const started = startTime(process.pid);
  const me: BridgeOwner = { pid: process.pid, workDir, ...(started !== undefined ? { started } : {}) };
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      process.once('exit', () => {
        if (readOwner(file)?.pid === process.pid) unlinkSync(file);
      });
      return { ok: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return { ok: false, message: `cannot claim bridge '${bridge}' in ${dir}: ${(e as Error).message}` };
    }
    const owner = readOwner(file);
    if (owner?.pid === process.pid) return { ok: true };
    if (owner !== undefined && alive(owner)) {
      return {
        ok: false,
        message: `bridge '${bridge}' is used by the agent with pid ${owner.pid} (work dir ${owner.workDir}); give each agent on a host its own --bridge_name and --bridge_subnet`,
      };
    }
    // Stale (its agent is gone) or unreadable (a claim being written, or a torn one): taken over.
    try {
      unlinkSync(file);
    } catch {
      // Another agent took it over first: the next attempt reads its claim.
    }
  }
  return { ok: false, message: `cannot claim bridge '${bridge}': its claim in ${dir} keeps changing` };
}
