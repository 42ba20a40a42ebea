/**
 * Tests of fenced stores (leader-fence.ts): an election for the master's lock at `127.0.0.1:5050`,
 * not started, stopped at the test's teardown; and the fences of that master and of another one
 * (`127.0.0.1:5051`), which never leads.
 */
import { silentLogger } from '../ports.ts';
import type { LeaderFence } from './leader-fence.ts';
import { createLeaderElection, type LeaderElection } from './leader-lock.ts';

export interface FencedMasters {
  readonly election: LeaderElection;
  /** The fence of the master the election elects. */
  readonly leader: LeaderFence;
  /** The fence of a master that never leads. */
  readonly other: LeaderFence;
}

export function fencedMasters(t: { teardown(fn: () => unknown): void }, url: string): FencedMasters {
  const election = createLeaderElection({
    url, component: 'master', lockKey: 'maestro-master', address: '127.0.0.1:5050', logger: silentLogger,
    onElected: () => undefined, onDefeated: () => undefined,
  });
  // Registered after the database's teardown, so it runs before it (teardowns run last first).
  t.teardown(() => election.stop());
  const fence = (address: string): LeaderFence => ({ component: 'master', lockKey: 'maestro-master', address: () => address });
  return { election, leader: fence('127.0.0.1:5050'), other: fence('127.0.0.1:5051') };
}
