/**
 * Test fixtures for marathon/http and marathon/events: builders of normalised app definitions and
 * instances, and `FakeService`, an in-memory implementation of the `MarathonService` port that
 * records every change call (so a test can assert that a rejected request changed nothing) and
 * answers with scripted results. Used only by tests.
 */
import type {
  AppDefinition, Deployment, Group, Instance, MarathonEvent, PathId, ReadinessResult, TaskFailure, Timestamp,
} from '../model.ts';
import { asPathId } from '../model.ts';
import { withApps } from '../app/group.ts';
import { testApp } from '../app/test-app.ts';
import type {
  ChangeOptions, ChangeResult, MarathonService, MarathonStatus, QueueEntry, ServiceError,
} from '../ports.ts';

export const T0 = '2026-11-22T10:00:00.000Z';

export function appDef(id: string, over: Partial<AppDefinition> = {}): AppDefinition {
  const { id: _ignored, ...rest } = over;
  return testApp(id, { portDefinitions: [{ port: 10000, protocol: 'tcp' }], version: T0, versionInfo: { lastScalingAt: T0, lastConfigChangeAt: T0 }, ...rest });
}

export function instance(appId: string, n: number, over: Partial<Instance> = {}): Instance {
  const base = appId.slice(1).replaceAll('/', '_');
  return {
    instanceId: `${base}.instance-0000000${n}`,
    taskId: `${base}.instance-0000000${n}._app.1`,
    appId: asPathId(appId),
    version: T0,
    condition: 'Running',
    state: 'TASK_RUNNING',
    agentId: 'agent-1',
    host: 'host-1',
    ports: [31000 + n],
    ipAddresses: [{ ipAddress: '10.0.0.1', protocol: 'IPv4' }],
    attributes: {},
    role: '*',
    stagedAt: '2026-11-22T10:00:01.000Z',
    startedAt: '2026-11-22T10:00:02.000Z',
    healthCheckResults: [],
    goal: 'Running',
    ...over,
  };
}

export function group(id: string, apps: readonly AppDefinition[], groups: readonly Group[] = []): Group {
  return { id: asPathId(id), apps, groups, dependencies: [], version: T0 };
}

export function deployment(id: string, over: Partial<Deployment> = {}): Deployment {
  return {
    id,
    version: T0,
    original: group('/', []),
    target: group('/', []),
    steps: [],
    affectedApps: [],
    currentStep: 1,
    restartApps: [],
    ...over,
  };
}

/** The root group holding `apps`, with every group their ids imply (`/a/b/c` -> groups `/a`, `/a/b`). */
export function treeOf(apps: readonly AppDefinition[]): Group {
  const build = (id: string): Group => {
    const prefix = id === '/' ? '/' : `${id}/`;
    const below = apps.filter((a) => a.id.startsWith(prefix));
    const direct = below.filter((a) => !a.id.slice(prefix.length).includes('/'));
    const childNames = [...new Set(below.filter((a) => a.id.slice(prefix.length).includes('/')).map((a) => a.id.slice(prefix.length).split('/')[0]))];
    return group(id, direct, childNames.map((n) => build(`${prefix}${n}`)));
  };
  return build('/');
}

export type ChangeCall = { readonly method: string; readonly args: readonly unknown[] };

/** An in-memory MarathonService: reads from fields, changes recorded in `calls`. */
export class FakeService implements MarathonService {
  root: Group = group('/', []);
  insts: Instance[] = [];
  deps: Deployment[] = [];
  failures = new Map<string, TaskFailure>();
  queueEntries: QueueEntry[] = [];
  versions = new Map<string, AppDefinition[]>();
  readinessResults = new Map<string, ReadinessResult[]>();
  statusValue: MarathonStatus = {
    leader: 'localhost:8080', isLeader: true, frameworkId: 'fw-1', elected: true, master: 'http://m:5050', subscribed: true,
  };
  calls: ChangeCall[] = [];
  listeners = new Set<(e: MarathonEvent) => void>();
  /** Scripted answer of the next change call (default: a deployment `dep-1`). */
  nextResult: ChangeResult = { ok: true, deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' };
  killResult: Awaited<ReturnType<MarathonService['killTasks']>> | undefined;
  cancelResult: Awaited<ReturnType<MarathonService['cancelDeployment']>> | undefined;

  constructor(apps: readonly AppDefinition[] = []) {
    this.root = treeOf(apps);
  }

  rootGroup(): Group { return this.root; }
  apps(): readonly AppDefinition[] {
    const all: AppDefinition[] = [];
    const walk = (g: Group): void => { all.push(...g.apps); g.groups.forEach(walk); };
    walk(this.root);
    return all;
  }
  app(id: PathId): AppDefinition | undefined { return this.apps().find((a) => a.id === id); }
  instances(appId?: PathId): readonly Instance[] { return appId === undefined ? this.insts : this.insts.filter((i) => i.appId === appId); }
  instance(id: string): Instance | undefined { return this.insts.find((i) => i.taskId === id || i.instanceId === id); }
  deployments(): readonly Deployment[] { return this.deps; }
  lastTaskFailure(appId: PathId): TaskFailure | undefined { return this.failures.get(appId); }
  queue(): readonly QueueEntry[] { return this.queueEntries; }
  async appVersions(appId: PathId): Promise<readonly Timestamp[] | undefined> {
    const v = this.versions.get(appId);
    return v?.map((a) => a.version);
  }
  async appVersion(appId: PathId, version: Timestamp): Promise<AppDefinition | undefined> {
    return this.versions.get(appId)?.find((a) => a.version === version);
  }
  readiness(appId: PathId): readonly ReadinessResult[] { return this.readinessResults.get(appId) ?? []; }

  private record<T>(method: string, args: readonly unknown[], result: T): Promise<T> {
    this.calls.push({ method, args });
    return Promise.resolve(result);
  }
  /** Like the core, a successful create puts the app into the tree (service ports assigned there). */
  createApp(app: AppDefinition, opts: ChangeOptions): Promise<ChangeResult> {
    if (this.nextResult.ok) this.root = withApps(this.root, [app], this.nextResult.version);
    return this.record('createApp', [app, opts], this.nextResult);
  }
  putApps(apps: readonly AppDefinition[], opts: ChangeOptions): Promise<ChangeResult> { return this.record('putApps', [apps, opts], this.nextResult); }
  deleteApp(id: PathId, opts: ChangeOptions): Promise<ChangeResult> { return this.record('deleteApp', [id, opts], this.nextResult); }
  restartApp(id: PathId, opts: ChangeOptions): Promise<ChangeResult> { return this.record('restartApp', [id, opts], this.nextResult); }
  putGroup(g: Group, opts: ChangeOptions & { readonly create: boolean }): Promise<ChangeResult> { return this.record('putGroup', [g, opts], this.nextResult); }
  scaleGroup(id: PathId, factor: number, opts: ChangeOptions): Promise<ChangeResult> { return this.record('scaleGroup', [id, factor, opts], this.nextResult); }
  deleteGroup(id: PathId, opts: ChangeOptions): Promise<ChangeResult> { return this.record('deleteGroup', [id, opts], this.nextResult); }
  killTasks(taskIds: readonly string[], opts: ChangeOptions & { readonly scale: boolean; readonly wipe: boolean }) {
    const killed = this.insts.filter((i) => taskIds.includes(i.taskId) || taskIds.includes(i.instanceId));
    return this.record('killTasks', [taskIds, opts], this.killResult ?? (opts.scale
      ? { ok: true as const, killed, deploymentId: 'dep-kill', version: '2026-11-22T11:00:00.000Z' }
      : { ok: true as const, killed }));
  }
  cancelDeployment(id: string, opts: ChangeOptions) {
    const known = this.deps.some((d) => d.id === id);
    const notFound: ServiceError = { ok: false, status: 404, message: `DeploymentPlan ${id} does not exist` };
    const answer = this.cancelResult ?? (!known ? notFound : opts.force ? { ok: true as const } : this.nextResult);
    return this.record('cancelDeployment', [id, opts], answer);
  }
  resetDelay(appId: PathId): boolean {
    this.calls.push({ method: 'resetDelay', args: [appId] });
    return this.app(appId) !== undefined;
  }
  subscribe(listener: (event: MarathonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(e: MarathonEvent): void { for (const l of [...this.listeners]) l(e); }
  status(): MarathonStatus { return this.statusValue; }
  changeCalls(): readonly ChangeCall[] { return this.calls; }
}
