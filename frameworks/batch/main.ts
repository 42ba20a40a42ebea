/**
 * `maestro batch`: the composition root of the batch framework (Metronome's `/v1/jobs` API).
 * Parses flags, opens PostgreSQL (`--database` / DATABASE_URL, else an embedded server in
 * `--work_dir`) and Redis (`--redis` / REDIS_URL; the queue of pending runs, BullMQ), serves the
 * REST API, and competes for leadership (a PostgreSQL advisory lock): the leader loads its state,
 * rebuilds the queue from it and subscribes to the master through frameworks/sdk; a follower
 * answers 503 naming the leader. A leader that loses its database session exits at once.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { processLogger } from '../../common/logger.ts';
import { FlagError, formatHelp, parseFlags, type FlagSpec } from '../../common/flags.ts';
import { systemClock, systemTimers, type Logger } from '../../common/ports.ts';
import { openDatabase } from '../../common/db/database.ts';
import { delegating, startLeadership, type Leadership } from '../../common/db/leadership.ts';
import { createSchedulerDriver, type SchedulerDriver } from '../sdk/scheduler-driver.ts';
import { createBatchApp } from './http/app.ts';
import { createPgBatchStore } from './storage/pg-store.ts';
import { createBullRunQueue } from './queue/bull-run-queue.ts';
import { createBatchCore, type BatchCore } from './core/batch-core.ts';
import { createFollowerBatchService } from './core/follower-service.ts';
import type { BatchService, RunQueue } from './ports.ts';

export const BATCH_FLAGS: readonly FlagSpec[] = [
  { name: 'master', type: 'string', default: '127.0.0.1:5050', help: 'the Mesos master(s): host:port[,host:port...]' },
  { name: 'http_address', type: 'string', default: '127.0.0.1', help: 'address the REST API listens on' },
  { name: 'http_port', type: 'number', default: 9000, help: 'port of the REST API (0: an ephemeral port)' },
  { name: 'hostname', type: 'string', help: 'host name this batch announces as leader (default: --http_address)' },
  { name: 'database', type: 'string', help: 'PostgreSQL url (also DATABASE_URL); default: an embedded PostgreSQL in --work_dir' },
  { name: 'redis', type: 'string', help: 'Redis url of the run queue (also REDIS_URL); default redis://127.0.0.1:6379' },
  { name: 'queue_name', type: 'string', default: 'maestro-batch', help: 'the BullMQ queue name (several batch clusters can share a Redis)' },
  { name: 'work_dir', type: 'string', default: '/var/lib/maestro/batch', help: 'directory for the embedded PostgreSQL' },
  { name: 'framework_name', type: 'string', default: 'batch', help: 'the framework name registered with the master' },
  { name: 'role', type: 'string', default: '*', help: 'the Mesos role of the jobs\' tasks' },
  { name: 'failover_timeout', type: 'number', default: 604800, help: 'seconds the master keeps the tasks of a disconnected batch' },
  { name: 'logging_level', type: 'string', default: 'INFO', help: 'INFO, WARNING or ERROR' },
];

const LEVELS: Readonly<Record<string, string>> = { INFO: 'info', WARNING: 'warn', ERROR: 'error' };

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let values;
  let masters: string[];
  try {
    const parsed = parseFlags(BATCH_FLAGS, argv, env);
    if (parsed.help) {
      process.stdout.write(formatHelp('maestro batch [flags]', 'Runs the batch framework (Metronome /v1/jobs API on --http_port).', BATCH_FLAGS));
      return;
    }
    if (parsed.positional.length > 0) throw new FlagError('', `unexpected argument '${parsed.positional[0]}'`);
    values = parsed.values;
    if (LEVELS[String(values.logging_level).toUpperCase()] === undefined) {
      throw new FlagError('logging_level', `--logging_level: expected INFO, WARNING or ERROR, got '${values.logging_level}'`);
    }
    masters = String(values.master).split(',').map((m) => m.trim().replace(/^https?:\/\//, '').replace(/\/$/, ''));
    if (masters.some((m) => !/^[^:\s/]+:\d+$/.test(m))) throw new FlagError('master', `--master: expected host:port[,host:port...], got '${values.master}'`);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`maestro batch: ${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const logger = processLogger('batch', LEVELS[String(values.logging_level).toUpperCase()]);
  const ip = values.http_address as string;
  const redisUrl = (values.redis as string | undefined) ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  let db;
  try {
    db = await openDatabase({ url: (values.database as string | undefined) ?? env.DATABASE_URL, workDir: path.resolve(values.work_dir as string), logger, database: 'batch' });
  } catch (e) {
    process.stderr.write(`maestro batch: --database: cannot open the database: ${(e as Error).message}\n`);
    process.exit(1);
  }

  let core: BatchCore | undefined;
  let queue: RunQueue | undefined;
  let driver: SchedulerDriver | undefined;
  let leadership: Leadership | undefined;
  const follower = createFollowerBatchService(() => leadership?.leader());
  const service: BatchService = delegating<BatchService>(follower, () => core);
  const app = createBatchApp({ service, logger, clock: systemClock, masters });
  try {
    await app.listen({ host: ip, port: values.http_port as number });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`maestro batch: --http_port: cannot listen on ${ip}:${values.http_port}: ${code === 'EADDRINUSE' ? 'the address is in use' : (e as Error).message}\n`);
    process.exit(1);
  }
  const port = (app.server.address() as AddressInfo).port;
  const hostname = (values.hostname as string | undefined) ?? (ip === '0.0.0.0' ? osHostname() : ip);
  const address = `${hostname}:${port}`;

  const becomeLeader = async () => {
    const store = await createPgBatchStore(db.pool);
    const state = await store.load();
    // A Redis that restarted may be empty: the queue is rebuilt from PostgreSQL, the source of truth.
    const q = await createBullRunQueue({ connection: redisUrl, name: values.queue_name as string, logger, onReconnect: () => void core?.rebuildQueue() });
    queue = q;
    const c = createBatchCore({
      onFatal: (message) => {
        // The driver has stopped for good; leading on would accept runs nothing launches.
        logger.error({ message }, 'the master refused the framework; giving up leadership and exiting');
        void (async () => {
          await leadership?.stop().catch(() => undefined);
          process.exit(1);
        })();
      },
      store, queue: q, state, clock: systemClock, timers: systemTimers, logger: logger as Logger, random: Math.random, role: values.role as string,
    });
    const d = createSchedulerDriver({
      masters,
      frameworkInfo: {
        user: 'root',
        name: values.framework_name as string,
        roles: [values.role as string],
        failover_timeout: values.failover_timeout as number,
        checkpoint: true,
        hostname,
        webui_url: `http://${address}/ui/`,
        capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }, { type: 'TASK_KILLING_STATE' }],
      },
      ...(state.frameworkId === undefined ? {} : { frameworkId: state.frameworkId }),
      handler: c,
      // The core acknowledges an update once its writes are committed (group commit): see batch-core.ts.
      acks: 'explicit',
      logger,
    });
    await c.start(d);
    core = c;
    driver = d;
    d.start();
    logger.info({ address, frameworkId: state.frameworkId ?? null, jobs: state.jobs.length, activeRuns: state.activeRuns.length }, 'elected leader');
  };

  leadership = await startLeadership({ url: db.url, component: 'batch', address, logger, lead: becomeLeader });

  const level = logger.level;
  logger.level = 'info';
  logger.info({ address: `http://${ip}:${port}` }, 'batch started');
  logger.level = level;

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      logger.info({ signal }, 'batch stopping');
      const force = setTimeout(() => process.exit(0), 5000);
      force.unref();
      // The staged run states land and their updates are acknowledged while the driver still runs.
      await core?.idle().catch(() => undefined);
      driver?.stop();
      await core?.idle().catch(() => undefined);
      core?.stop();
      await app.close();
      await queue?.close().catch(() => undefined);
      await leadership?.stop();
      await db.close();
      clearTimeout(force);
    })();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

export { packageVersion };
