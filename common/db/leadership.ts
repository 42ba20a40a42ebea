/**
 * A component's leadership for the life of its process (marathon, batch): it competes through
 * leader-lock.ts; the winner runs `lead()` once (load state, subscribe to the master); a leader
 * that loses its database session exits the process at once, since another may lead already (a
 * supervisor restarts it as a follower); a follower keeps the leader's address fresh for its
 * REST layer. `startLeadership` resolves once this process leads with `lead()` done, or follows
 * and has asked who leads.
 */
import type { Logger } from '../ports.ts';
import { createLeaderElection } from './leader-lock.ts';

export interface Leadership {
  /** The leader's `host:port`: this process's once it leads; undefined while none is known. */
  leader(): string | undefined;
  isLeader(): boolean;
  /** Gives leadership up (the lock frees, the leaders row goes); no callback runs. */
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  readonly url: string;
  /** `marathon`, `batch`: the leaders row's key; the lock key is `maestro-<component>`. */
  readonly component: string;
  readonly address: string;
  readonly logger: Logger;
  readonly lead: () => Promise<void>;
  /** How often a follower refreshes the leader's address (default 1 s). */
  readonly refreshMs?: number;
}

export async function startLeadership(opts: LeadershipOptions): Promise<Leadership> {
  let leaderAddress: string | undefined;
  let leading: Promise<void> | undefined;
  let leads = false;
  const election = createLeaderElection({
    url: opts.url,
    component: opts.component,
    lockKey: `maestro-${opts.component}`,
    address: opts.address,
    logger: opts.logger,
    onElected: () => {
      leading = opts.lead().then(() => {
        leads = true;
        leaderAddress = opts.address;
      }, (e: unknown) => {
        opts.logger.error({ error: e instanceof Error ? e.message : String(e) }, 'could not take over as leader');
        process.exit(1);
      });
    },
    onDefeated: () => {
      opts.logger.error({}, 'lost leadership (database session gone); exiting');
      process.exit(1);
    },
  });
  const refresh = setInterval(() => {
    if (!leads) void election.currentLeader().then((l) => { leaderAddress = l ?? undefined; }, () => undefined);
  }, opts.refreshMs ?? 1000);
  refresh.unref();
  await election.start();
  if (leading) await leading;
  else leaderAddress = (await election.currentLeader().catch(() => undefined)) ?? undefined;
  return {
    leader: () => leaderAddress,
    isLeader: () => leads,
    stop: async () => {
      clearInterval(refresh);
      await election.stop();
    },
  };
}

/**
 * An object that forwards every call to `current()` when there is one, else to `fallback` (the
 * follower's service until this process leads). Methods are bound to the object that answers.
 */
export function delegating<T extends object>(fallback: T, current: () => T | undefined): T {
  return new Proxy(fallback, {
    get: (_t, prop) => {
      const target = current() ?? fallback;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
