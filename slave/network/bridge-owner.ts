/**
 * One agent per bridge on a host. An agent's bridge recovery removes the namespaces, veths and NAT
 * rules of its bridge that it has no record of, and its address leases know only its own
 * containers; two agents on one bridge would tear down each other's containers and hand out the
 * same addresses. So an agent that uses a bridge claims it, in a file under `/run/maestro`
 * (`bridge-<name>.owner`: its pid, its process's start time and its work dir).
 *
 * The claim outlives its agent (tasks outlive it too, DESIGN.md §5): it is taken over only by the
 * same work dir's next agent, or, once its agent is gone, by another agent when the claimant's work
 * dir has no container on the bridge any more (no network record). A live claimant (pid alive
 * with the claim's start time: a reused pid is not it) is never taken over. A claim is created
 * whole (written to a temporary file, then linked into place) and taken over by rename, then read
 * back. Another agent that needs the bridge gets a failure value that names the claimant and the
 * flags to give.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
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

/** The claim's agent still runs: its pid is alive and started when the claim says. */
function alive(owner: BridgeOwner): boolean {
  const started = startTime(owner.pid);
  return started !== undefined && (owner.started === undefined || owner.started === started);
}

function readOwner(file: string): BridgeOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<BridgeOwner>;
    return typeof v.pid === 'number' && typeof v.workDir === 'string' ? { pid: v.pid, workDir: v.workDir, ...(typeof v.started === 'string' ? { started: v.started } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** A work dir's agent still has containers on its bridge: network records (slave/network/network-state.ts) under `<work_dir>/network`. */
export function hasNetworkRecords(workDir: string): boolean {
  const dir = join(workDir, 'network');
  try {
    return existsSync(dir) && readdirSync(dir).some((n) => n.endsWith('.json'));
  } catch {
    return true;
  }
}

/** Claims `bridge` for this process (idempotent). */
export function claimBridge(bridge: string, workDir: string, dir = BRIDGE_OWNER_DIR, hasRecords: (workDir: string) => boolean = hasNetworkRecords): Claim {
  const file = join(dir, `bridge-${bridge}.owner`);
  const started = startTime(process.pid);
  const me: BridgeOwner = { pid: process.pid, workDir, ...(started !== undefined ? { started } : {}) };
  const isMe = (o: BridgeOwner | undefined) => o !== undefined && o.pid === me.pid && o.started === me.started && o.workDir === me.workDir;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const owner = readOwner(file);
    if (isMe(owner)) return { ok: true };
    if (owner !== undefined && alive(owner)) {
      return { ok: false, message: `bridge '${bridge}' is used by the agent with pid ${owner.pid} (work dir ${owner.workDir}); give each agent on a host its own --bridge_name and --bridge_subnet` };
    }
    if (owner !== undefined && owner.workDir !== workDir && hasRecords(owner.workDir)) {
      return {
        ok: false,
        message: `bridge '${bridge}' holds containers of the agent with work dir ${owner.workDir} (not running now): start that agent again, or give this agent its own --bridge_name and --bridge_subnet`,
      };
    }
    try {
      writeFileSync(tmp, JSON.stringify(me));
      if (owner === undefined && !existsSync(file)) {
        // No claim: created whole, and only if still absent (link fails on an existing name).
        linkSync(tmp, file);
        unlinkSync(tmp);
      } else {
        // Stale, or unreadable: replaced whole.
        renameSync(tmp, file);
      }
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // Renamed already, or never written.
      }
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return { ok: false, message: `cannot claim bridge '${bridge}' in ${dir}: ${(e as Error).message}` };
      continue;
    }
    if (isMe(readOwner(file))) return { ok: true };
  }
  return { ok: false, message: `cannot claim bridge '${bridge}': its claim in ${dir} keeps changing` };
}
