/**
 * A real batch setup for integration tests: a master (50 ms allocation interval), agents, a fresh
 * PostgreSQL database, a Redis (test/support/redis.ts: a queue name of its own) and `maestro
 * batch` on an ephemeral loopback port. Teardown stops everything, kills the agents' task
 * processes and drops the database, also when the test failed.
 */
import type { ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { startAgent, startMaestro, startMaster, killTaskProcesses, type Flags, type MaestroProcess } from './maestro-process.ts';
import { createTestDatabase } from './postgres.ts';
import { Redis } from 'ioredis';
import { createTestRedis } from './redis.ts';

export interface BatchCluster {
  readonly master: MaestroProcess;
  readonly agents: MaestroProcess[];
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queueName: string;
  batch: MaestroProcess;
  startAgent(flags?: Flags): Promise<MaestroProcess>;
  /** Starts `maestro batch` again on the same database and queue (after a kill). */
  restartBatch(): Promise<MaestroProcess>;
  /** Starts one more `maestro batch` on the same database and queue (a follower, for HA). */
  startAnotherBatch(): Promise<MaestroProcess>;
}

export async function startBatchCluster(t: ExecutionContext, agents: readonly Flags[] = [{}]): Promise<BatchCluster> {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const redis = await createTestRedis();
  t.teardown(() => redis.close());
  const master = await startMaster({ allocation_interval: '50ms', quiet: true });
  t.teardown(() => master.stop());
  const queueName = `batch-${randomBytes(4).toString('hex')}`;
  // The queue batch made in Redis (BullMQ keys under `maestro:<queue>:`) goes when the test ends.
  t.teardown(() => deleteQueueKeys(redis.url, queueName));
  const startOneAgent = async (flags: Flags = {}) => {
    const agent = await startAgent(master.url, { resources: 'cpus:2;mem:2048;disk:1024;ports:[32000-32999]', ...flags });
    t.teardown(async () => {
      killTaskProcesses(agent.workDir);
      await agent.stop();
    });
    return agent;
  };
  const started: MaestroProcess[] = [];
  for (const flags of agents) started.push(await startOneAgent(flags));
  const startBatch = async () => {
    const p = await startMaestro('batch', {
      master: master.url.replace(/^https?:\/\//, ''), database: db.url, redis: redis.url, queue_name: queueName, logging_level: 'WARNING',
    }, 'batch started', 60_000, { listenFlags: { http_address: '127.0.0.1', http_port: 0 } });
    t.teardown(() => p.stop());
    return p;
  };
  const cluster: BatchCluster = {
    master,
    agents: started,
    databaseUrl: db.url,
    redisUrl: redis.url,
    queueName,
    batch: await startBatch(),
    startAgent: async (flags) => {
      const a = await startOneAgent(flags);
      cluster.agents.push(a);
      return a;
    },
    restartBatch: async () => {
      cluster.batch = await startBatch();
      return cluster.batch;
    },
    startAnotherBatch: () => startBatch(),
  };
  return cluster;
}

/** Deletes the BullMQ keys of queue `name` (prefix `maestro`, batch's default) from the Redis at `url`. */
export async function deleteQueueKeys(url: string, name: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`maestro:${name}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } catch {
    // A private server of the test may be gone already: nothing is left then.
  } finally {
    redis.disconnect();
  }
}
