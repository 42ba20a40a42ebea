/**
 * The registry in PostgreSQL (schema.ts): what several masters share. `apply` runs a batch in one
 * transaction on one pooled session; consecutive admissions (a wave of agents registering) go
 * in one multi-row INSERT, so a batch of N admissions is one statement, not N.
 *
 * The SQL mirrors `applyOperation` (registry.ts) operation by operation; the contract suite
 * checks they agree.
 *
 * Fencing (`fence`, common/db/leader-fence.ts): each batch first checks, in its transaction, that the leaders row of
 * `component` names `address` and that the row's session still holds `lockKey`'s advisory lock;
 * otherwise the batch fails with NotLeaderError and nothing is written. A master paused long
 * enough for the server to drop its lock session (and for another to be elected) cannot write
 * the registry when it resumes, before its own keepalive tells it that it was deposed.
 */
import type pg from 'pg';
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { migrate, withClient } from '../../common/db/migrations.ts';
import { toStoredJson } from '../../common/db/storable.ts';
import { createFenceCheck, NotLeaderError, type LeaderFence } from '../../common/db/leader-fence.ts';
import type { RegistryStore } from './registry-store.ts';
import { checkOperation, emptyRegistry, type RegistryOperation, type RegistryQuota, type RegistrySnapshot } from './registry.ts';
import { REGISTRY_COMPONENT, registryMigrations } from './schema.ts';

/** The registry's fence: the master's leaders row and lock (common/db/leader-fence.ts). */
export type RegistryFence = LeaderFence;
export { NotLeaderError };

/** Migrates the registry's tables (idempotent; concurrent masters are serialised) and opens the store on `pool`. */
export async function openPostgresRegistryStore(pool: pg.Pool, opts: { readonly fence?: RegistryFence } = {}): Promise<RegistryStore> {
  await migrate(pool, REGISTRY_COMPONENT, registryMigrations);
  return createPostgresRegistryStore(pool, opts);
}

export function createPostgresRegistryStore(pool: pg.Pool, opts: { readonly fence?: RegistryFence } = {}): RegistryStore {
  const checkFence = opts.fence === undefined ? undefined : createFenceCheck(opts.fence);
  return {
    load: () => withClient(pool, load),
    async apply(ops) {
      if (ops.length === 0) return;
      for (const op of ops) checkOperation(op);
      await withClient(pool, async (client) => {
        await client.query('BEGIN');
        try {
          await checkFence?.(client, 'the registry');
          for (let i = 0; i < ops.length;) i = await applyFrom(client, ops, i);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      });
    },
    // The pool belongs to the caller (main.ts opens and closes the database).
    async close() {},
  };
}

const ADMIT_SQL = `
  INSERT INTO master_registry_agents (agent_id, state, info, since_ms)
  SELECT id, 'admitted', info, NULL FROM unnest($1::text[], $2::jsonb[]) AS a(id, info)
  ON CONFLICT (agent_id) DO UPDATE SET state = 'admitted', info = excluded.info, since_ms = NULL
  WHERE master_registry_agents.state <> 'gone'`;

/** Applies `ops[i]` (and the admissions right after it, together); returns the next index. */
async function applyFrom(client: pg.ClientBase, ops: readonly RegistryOperation[], i: number): Promise<number> {
  const op = ops[i];
  switch (op.type) {
    case 'ADMIT_AGENT':
    case 'MARK_AGENT_REACHABLE': {
      // One row per id (the last info wins): ON CONFLICT may not touch a row twice in one statement.
      const run = new Map<string, mesos.v1.AgentInfo>();
      let j = i;
      for (; j < ops.length; j++) {
        const o = ops[j];
        if (o.type !== 'ADMIT_AGENT' && o.type !== 'MARK_AGENT_REACHABLE') break;
        const id = o.info.id!.value;
        run.delete(id);
        run.set(id, o.info);
      }
      await client.query(ADMIT_SQL, [[...run.keys()], [...run.values()].map((info) => toStoredJson(info, 'agent_info'))]);
      return j;
    }
    case 'MARK_AGENT_UNREACHABLE':
      await client.query(
        `UPDATE master_registry_agents SET state = 'unreachable', since_ms = $2, seq = nextval('master_registry_agent_seq')
         WHERE agent_id = $1 AND state = 'admitted'`, [op.agentId, Math.round(op.sinceMs)]);
      return i + 1;
    case 'UPDATE_AGENT_INFO':
      await client.query(
        `UPDATE master_registry_agents SET info = $2 WHERE agent_id = $1 AND state = 'admitted'`,
        [op.info.id!.value, toStoredJson(op.info, 'agent_info')]);
      return i + 1;
    case 'REMOVE_AGENT':
      await client.query(`DELETE FROM master_registry_agents WHERE agent_id = $1 AND state = 'admitted'`, [op.agentId]);
      return i + 1;
    case 'MARK_AGENT_GONE':
      await client.query(
        `INSERT INTO master_registry_agents (agent_id, state, info, since_ms) VALUES ($1, 'gone', NULL, $2)
         ON CONFLICT (agent_id) DO UPDATE SET state = 'gone', info = NULL, since_ms = excluded.since_ms
         WHERE master_registry_agents.state <> 'gone'`, [op.agentId, Math.round(op.sinceMs)]);
      return i + 1;
    case 'PRUNE_UNREACHABLE':
    case 'PRUNE_GONE':
      if (op.agentIds.length > 0) {
        await client.query(`DELETE FROM master_registry_agents WHERE agent_id = ANY($1::text[]) AND state = $2`,
          [op.agentIds, op.type === 'PRUNE_GONE' ? 'gone' : 'unreachable']);
      }
      return i + 1;
    case 'UPDATE_WEIGHTS':
      for (const [role, weight] of op.weights) {
        await client.query(
          `INSERT INTO master_registry_weights (role, weight) VALUES ($1, $2)
           ON CONFLICT (role) DO UPDATE SET weight = excluded.weight`, [role, weight]);
      }
      return i + 1;
    case 'UPDATE_QUOTA':
      if (op.quota === undefined) {
        await client.query('DELETE FROM master_registry_quotas WHERE role = $1', [op.role]);
      } else {
        await client.query(
          `INSERT INTO master_registry_quotas (role, guarantees, limits) VALUES ($1, $2, $3)
           ON CONFLICT (role) DO UPDATE SET guarantees = excluded.guarantees, limits = excluded.limits`,
          [op.role, toStoredJson(op.quota.guarantees, 'quota guarantees'), toStoredJson(op.quota.limits, 'quota limits')]);
      }
      return i + 1;
    case 'ADD_FRAMEWORK':
      await client.query(
        `INSERT INTO master_registry_frameworks (framework_id, info, removed_ms) VALUES ($1, $2, NULL)
         ON CONFLICT (framework_id) DO UPDATE SET info = excluded.info
         WHERE master_registry_frameworks.removed_ms IS NULL`, [op.frameworkId, toStoredJson(op.info, 'framework_info')]);
      return i + 1;
    case 'REMOVE_FRAMEWORK':
      await client.query(
        `INSERT INTO master_registry_frameworks (framework_id, info, removed_ms) VALUES ($1, $2, $3)
         ON CONFLICT (framework_id) DO UPDATE SET removed_ms = excluded.removed_ms
         WHERE master_registry_frameworks.removed_ms IS NULL`,
        [op.frameworkId, toStoredJson({ name: '', user: '', id: { value: op.frameworkId } }, 'framework_info'), Math.round(op.removedMs)]);
      return i + 1;
  }
}

async function load(client: pg.ClientBase): Promise<RegistrySnapshot> {
  const r = emptyRegistry();
  // One snapshot of all four tables.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const agents = await client.query<{ agent_id: string; state: string; info: mesos.v1.AgentInfo | null; since_ms: string | null }>(
      'SELECT agent_id, state, info, since_ms FROM master_registry_agents ORDER BY seq');
    for (const row of agents.rows) {
      const id = row.agent_id as AgentId;
      if (row.state === 'admitted') r.admitted.set(id, row.info!);
      else if (row.state === 'unreachable') r.unreachable.set(id, { info: row.info!, sinceMs: Number(row.since_ms) });
      else r.gone.set(id, Number(row.since_ms));
    }
    const weights = await client.query<{ role: string; weight: number }>('SELECT role, weight FROM master_registry_weights ORDER BY role');
    for (const row of weights.rows) r.weights.set(row.role, row.weight);
    const quotas = await client.query<{ role: string; guarantees: RegistryQuota['guarantees']; limits: RegistryQuota['limits'] }>(
      'SELECT role, guarantees, limits FROM master_registry_quotas ORDER BY role');
    for (const row of quotas.rows) r.quotas.set(row.role, { guarantees: row.guarantees, limits: row.limits });
    const frameworks = await client.query<{ framework_id: string; info: mesos.v1.FrameworkInfo; removed_ms: string | null }>(
      'SELECT framework_id, info, removed_ms FROM master_registry_frameworks ORDER BY framework_id');
    for (const row of frameworks.rows) {
      r.frameworks.set(row.framework_id as FrameworkId, row.removed_ms === null ? { info: row.info } : { info: row.info, removedMs: Number(row.removed_ms) });
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return r;
}
