/**
 * The agent core's ports and configuration: what slave/agent.ts needs from the outside world.
 * `main.ts` wires the real ones (system clock and timers, random ids, the POSIX containerizer,
 * the URI fetcher, slave/health, sandbox GC, the checkpoint store); tests use fakes at these
 * ports and the real core.
 */
import type { Resources } from '../common/resources/resources.ts';
import type { Clock, Logger, Timers } from '../common/ports.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import type { Containerizer } from './containerizer.ts';
import type { SandboxGc } from './gc/sandbox-gc.ts';
import type { ReconfigurationPolicy } from './reconfiguration.ts';
import type { RetryPolicy } from './status-update-manager.ts';

type Envelope = maestro.agent.Envelope;

/** URI fetching (slave/containerizer/fetcher.ts). */
export type FetchUris = (
  uris: mesos.v1.CommandInfo.URI[],
  opts: { sandbox: string; cacheDir: string; user?: string },
) => Promise<{ ok: true } | { ok: false; message: string }>;

/** Health checks (slave/health/index.ts); absent = tasks with checks run unchecked (logged). */
export interface HealthChecks {
  validateHealthCheck(check: mesos.v1.HealthCheck): string | undefined;
  validateCheck(check: mesos.v1.CheckInfo): string | undefined;
  startHealthCheck(
    check: mesos.v1.HealthCheck,
    ctx: { taskId: string; sandbox: string; environment: Readonly<Record<string, string>>; user?: string },
    deps: { clock: Clock; timers: Timers; onHealthChange(healthy: boolean, message: string): void; onUnhealthy(message: string): void },
  ): { stop(): void };
  startCheck(
    check: mesos.v1.CheckInfo,
    ctx: { taskId: string; sandbox: string; environment: Readonly<Record<string, string>>; user?: string },
    deps: { clock: Clock; timers: Timers; onCheckStatus(status: mesos.v1.CheckStatusInfo): void },
  ): { stop(): void };
  emptyCheckStatus?(type: mesos.v1.CheckInfo.Type): mesos.v1.CheckStatusInfo;
}

/** The master connection as the core sees it (slave/master-link.ts). */
export interface MasterPort {
  send(envelope: Envelope): boolean;
  readonly registered: boolean;
  readonly address: string;
}

export interface AgentIds {
  containerId(): string;
  /** 16 random bytes, base64 (a TaskStatus uuid). */
  uuid(): string;
}

export interface AgentConfig {
  readonly workDir: string;
  readonly hostname: string;
  /** Advertised IP of the HTTP endpoint. */
  readonly ip: string;
  readonly resources: Resources;
  readonly attributes: readonly mesos.v1.Attribute[];
  readonly domain?: mesos.v1.DomainInfo;
  readonly version: string;
  readonly flags: Readonly<Record<string, string>>;
  readonly token?: string;
  readonly reconfigurationPolicy: ReconfigurationPolicy;
  /** Kill grace period when neither KillTask nor the task has a kill policy (Mesos: 3 s). */
  readonly defaultGraceMs: number;
  /** Mesos' executor shutdown grace period, told to tasks (MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD); a custom executor is killed this long after SHUTDOWN. */
  readonly shutdownGraceSeconds: number;
  /** A custom executor that has not subscribed this long after its start is killed (Mesos: 1 minute). */
  readonly executorRegistrationTimeoutMs?: number;
  /** After an agent restart, a recovered custom executor that has not subscribed again this long is killed (Mesos: 2 s). */
  readonly executorReregistrationTimeoutMs?: number;
  /** Told to checkpointing executors (MESOS_RECOVERY_TIMEOUT, Mesos: 15 minutes). */
  readonly recoveryTimeoutSeconds?: number;
  readonly retry?: RetryPolicy;
  /** The agent's PATH, passed to tasks that set none. */
  readonly path?: string;
}

/**
 * Sandbox garbage collection (slave/gc/sandbox-gc.ts) as the core uses it: a run completed while
 * the agent runs is scheduled from that moment; one found completed at recovery from its
 * sandbox's mtime (as Mesos, so a restart does not restart its clock); the GC's metrics join the
 * agent's.
 */
export type SandboxCollector = Pick<SandboxGc, 'schedule' | 'scheduleFromMtime' | 'unschedule' | 'metrics'>;

export interface AgentDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly ids: AgentIds;
  readonly containerizer: Containerizer;
  readonly store: CheckpointStore;
  readonly fetch: FetchUris;
  readonly health?: HealthChecks;
  /** Sandbox garbage collection: a completed run's sandbox is handed over here. */
  readonly gc: SandboxCollector;
  readonly config: AgentConfig;
}
