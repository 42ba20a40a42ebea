/**
 * Marathon's tables, as versioned migrations (common/db/migrations.ts, component `marathon`).
 * They live in the schema `marathon`, so a database shared with the master and the batch
 * framework (one `--database` for all) has no name clashes. Definitions are `jsonb` documents
 * (the Marathon JSON of the object, see marathon/model.ts); columns beside them are only the
 * keys that are looked up or ordered by. Versions and ids compare in "C" collation: code-unit
 * order, which for ISO-8601 versions is time order, whatever the database's locale.
 *
 * Append new migrations; never edit an applied one.
 */
import type { Migration } from '../../common/db/migrations.ts';

export const MARATHON_COMPONENT = 'marathon';

export const marathonMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'apps, versions, groups, deployments, instances, task failures, framework id',
    sql: `
      CREATE SCHEMA IF NOT EXISTS marathon;
      CREATE TABLE marathon.apps (
        id text COLLATE "C" PRIMARY KEY,
        version text COLLATE "C" NOT NULL,
        def jsonb NOT NULL
      );
      CREATE TABLE marathon.app_versions (
        app_id text COLLATE "C" NOT NULL,
        version text COLLATE "C" NOT NULL,
        def jsonb NOT NULL,
        PRIMARY KEY (app_id, version)
      );
      CREATE TABLE marathon.groups (
        id text COLLATE "C" PRIMARY KEY,
        def jsonb NOT NULL
      );
      CREATE TABLE marathon.deployments (
        id text COLLATE "C" PRIMARY KEY,
        def jsonb NOT NULL
      );
      CREATE TABLE marathon.instances (
        instance_id text COLLATE "C" PRIMARY KEY,
        app_id text COLLATE "C" NOT NULL,
        def jsonb NOT NULL
      );
      CREATE INDEX instances_app_id ON marathon.instances (app_id);
      CREATE TABLE marathon.task_failures (
        app_id text COLLATE "C" PRIMARY KEY,
        def jsonb NOT NULL
      );
      CREATE TABLE marathon.framework (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        framework_id text NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'pods and pod versions',
    sql: `
      CREATE TABLE marathon.pods (
        id text COLLATE "C" PRIMARY KEY,
        version text COLLATE "C" NOT NULL,
        def jsonb NOT NULL
      );
      CREATE TABLE marathon.pod_versions (
        pod_id text COLLATE "C" NOT NULL,
        version text COLLATE "C" NOT NULL,
        def jsonb NOT NULL,
        PRIMARY KEY (pod_id, version)
      );
    `,
  },
];
