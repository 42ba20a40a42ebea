/**
 * Fencing a leader's writes: inside the write's own transaction, check that the leaders row of
 * `component` (leader-lock.ts) names this process's `address` and that the row's session still
 * holds `lockKey`'s advisory lock; else throw NotLeaderError, so the caller rolls back and nothing
 * is written. A leader paused long enough for the server to drop its lock session (and for
 * another to be elected) thus cannot write when it resumes, before its own keepalive tells it
 * that it was deposed. Used by the master's registry and maintenance stores.
 */
import type pg from 'pg';
import { advisoryKey, lockRowIds } from './advisory-key.ts';

export interface LeaderFence {
  /** The leaders row (leader-lock.ts) and the lock behind it: `master`, `maestro-master`. */
  readonly component: string;
  readonly lockKey: string;
  /** This process's published address; read at each write (it is known only once it listens). */
  readonly address: () => string;
}

/** This process is not the leader any more (or never was): it must not write. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

const FENCE_SQL = `
  SELECT 1 FROM leaders l
  WHERE l.component = $1 AND l.address = $2 AND EXISTS (
    SELECT 1 FROM pg_locks k
    WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid AND k.objsubid = 1
      AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND k.classid::bigint = $3 AND k.objid::bigint = $4)`;

/**
 * The check for `fence`, to run on a client inside an open transaction; `what` names what is not
 * written in the error ("the registry").
 */
export function createFenceCheck(fence: LeaderFence): (client: pg.ClientBase, what: string) => Promise<void> {
  const lock = lockRowIds(advisoryKey(fence.lockKey));
  return async (client, what) => {
    const held = await client.query(FENCE_SQL, [fence.component, fence.address(), lock.classid, lock.objid]);
    if (held.rowCount === 0) throw new NotLeaderError(`not the leading ${fence.component} (${fence.address()}): ${what} is not written`);
  };
}
