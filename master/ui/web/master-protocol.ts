/**
 * What the master's live feed (`/ui/ws`, common/ui/live-server.ts) answers per topic: the row and
 * snapshot shapes shared by the server (master/ui/views.ts, with `import type`) and the pages.
 * Amounts: cpus, gpus as numbers; mem and disk in MB (Mesos units). Times: ms since the epoch.
 *
 * | topic         | params                                   | data                    |
 * |---------------|------------------------------------------|-------------------------|
 * | overview      | —                                        | Overview                |
 * | agents        | PageParams                               | Page<AgentRow>          |
 * | frameworks    | PageParams + completed?                  | Page<FrameworkRow>      |
 * | offers        | PageParams                               | Page<OfferRow>          |
 * | tasks         | PageParams + scope?, framework?, agent?  | Page<TaskRow>           |
 * | roles         | —                                        | RoleRow[]               |
 * | maintenance   | PageParams                               | Maintenance             |
 * | sandbox-files | {agent, path}                            | SandboxListing (stream) |
 * | sandbox-tail  | {agent, path}                            | TailChunk (stream)      |
 */
import type { Page } from '../../../common/ui/web/live-protocol.ts';

export interface Amounts {
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
}

export interface Totals {
  readonly total: Amounts;
  /** Held by tasks and executors. */
  readonly allocated: Amounts;
  /** Held by outstanding offers. */
  readonly offered: Amounts;
  /** total − allocated − offered. */
  readonly idle: Amounts;
}

export interface HistorySample {
  readonly t: number;
  readonly total: Amounts;
  readonly allocated: Amounts;
  readonly offered: Amounts;
}

export interface Overview {
  readonly master: { readonly id: string; readonly hostname: string; readonly version: string; readonly cluster?: string; readonly startedAt: number };
  readonly totals: Totals;
  readonly agents: { readonly active: number; readonly deactivated: number; readonly disconnected: number; readonly unreachable: number; readonly recovered: number };
  readonly frameworks: { readonly active: number; readonly inactive: number; readonly completed: number };
  readonly tasks: Readonly<Record<string, number>>;
  readonly offers: number;
  readonly roles: readonly { readonly role: string; readonly allocated: Amounts; readonly offered: Amounts }[];
  readonly history: readonly HistorySample[];
}

/** `recovered`: in the registry, not re-registered with this leader yet (after a failover, until `--agent_reregister_timeout`). */
export type AgentStatus = 'active' | 'deactivated' | 'disconnected' | 'unreachable' | 'recovered';

export interface AgentRow {
  readonly id: string;
  readonly hostname: string;
  /** `host:port` of its HTTP API. */
  readonly endpoint: string | undefined;
  readonly attributes: string;
  readonly status: AgentStatus;
  readonly total: Amounts;
  readonly allocated: Amounts;
  readonly offered: Amounts;
  readonly tasks: number;
  readonly registeredAt: number | undefined;
  readonly missedPings: number;
  /** Its machine's maintenance mode (Mesos MachineInfo.Mode), or UNREACHABLE for an unreachable or a recovered agent (no connection to tell its machine). */
  readonly mode: MachineMode;
}

/** Mesos maintenance modes, plus UNREACHABLE for a machine known only through an unreachable agent. */
export type MachineMode = 'UP' | 'DRAINING' | 'DOWN' | 'UNREACHABLE';

export interface FrameworkRow {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly principal: string | undefined;
  readonly user: string;
  readonly hostname: string | undefined;
  readonly webuiUrl: string | undefined;
  /** connected, disconnected (failing over: its tasks wait for it), recovered (known from agents only), inactive, completed. */
  readonly status: 'connected' | 'disconnected' | 'recovered' | 'inactive' | 'completed';
  readonly failoverTimeoutSecs: number | undefined;
  readonly registeredAt: number | undefined;
  readonly disconnectedAt: number | undefined;
  readonly allocated: Amounts;
  readonly offered: Amounts;
  readonly tasks: number;
  readonly offers: number;
  readonly share: number;
}

export interface OfferRow {
  readonly id: string;
  readonly frameworkId: string;
  readonly frameworkName: string;
  readonly agentId: string;
  readonly hostname: string;
  readonly role: string;
  readonly resources: Amounts;
  /** When the master first saw the offer (the feed notes it within a tick of its creation). */
  readonly createdAt: number;
}

export interface TaskRow {
  readonly id: string;
  readonly name: string;
  readonly frameworkId: string;
  readonly frameworkName: string;
  readonly agentId: string;
  readonly hostname: string;
  readonly state: string;
  /** From the latest status: true/false when the task has a health check, else undefined. */
  readonly healthy: boolean | undefined;
  readonly role: string;
  readonly resources: Amounts;
  readonly updatedAt: number | undefined;
  /** The sandbox's virtual path on the agent (`/frameworks/F/executors/E/runs/latest`). */
  readonly sandbox: string;
  readonly scope: 'active' | 'unreachable' | 'completed';
}

export interface RoleRow {
  readonly name: string;
  readonly weight: number;
  readonly frameworks: number;
  readonly allocated: Amounts;
  readonly offered: Amounts;
  readonly reserved: Amounts;
  readonly quotaGuarantees: Readonly<Record<string, number>>;
  readonly quotaLimits: Readonly<Record<string, number>>;
  readonly consumedQuota: Readonly<Record<string, number>>;
  /** The role's dominant share as the DRF role sorter sees it. */
  readonly share: number;
}

/**
 * A machine: one per agent (registered or unreachable), plus each scheduled machine no agent is
 * registered on (a DOWN machine's agents are removed). `agentId` is '' then and `status` 'none'.
 */
export interface MachineRow {
  readonly hostname: string;
  /** The machine's IP (Mesos MachineID.ip), when known. */
  readonly ip: string | undefined;
  readonly agentId: string;
  readonly mode: MachineMode;
  readonly status: AgentStatus | 'none';
  /** The maintenance window of a scheduled machine: start (ms since the epoch) and length (ms; undefined: open-ended). */
  readonly window: { readonly start: number; readonly durationMs: number | undefined } | undefined;
  /** Frameworks' latest answers to inverse offers for its agent (DRAINING machines). */
  readonly inverseOffers: readonly { readonly frameworkId: string; readonly status: 'UNKNOWN' | 'ACCEPT' | 'DECLINE' }[];
}

/** A page of machines (a table topic) plus the counts. */
export interface Maintenance extends Page<MachineRow> {
  /** Windows in the maintenance schedule (Mesos GET_MAINTENANCE_SCHEDULE). */
  readonly windows: number;
  readonly up: number;
  readonly draining: number;
  readonly down: number;
  readonly unreachable: number;
}

export interface SandboxEntry {
  readonly path: string;
  readonly name: string;
  readonly dir: boolean;
  readonly size: number;
  readonly mtime: number;
}

export interface SandboxListing {
  readonly path: string;
  readonly entries: readonly SandboxEntry[];
}

/** `snapshot`: the file's tail (data from offset); `append`: the bytes after it. Text as UTF-8. */
export interface TailChunk {
  readonly offset: number;
  readonly data: string;
}
