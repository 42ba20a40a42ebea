/**
 * Marathon's domain vocabulary, shared by every part of marathon/: the app definition as it is
 * stored and served (every field normalised, defaults filled in), groups, instances (one Mesos
 * task each), deployments and the events of `/v2/events`. Field names are Marathon 1.x JSON names
 * so a definition is served back as it was accepted; anything run-time only lives on `Instance`
 * or `Deployment`, never on `AppDefinition`.
 *
 * Invariants: an `AppDefinition` that exists in the core has passed `validateApp`
 * (marathon/app/); `PathId`s are absolute (`/a/b`), without a trailing slash; a version is an
 * ISO-8601 timestamp with milliseconds (`2026-11-22T10:00:00.000Z`), unique per app.
 */
import type { Brand } from '../common/ids.ts';

/** An absolute Marathon path: `/`, `/prod`, `/prod/web`. */
export type PathId = Brand<string, 'PathId'>;
export const asPathId = (s: string): PathId => s as PathId;

/** ISO-8601 with milliseconds, UTC: Marathon's `version` and timestamps. */
export type Timestamp = string;

export type EnvValue = string | { readonly secret: string };

export interface PortDefinition {
  readonly port: number;
  readonly protocol: string;
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PortMapping {
  readonly containerPort: number;
  /** Absent: no host port (container-network only). 0: any offered port. */
  readonly hostPort?: number;
  readonly servicePort: number;
  readonly protocol: string;
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networkNames?: readonly string[];
}

export interface Volume {
  readonly containerPath: string;
  readonly hostPath?: string;
  readonly mode: 'RW' | 'RO';
  /** Persistent, external and secret volumes are accepted as Marathon's JSON and kept verbatim. */
  readonly persistent?: Readonly<Record<string, unknown>>;
  readonly external?: Readonly<Record<string, unknown>>;
  readonly secret?: string;
}

export interface DockerSpec {
  readonly image: string;
  readonly forcePullImage: boolean;
  readonly privileged: boolean;
  readonly parameters: readonly { readonly key: string; readonly value: string }[];
  /** Deprecated Marathon 1.4 fields, accepted and kept. */
  readonly network?: 'HOST' | 'BRIDGE' | 'USER' | 'NONE';
  readonly portMappings?: readonly PortMapping[];
  readonly credential?: Readonly<Record<string, unknown>>;
  readonly pullConfig?: Readonly<Record<string, unknown>>;
}

export interface Container {
  readonly type: 'DOCKER' | 'MESOS';
  readonly docker?: DockerSpec;
  readonly volumes: readonly Volume[];
  readonly portMappings?: readonly PortMapping[];
}

export interface Network {
  readonly mode: 'host' | 'container/bridge' | 'container';
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type HealthProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'COMMAND' | 'MESOS_HTTP' | 'MESOS_HTTPS' | 'MESOS_TCP';

export interface HealthCheck {
  readonly protocol: HealthProtocol;
  readonly path?: string;
  readonly portIndex?: number;
  readonly port?: number;
  readonly command?: { readonly value: string };
  readonly gracePeriodSeconds: number;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly maxConsecutiveFailures: number;
  readonly delaySeconds: number;
  readonly ignoreHttp1xx?: boolean;
  readonly ipProtocol?: 'IPv4' | 'IPv6';
}

export interface ReadinessCheck {
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly path: string;
  readonly portName: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly httpStatusCodesForReady: readonly number[];
  readonly preserveLastResponse: boolean;
}

export interface FetchUri {
  readonly uri: string;
  readonly executable: boolean;
  readonly extract: boolean;
  readonly cache: boolean;
  readonly outputFile?: string;
  readonly destPath?: string;
}

export interface UpgradeStrategy {
  /** 0..1: the fraction of `instances` that must stay healthy during a restart. */
  readonly minimumHealthCapacity: number;
  /** 0..1: the fraction of `instances` that may run on top during a restart. */
  readonly maximumOverCapacity: number;
}

export type UnreachableStrategy =
  | 'disabled'
  | { readonly inactiveAfterSeconds: number; readonly expungeAfterSeconds: number };

export type KillSelection = 'YOUNGEST_FIRST' | 'OLDEST_FIRST';

/** `[field, operator, value?]`, operators UNIQUE CLUSTER GROUP_BY LIKE UNLIKE MAX_PER IS. */
export type Constraint = readonly [field: string, operator: string, value?: string];

export interface VersionInfo {
  readonly lastScalingAt: Timestamp;
  readonly lastConfigChangeAt: Timestamp;
}

/** A validated, normalised Marathon app definition (Marathon 1.x `AppDefinition`). */
export interface AppDefinition {
  readonly id: PathId;
  readonly cmd?: string;
  readonly args?: readonly string[];
  readonly user?: string;
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly instances: number;
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
  readonly executor: string;
  readonly constraints: readonly Constraint[];
  readonly fetch: readonly FetchUri[];
  readonly storeUrls: readonly string[];
  readonly backoffSeconds: number;
  readonly backoffFactor: number;
  readonly maxLaunchDelaySeconds: number;
  readonly container?: Container;
  readonly healthChecks: readonly HealthCheck[];
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly dependencies: readonly PathId[];
  readonly upgradeStrategy: UpgradeStrategy;
  readonly labels: Readonly<Record<string, string>>;
  /** Absent: any role the framework may use. */
  readonly acceptedResourceRoles?: readonly string[];
  /** Host networking only: the ports to reserve on the agent. */
  readonly portDefinitions: readonly PortDefinition[];
  readonly requirePorts: boolean;
  readonly networks: readonly Network[];
  readonly secrets: Readonly<Record<string, { readonly source: string }>>;
  readonly taskKillGracePeriodSeconds?: number;
  readonly killSelection: KillSelection;
  readonly unreachableStrategy: UnreachableStrategy;
  readonly role: string;
  readonly tty?: boolean;
  /** Deprecated `ipAddress` (Marathon 1.4), kept verbatim. */
  readonly ipAddress?: Readonly<Record<string, unknown>>;
  readonly residency?: Readonly<Record<string, unknown>>;
  readonly version: Timestamp;
  readonly versionInfo: VersionInfo;
}

/** A group: apps and sub-groups under one path; `dependencies` order deployments. */
export interface Group {
  readonly id: PathId;
  readonly apps: readonly AppDefinition[];
  readonly groups: readonly Group[];
  readonly dependencies: readonly PathId[];
  readonly version: Timestamp;
  readonly enforceRole?: boolean;
}

/** Mesos task states as Marathon reports them (`TASK_RUNNING`, ...). */
export type TaskStateName =
  | 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_FINISHED'
  | 'TASK_FAILED' | 'TASK_KILLED' | 'TASK_ERROR' | 'TASK_LOST' | 'TASK_DROPPED'
  | 'TASK_UNREACHABLE' | 'TASK_GONE' | 'TASK_GONE_BY_OPERATOR' | 'TASK_UNKNOWN';

/**
 * Instance condition (Marathon's `Condition`): `Provisioned` is persisted before the LAUNCH is
 * sent, so a restarted marathon knows every task it may have launched and never launches twice.
 */
export type InstanceCondition =
  | 'Provisioned' | 'Staging' | 'Starting' | 'Running' | 'Killing' | 'Finished' | 'Failed'
  | 'Killed' | 'Error' | 'Dropped' | 'Unreachable' | 'UnreachableInactive' | 'Gone' | 'Unknown';

/** Result of one health check of one instance (Marathon's `healthCheckResults[]` entry). */
export interface HealthResult {
  readonly alive: boolean;
  readonly consecutiveFailures: number;
  readonly firstSuccess: Timestamp | null;
  readonly lastFailure: Timestamp | null;
  readonly lastSuccess: Timestamp | null;
  readonly lastFailureCause: string | null;
}

export interface ReadinessResult {
  readonly name: string;
  readonly taskId: string;
  readonly ready: boolean;
  readonly lastResponse?: { readonly status: number; readonly contentType: string; readonly body: string };
}

/** One running (or launching) copy of an app: one Mesos task. */
export interface Instance {
  readonly instanceId: string;
  readonly taskId: string;
  readonly appId: PathId;
  /** The app version this instance runs. */
  readonly version: Timestamp;
  readonly condition: InstanceCondition;
  /** The last Mesos state seen (absent while Provisioned). */
  readonly state?: TaskStateName;
  readonly agentId: string;
  readonly host: string;
  /** Host ports, in portDefinitions / portMappings order. */
  readonly ports: readonly number[];
  readonly ipAddresses: readonly { readonly ipAddress: string; readonly protocol: 'IPv4' | 'IPv6' }[];
  readonly region?: string;
  readonly zone?: string;
  /** The agent's attributes (text form), for placement constraints of later instances. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly role: string;
  readonly stagedAt: Timestamp;
  readonly startedAt?: Timestamp;
  /** Mesos' `healthy` from a Mesos-run check, or the combined Marathon-run checks; absent: unknown. */
  readonly healthy?: boolean;
  readonly healthCheckResults: readonly HealthResult[];
  /** What marathon wants of it: keep running, or stop (being killed for a scale-down, restart, delete). */
  readonly goal: 'Running' | 'Stopped' | 'Decommissioned';
  /** When the instance became Unreachable (for the unreachable strategy). */
  readonly unreachableSince?: Timestamp;
  /** A pod instance: one task per container (`taskId` is the first one's). Absent for apps. */
  readonly podTasks?: readonly PodTask[];
}

/** One container's task of a pod instance. */
export interface PodTask {
  readonly taskId: string;
  /** The container's name. */
  readonly name: string;
  readonly state?: TaskStateName;
  readonly startedAt?: Timestamp;
  readonly healthy?: boolean;
}

/** The last failed task of an app (`lastTaskFailure`). */
export interface TaskFailure {
  readonly appId: PathId;
  readonly host: string;
  readonly message: string;
  readonly state: TaskStateName;
  readonly taskId: string;
  readonly instanceId: string;
  readonly slaveId: string;
  readonly timestamp: Timestamp;
  readonly version: Timestamp;
}

export type DeploymentActionName =
  | 'StartApplication' | 'StopApplication' | 'ScaleApplication' | 'RestartApplication'
  | 'ResolveArtifacts' | 'StartPod' | 'StopPod' | 'ScalePod' | 'RestartPod';

export interface DeploymentAction {
  readonly action: DeploymentActionName;
  /** The app's id, or the pod's for the *Pod actions (Marathon's JSON names it `pod` then). */
  readonly app: PathId;
}

/** The *Application action a *Pod action runs as (a pod is scaled and restarted as an app is). */
export const APP_ACTION_OF: Readonly<Record<DeploymentActionName, DeploymentActionName>> = {
  StartApplication: 'StartApplication', StopApplication: 'StopApplication', ScaleApplication: 'ScaleApplication',
  RestartApplication: 'RestartApplication', ResolveArtifacts: 'ResolveArtifacts',
  StartPod: 'StartApplication', StopPod: 'StopApplication', ScalePod: 'ScaleApplication', RestartPod: 'RestartApplication',
};

export const isPodAction = (a: DeploymentActionName): boolean => a.endsWith('Pod');

/**
 * What deployments, kills and launch backoff need of a run spec, an app or a pod
 * (`AppDefinition` is one; a pod is seen through marathon/pod/ `podRunSpec`).
 */
export type RunSpec = Pick<AppDefinition,
  'id' | 'version' | 'instances' | 'upgradeStrategy' | 'killSelection' | 'healthChecks' | 'readinessChecks'
  | 'backoffSeconds' | 'backoffFactor' | 'maxLaunchDelaySeconds' | 'unreachableStrategy'>;

export interface DeploymentStep {
  readonly actions: readonly DeploymentAction[];
}

/**
 * A deployment: the plan from `original` to `target` (root groups), run step by step; the
 * actions of one step run in parallel. `currentStep` counts from 1 (Marathon's JSON); a
 * finished deployment is removed.
 */
export interface Deployment {
  readonly id: string;
  readonly version: Timestamp;
  readonly original: Group;
  readonly target: Group;
  readonly steps: readonly DeploymentStep[];
  readonly affectedApps: readonly PathId[];
  readonly currentStep: number;
  /** Instances a `/restart` or a config change asked to replace (ids); kept across restarts. */
  readonly restartApps: readonly PathId[];
}

/** Why offers did not match an app (`/v2/queue` `processedOffersSummary`). */
export interface OfferStats {
  readonly processedOffersCount: number;
  readonly unusedOffersCount: number;
  readonly lastUnusedOfferAt?: Timestamp;
  readonly lastUsedOfferAt?: Timestamp;
  /** reason code -> offers it was the first (in Marathon's filter order) to reject since the app was queued. */
  readonly rejectSummary: Readonly<Record<string, number>>;
  readonly lastUnusedOffers: readonly { readonly offerId: string; readonly agentId: string; readonly hostname: string; readonly reasons: readonly string[]; readonly timestamp: Timestamp }[];
}

/** Marathon's `/v2/events` event: `eventType` plus its fields, `timestamp` always set. */
export interface MarathonEvent {
  readonly eventType: string;
  readonly timestamp: Timestamp;
  readonly [field: string]: unknown;
}
