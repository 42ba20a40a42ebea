/**
 * `MarathonStore` in memory, for unit tests of the core: the same semantics as the PostgreSQL
 * store (store-contract.ts runs against both). It keeps JSON text, not objects, so what comes
 * back is a fresh copy that went through the same JSON round trip as `jsonb`, and a caller can
 * never change stored state by mutating an object.
 *
 * Stores made on one `MemoryBacking` see the same data, as two connections to one database do:
 * a test can "restart" marathon by making a new store on the old backing.
 *
 * Invariants: `apply` works on a copy and swaps it in only when every operation succeeded (one
 * transaction); an app has at most `MAX_APP_VERSIONS` versions, a pod at most `MAX_POD_VERSIONS`.
 */
import type { AppDefinition, PathId, Timestamp } from '../model.ts';
import type { MarathonStore, StoredState, StoreOperation } from '../ports.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import { MAX_APP_VERSIONS, MAX_POD_VERSIONS, newestFirst, versionsToPrune } from './app-versions.ts';
import { toStoredJson } from '../../common/db/storable.ts';

interface Tables {
  /** app id -> JSON of the current definition */
  readonly apps: Map<string, string>;
  /** app id -> version -> JSON */
  readonly versions: Map<string, Map<string, string>>;
  readonly groups: Map<string, string>;
  readonly deployments: Map<string, string>;
  readonly instances: Map<string, string>;
  /** app id -> JSON of its last failure */
  readonly taskFailures: Map<string, string>;
  frameworkId: string | undefined;
  /** pod id -> JSON of the current definition */
  readonly pods: Map<string, string>;
  /** pod id -> version -> JSON */
  readonly podVersions: Map<string, Map<string, string>>;
}

/** The data behind memory stores; share one between stores to simulate a restart. */
export interface MemoryBacking {
  tables: Tables;
}

export function createMemoryBacking(): MemoryBacking {
  return {
    tables: {
      apps: new Map(), versions: new Map(), groups: new Map(), deployments: new Map(),
      instances: new Map(), taskFailures: new Map(), frameworkId: undefined, pods: new Map(), podVersions: new Map(),
    },
  };
}

const copyVersions = (m: Map<string, Map<string, string>>): Map<string, Map<string, string>> =>
  new Map([...m].map(([id, v]) => [id, new Map(v)]));

/** Puts `json` as the current definition of `id` and as its version `version`, pruning to `max`. */
function putVersioned(
  current: Map<string, string>, history: Map<string, Map<string, string>>, id: string, version: Timestamp, json: string, max: number,
): void {
  current.set(id, json);
  const versions = history.get(id) ?? new Map<string, string>();
  versions.set(version, json);
  for (const old of versionsToPrune(versions.keys(), max)) versions.delete(old);
  history.set(id, versions);
}

function copyTables(t: Tables): Tables {
  return {
    apps: new Map(t.apps),
    versions: copyVersions(t.versions),
    groups: new Map(t.groups),
    deployments: new Map(t.deployments),
    instances: new Map(t.instances),
    taskFailures: new Map(t.taskFailures),
    frameworkId: t.frameworkId,
    pods: new Map(t.pods),
    podVersions: copyVersions(t.podVersions),
  };
}

function applyOne(t: Tables, op: StoreOperation): void {
  switch (op.op) {
    case 'putApp':
      putVersioned(t.apps, t.versions, op.app.id, op.app.version, toStoredJson(op.app, `app ${op.app.id}`), MAX_APP_VERSIONS);
      return;
    case 'deleteApp':
      t.apps.delete(op.appId);
      t.versions.delete(op.appId);
      t.taskFailures.delete(op.appId);
      return;
    case 'putGroup':
      t.groups.set(op.group.id, toStoredJson(op.group, `group ${op.group.id}`));
      return;
    case 'deleteGroup':
      t.groups.delete(op.groupId);
      return;
    case 'putDeployment':
      t.deployments.set(op.deployment.id, toStoredJson(op.deployment, `deployment ${op.deployment.id}`));
      return;
    case 'deleteDeployment':
      t.deployments.delete(op.deploymentId);
      return;
    case 'putInstance':
      t.instances.set(op.instance.instanceId, toStoredJson(op.instance, `instance ${op.instance.instanceId}`));
      return;
    case 'deleteInstance':
      t.instances.delete(op.instanceId);
      return;
    case 'putTaskFailure':
      t.taskFailures.set(op.failure.appId, toStoredJson(op.failure, `task failure of ${op.failure.appId}`));
      return;
    case 'putFrameworkId':
      toStoredJson(op.frameworkId, 'framework id');
      t.frameworkId = op.frameworkId;
      return;
    case 'putPod':
      putVersioned(t.pods, t.podVersions, op.pod.id, op.pod.version, toStoredJson(op.pod, `pod ${op.pod.id}`), MAX_POD_VERSIONS);
      return;
    case 'deletePod':
      t.pods.delete(op.podId);
      t.podVersions.delete(op.podId);
      t.taskFailures.delete(op.podId);
      return;
    default: {
      const never: never = op;
      throw new Error(`unknown store operation ${JSON.stringify(never)}`);
    }
  }
}

const byKey = <T>(m: Map<string, string>): T[] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, json]) => JSON.parse(json) as T);

export function createMemoryMarathonStore(backing: MemoryBacking = createMemoryBacking()): MarathonStore {
  let closed = false;
  const open = (): Tables => {
    if (closed) throw new Error('the marathon store is closed');
    return backing.tables;
  };
  return {
    async load(): Promise<StoredState> {
      const t = open();
      return {
        apps: byKey(t.apps),
        groups: byKey(t.groups),
        deployments: byKey(t.deployments),
        instances: byKey(t.instances),
        taskFailures: byKey(t.taskFailures),
        frameworkId: t.frameworkId,
        pods: byKey(t.pods),
      };
    },
    async apply(ops: readonly StoreOperation[]): Promise<void> {
      const next = copyTables(open());
      for (const op of ops) applyOne(next, op);
      backing.tables = next;
    },
    async appVersions(appId: PathId): Promise<readonly Timestamp[] | undefined> {
      const t = open();
      if (!t.apps.has(appId)) return undefined;
      return newestFirst(t.versions.get(appId)?.keys() ?? []);
    },
    async appVersion(appId: PathId, version: Timestamp): Promise<AppDefinition | undefined> {
      const json = open().versions.get(appId)?.get(version);
      return json === undefined ? undefined : (JSON.parse(json) as AppDefinition);
    },
    async podVersions(podId: PathId): Promise<readonly Timestamp[] | undefined> {
      const t = open();
      if (!t.pods.has(podId)) return undefined;
      return newestFirst(t.podVersions.get(podId)?.keys() ?? []);
    },
    async podVersion(podId: PathId, version: Timestamp): Promise<PodDefinition | undefined> {
      const json = open().podVersions.get(podId)?.get(version);
      return json === undefined ? undefined : (JSON.parse(json) as PodDefinition);
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
