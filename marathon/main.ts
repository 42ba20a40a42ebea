/**
 * `maestro marathon`: the composition root of the Marathon-compatible service scheduler. Parses
 * Marathon-named flags, opens PostgreSQL (`--database` / `DATABASE_URL`, else an embedded server
 * in `--work_dir`), serves the REST API at once, and competes for leadership (a PostgreSQL session
 * advisory lock). The leader loads its state, builds the core and subscribes to the Mesos master
 * through frameworks/sdk as a failover of the persisted framework id; followers forward requests
 * to the leader. A leader that loses its database session exits at once (a supervisor restarts it
 * as a follower): two marathons never act as leader together. Nothing here is logic.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { processLogger } from '../common/logger.ts';
import { FlagError, formatHelp, parseFlags, type FlagSpec } from '../common/flags.ts';
import { systemClock, systemTimers, type Logger } from '../common/ports.ts';
import { openDatabase } from '../common/db/database.ts';
import { delegating, startLeadership, type Leadership } from '../common/db/leadership.ts';
import { createSchedulerDriver, type SchedulerDriver } from '../frameworks/sdk/scheduler-driver.ts';
import { createEventBus } from './events/index.ts';
import { createMarathonApp } from './http/app.ts';
import { createHttpLeaderProxy } from './http/leader-proxy.ts';
import type { MarathonConfig } from './http/config.ts';
import { createPgMarathonStore } from './storage/pg-store.ts';
import { createHealthRunner } from './health/index.ts';
import { createReadinessRunner } from './readiness/index.ts';
import { createFollowerService } from './core/follower-service.ts';
import { createMarathonCore, DEFAULT_CORE_CONFIG, type MarathonCore } from './core/marathon-core.ts';
import type { MarathonService, PodService } from './ports.ts';

export const MARATHON_FLAGS: readonly FlagSpec[] = [
  { name: 'master', type: 'string', default: '127.0.0.1:5050', help: 'the Mesos master(s): host:port[,host:port...] (the leader is found by redirect)' },
  { name: 'http_address', type: 'string', default: '127.0.0.1', help: 'address the REST API listens on' },
  { name: 'http_port', type: 'number', default: 8080, help: 'port of the REST API (0: an ephemeral port)' },
  { name: 'hostname', type: 'string', help: 'host name this marathon announces as leader (default: --http_address, or the system hostname when that is 0.0.0.0)' },
  { name: 'database', type: 'string', help: 'PostgreSQL url (also DATABASE_URL); default: an embedded PostgreSQL in --work_dir' },
  { name: 'work_dir', type: 'string', default: '/var/lib/maestro/marathon', help: 'directory for the embedded PostgreSQL' },
  { name: 'framework_name', type: 'string', default: 'marathon', help: 'the framework name registered with the master' },
  { name: 'mesos_role', type: 'string', default: '*', help: 'the Mesos role apps run under by default' },
  { name: 'mesos_user', type: 'string', help: 'the user tasks run as when an app names none' },
  { name: 'failover_timeout', type: 'number', default: 604800, help: 'seconds the master keeps the tasks of a disconnected marathon' },
  { name: 'decline_offer_duration', type: 'number', default: 120000, help: 'ms an unused offer stays declined while no app wants one' },
  { name: 'reconciliation_interval', type: 'number', default: 600000, help: 'ms between task reconciliations' },
  { name: 'task_launch_confirm_timeout', type: 'number', default: 300000, help: 'ms to wait for a task to enter TASK_STAGING before killing it' },
  { name: 'task_launch_timeout', type: 'number', default: 300000, help: 'ms to wait for a task to enter TASK_RUNNING before killing it' },
  { name: 'kill_retry_timeout', type: 'number', default: 10000, help: 'ms after which an unconfirmed task kill is sent again' },
  { name: 'leader_proxy', type: 'boolean', default: true, help: 'forward requests that reach a follower to the leader' },
  { name: 'logging_level', type: 'string', default: 'INFO', help: 'INFO, WARNING or ERROR' },
];

const LEVELS: Readonly<Record<string, string>> = { INFO: 'info', WARNING: 'warn', ERROR: 'error' };

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let values;
  try {
    const parsed = parseFlags(MARATHON_FLAGS, argv, env);
    if (parsed.help) {
      process.stdout.write(formatHelp('maestro marathon [flags]', 'Runs the Marathon-compatible service scheduler (REST API v2 on --http_port).', MARATHON_FLAGS));
      return;
    }
    if (parsed.positional.length > 0) throw new FlagError('', `unexpected argument '${parsed.positional[0]}'`);
    values = parsed.values;
    if (LEVELS[String(values.logging_level).toUpperCase()] === undefined) {
      throw new FlagError('logging_level', `--logging_level: expected INFO, WARNING or ERROR, got '${values.logging_level}'`);
    }
    const masters = String(values.master).split(',').map((m) => m.trim().replace(/^https?:\/\//, '').replace(/\/$/, ''));
    if (masters.some((m) => !/^[^:\s/]+:\d+$/.test(m))) throw new FlagError('master', `--master: expected host:port[,host:port...], got '${values.master}'`);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`maestro marathon: ${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const logger = processLogger('marathon', LEVELS[String(values.logging_level).toUpperCase()]);
  const masters = String(values.master).split(',').map((m) => m.trim().replace(/^https?:\/\//, '').replace(/\/$/, ''));
  const ip = values.http_address as string;
  const workDir = path.resolve(values.work_dir as string);
  const databaseUrl = (values.database as string | undefined) ?? env.DATABASE_URL;

  let db;
  try {
    db = await openDatabase({ url: databaseUrl, workDir, logger, database: 'marathon' });
  } catch (e) {
    process.stderr.write(`maestro marathon: --database: cannot open the database: ${(e as Error).message}\n`);
    process.exit(1);
  }

  const events = createEventBus();
  let core: MarathonCore | undefined;
  let driver: SchedulerDriver | undefined;
  let leadership: Leadership | undefined;
  const follower = createFollowerService(() => leadership?.leader(), (l) => events.subscribe(l));
  // The REST layer always sees the current service: the follower's until this process leads.
  const service: MarathonService & PodService = delegating<MarathonService & PodService>(follower, () => core);

  const config: { -readonly [K in keyof MarathonConfig]: MarathonConfig[K] } = {
    version: packageVersion(),
    hostname: (values.hostname as string | undefined) ?? (ip === '0.0.0.0' ? osHostname() : ip),
    httpPort: values.http_port as number,
    master: masters.join(','),
    frameworkName: values.framework_name as string,
    role: values.mesos_role as string,
    failoverTimeoutSeconds: values.failover_timeout as number,
    leaderProxy: values.leader_proxy as boolean,
  };
  const app = createMarathonApp({
    service,
    pods: service,
    config,
    logger,
    clock: systemClock,
    publish: (e) => events.publish(e),
    proxy: { forward: (leader, request) => createHttpLeaderProxy({ self: `${config.hostname}:${config.httpPort}` }).forward(leader, request) },
    abdicate: async () => {
      // Marathon abdicates by giving up leadership; this process then exits and is restarted as a follower.
      logger.warn({}, 'abdicating on request (DELETE /v2/leader)');
      await leadership?.stop();
      process.exit(0);
    },
  });
  try {
    await app.listen({ host: ip, port: config.httpPort });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`maestro marathon: --http_port: cannot listen on ${ip}:${config.httpPort}: ${code === 'EADDRINUSE' ? 'the address is in use' : (e as Error).message}\n`);
    process.exit(1);
  }
  config.httpPort = (app.server.address() as AddressInfo).port;
  const address = `${config.hostname}:${config.httpPort}`;

  const becomeLeader = async () => {
    const store = await createPgMarathonStore(db.pool);
    const state = await store.load();
    const c = createMarathonCore({
      store,
      state,
      config: {
        ...DEFAULT_CORE_CONFIG,
        address,
        declineOfferSeconds: (values.decline_offer_duration as number) / 1000,
        launchConfirmTimeoutMs: values.task_launch_confirm_timeout as number,
        launchTimeoutMs: values.task_launch_timeout as number,
        killRetryMs: values.kill_retry_timeout as number,
      },
      clock: systemClock,
      timers: systemTimers,
      logger: logger as Logger,
      newId: randomUUID,
      events,
      health: (cb) => createHealthRunner({ timers: systemTimers, clock: systemClock, logger, onResults: cb.onResults, onUnhealthy: cb.onUnhealthy }),
      readiness: (onResult) => createReadinessRunner({ timers: systemTimers, clock: systemClock, logger, onResult }),
      onFatal: (message) => {
        // Marathon's suicide: the master will not take this framework (removed, or failed over by
        // another scheduler); leading on would accept changes nothing carries out.
        logger.error({ message }, 'the master refused the framework; giving up leadership and exiting');
        void (async () => {
          await leadership?.stop().catch(() => undefined);
          process.exit(1);
        })();
      },
    });
    const d = createSchedulerDriver({
      masters,
      frameworkInfo: {
        user: (values.mesos_user as string | undefined) ?? 'root',
        name: config.frameworkName,
        roles: [config.role],
        failover_timeout: config.failoverTimeoutSeconds,
        checkpoint: true,
        hostname: config.hostname,
        webui_url: `http://${address}/ui/`,
        capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }, { type: 'TASK_KILLING_STATE' }, { type: 'GPU_RESOURCES' }],
      },
      ...(c.persistedFrameworkId() === undefined ? {} : { frameworkId: c.persistedFrameworkId() }),
      handler: c,
      logger,
    });
    c.attach(d);
    d.startReconciliation({
      intervalMs: values.reconciliation_interval as number,
      tasks: () => c.instances().flatMap((i) => (i.podTasks?.map((t) => t.taskId) ?? [i.taskId]).map((taskId) => ({ taskId, agentId: i.agentId }))),
    });
    core = c;
    driver = d;
    d.start();
    logger.info({ address, frameworkId: state.frameworkId ?? null, apps: state.apps.length, instances: state.instances.length }, 'elected leader');
  };

  leadership = await startLeadership({ url: db.url, component: 'marathon', address, logger, lead: becomeLeader });

  // The start line is printed at every logging level (tests and scripts wait for it).
  const level = logger.level;
  logger.level = 'info';
  logger.info({ address: `http://${ip}:${config.httpPort}` }, 'marathon started');
  logger.level = level;

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      logger.info({ signal }, 'marathon stopping');
      const force = setTimeout(() => process.exit(0), 5000);
      force.unref();
      driver?.stop();
      await core?.idle().catch(() => undefined); // staged instance writes land before the database closes
      core?.stop();
      await app.close();
      await leadership?.stop();
      await db.close();
      clearTimeout(force);
    })();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
