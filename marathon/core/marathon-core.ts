/**
 * Marathon's core: the state of apps, instances and deployments, kept in memory and persisted
 * through the `MarathonStore` port before it takes effect; it implements `MarathonService` (what
 * the REST layer calls) and `SchedulerHandler` (what the Mesos scheduler driver calls).
 *
 *   REST change ──► target root ──► plan (deployment/) ──► store.apply ──► root := target
 *                                                                              │
 *   status update ──► instance ──► store ──┐                                   ▼
 *   health result ─────────────────────────┴──► evaluate: per app, actionProgress ──► kill / want
 *   offers ──► matchOffers (placement/) ──► Provisioned instances ──► store ──► ACCEPT(LAUNCH)
 *
 * Invariants:
 * - every change runs inside one `Serial` job, so it reads the state it persists against;
 * - an instance is persisted as Provisioned before its LAUNCH is sent (a restarted marathon knows
 *   every task it may have launched: no duplicate instances); later conditions and its deletion
 *   once terminal are staged and written in batches (`stage`): reconciliation at start recovers
 *   what a crash lost of them, and no write overtakes an older one of the same instance;
 * - the root group is always the target of the newest deployment; deployments only move tasks;
 * - an app is driven by the current step of the deployment that holds it, or, held by none, kept at
 *   `instances` (dead instances replaced, extras killed); an app waiting for a later step is left alone;
 * - offers are suppressed while no app wants instances, revived when one starts to;
 * - an unreachable instance is never sent a kill: asked to stop, it is expunged (as Marathon's kill
 *   service does), so nothing of a removed app lingers; if its task comes back, it is unknown and killed;
 * - a launch backoff advances on Marathon's rate-limit-worthy ends (Failed, Error, Dropped, Gone,
 *   Finished; not a kill) and is dropped once `maxLaunchDelaySeconds` pass after the failure that set it;
 * - every change of the maps runs inside the serial queue (timers and callbacks enqueue, never act).
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { Clock, Logger, TimerHandle, Timers } from '../../common/ports.ts';
import type { DriverCalls, SchedulerHandler, TaskRef } from '../../frameworks/sdk/scheduler-handler.ts';
import type {
  AppDefinition, Deployment, DeploymentAction, DeploymentStep, Group, Instance, MarathonEvent, PathId, ReadinessResult,
  RunSpec, TaskFailure, TaskStateName, Timestamp,
} from '../model.ts';
import { APP_ACTION_OF } from '../model.ts';
import type {
  ChangeOptions, ChangeResult, MarathonService, MarathonStatus, MarathonStore, PodService, QueueEntry, ServiceError,
  StoreOperation, StoredState,
} from '../ports.ts';
import { allApps, findApp, findGroup, scaledGroup, validateRoot, withApps, withGroup, withoutApp, withoutGroup } from '../app/group.ts';
import { isConfigChange } from '../app/app-change.ts';
import { planDeployment } from '../deployment/plan.ts';
import { actionProgress, type ActionDecision } from '../deployment/action-progress.ts';
import { conflictingDeployments } from '../deployment/conflicts.ts';
import { nextBackoff, type BackoffState } from '../deployment/launch-backoff.ts';
import type { PlacedInstance } from '../placement/place-instance.ts';
import { applyPodStatus, applyStatus, isActiveCondition, isFailureState, isoOf } from './instance-status.ts';
import { instanceIdOfTask } from './task-ids.ts';
import { assembleRoot, storeChanges } from './root-assembly.ts';
import { matchOffers, type LaunchWant } from './offer-round.ts';
import { createSerial } from './serial.ts';
import { createOfferStats, type OfferStatsBook } from './offer-stats.ts';
import * as ev from '../events/index.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import { podRunSpec } from '../pod/pod-run-spec.ts';
import { isPodScaleChange, isPodUpgrade } from '../pod/pod-change.ts';

/** The driver calls the core makes (frameworks/sdk `DriverCalls`), and the master it is subscribed to. */
export interface CoreDriver extends DriverCalls {
  readonly master: string | undefined;
}

/** Marathon-run health checks (marathon/health/) and readiness checks (marathon/readiness/). */
export interface CheckTarget {
  readonly instanceId: string;
  readonly taskId: string;
  readonly host: string;
  readonly ports: readonly number[];
  readonly startedAt: number;
}
export interface CheckRunner {
  track(target: CheckTarget, app: AppDefinition): void;
  untrack(instanceId: string): void;
  stop(): void;
}

export interface EventSink {
  publish(event: MarathonEvent): void;
  subscribe(listener: (event: MarathonEvent) => void): () => void;
}

export interface MarathonCoreConfig {
  /** `host:port` of this marathon's HTTP API (the leader address it announces). */
  readonly address: string;
  /** Seconds a declined offer stays filtered while nothing wants it (Marathon's --decline_offer_duration). */
  readonly declineOfferSeconds: number;
  /** Seconds a declined offer stays filtered while apps wait for a better one. */
  readonly retryOfferSeconds: number;
  /** How often kills of instances that are still alive are sent again (Marathon's --kill_retry_timeout). */
  readonly killRetryMs: number;
  /** A launch not confirmed by TASK_STAGING within this is killed and replaced (--task_launch_confirm_timeout). */
  readonly launchConfirmTimeoutMs: number;
  /** A task not TASK_RUNNING within this of its launch is killed and replaced (--task_launch_timeout). */
  readonly launchTimeoutMs: number;
  /** Period of the housekeeping tick (unreachable strategy, kill retries, backoff expiry). */
  readonly tickMs: number;
}

export const DEFAULT_CORE_CONFIG: Omit<MarathonCoreConfig, 'address'> = {
  declineOfferSeconds: 120,
  retryOfferSeconds: 5,
  killRetryMs: 10_000,
  launchConfirmTimeoutMs: 300_000,
  launchTimeoutMs: 300_000,
  tickMs: 1_000,
};

export interface MarathonCoreOptions {
  readonly store: MarathonStore;
  readonly state: StoredState;
  readonly config: MarathonCoreConfig;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly newId: () => string;
  readonly events: EventSink;
  /** Factories of the check runners; the callbacks feed results back into the core. */
  readonly health?: (callbacks: HealthCallbacks) => CheckRunner;
  readonly readiness?: (onResult: (instanceId: string, result: ReadinessResult) => void) => CheckRunner;
  /**
   * The master refused this framework for good (ERROR, or a SUBSCRIBE refused): the driver has
   * stopped, so this marathon must stop leading (Marathon's suicide). Called after the state is saved.
   */
  readonly onFatal?: (message: string) => void;
}

/** Mesos' message for a framework id that was torn down: it may never subscribe again. */
const FRAMEWORK_REMOVED = 'Framework has been removed';

export interface HealthCallbacks {
  onResults(instanceId: string, results: readonly import('../model.ts').HealthResult[]): void;
  onUnhealthy(instanceId: string, check: import('../model.ts').HealthCheck, cause: string): void;
}

const MARATHON_RUN = new Set(['HTTP', 'HTTPS', 'TCP']);
const usesMarathonChecks = (app: AppDefinition): boolean => app.healthChecks.some((c) => MARATHON_RUN.has(c.protocol));

const notFound = (message: string): ServiceError => ({ ok: false, status: 404, message });

export function createMarathonCore(opts: MarathonCoreOptions): MarathonCore {
  return new MarathonCore(opts);
}

export class MarathonCore implements MarathonService, PodService, SchedulerHandler {
  private root: Group;
  private readonly instancesById = new Map<string, Instance>();
  private readonly podsById = new Map<PathId, PodDefinition>();
  /** Task id -> instance id of the pod instances (an app task's id names its instance). */
  private readonly podTaskOwner = new Map<string, string>();
  private readonly deploymentsById = new Map<string, Deployment>();
  private readonly failures = new Map<PathId, TaskFailure>();
  private readonly backoffs = new Map<PathId, BackoffState>();
  private readonly ready = new Map<string, ReadinessResult>();
  /** Instances whose readiness checks run (until ready); the others count as ready. */
  private readonly readinessTracked = new Set<string>();
  private readonly killSentAt = new Map<string, number>();
  private readonly wanted = new Map<PathId, { count: number; since: Timestamp }>();
  private readonly stats: OfferStatsBook;
  private readonly serial = createSerial();
  private readonly health: CheckRunner | undefined;
  private readonly readinessRunner: CheckRunner | undefined;
  private driver: CoreDriver | undefined;
  private frameworkId: string | undefined;
  private evaluateQueued = false;
  private housekeepingQueued = false;
  private lastHousekeeping: number | undefined;
  private attachedAt = 0;
  private readonly staged = new Map<string, StoreOperation>();
  private flushQueued = false;
  private demand = 0;
  private tick: TimerHandle | undefined;
  private stopped = false;
  /** When this core last subscribed: launch timeouts count from here at the earliest (reconciliation first). */
  private subscribedAt: number | undefined;

  constructor(private readonly opts: MarathonCoreOptions) {
    const s = opts.state;
    this.root = assembleRoot(s.groups, s.apps, isoOf(opts.clock.now()));
    for (const i of s.instances) this.remember(i);
    for (const pod of s.pods) this.podsById.set(pod.id, pod);
    for (const d of s.deployments) this.deploymentsById.set(d.id, d);
    for (const f of s.taskFailures) this.failures.set(f.appId, f);
    // An empty id is a dropped one (the store port can only put a framework id).
    this.frameworkId = s.frameworkId === '' ? undefined : s.frameworkId;
    this.stats = createOfferStats();
    this.health = opts.health?.({
      onResults: (id, results) => void this.serial.run(() => this.onHealthResults(id, results)),
      onUnhealthy: (id, check, cause) => void this.serial.run(() => this.onUnhealthy(id, check, cause)),
    });
    this.readinessRunner = opts.readiness?.((id, result) => void this.serial.run(() => this.onReadiness(id, result)));
    for (const i of this.instancesById.values()) if (i.condition === 'Running') this.trackChecks(i);
  }

  // --- lifecycle ------------------------------------------------------------------------------

  /** Connects the core to the scheduler driver and starts housekeeping. */
  attach(driver: CoreDriver): void {
    this.driver = driver;
    this.attachedAt = this.opts.clock.now();
    this.tick = this.opts.timers.setInterval(() => {
      // One tick at a time in the queue: a slow database must not pile ticks up behind it.
      if (this.housekeepingQueued) return;
      this.housekeepingQueued = true;
      void this.serial.run(() => {
        this.housekeepingQueued = false;
        return this.housekeeping();
      }).catch((e: unknown) => this.opts.logger.error({ error: e instanceof Error ? e.message : String(e) }, 'housekeeping failed'));
    }, this.opts.config.tickMs);
    this.scheduleEvaluate();
  }

  stop(): void {
    this.stopped = true;
    if (this.tick !== undefined) this.opts.timers.clear(this.tick);
    this.health?.stop();
    this.readinessRunner?.stop();
  }

  /** Resolves once every change queued so far has been applied (tests, shutdown). */
  idle(): Promise<void> {
    return this.serial.run(() => this.flush());
  }

  /** The framework id the driver should fail over to (persisted). */
  persistedFrameworkId(): string | undefined {
    return this.frameworkId;
  }

  // --- reads ----------------------------------------------------------------------------------

  rootGroup(): Group {
    return this.root;
  }

  app(id: PathId): AppDefinition | undefined {
    return findApp(this.root, id);
  }

  apps(): readonly AppDefinition[] {
    return allApps(this.root);
  }

  instances(appId?: PathId): readonly Instance[] {
    const all = [...this.instancesById.values()];
    return appId === undefined ? all : all.filter((i) => i.appId === appId);
  }

  instance(id: string): Instance | undefined {
    return this.instancesById.get(id) ?? this.instancesById.get(instanceIdOfTask(id));
  }

  deployments(): readonly Deployment[] {
    return [...this.deploymentsById.values()];
  }

  lastTaskFailure(appId: PathId): TaskFailure | undefined {
    return this.failures.get(appId);
  }

  queue(): readonly QueueEntry[] {
    const now = this.opts.clock.now();
    const out: QueueEntry[] = [];
    for (const [appId, w] of this.wanted) {
      const app = findApp(this.root, appId);
      if (!app || w.count <= 0) continue;
      const b = this.backoffs.get(appId);
      const left = b === undefined ? 0 : Math.max(0, Math.ceil((b.until - now) / 1000));
      out.push({ app, count: w.count, delay: { timeLeftSeconds: left, overdue: left === 0 }, since: w.since, stats: this.stats.of(appId) });
    }
    return out;
  }

  appVersions(appId: PathId): Promise<readonly Timestamp[] | undefined> {
    return this.opts.store.appVersions(appId);
  }

  appVersion(appId: PathId, version: Timestamp): Promise<AppDefinition | undefined> {
    return this.opts.store.appVersion(appId, version);
  }

  readiness(appId: PathId): readonly ReadinessResult[] {
    return this.instances(appId).flatMap((i) => {
      const r = this.ready.get(i.instanceId);
      return r === undefined ? [] : [r];
    });
  }

  subscribe(listener: (event: MarathonEvent) => void): () => void {
    return this.opts.events.subscribe(listener);
  }

  status(): MarathonStatus {
    return {
      leader: this.opts.config.address,
      isLeader: true,
      elected: true,
      frameworkId: this.frameworkId,
      master: this.driver?.master,
      subscribed: this.driver?.state === 'SUBSCRIBED',
    };
  }

  // --- changes --------------------------------------------------------------------------------

  createApp(app: AppDefinition, opts: ChangeOptions): Promise<ChangeResult> {
    return this.change(opts, (root, version) => {
      if (findApp(root, app.id) || findGroup(root, app.id)) {
        return { ok: false, status: 409, message: `An app with id [${app.id}] already exists.` };
      }
      return withApps(root, [restamp(app, undefined, version)], version);
    }, 'api_post_event');
  }

  putApps(apps: readonly AppDefinition[], opts: ChangeOptions): Promise<ChangeResult> {
    return this.change(opts, (root, version) => {
      for (const a of apps) {
        if (!findApp(root, a.id) && findGroup(root, a.id)) {
          return { ok: false, status: 409, message: `A group with id [${a.id}] already exists.` };
        }
      }
      return withApps(root, apps.map((a) => restamp(a, findApp(root, a.id), version)), version);
    }, 'api_post_event');
  }

  deleteApp(id: PathId, opts: ChangeOptions): Promise<ChangeResult> {
    return this.change(opts, (root, version) => (findApp(root, id) ? withoutApp(root, id, version) : notFound(`App '${id}' does not exist`)), 'app_terminated_event');
  }

  restartApp(id: PathId, opts: ChangeOptions): Promise<ChangeResult> {
    return this.change(opts, (root, version) => {
      const app = findApp(root, id);
      if (!app) return notFound(`App '${id}' does not exist`);
      const restarted: AppDefinition = { ...app, version, versionInfo: { ...app.versionInfo, lastConfigChangeAt: version } };
      return withApps(root, [restarted], version);
    }, 'api_post_event', [id]);
  }

  putGroup(group: Group, opts: ChangeOptions & { readonly create: boolean }): Promise<ChangeResult> {
    return this.change(opts, (root, version) => {
      if (opts.create && findGroup(root, group.id) && group.id !== '/') {
        return { ok: false, status: 409, message: `Group ${group.id} is already created. Use PUT to change this group.` };
      }
      if (findApp(root, group.id)) return { ok: false, status: 409, message: `An app with id [${group.id}] already exists.` };
      return withGroup(root, restampGroup(group, root, version), version);
    }, 'group_change_success');
  }

  scaleGroup(id: PathId, factor: number, opts: ChangeOptions): Promise<ChangeResult> {
    return this.change(opts, (root, version) => (findGroup(root, id) ? scaledGroup(root, id, factor, version) : notFound(`Group '${id}' does not exist`)), 'group_change_success');
  }

  deleteGroup(id: PathId, opts: ChangeOptions): Promise<ChangeResult> {
    return this.change(opts, (root, version) => (findGroup(root, id) ? withoutGroup(root, id, version) : notFound(`Group '${id}' does not exist`)), 'group_change_success');
  }

  killTasks(taskIds: readonly string[], opts: ChangeOptions & { readonly scale: boolean; readonly wipe: boolean }):
    Promise<{ readonly ok: true; readonly killed: readonly Instance[]; readonly deploymentId?: string; readonly version?: Timestamp } | ServiceError> {
    return this.serial.run(async () => {
      const targets = [...new Set(taskIds.map((t) => this.instance(t)).filter((i): i is Instance => i !== undefined))];
      if (targets.length === 0) return { ok: true as const, killed: [] };
      if (opts.scale) {
        const byApp = new Map<PathId, number>();
        for (const i of targets) if (i.goal === 'Running') byApp.set(i.appId, (byApp.get(i.appId) ?? 0) + 1);
        const result = await this.applyChange(opts, (root, version) => {
          const apps: AppDefinition[] = [];
          for (const [appId, n] of byApp) {
            const app = findApp(root, appId);
            if (app) apps.push({ ...app, instances: Math.max(0, app.instances - n), version, versionInfo: { ...app.versionInfo, lastScalingAt: version } });
          }
          return withApps(root, apps, version);
        }, 'api_post_event', [], targets.map((i) => ({ ...i, goal: 'Decommissioned' as const })));
        if (!result.ok) return result;
        await this.sendKills(targets.map((i) => i.instanceId));
        return { ok: true as const, killed: targets, deploymentId: result.deploymentId, version: result.version };
      }
      if (opts.wipe) {
        await this.persist(targets.map((i) => ({ op: 'deleteInstance', instanceId: i.instanceId })));
        for (const i of targets) {
          this.forget(i.instanceId);
          for (const taskId of taskIdsOf(i)) void this.driver?.kill(taskId, i.agentId);
        }
      } else {
        const stopping = targets.map((i) => (i.goal === 'Running' ? { ...i, goal: 'Stopped' as const } : i));
        await this.persist(stopping.map((instance) => ({ op: 'putInstance', instance })));
        for (const i of stopping) this.instancesById.set(i.instanceId, i);
        await this.sendKills(stopping.map((i) => i.instanceId));
      }
      this.scheduleEvaluate();
      return { ok: true as const, killed: targets };
    });
  }

  cancelDeployment(id: string, opts: ChangeOptions): Promise<ChangeResult | { readonly ok: true; readonly deploymentId?: undefined } | ServiceError> {
    return this.serial.run(async () => {
      const d = this.deploymentsById.get(id);
      if (!d) return notFound(`DeploymentPlan ${id} does not exist`);
      if (opts.force) {
        await this.persist([{ op: 'deleteDeployment', deploymentId: id }]);
        this.deploymentsById.delete(id);
        this.publish(ev.deploymentFailedEvent(d, this.nowIso()));
        this.scheduleEvaluate();
        return { ok: true as const };
      }
      // Rollback: the affected apps go back to what they were before the deployment, which stops
      // even when there is nothing to revert (a /restart): it is cancelled with the change.
      return this.applyChange({ force: true }, (root, version) => {
        let target = root;
        for (const appId of d.affectedApps) {
          const before = findApp(d.original, appId);
          // The original definition as it was, version included (Marathon's revert): its instances are
          // current again and stay; only those of the cancelled configuration are replaced.
          if (before) target = withApps(target, [before], version);
          else if (findApp(target, appId)) target = withoutApp(target, appId, version);
        }
        return target;
      }, 'api_post_event', [], [], d);
    });
  }

  resetDelay(appId: PathId): boolean {
    if (!this.runSpecOf(appId)) return false;
    this.backoffs.delete(appId);
    this.scheduleEvaluate();
    return true;
  }

  // --- pods ---------------------------------------------------------------------------------

  pods(): readonly PodDefinition[] {
    return [...this.podsById.values()];
  }

  pod(id: PathId): PodDefinition | undefined {
    return this.podsById.get(id);
  }

  podVersions(id: PathId): Promise<readonly Timestamp[] | undefined> {
    return this.opts.store.podVersions(id);
  }

  podVersion(id: PathId, version: Timestamp): Promise<PodDefinition | undefined> {
    return this.opts.store.podVersion(id, version);
  }

  createPod(pod: PodDefinition, opts: ChangeOptions): Promise<ChangeResult> {
    return this.serial.run(() => this.applyPodChange(pod.id, pod, opts, true));
  }

  putPod(pod: PodDefinition, opts: ChangeOptions): Promise<ChangeResult> {
    return this.serial.run(() => this.applyPodChange(pod.id, pod, opts, false));
  }

  deletePod(id: PathId, opts: ChangeOptions): Promise<ChangeResult> {
    return this.serial.run(() => this.applyPodChange(id, undefined, opts, false));
  }

  /**
   * A pod change: its own deployment (a new pod: StartPod then ScalePod; a config change:
   * RestartPod; `instances` only: ScalePod; removed: StopPod), refused (409) while another
   * deployment holds the pod unless forced; pod and deployment persisted in one transaction.
   */
  private async applyPodChange(id: PathId, wanted: PodDefinition | undefined, opts: ChangeOptions, create: boolean): Promise<ChangeResult> {
    const now = this.opts.clock.now();
    const version = isoOf(now);
    const current = this.podsById.get(id);
    if (create && (current !== undefined || findApp(this.root, id) || findGroup(this.root, id))) {
      return { ok: false, status: 409, message: `A pod with id [${id}] already exists.` };
    }
    if (!create && wanted !== undefined && current === undefined && (findApp(this.root, id) || findGroup(this.root, id))) {
      return { ok: false, status: 409, message: `An app or group with id [${id}] already exists.` };
    }
    if (wanted === undefined && current === undefined) return notFound(`Pod '${id}' does not exist`);
    const target = wanted === undefined || (current !== undefined && current.version === wanted.version) ? wanted : { ...wanted, version };
    const step = (action: DeploymentAction['action']): DeploymentStep => ({ actions: [{ action, app: id }] });
    const steps: DeploymentStep[] = target === undefined ? [step('StopPod')]
      : current === undefined ? [step('StartPod'), step('ScalePod')]
      : isPodUpgrade(current, target) ? [step('RestartPod')]
      : isPodScaleChange(current, target) ? [step('ScalePod')]
      : [];
    const plan: Deployment = {
      id: this.opts.newId(), version, original: this.root, target: this.root, steps, affectedApps: [id], currentStep: 1, restartApps: [],
    };
    const conflicts = conflictingDeployments(this.deployments(), [id]);
    if (conflicts.length > 0 && !opts.force) {
      return {
        ok: false,
        status: 409,
        message: `Pod is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.`,
        deployments: conflicts.map((c) => ({ id: c.id })),
      };
    }
    await this.persist([
      target === undefined ? { op: 'deletePod', podId: id } : { op: 'putPod', pod: target },
      ...conflicts.map((c): StoreOperation => ({ op: 'deleteDeployment', deploymentId: c.id })),
      ...(steps.length > 0 ? [{ op: 'putDeployment', deployment: plan } as const] : []),
    ]);
    if (target === undefined) {
      this.podsById.delete(id);
      this.failures.delete(id);
    }
    else this.podsById.set(id, target);
    for (const c of conflicts) {
      this.deploymentsById.delete(c.id);
      this.publish(ev.deploymentFailedEvent(c, version));
    }
    if (target === undefined || current === undefined || isPodUpgrade(current, target)) this.backoffs.delete(id);
    this.wanted.delete(id);
    if (steps.length > 0) {
      this.deploymentsById.set(plan.id, plan);
      this.publish(ev.deploymentInfoEvent(plan, version));
    } else {
      this.publish(ev.deploymentSuccessEvent(plan, version));
    }
    this.scheduleEvaluate();
    return { ok: true, deploymentId: plan.id, version };
  }

  private change(opts: ChangeOptions, build: (root: Group, version: Timestamp) => Group | ServiceError, eventType: string, restart: readonly PathId[] = []): Promise<ChangeResult> {
    return this.serial.run(() => this.applyChange(opts, build, eventType, restart));
  }

  /**
   * The one way the root group changes: build the target, validate it, plan the deployment,
   * refuse (409) if it would touch an app another deployment holds (unless forced: that one is
   * cancelled), persist apps, groups, deployment (and `instances`) in one transaction, then switch.
   */
  private async applyChange(
    opts: ChangeOptions,
    build: (root: Group, version: Timestamp) => Group | ServiceError,
    eventType: string,
    restart: readonly PathId[] = [],
    instances: readonly Instance[] = [],
    cancel?: Deployment,
  ): Promise<ChangeResult> {
    const now = this.opts.clock.now();
    const version = isoOf(now);
    const built = build(this.root, version);
    if ('ok' in built) return built;
    const target = built;
    const problems = validateRoot(target);
    if (problems.length > 0) return { ok: false, status: 422, message: 'Object is not valid', details: problems };
    const plan = planDeployment(this.root, target, { id: this.opts.newId(), version, restart });
    const conflicts = conflictingDeployments(this.deployments(), plan.affectedApps);
    if (cancel !== undefined && !conflicts.some((c) => c.id === cancel.id)) conflicts.push(cancel);
    if (conflicts.length > 0 && !opts.force) {
      return {
        ok: false,
        status: 409,
        message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.`,
        deployments: conflicts.map((c) => ({ id: c.id })),
      };
    }
    const ops: StoreOperation[] = [
      ...storeChanges(this.root, target),
      ...conflicts.map((c): StoreOperation => ({ op: 'deleteDeployment', deploymentId: c.id })),
      ...(plan.steps.length > 0 ? [{ op: 'putDeployment', deployment: plan } as const] : []),
      ...instances.map((instance): StoreOperation => ({ op: 'putInstance', instance })),
    ];
    await this.persist(ops);
    const before = this.root;
    this.root = target;
    for (const c of conflicts) {
      this.deploymentsById.delete(c.id);
      this.publish(ev.deploymentFailedEvent(c, version));
    }
    for (const i of instances) this.instancesById.set(i.instanceId, i);
    // What the apps want is recomputed by the next evaluation: offers handled before it launch nothing for them.
    for (const appId of plan.affectedApps) this.wanted.delete(appId);
    for (const app of allApps(target)) {
      const old = findApp(before, app.id);
      if (!old || isConfigChange(old, app) || restart.includes(app.id)) this.backoffs.delete(app.id);
    }
    for (const appId of plan.affectedApps) {
      if (findApp(target, appId)) continue;
      this.backoffs.delete(appId);
      this.failures.delete(appId); // the store drops them with the app
    }
    if (eventType === 'group_change_success') this.publish(ev.groupChangeSuccessEvent(target.id, version, version));
    // api_post_event is the REST layer's: it knows the client and the URI.
    for (const appId of plan.affectedApps) if (!findApp(target, appId)) this.publish(ev.appTerminatedEvent(appId, version));
    if (plan.steps.length > 0) {
      this.deploymentsById.set(plan.id, plan);
      this.publish(ev.deploymentInfoEvent(plan, version));
    } else {
      this.publish(ev.deploymentSuccessEvent(plan, version));
    }
    this.scheduleEvaluate();
    return { ok: true, deploymentId: plan.id, version };
  }

  // --- scheduler events -----------------------------------------------------------------------

  subscribed(frameworkId: string): Promise<void> {
    return this.serial.run(async () => {
      const first = this.frameworkId === undefined;
      if (this.frameworkId !== frameworkId) {
        await this.persist([{ op: 'putFrameworkId', frameworkId }]);
        this.frameworkId = frameworkId;
      }
      this.publish(first ? ev.schedulerRegisteredEvent(frameworkId, this.driver?.master ?? '', this.nowIso()) : ev.schedulerReregisteredEvent(this.driver?.master ?? '', this.nowIso()));
      const known: TaskRef[] = [...this.instancesById.values()].flatMap((i) => taskIdsOf(i).map((taskId) => ({ taskId, agentId: i.agentId })));
      // Explicit for what we know (unknown ones come back LOST/UNKNOWN and are replaced), implicit for strays.
      if (known.length > 0) void this.driver?.reconcile(known);
      void this.driver?.reconcile([]);
      this.subscribedAt = this.opts.clock.now();
      this.demand = -1;
      this.scheduleEvaluate();
    });
  }

  offers(offers: mesos.v1.Offer[]): Promise<void> {
    return this.serial.run(() => this.handleOffers(offers));
  }

  rescind(): void {
    // Offers are used or declined as soon as they arrive; nothing is held.
  }

  update(status: mesos.v1.TaskStatus): Promise<void> {
    return this.serial.run(() => this.handleStatus(status));
  }

  error(message: string): Promise<void> {
    this.opts.logger.error({ message }, 'the master refused this framework; this marathon stops leading');
    return this.serial.run(async () => {
      if (message.includes(FRAMEWORK_REMOVED) && this.frameworkId !== undefined) {
        // Marathon forgets a removed framework id, so the next leader registers anew.
        await this.persist([{ op: 'putFrameworkId', frameworkId: '' }]);
        this.frameworkId = undefined;
      }
    }).finally(() => this.opts.onFatal?.(message));
  }

  disconnected(): void {
    this.publish(ev.schedulerDisconnectedEvent(this.nowIso()));
  }

  // --- offers ---------------------------------------------------------------------------------

  private async handleOffers(offers: readonly mesos.v1.Offer[]): Promise<void> {
    const driver = this.driver;
    if (!driver || this.stopped) return;
    const now = this.opts.clock.now();
    const wants: LaunchWant[] = [];
    for (const [appId, w] of this.wanted) {
      const app = findApp(this.root, appId);
      const pod = app === undefined ? this.podsById.get(appId) : undefined;
      const b = this.backoffs.get(appId);
      if (w.count <= 0 || (b !== undefined && b.until > now)) continue;
      if (app) wants.push({ app, count: w.count });
      else if (pod) wants.push({ pod, count: w.count });
    }
    const placed = new Map<PathId, PlacedInstance[]>();
    for (const i of this.instancesById.values()) {
      if (i.goal !== 'Running' || !isActiveCondition(i.condition)) continue;
      const list = placed.get(i.appId) ?? [];
      list.push({ agentId: i.agentId, hostname: i.host, attributes: i.attributes, ...(i.region === undefined ? {} : { region: i.region }), ...(i.zone === undefined ? {} : { zone: i.zone }) });
      placed.set(i.appId, list);
    }
    const round = matchOffers({ offers, wants, placed, newId: this.opts.newId, now: isoOf(now), frameworkId: this.frameworkId ?? '' });
    this.stats.record(round, isoOf(now));
    const launched = round.launches.flatMap((l) => l.instances);
    if (launched.length > 0) {
      await this.persist(launched.map((instance) => ({ op: 'putInstance', instance })));
      for (const i of launched) {
        this.remember(i);
        const w = this.wanted.get(i.appId);
        if (w) w.count -= 1;
      }
    }
    const results = await Promise.all(round.launches.map((l) => driver.accept([l.offerId], l.operations)));
    const refused: Instance[] = [];
    results.forEach((r, n) => {
      if (!r.ok && r.status !== 0) refused.push(...round.launches[n].instances);
    });
    if (refused.length > 0) {
      this.opts.logger.warn({ tasks: refused.length }, 'the master refused a launch; the instances are forgotten and launched again');
      await this.persist(refused.map((i) => ({ op: 'deleteInstance', instanceId: i.instanceId })));
      for (const i of refused) this.forget(i.instanceId);
    }
    if (round.declined.length > 0) {
      const waiting = [...this.wanted.values()].some((w) => w.count > 0);
      await driver.decline(round.declined, { refuse_seconds: waiting ? this.opts.config.retryOfferSeconds : this.opts.config.declineOfferSeconds });
    }
    if (launched.length > 0) {
      for (const i of launched) if (!refused.includes(i)) this.publish(ev.instanceChangedEvent(i, isoOf(now)));
      this.scheduleEvaluate();
    }
  }

  // --- status updates -------------------------------------------------------------------------

  private async handleStatus(status: mesos.v1.TaskStatus): Promise<void> {
    const now = this.opts.clock.now();
    const taskId = status.task_id.value;
    const state = status.state as TaskStateName;
    const owner = this.podTaskOwner.get(taskId);
    const current = this.instancesById.get(owner ?? instanceIdOfTask(taskId));
    if (!current || (owner === undefined && current.taskId !== taskId)) {
      if (!isTerminalState(state)) {
        this.opts.logger.info({ taskId, state }, 'killing a task this marathon does not know');
        void this.driver?.kill(taskId, status.agent_id?.value);
      }
      return;
    }
    const change = current.podTasks !== undefined ? applyPodStatus(current, status, now) : applyStatus(current, status, now);
    if (!change) return;
    const next = change.instance;
    this.publish(ev.statusUpdateEvent(next, { ...(status.message === undefined ? {} : { message: status.message }) }, isoOf(now)));
    if (change.terminal) {
      const ops: StoreOperation[] = [{ op: 'deleteInstance', instanceId: next.instanceId }];
      const byUs = current.goal !== 'Running';
      // Marathon's NotifyRateLimiterStep: Failed, Error, Dropped, Gone (and Lost), Finished back off; a kill does not.
      const limitWorthy = !byUs && (isFailureState(state) || state === 'TASK_FINISHED');
      if (!byUs && (isFailureState(state) || state === 'TASK_KILLED')) {
        const f: TaskFailure = {
          appId: next.appId, host: next.host, message: status.message ?? '', state, taskId, instanceId: next.instanceId,
          slaveId: next.agentId, timestamp: isoOf(now), version: next.version,
        };
        ops.push({ op: 'putTaskFailure', failure: f });
        this.failures.set(next.appId, f);
      }
      for (const op of ops) this.stage(op);
      this.forget(next.instanceId);
      if (limitWorthy) {
        const spec = this.runSpecOf(next.appId);
        if (spec) this.backoffs.set(spec.id, nextBackoff(spec, this.backoffs.get(spec.id), now));
      }
      this.publish(ev.instanceChangedEvent(next, isoOf(now)));
      this.scheduleEvaluate();
      return;
    }
    if (change.conditionChanged && (next.condition === 'Running' || next.condition === 'Unreachable' || current.condition === 'Unreachable')) {
      this.stage({ op: 'putInstance', instance: next });
    }
    this.remember(next);
    if (change.conditionChanged) {
      this.publish(ev.instanceChangedEvent(next, isoOf(now)));
      if (next.condition === 'Running') this.trackChecks(next);
      if (next.condition === 'Unreachable') await this.applyUnreachableStrategy(next, now);
    }
    if (change.healthChanged && next.healthy !== undefined) {
      this.publish(ev.instanceHealthChangedEvent(next, next.healthy, isoOf(now)));
      this.publish(ev.healthStatusChangedEvent(next, next.healthy, isoOf(now)));
    }
    if (change.conditionChanged || change.healthChanged) this.scheduleEvaluate();
  }

  // --- health and readiness ---------------------------------------------------------------------

  private definitionOf(i: Instance): AppDefinition | undefined {
    const current = findApp(this.root, i.appId);
    if (current && current.version === i.version) return current;
    for (const d of this.deploymentsById.values()) {
      const old = findApp(d.original, i.appId);
      if (old && old.version === i.version) return old;
    }
    return current;
  }

  private trackChecks(i: Instance): void {
    const app = this.definitionOf(i);
    if (!app) return;
    const target: CheckTarget = { instanceId: i.instanceId, taskId: i.taskId, host: i.host, ports: i.ports, startedAt: i.startedAt ? Date.parse(i.startedAt) : this.opts.clock.now() };
    if (this.health && usesMarathonChecks(app)) this.health.track(target, app);
    if (this.readinessRunner && app.readinessChecks.length > 0 && !this.ready.get(i.instanceId)?.ready) {
      this.readinessRunner.track(target, app);
      this.readinessTracked.add(i.instanceId);
    }
  }

  private untrackChecks(instanceId: string): void {
    this.health?.untrack(instanceId);
    this.readinessRunner?.untrack(instanceId);
    this.readinessTracked.delete(instanceId);
  }

  private onHealthResults(instanceId: string, results: readonly import('../model.ts').HealthResult[]): void {
    const i = this.instancesById.get(instanceId);
    if (!i) return;
    const healthy = results.length > 0 && results.every((r) => r.alive);
    const changed = healthy !== i.healthy;
    this.instancesById.set(instanceId, { ...i, healthCheckResults: results, healthy });
    if (changed) {
      this.publish(ev.healthStatusChangedEvent(i, healthy, this.nowIso()));
      this.publish(ev.instanceHealthChangedEvent(i, healthy, this.nowIso()));
      this.scheduleEvaluate();
    }
  }

  private async onUnhealthy(instanceId: string, check: import('../model.ts').HealthCheck, cause: string): Promise<void> {
    const i = this.instancesById.get(instanceId);
    // An unreachable instance cannot answer its checks; the unreachable strategy decides its fate.
    if (!i || i.goal !== 'Running' || i.condition !== 'Running') return;
    this.publish(ev.failedHealthCheckEvent(i, check, this.nowIso()));
    this.publish(ev.unhealthyInstanceKillEvent(i, cause, this.nowIso()));
    const stopping: Instance = { ...i, goal: 'Stopped' };
    await this.persist([{ op: 'putInstance', instance: stopping }]);
    this.instancesById.set(instanceId, stopping);
    await this.sendKills([instanceId]);
    this.scheduleEvaluate();
  }

  private onReadiness(instanceId: string, result: ReadinessResult): void {
    if (!this.instancesById.has(instanceId)) return;
    const before = this.ready.get(instanceId)?.ready;
    this.ready.set(instanceId, result);
    if (result.ready) {
      this.readinessRunner?.untrack(instanceId);
      this.readinessTracked.delete(instanceId);
    }
    if (before !== result.ready) this.scheduleEvaluate();
  }

  private isReady(instanceId: string, app: RunSpec): boolean {
    // An instance whose checks do not run (it predates this leader's deployment) is not held back.
    return app.readinessChecks.length === 0 || this.ready.get(instanceId)?.ready === true || !this.readinessTracked.has(instanceId);
  }

  // --- the evaluation loop ------------------------------------------------------------------------

  private scheduleEvaluate(): void {
    if (this.evaluateQueued || this.stopped) return;
    this.evaluateQueued = true;
    this.opts.timers.setTimeout(() => {
      // Queued until it runs: changes that arrive while the queue is busy share one evaluation.
      void this.serial.run(() => {
        this.evaluateQueued = false;
        return this.evaluate();
      }).catch((e: unknown) => {
        this.opts.logger.error({ error: e instanceof Error ? e.message : String(e) }, 'evaluation failed; retrying');
        this.opts.timers.setTimeout(() => this.scheduleEvaluate(), 1000);
      });
    }, 0);
  }

  /** The deployment action that drives an app now; `null`: the app waits for a later step. */
  private actionFor(appId: PathId): { deployment: Deployment; action: DeploymentAction } | null | undefined {
    for (const d of this.deploymentsById.values()) {
      if (!d.affectedApps.includes(appId)) continue;
      const step = d.steps[d.currentStep - 1];
      const action = step?.actions.find((a) => a.app === appId);
      return action ? { deployment: d, action } : null;
    }
    return undefined;
  }

  /** The app, or the pod seen as a run spec, with this id (current definitions). */
  private runSpecOf(id: PathId): RunSpec | undefined {
    const app = findApp(this.root, id);
    if (app) return app;
    const pod = this.podsById.get(id);
    return pod === undefined ? undefined : podRunSpec(pod);
  }

  private decide(appId: PathId, instances: readonly Instance[]): ActionDecision & { driving: boolean } {
    const held = this.actionFor(appId);
    const counted = instances.filter((i) => i.condition !== 'UnreachableInactive');
    if (held === null) return { launch: 0, kill: [], done: true, driving: false };
    if (held) {
      const { deployment, action } = held;
      const stop = APP_ACTION_OF[action.action] === 'StopApplication';
      const app: RunSpec | undefined = stop ? findApp(deployment.original, appId) : this.runSpecOf(appId) ?? findApp(deployment.target, appId);
      // A stop takes every instance, inactive unreachable ones too (they are expunged, not left behind).
      if (!app) return { launch: 0, kill: instances.filter((i) => i.goal === 'Running').map((i) => i.instanceId), done: counted.length === 0, driving: true };
      const d = actionProgress({ action, app, instances: stop ? instances : counted, isReady: (id) => this.isReady(id, app) });
      return { ...d, driving: true };
    }
    const app = this.runSpecOf(appId);
    if (!app) {
      // Instances of an app that no longer exists (a forced cancel, a restart that found strays).
      return { launch: 0, kill: instances.filter((i) => i.goal === 'Running').map((i) => i.instanceId), done: true, driving: false };
    }
    const d = actionProgress({ action: { action: 'ScaleApplication', app: appId }, app, instances: counted, isReady: () => true });
    return { ...d, done: true, driving: false };
  }

  private async evaluate(): Promise<void> {
    if (this.stopped) return;
    const byApp = new Map<PathId, Instance[]>();
    for (const i of this.instancesById.values()) {
      const list = byApp.get(i.appId);
      if (list) list.push(i);
      else byApp.set(i.appId, [i]);
    }
    const of = (appId: PathId) => byApp.get(appId) ?? [];

    // Move deployments whose current step is done; a step may finish at once (a stop of nothing).
    for (let guard = 0; guard < 1000; guard++) {
      let moved = false;
      for (const d of [...this.deploymentsById.values()]) {
        const step = d.steps[d.currentStep - 1];
        if (step && !step.actions.every((a) => this.decide(a.app, of(a.app)).done)) continue;
        moved = true;
        const next: Deployment = { ...d, currentStep: d.currentStep + 1 };
        if (step) this.publish(ev.deploymentStepSuccessEvent(d, this.nowIso()));
        if (next.currentStep > d.steps.length) {
          await this.persist([{ op: 'deleteDeployment', deploymentId: d.id }]);
          this.deploymentsById.delete(d.id);
          this.publish(ev.deploymentSuccessEvent(d, this.nowIso()));
        } else {
          await this.persist([{ op: 'putDeployment', deployment: next }]);
          this.deploymentsById.set(d.id, next);
          this.publish(ev.deploymentInfoEvent(next, this.nowIso()));
        }
      }
      if (!moved) break;
    }

    const appIds = new Set<PathId>([...allApps(this.root).map((a) => a.id), ...this.podsById.keys(), ...byApp.keys()]);
    for (const d of this.deploymentsById.values()) for (const a of d.affectedApps) appIds.add(a);
    const kills: string[] = [];
    const now = isoOf(this.opts.clock.now());
    let total = 0;
    for (const appId of appIds) {
      const d = this.decide(appId, of(appId));
      kills.push(...d.kill);
      if (d.launch > 0) {
        const w = this.wanted.get(appId);
        this.wanted.set(appId, { count: d.launch, since: w && w.count > 0 ? w.since : now });
        total += d.launch;
      } else {
        this.wanted.delete(appId);
        this.stats.clear(appId);
      }
    }
    await this.stopInstances(kills);
    await this.updateDemand(total);
  }

  private async stopInstances(instanceIds: readonly string[]): Promise<void> {
    const stopping: Instance[] = [];
    for (const id of instanceIds) {
      const i = this.instancesById.get(id);
      if (!i) continue;
      const goal = this.runSpecOf(i.appId) ? 'Stopped' as const : 'Decommissioned' as const;
      stopping.push(i.goal === 'Running' ? { ...i, goal } : i);
    }
    if (stopping.length === 0) return;
    await this.persist(stopping.map((instance) => ({ op: 'putInstance', instance })));
    for (const i of stopping) this.instancesById.set(i.instanceId, i);
    await this.sendKills(stopping.map((i) => i.instanceId));
  }

  /**
   * Kills instances; an unreachable one is expunged instead (Marathon's kill service: no kill can
   * reach it, and a stop must not wait for its agent). Should its task come back, it is unknown and killed.
   */
  private async sendKills(instanceIds: readonly string[]): Promise<void> {
    const known = instanceIds.map((id) => this.instancesById.get(id)).filter((i): i is Instance => i !== undefined);
    const unreachable = known.filter((i) => i.condition === 'Unreachable' || i.condition === 'UnreachableInactive');
    if (unreachable.length > 0) await this.expunge(unreachable);
    const now = this.opts.clock.now();
    const driver = this.driver;
    if (!driver) return;
    await Promise.all(known.filter((i) => !unreachable.includes(i)).flatMap((i) => {
      this.killSentAt.set(i.instanceId, now);
      return taskIdsOf(i).map((taskId) => driver.kill(taskId, i.agentId));
    }));
  }

  private async updateDemand(total: number): Promise<void> {
    const driver = this.driver;
    if (!driver) return;
    if (total > 0 && total > this.demand) {
      // More wanted than before: clear the decline filters so agents offer again at once.
      await driver.setDemand(true);
      if (this.demand > 0) await driver.revive();
    } else if (total === 0 && this.demand !== 0) {
      await driver.setDemand(false);
    }
    this.demand = total;
  }

  // --- housekeeping ---------------------------------------------------------------------------

  private async applyUnreachableStrategy(i: Instance, now: number): Promise<void> {
    const app = this.runSpecOf(i.appId);
    const strategy = app?.unreachableStrategy;
    if (!strategy || strategy === 'disabled' || i.unreachableSince === undefined) return;
    const since = Date.parse(i.unreachableSince);
    if (now - since >= strategy.expungeAfterSeconds * 1000) {
      await this.expunge([i]);
      return;
    }
    if (now - since >= strategy.inactiveAfterSeconds * 1000 && i.condition === 'Unreachable') {
      const inactive: Instance = { ...i, condition: 'UnreachableInactive' };
      this.instancesById.set(i.instanceId, inactive);
      this.stage({ op: 'putInstance', instance: inactive });
      this.publish(ev.instanceChangedEvent(inactive, isoOf(now)));
      this.scheduleEvaluate();
    }
  }

  /** Forgets instances whose tasks cannot be reached (Marathon's ForceExpunge); a replacement follows. */
  private async expunge(instances: readonly Instance[]): Promise<void> {
    await this.persist(instances.map((i): StoreOperation => ({ op: 'deleteInstance', instanceId: i.instanceId })));
    for (const i of instances) {
      this.forget(i.instanceId);
      this.publish(ev.instanceChangedEvent({ ...i, condition: 'Gone' }, this.nowIso()));
    }
    this.scheduleEvaluate();
  }

  /** Drops everything the core keeps about an instance (it ended or was expunged). */
  /** Adds an instance (launched, or loaded) and indexes its pod tasks. */
  private remember(i: Instance): void {
    this.instancesById.set(i.instanceId, i);
    for (const t of i.podTasks ?? []) this.podTaskOwner.set(t.taskId, i.instanceId);
  }

  private forget(instanceId: string): void {
    for (const t of this.instancesById.get(instanceId)?.podTasks ?? []) this.podTaskOwner.delete(t.taskId);
    this.instancesById.delete(instanceId);
    this.killSentAt.delete(instanceId);
    this.ready.delete(instanceId);
    this.untrackChecks(instanceId);
  }

  /** Launches that take too long (Marathon's overdue tasks): never confirmed by TASK_STAGING, or never running. */
  private overdueLaunches(now: number): string[] {
    if (this.subscribedAt === undefined || this.driver?.state !== 'SUBSCRIBED') return [];
    const { launchConfirmTimeoutMs, launchTimeoutMs } = this.opts.config;
    const out: string[] = [];
    for (const i of this.instancesById.values()) {
      if (i.goal !== 'Running') continue;
      // Counted from the subscription at the earliest: a restarted marathon first hears what reconciliation says.
      const since = Math.max(Date.parse(i.stagedAt), this.subscribedAt);
      if (i.condition === 'Provisioned' && now - since > launchConfirmTimeoutMs) out.push(i.instanceId);
      else if ((i.condition === 'Staging' || i.condition === 'Starting') && now - since > launchTimeoutMs) out.push(i.instanceId);
    }
    return out;
  }

  private async housekeeping(): Promise<void> {
    if (this.stopped) return;
    const now = this.opts.clock.now();
    const retry: string[] = [];
    for (const i of [...this.instancesById.values()]) {
      if (i.condition === 'Unreachable' || i.condition === 'UnreachableInactive') await this.applyUnreachableStrategy(i, now);
      // A kill that got no answer is sent again; one of an instance that became unreachable meanwhile expunges it.
      if (i.goal !== 'Running' && now - (this.killSentAt.get(i.instanceId) ?? 0) >= this.opts.config.killRetryMs) retry.push(i.instanceId);
    }
    if (retry.length > 0) await this.sendKills(retry);
    const overdue = this.overdueLaunches(now);
    if (overdue.length > 0) {
      this.opts.logger.warn({ instances: overdue }, 'launches overdue (no TASK_STAGING / TASK_RUNNING in time); killing them');
      await this.stopInstances(overdue);
      this.scheduleEvaluate();
    }
    // A backoff that ran out since the last round makes its app launchable again (a late or
    // skipped tick does not miss it).
    const since = this.lastHousekeeping ?? this.attachedAt;
    this.lastHousekeeping = now;
    for (const [appId, b] of this.backoffs) {
      if (b.until <= now && b.until > since && (this.wanted.get(appId)?.count ?? 0) > 0) {
        await this.driver?.revive();
        break;
      }
    }
    // Marathon's cleanUpOverdueDelays: a delay is dropped once maxLaunchDelaySeconds passed since the failure that set it.
    for (const [appId, b] of [...this.backoffs]) {
      const app = this.runSpecOf(appId);
      if (!app || now > b.until - b.delaySeconds * 1000 + app.maxLaunchDelaySeconds * 1000) this.backoffs.delete(appId);
    }
  }

  // --- events ---------------------------------------------------------------------------------

  // --- persistence ---------------------------------------------------------------------------

  /**
   * Writes `ops` after every staged write, in one transaction each: a change never overtakes an
   * earlier staged state of the same instance.
   */
  private async persist(ops: readonly StoreOperation[]): Promise<void> {
    await this.flush();
    await this.opts.store.apply(ops);
  }

  /**
   * Stages a write that may land a moment later (a status update's new condition, a finished
   * instance): what the master reports is recovered by reconciliation after a restart, so the
   * update is acknowledged without waiting for the database, and many land in one transaction.
   * Writes that guard against duplicates (Provisioned before LAUNCH, goals) go through `persist`.
   */
  private stage(op: StoreOperation): void {
    const key = op.op === 'putInstance' ? `i:${op.instance.instanceId}` : op.op === 'deleteInstance' ? `i:${op.instanceId}`
      : op.op === 'putTaskFailure' ? `f:${op.failure.appId}` : `x:${this.staged.size}:${op.op}`;
    this.staged.delete(key); // re-inserted last: the map keeps write order
    this.staged.set(key, op);
    if (this.flushQueued || this.stopped) return;
    this.flushQueued = true;
    this.opts.timers.setTimeout(() => {
      this.flushQueued = false;
      void this.serial.run(() => this.flush()).catch((e: unknown) => {
        this.opts.logger.error({ error: e instanceof Error ? e.message : String(e) }, 'writing instance states failed; retrying');
        this.opts.timers.setTimeout(() => void this.serial.run(() => this.flush()).catch(() => undefined), 1000);
      });
    }, 0);
  }

  private async flush(): Promise<void> {
    if (this.staged.size === 0) return;
    const batch = [...this.staged];
    this.staged.clear();
    try {
      await this.opts.store.apply(batch.map(([, op]) => op));
    } catch (e) {
      // Put back what no newer write replaced, in front of it, and let the caller see the error.
      const newer = new Map(this.staged);
      this.staged.clear();
      for (const [k, op] of batch) if (!newer.has(k)) this.staged.set(k, op);
      for (const [k, op] of newer) this.staged.set(k, op);
      throw e;
    }
  }

  private publish(event: MarathonEvent): void {
    this.opts.events.publish(event);
  }

  private nowIso(): Timestamp {
    return isoOf(this.opts.clock.now());
  }
}

/**
 * A definition the REST layer parsed carries the version of its parse; the change's own version
 * (of its deployment and groups) is taken a moment later. Marathon's are one and the same, so a new
 * or changed app takes the change's version (and so do the `versionInfo` stamps of its parse); an
 * unchanged one (its stored version) is left alone.
 */
function restamp(app: AppDefinition, previous: AppDefinition | undefined, version: Timestamp): AppDefinition {
  if (previous !== undefined && previous.version === app.version) return app;
  const vi = app.versionInfo;
  return {
    ...app,
    version,
    versionInfo: {
      lastScalingAt: vi.lastScalingAt === app.version ? version : vi.lastScalingAt,
      lastConfigChangeAt: vi.lastConfigChangeAt === app.version ? version : vi.lastConfigChangeAt,
    },
  };
}

function restampGroup(group: Group, root: Group, version: Timestamp): Group {
  return { ...group, apps: group.apps.map((a) => restamp(a, findApp(root, a.id), version)), groups: group.groups.map((g) => restampGroup(g, root, version)) };
}

/** The Mesos tasks of an instance: one for an app, one per container for a pod. */
const taskIdsOf = (i: Instance): string[] => i.podTasks?.map((t) => t.taskId) ?? [i.taskId];

const isTerminalState = (s: TaskStateName): boolean =>
  s === 'TASK_FINISHED' || s === 'TASK_FAILED' || s === 'TASK_KILLED' || s === 'TASK_ERROR' || s === 'TASK_LOST' ||
  s === 'TASK_DROPPED' || s === 'TASK_GONE' || s === 'TASK_GONE_BY_OPERATOR' || s === 'TASK_UNKNOWN';
