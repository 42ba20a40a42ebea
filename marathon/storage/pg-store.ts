/**
 * `MarathonStore` on PostgreSQL (tables: schema.ts). `createPgMarathonStore` brings the schema
 * up to date first (refusing a database a newer maestro migrated).
 *
 * Invariants: `apply` runs its operations in order in one transaction on one connection (all
 * land or none); an app keeps at most `MAX_APP_VERSIONS` versions and a pod at most
 * `MAX_POD_VERSIONS`, the oldest pruned in the same transaction as the put; definitions are sent
 * as JSON text (never as pg's array conversion) and come back parsed from `jsonb`. The pool is
 * the caller's: `close()` only stops this store from being used.
 */
import type pg from 'pg';
import { migrate, withClient } from '../../common/db/migrations.ts';
import type { AppDefinition, Deployment, Instance, PathId, TaskFailure, Timestamp } from '../model.ts';
import type { GroupRecord, MarathonStore, StoredState, StoreOperation } from '../ports.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import { MAX_APP_VERSIONS, MAX_POD_VERSIONS } from './app-versions.ts';
import { MARATHON_COMPONENT, marathonMigrations } from './schema.ts';
import { toStoredJson } from '../../common/db/storable.ts';

type Statement = readonly [sql: string, params: readonly unknown[]];

/** A versioned kind of definition: its current-definition table and its history table. */
interface Versioned {
  readonly current: 'marathon.apps' | 'marathon.pods';
  readonly history: 'marathon.app_versions' | 'marathon.pod_versions';
  readonly key: 'app_id' | 'pod_id';
  readonly max: number;
}

const APPS: Versioned = { current: 'marathon.apps', history: 'marathon.app_versions', key: 'app_id', max: MAX_APP_VERSIONS };
const PODS: Versioned = { current: 'marathon.pods', history: 'marathon.pod_versions', key: 'pod_id', max: MAX_POD_VERSIONS };

/** The current definition, the same version in the history (replaced), and the pruning. */
function putVersioned(kind: Versioned, id: string, version: string, json: string): Statement[] {
  const { current, history, key, max } = kind;
  return [
    [`INSERT INTO ${current} (id, version, def) VALUES ($1, $2, $3::jsonb) ` +
      'ON CONFLICT (id) DO UPDATE SET version = excluded.version, def = excluded.def', [id, version, json]],
    [`INSERT INTO ${history} (${key}, version, def) VALUES ($1, $2, $3::jsonb) ` +
      `ON CONFLICT (${key}, version) DO UPDATE SET def = excluded.def`, [id, version, json]],
    [`DELETE FROM ${history} WHERE ${key} = $1 AND version IN ` +
      `(SELECT version FROM ${history} WHERE ${key} = $1 ORDER BY version DESC OFFSET $2)`, [id, max]],
  ];
}

function statementsOf(op: StoreOperation): Statement[] {
  switch (op.op) {
    case 'putApp':
      return putVersioned(APPS, op.app.id, op.app.version, toStoredJson(op.app, `app ${op.app.id}`));
    case 'deleteApp':
      return [
        ['DELETE FROM marathon.apps WHERE id = $1', [op.appId]],
        ['DELETE FROM marathon.app_versions WHERE app_id = $1', [op.appId]],
        ['DELETE FROM marathon.task_failures WHERE app_id = $1', [op.appId]],
      ];
    case 'putGroup':
      return [['INSERT INTO marathon.groups (id, def) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET def = excluded.def',
        [op.group.id, toStoredJson(op.group, `group ${op.group.id}`)]]];
    case 'deleteGroup':
      return [['DELETE FROM marathon.groups WHERE id = $1', [op.groupId]]];
    case 'putDeployment':
      return [['INSERT INTO marathon.deployments (id, def) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET def = excluded.def',
        [op.deployment.id, toStoredJson(op.deployment, `deployment ${op.deployment.id}`)]]];
    case 'deleteDeployment':
      return [['DELETE FROM marathon.deployments WHERE id = $1', [op.deploymentId]]];
    case 'putInstance':
      return [['INSERT INTO marathon.instances (instance_id, app_id, def) VALUES ($1, $2, $3::jsonb) ' +
        'ON CONFLICT (instance_id) DO UPDATE SET app_id = excluded.app_id, def = excluded.def',
        [op.instance.instanceId, op.instance.appId, toStoredJson(op.instance, `instance ${op.instance.instanceId}`)]]];
    case 'deleteInstance':
      return [['DELETE FROM marathon.instances WHERE instance_id = $1', [op.instanceId]]];
    case 'putTaskFailure':
      return [['INSERT INTO marathon.task_failures (app_id, def) VALUES ($1, $2::jsonb) ON CONFLICT (app_id) DO UPDATE SET def = excluded.def',
        [op.failure.appId, toStoredJson(op.failure, `task failure of ${op.failure.appId}`)]]];
    case 'putFrameworkId':
      toStoredJson(op.frameworkId, 'framework id');
      return [['INSERT INTO marathon.framework (singleton, framework_id) VALUES (true, $1) ' +
        'ON CONFLICT (singleton) DO UPDATE SET framework_id = excluded.framework_id', [op.frameworkId]]];
    case 'putPod':
      return putVersioned(PODS, op.pod.id, op.pod.version, toStoredJson(op.pod, `pod ${op.pod.id}`));
    case 'deletePod':
      return [
        ['DELETE FROM marathon.pods WHERE id = $1', [op.podId]],
        ['DELETE FROM marathon.pod_versions WHERE pod_id = $1', [op.podId]],
        ['DELETE FROM marathon.task_failures WHERE app_id = $1', [op.podId]],
      ];
    default: {
      const never: never = op;
      throw new Error(`unknown store operation ${JSON.stringify(never)}`);
    }
  }
}

export async function createPgMarathonStore(pool: pg.Pool): Promise<MarathonStore> {
  await migrate(pool, MARATHON_COMPONENT, marathonMigrations);
  let closed = false;
  const db = (): pg.Pool => {
    if (closed) throw new Error('the marathon store is closed');
    return pool;
  };
  const defs = async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> =>
    (await db().query<{ def: T }>(sql, params as unknown[])).rows.map((r) => r.def);
  /** Newest first; undefined when there is no current definition of `id`. */
  const versionsOf = async ({ current, history, key }: Versioned, id: string): Promise<readonly Timestamp[] | undefined> => {
    const { rows } = await db().query<{ version: string | null }>(
      `SELECT v.version FROM ${current} c LEFT JOIN ${history} v ON v.${key} = c.id ` +
      'WHERE c.id = $1 ORDER BY v.version DESC', [id]);
    if (rows.length === 0) return undefined;
    return rows.flatMap((r) => (r.version === null ? [] : [r.version]));
  };
  const versionOf = async <T>({ history, key }: Versioned, id: string, version: string): Promise<T | undefined> => {
    const [def] = await defs<T>(`SELECT def FROM ${history} WHERE ${key} = $1 AND version = $2`, [id, version]);
    return def;
  };

  return {
    async load(): Promise<StoredState> {
      db();
      const [apps, groups, deployments, instances, taskFailures, framework, pods] = await Promise.all([
        defs<AppDefinition>('SELECT def FROM marathon.apps ORDER BY id'),
        defs<GroupRecord>('SELECT def FROM marathon.groups ORDER BY id'),
        defs<Deployment>('SELECT def FROM marathon.deployments ORDER BY id'),
        defs<Instance>('SELECT def FROM marathon.instances ORDER BY instance_id'),
        defs<TaskFailure>('SELECT def FROM marathon.task_failures ORDER BY app_id'),
        db().query<{ framework_id: string }>('SELECT framework_id FROM marathon.framework'),
        defs<PodDefinition>('SELECT def FROM marathon.pods ORDER BY id'),
      ]);
      return { apps, groups, deployments, instances, taskFailures, frameworkId: framework.rows[0]?.framework_id, pods };
    },

    async apply(ops: readonly StoreOperation[]): Promise<void> {
      // Turned into SQL before the transaction starts: an unstorable value fails with nothing sent.
      const statements = ops.flatMap(statementsOf);
      if (statements.length === 0) return;
      await withClient(db(), async (client) => {
        await client.query('BEGIN');
        try {
          for (const [sql, params] of statements) await client.query(sql, params as unknown[]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      });
    },

    async appVersions(appId: PathId): Promise<readonly Timestamp[] | undefined> {
      return versionsOf(APPS, appId);
    },

    async appVersion(appId: PathId, version: Timestamp): Promise<AppDefinition | undefined> {
      return versionOf<AppDefinition>(APPS, appId, version);
    },

    async podVersions(podId: PathId): Promise<readonly Timestamp[] | undefined> {
      return versionsOf(PODS, podId);
    },

    async podVersion(podId: PathId, version: Timestamp): Promise<PodDefinition | undefined> {
      return versionOf<PodDefinition>(PODS, podId, version);
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
