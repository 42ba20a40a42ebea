/**
 * The seam between the agent core (slave/agent.ts) and the agent's HTTP surface (slave/http/**:
 * `/api/v1` agent operator calls, `/state`, `/files/*`, `/monitor/statistics`,
 * `/metrics/snapshot`). The core answers in `mesos.v1.agent.Response` shapes (the canonical
 * plain-object form of proto/); the HTTP layer converts to Mesos' legacy JSON where needed.
 * Nothing here mutates the agent.
 */
import type { mesos } from '../proto/types.generated.ts';

type Response = mesos.v1.agent.Response;

/** A sandbox the agent exposes through /files: its real directory and the virtual paths Mesos attaches it under. */
export interface AttachedSandbox {
  /** Absolute directory on disk. */
  readonly directory: string;
  /** Mesos' virtual paths for it, e.g. `/frameworks/F/executors/E/runs/latest` (and the real path itself). */
  readonly virtualPaths: readonly string[];
}

export interface AgentView {
  /** Undefined until the master gave an id. */
  agentInfo(): mesos.v1.AgentInfo;
  agentId(): string | undefined;
  /** `host:port` of this agent's HTTP endpoint. */
  endpoint(): string;
  /** The master this agent registers with (`host:port`), and whether it is registered now. */
  master(): { readonly address: string; readonly registered: boolean };
  startTime(): number;
  version(): string;
  flags(): Readonly<Record<string, string>>;
  /** Mesos agent metric keys (`slave/tasks_running`, `slave/registered`, `slave/uptime_secs`, ...). */
  metrics(): Readonly<Record<string, number>>;
  /** The agent's work dir (sandboxes live below `<work_dir>/slaves/`). */
  workDir(): string;

  getState(): NonNullable<Response['get_state']>;
  getFrameworks(): NonNullable<Response['get_frameworks']>;
  getExecutors(): NonNullable<Response['get_executors']>;
  getTasks(): NonNullable<Response['get_tasks']>;
  getAgent(): NonNullable<Response['get_agent']>;
  /** With usage statistics of running containers (asynchronous: reads /proc or cgroups). */
  getContainers(): Promise<NonNullable<Response['get_containers']>>;
  /** Every sandbox the agent keeps (running and completed, until garbage-collected). */
  sandboxes(): readonly AttachedSandbox[];
  /** The capabilities the agent registers with (`/state` lists their names, as Mesos); optional. */
  agentCapabilities?(): readonly mesos.v1.AgentInfo.Capability[];
  /** True until recovery of the checkpoints is done: the operator API answers 503 meanwhile, as Mesos; optional. */
  recovering?(): boolean;
}
