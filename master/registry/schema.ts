/**
 * The registry's tables in PostgreSQL (component `master` in `schema_migrations`; see
 * common/db/migrations.ts). Append migrations; never edit an applied one.
 *
 *   master_registry_agents(agent_id PK, state admitted|unreachable|gone, info jsonb (AgentInfo,
 *                          null once gone), since_ms (unreachable or gone since), seq (order in
 *                          which agents became unreachable))
 *   master_registry_weights(role PK, weight > 0)
 *   master_registry_quotas(role PK, guarantees jsonb, limits jsonb)   {"cpus": 2, ...}
 *   master_registry_frameworks(framework_id PK, info jsonb (FrameworkInfo), removed_ms)
 */
import type { Migration } from '../../common/db/migrations.ts';

export const REGISTRY_COMPONENT = 'master';

export const registryMigrations: readonly Migration[] = [{
  version: 1,
  name: 'registry',
  sql: `
    CREATE SEQUENCE master_registry_agent_seq;
    CREATE TABLE master_registry_agents (
      agent_id text PRIMARY KEY,
      state text NOT NULL CHECK (state IN ('admitted', 'unreachable', 'gone')),
      info jsonb,
      since_ms bigint,
      seq bigint NOT NULL DEFAULT nextval('master_registry_agent_seq'),
      CHECK ((state = 'gone') = (info IS NULL)),
      CHECK ((state = 'admitted') = (since_ms IS NULL)));
    CREATE INDEX master_registry_agents_unreachable ON master_registry_agents (seq) WHERE state = 'unreachable';
    CREATE TABLE master_registry_weights (
      role text PRIMARY KEY,
      weight double precision NOT NULL CHECK (weight > 0));
    CREATE TABLE master_registry_quotas (
      role text PRIMARY KEY,
      guarantees jsonb NOT NULL,
      limits jsonb NOT NULL);
    CREATE TABLE master_registry_frameworks (
      framework_id text PRIMARY KEY,
      info jsonb NOT NULL,
      removed_ms bigint);`,
}];
