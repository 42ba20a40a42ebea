/**
 * `maestro master`: the composition root. Parses Mesos-named flags, builds the pino logger, the
 * allocator, the Master core over real ports (system clock and timers, UUID-based ids), the
 * Fastify app (scheduler, operator and legacy APIs, build info from build-info.ts) and the agent
 * WebSocket endpoint, listens, and logs `master started` with the address once it accepts
 * connections. SIGTERM and SIGINT close everything. Nothing here is logic: every decision lives in the core.
 *
 * High availability (`--database` / `DATABASE_URL`): the registry lives in PostgreSQL
 * (master/registry) and the master competes for leadership through common/db/leadership.ts (a
 * session advisory lock, the address published in the `leaders` row). Until it leads it answers
 * 307 to the leader (503 while none is known), also to agents; once elected it loads the registry,
 * `recover`s and starts. It exits when it loses its database session or a registry write fails:
 * another master may lead already (a supervisor restarts it as a follower). Without a database:
 * one master, the registry in its memory, as before.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { processLogger } from '../common/logger.ts';
import { FlagError, formatHelp, parseFlags, type FlagSpec } from '../common/flags.ts';
import { Resources } from '../common/resources/resources.ts';
import { createAllocator } from './allocator/index.ts';
import { createMasterApp } from './http/app.ts';
import { attachAgentLink, AGENT_PATH } from './agent-link.ts';
import { Master, type MasterConfig } from './master.ts';
import { readBuildInfo } from './build-info.ts';
import { systemClock, systemTimers } from '../common/ports.ts';
import { createIdGenerator } from './ports.ts';
import { createMasterUi } from './ui/master-ui.ts';
import { openDatabase, redactUrl, type Database } from '../common/db/database.ts';
import { startLeadership, type Leadership } from '../common/db/leadership.ts';
import { openPostgresRegistryStore } from './registry/postgres-registry-store.ts';
import { createRegistrar, type Registrar } from './registry/registrar.ts';
import type { RegistryStore } from './registry/registry-store.ts';
import type { LeaderCheck } from './http/leader-check.ts';
import { openPostgresMaintenanceStore } from './maintenance/postgres-maintenance-store.ts';

export const MASTER_FLAGS: readonly FlagSpec[] = [
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'IP address to listen on' },
  { name: 'port', type: 'number', default: 5050, help: 'port to listen on (0: an ephemeral port)' },
  { name: 'hostname', type: 'string', help: 'hostname the master advertises (default: the system hostname)' },
  { name: 'work_dir', type: 'string', help: 'directory for the master\'s files' },
  { name: 'cluster', type: 'string', help: 'human readable name of the cluster' },
  { name: 'agent_ping_timeout', type: 'duration', default: 15, help: 'how long the master waits for a pong before counting a missed ping' },
  { name: 'max_agent_ping_timeouts', type: 'number', default: 5, help: 'missed pings after which an agent is marked unreachable' },
  { name: 'offer_timeout', type: 'duration', help: 'how long an offer may stay outstanding before it is rescinded (default: forever)' },
  { name: 'allocation_interval', type: 'duration', default: 1, help: 'time between full allocation cycles' },
  { name: 'heartbeat_interval', type: 'duration', default: 15, help: 'interval of HEARTBEAT events on scheduler streams (maestro)' },
  { name: 'weights', type: 'string', help: 'role weights, role=weight,...' },
  { name: 'min_allocatable_resources', type: 'string', default: 'cpus:0.01|mem:32', help: 'an offer is made only if it holds one of these (alternatives separated by |)' },
  { name: 'role_sorter', type: 'string', default: 'drf', help: 'role sorter: drf or random' },
  { name: 'framework_sorter', type: 'string', default: 'drf', help: 'framework sorter: drf or random' },
  { name: 'allocator_seed', type: 'number', help: 'seed of the allocator\'s RNG (default: random)' },
  { name: 'max_completed_frameworks', type: 'number', default: 50, help: 'removed frameworks kept for the operator views (their ids may not subscribe again)' },
  { name: 'max_completed_tasks_per_framework', type: 'number', default: 1000, help: 'completed tasks kept per framework for the operator views' },
  { name: 'max_unreachable_tasks_per_framework', type: 'number', default: 1000, help: 'tasks on unreachable agents kept per framework' },
  { name: 'registry_max_agent_count', type: 'number', default: 102400, help: 'unreachable agents kept, and gone agents kept (the oldest are forgotten first)' },
  { name: 'registry_max_agent_age', type: 'duration', default: 1209600, help: 'how long an unreachable or gone agent is kept, in seconds or with a unit (2 weeks)' },
  { name: 'registry_gc_interval', type: 'duration', default: 900, help: 'how often the leading master examines the registry and forgets the unreachable and gone agents that --registry_max_agent_age and --registry_max_agent_count no longer keep (15 minutes)' },
  { name: 'agent_token', type: 'string', help: 'token agents must present to register (maestro)' },
  { name: 'database', type: 'string', help: 'PostgreSQL url of the registry (also DATABASE_URL); with it several masters elect a leader. Without it: one master, registry in memory' },
  { name: 'agent_reregister_timeout', type: 'duration', default: 600, help: 'after a failover, how long the new leader waits for the registry\'s agents to re-register before marking them unreachable' },
  { name: 'advertise_ip', type: 'string', help: 'IP (or host name) other masters redirect to (default: --hostname, else --ip; the hostname when --ip is 0.0.0.0)' },
  { name: 'advertise_port', type: 'number', help: 'port other masters redirect to (default: the port listened on)' },
  { name: 'logging_level', type: 'string', default: 'INFO', help: 'INFO, WARNING or ERROR' },
  { name: 'quiet', type: 'boolean', default: false, help: 'log warnings and errors only (the start line is always printed)' },
];

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `role=weight,...` to a map; throws FlagError naming the bad entry. */
export function parseWeights(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (text === undefined || text.trim() === '') return out;
  for (const part of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*([0-9.]+)\s*$/.exec(part);
    const w = m ? Number(m[2]) : NaN;
    if (!m || !(w > 0)) throw new FlagError('weights', `--weights: expected role=weight with a positive weight, got '${part}'`);
    out.set(m[1], w);
  }
  return out;
}

export function parseMinAllocatable(text: string): Resources[] {
  return text.split('|').filter((s) => s.trim() !== '').map((alt) => {
    const r = Resources.tryParse(alt);
    if (!r.ok) throw new FlagError('min_allocatable_resources', `--min_allocatable_resources: ${r.error.message}`);
    return r.resources;
  });
}

function sorterOf(name: string, value: string): 'drf' | 'random' {
  if (value !== 'drf' && value !== 'random') throw new FlagError(name, `--${name}: expected drf or random, got '${value}'`);
  return value;
}

const LEVELS: Readonly<Record<string, string>> = { INFO: 'info', WARNING: 'warn', ERROR: 'error' };

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let values;
  let weights: Map<string, number>;
  let minAllocatable: Resources[];
  let sorter: 'drf' | 'random';
  try {
    const parsed = parseFlags(MASTER_FLAGS, argv, env);
    if (parsed.help) {
      process.stdout.write(formatHelp('maestro master [flags]', 'Runs a master: allocator, scheduler and operator APIs, agent endpoint.', MASTER_FLAGS));
      return;
    }
    if (parsed.positional.length > 0) throw new FlagError('', `unexpected argument '${parsed.positional[0]}'`);
    values = parsed.values;
    weights = parseWeights(values.weights as string | undefined);
    minAllocatable = parseMinAllocatable(values.min_allocatable_resources as string);
    sorter = sorterOf('role_sorter', values.role_sorter as string);
    sorterOf('framework_sorter', values.framework_sorter as string);
    for (const name of ['max_completed_frameworks', 'max_completed_tasks_per_framework', 'max_unreachable_tasks_per_framework', 'registry_max_agent_count']) {
      const n = values[name] as number;
      if (!Number.isInteger(n) || n < 0) throw new FlagError(name, `--${name}: expected a non-negative integer, got '${n}'`);
    }
    if (!((values.registry_gc_interval as number) > 0)) {
      throw new FlagError('registry_gc_interval', `--registry_gc_interval: expected a positive duration, got '${values.registry_gc_interval}'`);
    }
    const level = String(values.logging_level).toUpperCase();
    if (LEVELS[level] === undefined) throw new FlagError('logging_level', `--logging_level: expected INFO, WARNING or ERROR, got '${values.logging_level}'`);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`maestro master: ${e.message}\n`);
    process.exitCode = 1;
    return;
  }

  const level = values.quiet === true ? 'warn' : LEVELS[String(values.logging_level).toUpperCase()];
  const logger = processLogger('master', level);
  const ip = values.ip as string;
  const version = packageVersion();
  const seed = (values.allocator_seed as number | undefined) ?? Math.floor(Math.random() * 2 ** 31);
  const flagText: Record<string, string> = {};
  for (const spec of MASTER_FLAGS) {
    const v = values[spec.name];
    if (v === undefined) continue;
    // Secrets never leave the process through GET_FLAGS or /master/flags.
    flagText[spec.name] = spec.name === 'agent_token' ? '(hidden)' : spec.type === 'duration' ? `${v}secs` : String(v);
  }
  const config: { -readonly [K in keyof MasterConfig]: MasterConfig[K] } = {
    hostname: (values.hostname as string | undefined) ?? osHostname(),
    ip,
    port: values.port as number,
    version,
    agentPingTimeoutMs: (values.agent_ping_timeout as number) * 1000,
    maxAgentPingTimeouts: values.max_agent_ping_timeouts as number,
    offerTimeoutMs: values.offer_timeout === undefined ? undefined : (values.offer_timeout as number) * 1000,
    allocationIntervalMs: (values.allocation_interval as number) * 1000,
    heartbeatIntervalSeconds: values.heartbeat_interval as number,
    weights,
    agentToken: values.agent_token as string | undefined,
    cluster: values.cluster as string | undefined,
    flags: flagText,
    maxCompletedFrameworks: values.max_completed_frameworks as number,
    maxCompletedTasksPerFramework: values.max_completed_tasks_per_framework as number,
    maxUnreachableTasksPerFramework: values.max_unreachable_tasks_per_framework as number,
    registryMaxAgentCount: values.registry_max_agent_count as number,
    registryMaxAgentAgeMs: (values.registry_max_agent_age as number) * 1000,
    registryGcIntervalMs: (values.registry_gc_interval as number) * 1000,
    agentReregisterTimeoutMs: (values.agent_reregister_timeout as number) * 1000,
  };
  const databaseUrl = (values.database as string | undefined) ?? (env.DATABASE_URL === '' ? undefined : env.DATABASE_URL);
  if (flagText.database !== undefined) flagText.database = redactUrl(flagText.database);
  let db: Database | undefined;
  let store: RegistryStore | undefined;
  /** `host:port` this master publishes when it leads (known once it listens). */
  let advertised = '';
  let registrar: Registrar | undefined;
  let maintenanceStore: Awaited<ReturnType<typeof openPostgresMaintenanceStore>> | undefined;
  if (databaseUrl !== undefined) {
    try {
      db = await openDatabase({ url: databaseUrl, workDir: (values.work_dir as string | undefined) ?? '.', logger, database: 'maestro' });
      // Fenced: a batch is written only while this master's leaders row holds the lock (see startLeadership below).
      store = await openPostgresRegistryStore(db.pool, { fence: { component: 'master', lockKey: 'maestro-master', address: () => advertised } });
      maintenanceStore = await openPostgresMaintenanceStore(db.pool, { fence: { component: 'master', lockKey: 'maestro-master', address: () => advertised } });
    } catch (e) {
      process.stderr.write(`maestro master: --database: ${(e as Error).message}\n`);
      await db?.close().catch(() => undefined);
      process.exitCode = 1;
      return;
    }
    registrar = createRegistrar(store);
  }
  const allocator = createAllocator({ seed, sorter, minAllocatable });
  // The web UI's live feed learns of every change through observed timers and entry points (master/ui/change-signal.ts).
  const ui = createMasterUi({ logger });
  const master = new Master({
    clock: systemClock, timers: ui.timers(systemTimers), ids: createIdGenerator(), logger, allocator, config,
    registrar, maintenanceStore, awaitElection: db !== undefined,
    onRegistryFailure: (err) => {
      // Mesos aborts when its registrar fails: acting on changes that are not stored would split the cluster.
      logger.fatal({ error: err.message }, 'the registry cannot be written; exiting');
      process.exit(1);
    },
  });
  const observed = ui.observe(master);
  const build = readBuildInfo(fileURLToPath(new URL('..', import.meta.url)));
  let leadership: Leadership | undefined;
  const leader: LeaderCheck | undefined = db === undefined ? undefined : () => {
    if (master.leading) return undefined;
    const address = leadership?.leader();
    return address === undefined || address === advertised ? { kind: 'none' } : { kind: 'elsewhere', base: `//${address}` };
  };
  const app = createMasterApp({ scheduler: observed, operator: observed, logger, version, build, leader });
  const link = attachAgentLink(app.server, observed, logger, leader);
  ui.attach(app.server, master, allocator, [AGENT_PATH]);

  try {
    await app.listen({ host: ip, port: config.port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`maestro master: --port: cannot listen on ${ip}:${config.port}: ${code === 'EADDRINUSE' ? 'the address is in use' : (e as Error).message}\n`);
    // Timers and sockets the master started before it listened would keep the process up.
    process.exit(1);
  }
  const port = (app.server.address() as AddressInfo).port;
  config.port = port;
  flagText.port = String(port);
  const advertiseHost = (values.advertise_ip as string | undefined) ?? (values.hostname as string | undefined) ?? (ip === '0.0.0.0' || ip === '::' ? config.hostname : ip);
  advertised = `${advertiseHost}:${(values.advertise_port as number | undefined) ?? port}`;
  if (db === undefined) master.start();
  const startLevel = logger.level;
  logger.level = 'info';
  logger.info({ address: `http://${ip}:${port}`, ...(db === undefined ? {} : { database: redactUrl(db.url), advertised }) }, 'master started');
  logger.level = startLevel;
  logger.debug({ agentPath: AGENT_PATH, seed }, 'agent endpoint ready');
  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      logger.info({ signal }, 'master stopping');
      const force = setTimeout(() => process.exit(0), 5000);
      force.unref();
      master.stop();
      // The registry writes already queued land while this master still holds the lock (after the
      // lock frees, the fence refuses them and the master would exit 1 on a clean stop). Then
      // leadership: the lock frees and a follower takes over while this one closes. A signal during
      // the first election attempt finds no leadership yet; the 5 s exit covers it.
      await registrar?.drain();
      await leadership?.stop().catch(() => undefined);
      await ui.close();
      await link.close();
      await app.close();
      await db?.close().catch(() => undefined);
      clearTimeout(force);
    })();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  if (db !== undefined && store !== undefined) {
    const registry = store;
    leadership = await startLeadership({
      url: db.url, component: 'master', address: advertised, logger,
      lead: async () => {
        observed.recoverMaintenance(await maintenanceStore!.load());
        observed.recover(await registry.load());
        master.start();
        logger.info({ address: advertised }, 'leading');
      },
    });
    if (!master.leading) logger.info({ leader: leadership.leader() ?? null }, 'following');
  }
}
