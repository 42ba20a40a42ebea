/**
 * `MarathonStore` on PostgreSQL (tables: schema.ts). `createPgMarathonStore` brings the schema
 * up to date first (refusing a database a newer maestro migrated).
 *
 * Invariants: `apply` runs its operations in order in one transaction on one connection (all
 * land or none); an app keeps at most `MAX_APP_VERSIONS` versions, the oldest pruned in the
 * same transaction as the put; definitions are sent as JSON text (never as pg's array
 * conversion) and come back parsed from `jsonb`. The pool is the caller's: `close()` only
 * stops this store from being used.
 */
import type pg from 'pg';
import { migrate, withClient } from '../../common/db/migrations.ts';
import type { AppDefinition, Deployment, Instance, PathId, TaskFailure, Timestamp } from '../model.ts';
import type { GroupRecord, MarathonStore, StoredState, StoreOperation } from '../ports.ts';
import { MAX_APP_VERSIONS } from './app-versions.ts';
import { MARATHON_COMPONENT, marathonMigrations } from './schema.ts';
import { toStoredJson } from './storable.ts';

type Statement = readonly [sql: string, params: readonly unknown[]];

function statementsOf(op: StoreOperation): Statement[] {
  switch (op.op) {
    case 'putApp': {
      const json = toStoredJson(op.app, `app ${op.app.id}`);
      return [
        ['INSERT INTO marathon.apps (id, version, def) VALUES ($1, $2, $3::jsonb) ' +
          'ON CONFLICT (id) DO UPDATE SET version = excluded.version, def = excluded.def', [op.app.id, op.app.version, json]],
        ['INSERT INTO marathon.app_versions (app_id, version, def) VALUES ($1, $2, $3::jsonb) ' +
          'ON CONFLICT (app_id, version) DO UPDATE SET def = excluded.def', [op.app.id, op.app.version, json]],
        ['DELETE FROM marathon.app_versions WHERE app_id = $1 AND version IN ' +
          '(SELECT version FROM marathon.app_versions WHERE app_id = $1 ORDER BY version DESC OFFSET $2)', [op.app.id, MAX_APP_VERSIONS]],
      ];
    }
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

  return {
    async load(): Promise<StoredState> {
      db();
      const [apps, groups, deployments, instances, taskFailures, framework] = await Promise.all([
        defs<AppDefinition>('SELECT def FROM marathon.apps ORDER BY id'),
        defs<GroupRecord>('SELECT def FROM marathon.groups ORDER BY id'),
        defs<Deployment>('SELECT def FROM marathon.deployments ORDER BY id'),
        defs<Instance>('SELECT def FROM marathon.instances ORDER BY instance_id'),
        defs<TaskFailure>('SELECT def FROM marathon.task_failures ORDER BY app_id'),
        db().query<{ framework_id: string }>('SELECT framework_id FROM marathon.framework'),
      ]);
      return { apps, groups, deployments, instances, taskFailures, frameworkId: framework.rows[0]?.framework_id };
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
      const { rows } = await db().query<{ version: string | null }>(
        'SELECT v.version FROM marathon.apps a LEFT JOIN marathon.app_versions v ON v.app_id = a.id ' +
        'WHERE a.id = $1 ORDER BY v.version DESC', [appId]);
      if (rows.length === 0) return undefined;
      return rows.flatMap((r) => (r.version === null ? [] : [r.version]));
    },

    async appVersion(appId: PathId, version: Timestamp): Promise<AppDefinition | undefined> {
      const [def] = await defs<AppDefinition>('SELECT def FROM marathon.app_versions WHERE app_id = $1 AND version = $2', [appId, version]);
      return def;
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
