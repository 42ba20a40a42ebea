/**
 * Leader election on PostgreSQL (master, marathon, batch): the leader is the process whose
 * dedicated database session holds a session-level advisory lock (`pg_advisory_lock` on
 * `lockKey`). It publishes itself in a row of
 *
 *   leaders(component text PRIMARY KEY, address text, elected_at timestamptz,
 *           backend_pid int, lock_key bigint)
 *
 * written through that same session, so `currentLeader()` can check that the row's session
 * still holds the lock (`pg_locks`) and never names a dead leader.
 *
 * States: idle -> candidate <-> leader; any -> stopped (`stop()`).
 *   candidate: holds a session (reopened when lost) and tries the lock every `retryIntervalMs`;
 *   leader: pings its session every `keepaliveIntervalMs` (`SELECT 1`, `keepaliveTimeoutMs`).
 * Invariants:
 * - `onElected` only after the lock is held and the row written;
 * - a leader whose session errors, ends, or misses a keepalive is defeated at once:
 *   `onDefeated(reason)` exactly once per term, before anything else, and then competes again;
 * - the lock is freed only by ending the session (a lost session, or `stop()`), so a leader that
 *   stops answering keeps others out until the server drops its session; the server is told to
 *   probe a silent peer (TCP keepalives: 5 s idle, 2 s interval, 5 probes) so that takes ~15 s;
 * - `stop()` ends the session (the lock frees) and removes the row; it calls no callback.
 */
import pg from 'pg';
import { systemTimers, type Logger, type TimerHandle, type Timers } from '../ports.ts';
import { advisoryKey, lockRowIds } from './advisory-key.ts';
import { migrate, type Migration } from './migrations.ts';

export interface LeaderElectionOptions {
  /** Where to connect; or `createClient` for a client configured otherwise. */
  readonly url?: string;
  /** A new, unconnected client for the lock session (one per session). */
  readonly createClient?: () => pg.Client;
  readonly lockKey: number | string;
  /** `master`, `marathon`, ...: the leaders row's key. */
  readonly component: string;
  /** What followers redirect to (`host:port`, or a url). */
  readonly address: string;
  readonly logger: Logger;
  readonly onElected: () => void;
  /** The session (and so the lock) is lost: stop acting as leader now. */
  readonly onDefeated: (reason: string) => void;
  readonly retryIntervalMs?: number;
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveTimeoutMs?: number;
  readonly timers?: Timers;
}

export interface LeaderElection {
  /** Starts competing; resolves after the first attempt (elected or not). */
  start(): Promise<void>;
  /** Ends the session (the lock frees) and removes our leaders row; idempotent. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** The address of the process that holds the lock now, undefined if none does. */
  currentLeader(): Promise<string | undefined>;
}

export const LEADER_ELECTION_COMPONENT = 'leader-election';

export const leaderMigrations: readonly Migration[] = [{
  version: 1,
  name: 'leaders',
  sql: `CREATE TABLE leaders (
    component text PRIMARY KEY,
    address text NOT NULL,
    elected_at timestamptz NOT NULL,
    backend_pid integer NOT NULL,
    lock_key bigint NOT NULL)`,
}];

interface Session {
  readonly client: pg.Client;
  lost: boolean;
  /** Fails a pending connect: pg never settles `connect()` when `end()` is called meanwhile. */
  abortConnect?: (err: Error) => void;
}

const CURRENT_LEADER_SQL = `
  SELECT l.address FROM leaders l
  WHERE l.component = $1 AND EXISTS (
    SELECT 1 FROM pg_locks k
    WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid AND k.objsubid = 1
      AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND k.classid::bigint = $2 AND k.objid::bigint = $3)`;

export function createLeaderElection(opts: LeaderElectionOptions): LeaderElection {
  if ((opts.url === undefined) === (opts.createClient === undefined)) throw new Error('createLeaderElection: give url or createClient');
  const key = advisoryKey(opts.lockKey);
  const { classid, objid } = lockRowIds(key);
  const timers = opts.timers ?? systemTimers;
  const log = opts.logger;
  const retryMs = opts.retryIntervalMs ?? 1_000;
  const keepaliveMs = opts.keepaliveIntervalMs ?? 1_000;
  const keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 5_000;

  let state: 'idle' | 'candidate' | 'leader' | 'stopped' = 'idle';
  let session: Session | undefined;
  let retry: TimerHandle | undefined;
  let keepalive: TimerHandle | undefined;
  let attempting: Promise<void> | undefined;
  /** A session being opened: `stop()` ends it rather than wait out a connect timeout. */
  let opening: Session | undefined;
  let schemaReady = false;

  const newClient = (): pg.Client =>
    opts.createClient ? opts.createClient() : new pg.Client({ connectionString: opts.url, keepAlive: true, connectionTimeoutMillis: 10_000 });

  const clearTimer = (h: TimerHandle | undefined): undefined => {
    if (h) timers.clear(h);
    return undefined;
  };

  function scheduleRetry(): void {
    if (state === 'stopped') return;
    retry = clearTimer(retry);
    retry = timers.setTimeout(() => void attempt(), retryMs);
  }

  /** Drops a session (its lock frees when the server sees it end); defeats a leader on it. */
  function lose(s: Session, reason: string): void {
    if (s.lost) return;
    s.lost = true;
    s.abortConnect?.(new Error(reason));
    if (session === s) session = undefined;
    s.client.end().catch(() => {});
    if (state === 'leader') {
      state = 'candidate';
      keepalive = clearTimer(keepalive);
      log.error({ component: opts.component, reason }, 'lost the leader lock: stepping down');
      try {
        opts.onDefeated(reason);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'onDefeated failed');
      }
    }
    scheduleRetry();
  }

  async function connect(): Promise<Session> {
    const client = newClient();
    const s: Session = { client, lost: false };
    client.on('error', (err: Error) => lose(s, `database session error: ${err.message}`));
    client.on('end', () => lose(s, 'database session ended'));
    opening = s;
    try {
      await new Promise<void>((resolve, reject) => {
        s.abortConnect = reject;
        client.connect().then(() => resolve(), reject);
      });
      s.abortConnect = undefined;
      await client.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 5');
      await client.query("SELECT set_config('application_name', $1, false)", [`maestro ${opts.component} leader election`.slice(0, 63)]);
      if (!schemaReady) {
        await migrate(client, LEADER_ELECTION_COMPONENT, leaderMigrations);
        schemaReady = true;
      }
    } catch (err) {
      lose(s, `could not open the lock session: ${(err as Error).message}`);
      throw err;
    } finally {
      if (opening === s) opening = undefined;
    }
    return s;
  }

  function startKeepalive(s: Session): void {
    const beat = async () => {
      keepalive = undefined;
      if (state !== 'leader' || session !== s) return;
      const deadline = timers.setTimeout(() => lose(s, `keepalive: no answer within ${keepaliveTimeoutMs} ms`), keepaliveTimeoutMs);
      try {
        await s.client.query('SELECT 1');
      } catch (err) {
        lose(s, `keepalive failed: ${(err as Error).message}`);
      } finally {
        timers.clear(deadline);
      }
      if (state === 'leader' && session === s) keepalive = timers.setTimeout(() => void beat(), keepaliveMs);
    };
    keepalive = timers.setTimeout(() => void beat(), keepaliveMs);
  }

  async function tryOnce(): Promise<void> {
    if (state !== 'candidate') return;
    let s = session;
    try {
      if (!s || s.lost) s = session = await connect();
      if (state !== 'candidate') return; // stopped meanwhile; stop() ends the session
      const { rows } = await s.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key.toString()]);
      if (!rows[0]?.locked) return;
      await s.client.query(
        `INSERT INTO leaders (component, address, elected_at, backend_pid, lock_key) VALUES ($1, $2, now(), pg_backend_pid(), $3)
         ON CONFLICT (component) DO UPDATE SET address = excluded.address, elected_at = excluded.elected_at,
           backend_pid = excluded.backend_pid, lock_key = excluded.lock_key`,
        [opts.component, opts.address, key.toString()]);
      if (state !== 'candidate' || s.lost) return;
      state = 'leader';
      retry = clearTimer(retry);
      startKeepalive(s);
      log.info({ component: opts.component, address: opts.address }, 'elected leader');
      try {
        opts.onElected();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'onElected failed');
      }
    } catch (err) {
      log.warn({ component: opts.component, err: (err as Error).message }, 'leader election attempt failed; retrying');
      // Whatever the session holds now (maybe the lock without the row) is dropped with it.
      if (s && !s.lost) lose(s, `attempt failed: ${(err as Error).message}`);
    }
  }

  function attempt(): Promise<void> {
    retry = undefined;
    attempting ??= tryOnce().finally(() => {
      attempting = undefined;
      if (state === 'candidate') scheduleRetry();
    });
    return attempting;
  }

  async function currentLeaderOn(client: pg.ClientBase): Promise<string | undefined> {
    try {
      const { rows } = await client.query<{ address: string }>(CURRENT_LEADER_SQL, [opts.component, classid, objid]);
      return rows[0]?.address;
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return undefined; // no leaders table yet: nobody was ever elected
      throw err;
    }
  }

  return {
    async start() {
      if (state !== 'idle') return;
      state = 'candidate';
      await attempt();
    },
    async stop() {
      if (state === 'stopped') return;
      const wasLeader = state === 'leader';
      state = 'stopped';
      retry = clearTimer(retry);
      keepalive = clearTimer(keepalive);
      if (opening) lose(opening, 'election stopped');
      await attempting;
      const s = session;
      session = undefined;
      if (!s || s.lost) return;
      s.lost = true; // our own end, not a loss
      if (wasLeader) {
        await s.client.query('DELETE FROM leaders WHERE component = $1 AND backend_pid = pg_backend_pid()', [opts.component])
          .catch((err: Error) => log.warn({ err: err.message }, 'could not remove the leaders row'));
      }
      await s.client.end().catch(() => {});
      if (wasLeader) log.info({ component: opts.component }, 'left the leadership');
    },
    isLeader: () => state === 'leader',
    async currentLeader() {
      const s = session;
      if (s && !s.lost) return currentLeaderOn(s.client);
      const client = newClient();
      client.on('error', () => {});
      await client.connect();
      try {
        return await currentLeaderOn(client);
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}
