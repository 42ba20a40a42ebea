/**
 * `maestro agent --simulate=N`: N simulated agents in this process (simulated-fleet.ts) against
 * the masters of `--master`, for scale tests and benchmarks. Reads the agent's flags that make
 * sense without processes: `--master`, `--resources` (per agent; default
 * `cpus:2;mem:1024;disk:4096;ports:[31000-32000]`, missing cpus/mem/disk/ports filled from it),
 * `--attributes` (plus `sim_index:i`), `--hostname` (agents are `sim-NNNN.<hostname>`),
 * `--agent_token`, `--registration_backoff_factor`, `--status_update_retry_interval_min/max`,
 * `--ip`/`--port`/`--advertise_ip`, `--logging_level`/`--quiet`. `--work_dir` and the
 * containerizer flags are not used: nothing is written to disk and nothing is launched.
 *
 * It serves a small HTTP endpoint on `--ip:--port`: `GET /metrics/snapshot` (the simulator's
 * counters, `simulator/*`, and its RSS) and `GET /health`. Logs `agent started` with that address,
 * the master(s) and the count once the agents are connecting, and `simulated agents registered`
 * when every agent has registered once. SIGTERM and SIGINT close every connection and exit 0.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { processLogger } from '../../common/logger.ts';
import { Resources } from '../../common/resources/resources.ts';
import { FlagError, type FlagValues } from '../../common/flags.ts';
import { systemClock, systemTimers } from '../../common/ports.ts';
import { parseAttributes } from '../attributes.ts';
import { parseMasters } from '../master-link.ts';
import { newCounters, SIMULATED_AGENT_RESOURCES, type SimulationCounters } from './simulated-agent.ts';
import { SimulatedFleet } from './simulated-fleet.ts';

const LEVELS: Readonly<Record<string, string>> = { INFO: 'info', WARNING: 'warn', ERROR: 'error' };

/** `--resources` for one simulated agent: Mesos text or a JSON list; what it leaves out comes from the default. */
export function simulatedResources(flag: string | undefined): Resources {
  const fallback = Resources.parse(SIMULATED_AGENT_RESOURCES);
  if (flag === undefined || flag.trim() === '') return fallback;
  const text = flag.trim();
  let given: Resources;
  if (text.startsWith('[')) {
    try {
      given = Resources.fromProto(JSON.parse(text));
    } catch (e) {
      throw new FlagError('resources', `--resources: invalid JSON resources: ${(e as Error).message}`);
    }
  } else {
    const parsed = Resources.tryParse(text);
    if (!parsed.ok) throw new FlagError('resources', `--resources: ${parsed.error.message}`);
    given = parsed.resources;
  }
  const names = new Set(given.names());
  const missing = fallback.filter((r) => !names.has(r.name));
  return missing.isEmpty() ? given : given.plus(missing);
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function snapshot(fleet: SimulatedFleet, counters: SimulationCounters): Record<string, number> {
  let tasks = 0;
  let pending = 0;
  for (const a of fleet.agents) {
    tasks += a.taskCount;
    pending += a.pendingUpdates();
  }
  const out: Record<string, number> = {
    'simulator/agents': fleet.count,
    'simulator/agents_registered': fleet.registeredAgents,
    'simulator/agents_connected': fleet.connectedAgents(),
    'simulator/tasks': tasks,
    'simulator/status_updates_pending': pending,
    'simulator/rss_bytes': process.memoryUsage().rss,
  };
  for (const [k, v] of Object.entries(counters)) out[`simulator/${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`] = v;
  return out;
}

/** The endpoint; `fleet()` is undefined for the moment between listen and the fleet's creation. */
function serve(fleet: () => SimulatedFleet | undefined, counters: SimulationCounters): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const f = fleet();
    if (f === undefined) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Starting\n');
    } else if (req.method === 'GET' && path === '/metrics/snapshot') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(snapshot(f, counters)));
    } else if (req.method === 'GET' && path === '/health') {
      res.writeHead(200).end();
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`No such endpoint on a simulated agent: ${req.method} ${path}\n`);
    }
  });
}

/** Runs the simulated agents until SIGTERM or SIGINT. Throws FlagError (naming the flag) before starting anything. */
export async function runSimulatedAgents(values: FlagValues): Promise<void> {
  const count = values.simulate as number;
  if (!Number.isInteger(count) || count < 1) throw new FlagError('simulate', `--simulate: expected a whole number of agents (1 or more), got '${count}'`);
  const masters = parseMasters(String(values.master ?? ''));
  if (masters.length === 0) throw new FlagError('master', '--master is required (host:port)');
  const level = LEVELS[String(values.logging_level ?? 'INFO').toUpperCase()];
  if (level === undefined) throw new FlagError('logging_level', `--logging_level: expected INFO, WARNING or ERROR, got '${values.logging_level}'`);
  const resources = simulatedResources(values.resources as string | undefined);
  const attributes = parseAttributes(values.attributes as string | undefined);
  if (!attributes.ok) throw new FlagError('attributes', attributes.message);
  const retryMin = (values.status_update_retry_interval_min as number | undefined) ?? 10;
  const retryMax = (values.status_update_retry_interval_max as number | undefined) ?? 600;
  if (retryMin <= 0 || retryMax < retryMin) {
    throw new FlagError('status_update_retry_interval_min', `--status_update_retry_interval_min (${retryMin}s) must be positive and at most --status_update_retry_interval_max (${retryMax}s)`);
  }

  const logger = processLogger('agent', values.quiet === true ? 'warn' : level);
  const counters = newCounters();
  const ip = (values.ip as string | undefined) ?? '127.0.0.1';
  const advertiseIp = (values.advertise_ip as string | undefined) ?? ip;

  // The HTTP port first: every agent advertises it.
  let created: SimulatedFleet | undefined;
  const server = serve(() => created, counters);
  const wantedPort = (values.port as number | undefined) ?? 5051;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new FlagError('port', `--port: cannot listen on ${ip}:${wantedPort}: ${e.message}`)));
    server.listen(wantedPort, ip, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const fleet = new SimulatedFleet({
    masters,
    count,
    hostnameBase: (values.hostname as string | undefined) ?? osHostname(),
    port,
    attributes: attributes.attributes,
    random: Math.random,
    backoff: { initialMs: ((values.registration_backoff_factor as number | undefined) ?? 1) * 1000, maxMs: 60_000 },
    shared: {
      clock: systemClock,
      timers: systemTimers,
      logger,
      uuid: () => randomBytes(16).toString('base64'),
      resources,
      version: packageVersion(),
      retry: { initialMs: retryMin * 1000, maxMs: retryMax * 1000 },
      ...(values.agent_token !== undefined ? { token: values.agent_token as string } : {}),
      counters,
    },
  });
  created = fleet;
  fleet.start();

  const always = (obj: object, msg: string) => {
    const before = logger.level;
    logger.level = 'info';
    logger.info(obj, msg);
    logger.level = before;
  };
  always({ address: `http://${advertiseIp}:${port}`, master: masters.join(','), simulated: count, resources: resources.toString() }, 'agent started');
  void fleet.registered.then((ms) => always({ simulated: count, registrationMs: Math.round(ms), rssBytes: process.memoryUsage().rss }, 'simulated agents registered'));

  // The links' timers are unref'd; this keeps the process up until a signal stops it.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      always({ signal, simulated: count }, 'simulated agents stopping');
      const force = setTimeout(() => process.exit(0), 5000);
      force.unref();
      clearInterval(keepAlive);
      await fleet.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(force);
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
