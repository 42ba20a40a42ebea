/**
 * The ports of marathon's core: `MarathonStore` (durable state: PostgreSQL in production, an
 * in-memory store in unit tests, one contract suite for both) and `MarathonService` (what the
 * REST layer in marathon/http/ calls; implemented by the core in marathon/core/).
 *
 * Store changes are operation objects applied in one transaction (`apply`), so a change that
 * touches an app, its group and a deployment lands whole or not at all.
 */
import type {
  AppDefinition, Deployment, Group, Instance, MarathonEvent, OfferStats, PathId, TaskFailure, Timestamp,
} from './model.ts';
import type { PodDefinition } from './pod/pod-definition.ts';

/** A group as stored: its own fields; apps are stored on their own and put back by id prefix. */
export interface GroupRecord {
  readonly id: PathId;
  readonly dependencies: readonly PathId[];
  readonly version: Timestamp;
  readonly enforceRole?: boolean;
}

export type StoreOperation =
  /** The app's current definition; also appended to its versions (same version: replaced). */
  | { readonly op: 'putApp'; readonly app: AppDefinition }
  /** Removes the app and all its versions. */
  | { readonly op: 'deleteApp'; readonly appId: PathId }
  | { readonly op: 'putGroup'; readonly group: GroupRecord }
  | { readonly op: 'deleteGroup'; readonly groupId: PathId }
  | { readonly op: 'putDeployment'; readonly deployment: Deployment }
  | { readonly op: 'deleteDeployment'; readonly deploymentId: string }
  | { readonly op: 'putInstance'; readonly instance: Instance }
  | { readonly op: 'deleteInstance'; readonly instanceId: string }
  | { readonly op: 'putTaskFailure'; readonly failure: TaskFailure }
  | { readonly op: 'putFrameworkId'; readonly frameworkId: string }
  /** The pod's current definition; also appended to its versions (same version: replaced). */
  | { readonly op: 'putPod'; readonly pod: PodDefinition }
  /** Removes the pod, all its versions and its last task failure (as deleteApp). */
  | { readonly op: 'deletePod'; readonly podId: PathId };

export interface StoredState {
  readonly apps: readonly AppDefinition[];
  readonly groups: readonly GroupRecord[];
  readonly deployments: readonly Deployment[];
  readonly instances: readonly Instance[];
  readonly taskFailures: readonly TaskFailure[];
  readonly frameworkId: string | undefined;
  readonly pods: readonly PodDefinition[];
}

export interface MarathonStore {
  /** Everything the core needs at start (leader election won). */
  load(): Promise<StoredState>;
  /** Applies all operations in one transaction, in order. Throws on a database error. */
  apply(ops: readonly StoreOperation[]): Promise<void>;
  /** Versions of an app, newest first; undefined for an unknown app. */
  appVersions(appId: PathId): Promise<readonly Timestamp[] | undefined>;
  appVersion(appId: PathId, version: Timestamp): Promise<AppDefinition | undefined>;
  /** Versions of a pod, newest first; undefined for an unknown pod. */
  podVersions(podId: PathId): Promise<readonly Timestamp[] | undefined>;
  podVersion(podId: PathId, version: Timestamp): Promise<PodDefinition | undefined>;
  close(): Promise<void>;
}

/** A validation problem, Marathon's 422 `details[]` entry. */
export interface ValidationDetail {
  readonly path: string;
  readonly errors: readonly string[];
}

/**
 * A refused change, as the REST layer answers it: 404 unknown id, 409 locked by a deployment
 * (`deployments` lists them) or already exists, 422 invalid, 503 not the leader / not ready.
 */
export interface ServiceError {
  readonly ok: false;
  readonly status: 400 | 404 | 409 | 422 | 503;
  readonly message: string;
  readonly details?: readonly ValidationDetail[];
  readonly deployments?: readonly { readonly id: string }[];
}

export type ChangeResult = { readonly ok: true; readonly deploymentId: string; readonly version: Timestamp } | ServiceError;

export interface ChangeOptions {
  /** Marathon's `force`: go ahead even if a deployment holds an affected app (that one is cancelled). */
  readonly force: boolean;
}

export interface QueueEntry {
  readonly app: AppDefinition;
  /** Instances still to launch for the app. */
  readonly count: number;
  readonly delay: { readonly timeLeftSeconds: number; readonly overdue: boolean };
  readonly since: Timestamp;
  readonly stats: OfferStats;
}

/** What the REST layer asks of the core. Reads are synchronous snapshots of the in-memory state. */
export interface MarathonService {
  // --- reads -------------------------------------------------------------------------------
  rootGroup(): Group;
  app(id: PathId): AppDefinition | undefined;
  apps(): readonly AppDefinition[];
  /** Instances of one app (all apps when absent), including ones being killed. */
  instances(appId?: PathId): readonly Instance[];
  /** By task id or instance id. */
  instance(id: string): Instance | undefined;
  deployments(): readonly Deployment[];
  lastTaskFailure(appId: PathId): TaskFailure | undefined;
  queue(): readonly QueueEntry[];
  appVersions(appId: PathId): Promise<readonly Timestamp[] | undefined>;
  appVersion(appId: PathId, version: Timestamp): Promise<AppDefinition | undefined>;
  /** Readiness results of the instances a running deployment waits on. */
  readiness(appId: PathId): readonly import('./model.ts').ReadinessResult[];

  // --- changes (each starts a deployment, or answers why not) -------------------------------
  /** POST /v2/apps: 409 if the id exists (as an app or a group). */
  createApp(app: AppDefinition, opts: ChangeOptions): Promise<ChangeResult>;
  /** PUT /v2/apps[/{id}]: create or replace each app; one deployment for all of them. */
  putApps(apps: readonly AppDefinition[], opts: ChangeOptions): Promise<ChangeResult>;
  deleteApp(id: PathId, opts: ChangeOptions): Promise<ChangeResult>;
  restartApp(id: PathId, opts: ChangeOptions): Promise<ChangeResult>;
  /** PUT/POST /v2/groups: replace the group at `group.id` (apps and sub-groups as given). */
  putGroup(group: Group, opts: ChangeOptions & { readonly create: boolean }): Promise<ChangeResult>;
  /** PUT /v2/groups/{id} with `scaleBy`. */
  scaleGroup(id: PathId, factor: number, opts: ChangeOptions): Promise<ChangeResult>;
  deleteGroup(id: PathId, opts: ChangeOptions): Promise<ChangeResult>;
  /**
   * Kills tasks. `scale`: lower the apps' instances by the killed count (a deployment);
   * otherwise they are replaced. `wipe`: forget the instances at once (no replacement).
   */
  killTasks(taskIds: readonly string[], opts: ChangeOptions & { readonly scale: boolean; readonly wipe: boolean }):
    Promise<{ readonly ok: true; readonly killed: readonly Instance[]; readonly deploymentId?: string; readonly version?: Timestamp } | ServiceError>;
  /** DELETE /v2/deployments/{id}: `force` stops it where it stands; otherwise a rollback deployment. */
  cancelDeployment(id: string, opts: ChangeOptions): Promise<ChangeResult | { readonly ok: true; readonly deploymentId?: undefined } | ServiceError>;
  /** DELETE /v2/queue/{id}/delay: resets the app's launch backoff; false for an unknown app. */
  resetDelay(appId: PathId): boolean;

  // --- events and status --------------------------------------------------------------------
  /** Subscribes to `/v2/events`; returns the unsubscribe function. */
  subscribe(listener: (event: MarathonEvent) => void): () => void;
  /** Leader state for /v2/info and /v2/leader. */
  status(): MarathonStatus;
}

export interface MarathonStatus {
  readonly leader: string | undefined;
  readonly isLeader: boolean;
  readonly frameworkId: string | undefined;
  readonly elected: boolean;
  readonly master: string | undefined;
  readonly subscribed: boolean;
}

/**
 * Pods (`/v2/pods`): what the REST layer asks of the core about them. Separate from
 * `MarathonService` so the routes exist only where the core runs pods. An instance of a pod is an
 * `Instance` whose `podTasks` lists one task per container.
 */
export interface PodService {
  pods(): readonly PodDefinition[];
  pod(id: PathId): PodDefinition | undefined;
  podVersions(id: PathId): Promise<readonly Timestamp[] | undefined>;
  podVersion(id: PathId, version: Timestamp): Promise<PodDefinition | undefined>;
  /** POST /v2/pods: 409 if the id exists (as a pod, an app or a group). */
  createPod(pod: PodDefinition, opts: ChangeOptions): Promise<ChangeResult>;
  /** PUT /v2/pods/{id}: create or replace. */
  putPod(pod: PodDefinition, opts: ChangeOptions): Promise<ChangeResult>;
  deletePod(id: PathId, opts: ChangeOptions): Promise<ChangeResult>;
}
