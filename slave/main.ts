/**
 * `maestro agent`: the composition root of an agent. Parses Mesos-named flags, detects the
 * resources, builds the Agent core over real ports (system clock and timers, random ids, the
 * checkpoint store under `--work_dir`, the POSIX containerizer under the isolators of
 * `--isolation` (slave/isolators: posix by default, cgroups on request), the URI fetcher, the health
 * checkers, sandbox GC), serves the agent's HTTP API, recovers what the work dir holds (and
 * refuses to start on an incompatible AgentInfo change), then connects to the master. Logs
 * `agent started` with the address once it listens and has recovered. SIGTERM and SIGINT stop
 * the agent; its tasks keep running (they outlive the agent, DESIGN.md §5) and a restart
 * recovers them. ShutdownAgent from the master (machine DOWN, MARK_AGENT_GONE) stops the master
 * link at once; once the core has killed every task and removed `meta/slaves/latest`, the same
 * orderly stop runs and the process exits 0, logging why (a restart is a new agent, as Mesos).
 * Nothing here is logic: every decision lives in the core.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { processLogger } from '../common/logger.ts';
import { FlagError, formatHelp, parseFlags, type FlagSpec, type FlagValues } from '../common/flags.ts';
import { readBuildInfo } from '../master/build-info.ts';
import { systemClock, systemTimers } from '../common/ports.ts';
import { Agent } from './agent.ts';
import { parseAttributes } from './attributes.ts';
import { checkBoot } from './boot-id.ts';
import { CheckpointStore } from './checkpoint-store.ts';
import { fetchUris } from './containerizer/fetcher.ts';
import { createImageSupport } from './containerizer/create-image-support.ts';
import { createPosixContainerizer } from './containerizer/posix-containerizer.ts';
import { findNamespaceTools, type NamespaceTools } from './isolators/namespaces/namespace-tools.ts';
import { createSandboxGc } from './gc/sandbox-gc.ts';
import { createIsolation, DEFAULT_CGROUPS_ROOT, type Isolation } from './isolators/create-isolators.ts';
import * as health from './health/index.ts';
import { createAgentApp } from './http/app.ts';
import { MasterLink, parseMasters } from './master-link.ts';
import type { ReconfigurationPolicy } from './reconfiguration.ts';
import { detectResources, readHostFacts } from './resources-detect.ts';
import { runSimulatedAgents } from './simulate/run.ts';

export const AGENT_FLAGS: readonly FlagSpec[] = [
  { name: 'master', type: 'string', help: 'the master to register with, host:port (several: host:port,host:port; the agent follows the leader)' },
  { name: 'work_dir', type: 'string', help: 'directory for sandboxes and checkpoints (required)' },
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'IP address to listen on' },
  { name: 'port', type: 'number', default: 5051, help: 'port to listen on (0: an ephemeral port)' },
  { name: 'advertise_ip', type: 'string', help: 'IP address the agent advertises (default: --ip)' },
  { name: 'hostname', type: 'string', help: 'hostname the agent advertises (default: the system hostname)' },
  { name: 'resources', type: 'string', help: 'total consumable resources: Mesos text (cpus:4;mem:8192;ports:[31000-32000]) or a JSON list of Resource (default: detected cpus, mem, disk, and ports [31000-32000])' },
  { name: 'attributes', type: 'string', help: 'attributes of the agent: name:value;name:value' },
  { name: 'agent_token', type: 'string', help: 'token to present to a master that requires one (maestro)' },
  { name: 'containerizers', type: 'string', default: 'posix', help: 'containerizers to use (posix)' },
  { name: 'isolation', type: 'string', default: 'posix/cpu,posix/mem', help: 'isolators, Mesos names: posix/cpu, posix/mem (usage measured, nothing enforced), or cgroups/cpu, cgroups/mem, cgroups/pids (enforced; root and cgroups v1 or v2); namespaces/pid, filesystem/linux (tasks without an image: own pid namespace; private /tmp and volumes)' },
  { name: 'cgroups_root', type: 'string', default: DEFAULT_CGROUPS_ROOT, help: 'name of the cgroup under which each task gets its own (cgroups/* isolation), one path segment' },
  { name: 'cgroups_enable_cfs', type: 'boolean', default: false, help: 'with cgroups/cpu, also cap each task at its cpus with a CFS quota (shares only otherwise)' },
  { name: 'cgroups_pids_max', type: 'number', help: 'with cgroups/pids, the most processes and threads a task may have (maestro; no limit when absent)' },
  { name: 'image_providers', type: 'string', default: 'docker', help: "image kinds containers may use: docker (Docker/OCI images, run by the OCI runtime), or '' for none (Mesos' default is none; maestro's is docker)" },
  { name: 'docker_store_dir', type: 'string', help: 'directory of the local image store (default: <work_dir>/store/docker)' },
  { name: 'docker_registry', type: 'string', default: 'https://registry-1.docker.io', help: 'registry of images whose name names none: https://host[:port], or http://host:port for a plain-http registry' },
  { name: 'insecure_registries', type: 'string', help: 'registries (host:port, comma-separated) spoken to over plain http besides loopback ones (maestro)' },
  { name: 'docker_config', type: 'string', help: 'Docker config.json with registry credentials ({"auths": {"host:port": {"auth": base64(user:password)}}}), a path' },
  { name: 'oci_runtime', type: 'string', default: 'runc', help: 'the OCI runtime that runs containers with images, a name on PATH or a path (maestro)' },
  { name: 'bridge_name', type: 'string', default: 'maestro0', help: 'the Linux bridge of BRIDGE-networked containers (maestro)' },
  { name: 'bridge_subnet', type: 'string', default: '172.31.0.0/16', help: 'IPv4 subnet of the bridge; containers get addresses from it (maestro)' },
  { name: 'allowed_host_paths', type: 'string', help: 'colon-separated directories under which host-path volumes may be (maestro; default: anywhere)' },
  { name: 'gc_delay', type: 'duration', default: 7 * 24 * 3600, help: 'how long a completed sandbox is kept at most' },
  { name: 'gc_disk_headroom', type: 'number', default: 0.1, help: 'disk fraction to keep free; fuller disks collect younger sandboxes' },
  { name: 'disk_watch_interval', type: 'duration', default: 60, help: 'how often disk usage is checked for garbage collection' },
  { name: 'reconfiguration_policy', type: 'string', default: 'equal', help: 'on restart, what --resources/--attributes changes keep the agent id: equal or additive' },
  { name: 'registration_backoff_factor', type: 'duration', default: 1, help: 'initial backoff of (re)connection attempts (doubles up to 1 minute)' },
  { name: 'status_update_retry_interval_min', type: 'duration', default: 10, help: 'first resend interval of an unacknowledged status update (doubles)' },
  { name: 'status_update_retry_interval_max', type: 'duration', default: 600, help: 'longest resend interval of an unacknowledged status update' },
  { name: 'executor_shutdown_grace_period', type: 'duration', default: 5, help: 'how long an executor has after SHUTDOWN before it is killed; told to tasks (MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD)' },
  { name: 'executor_registration_timeout', type: 'duration', default: 60, help: 'how long a custom executor has to subscribe after it was started before it is killed and its tasks fail' },
  { name: 'executor_reregistration_timeout', type: 'duration', default: 2, help: 'how long a custom executor has to subscribe again after the agent restarted before it is killed' },
  { name: 'recovery_timeout', type: 'duration', default: 900, help: 'how long a checkpointing executor keeps trying to reach a restarted agent (MESOS_RECOVERY_TIMEOUT)' },
  { name: 'default_kill_grace_period', type: 'duration', default: 3, help: 'kill grace period of a task without a kill policy (maestro)' },
  { name: 'logging_level', type: 'string', default: 'INFO', help: 'INFO, WARNING or ERROR' },
  { name: 'quiet', type: 'boolean', default: false, help: 'log warnings and errors only (the start line is always printed)' },
  { name: 'simulate', type: 'number', default: 0, help: 'run N simulated agents in this process instead (scale tests, benchmarks): the real agent protocol, launches faked, nothing written to --work_dir (docs/operating.md)' },
];

const LEVELS: Readonly<Record<string, string>> = { INFO: 'info', WARNING: 'warn', ERROR: 'error' };

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function flagText(values: FlagValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of AGENT_FLAGS) {
    const v = values[spec.name];
    if (v === undefined) continue;
    out[spec.name] = spec.name === 'agent_token' ? '(hidden)' : spec.type === 'duration' ? `${v}secs` : String(v);
  }
  return out;
}

function fail(message: string): void {
  process.stderr.write(`maestro agent: ${message}\n`);
  process.exitCode = 1;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let values: FlagValues;
  let isolation: Extract<Isolation, { ok: true }>;
  try {
    const parsed = parseFlags(AGENT_FLAGS, argv, env);
    if (parsed.help) {
      process.stdout.write(formatHelp('maestro agent --master=HOST:PORT --work_dir=DIR [flags]', 'Runs an agent: launches and supervises the tasks frameworks send it.', AGENT_FLAGS));
      return;
    }
    if (parsed.positional.length > 0) throw new FlagError('', `unexpected argument '${parsed.positional[0]}'`);
    values = parsed.values;
    // --simulate=N: simulated agents instead of this one (slave/simulate/); --work_dir and the containerizer flags do not apply.
    if (values.simulate !== 0) return await runSimulatedAgents(values);
    if (values.master === undefined || parseMasters(values.master as string).length === 0) throw new FlagError('master', '--master is required (host:port)');
    if (values.work_dir === undefined || values.work_dir === '') throw new FlagError('work_dir', '--work_dir is required');
    if (values.containerizers !== 'posix') throw new FlagError('containerizers', `--containerizers: only 'posix' is available, got '${values.containerizers}'`);
    const pidsMax = values.cgroups_pids_max as number | undefined;
    if (pidsMax !== undefined && !(Number.isInteger(pidsMax) && pidsMax > 0)) {
      throw new FlagError('cgroups_pids_max', `--cgroups_pids_max: expected a positive whole number, got '${pidsMax}'`);
    }
    const built = createIsolation({
      isolation: String(values.isolation),
      cgroupsRoot: values.cgroups_root as string,
      enableCfs: values.cgroups_enable_cfs as boolean,
      ...(pidsMax !== undefined ? { pidsMax } : {}),
    });
    if (!built.ok) throw new FlagError('isolation', built.message);
    isolation = built;
    if (values.reconfiguration_policy !== 'equal' && values.reconfiguration_policy !== 'additive') {
      throw new FlagError('reconfiguration_policy', `--reconfiguration_policy: expected equal or additive, got '${values.reconfiguration_policy}'`);
    }
    if (LEVELS[String(values.logging_level).toUpperCase()] === undefined) {
      throw new FlagError('logging_level', `--logging_level: expected INFO, WARNING or ERROR, got '${values.logging_level}'`);
    }
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    return fail(e.message);
  }

  const workDir = resolve(values.work_dir as string);
  mkdirSync(workDir, { recursive: true });
  const detected = detectResources(values.resources as string | undefined, readHostFacts(workDir));
  if (!detected.ok) return fail(detected.message);
  const attributes = parseAttributes(values.attributes as string | undefined);
  if (!attributes.ok) return fail(attributes.message);

  const level = values.quiet === true ? 'warn' : LEVELS[String(values.logging_level).toUpperCase()];
  const logger = processLogger('agent', level);
  for (const warning of isolation.warnings) logger.warn({ isolation: values.isolation, containerizers: values.containerizers }, warning);

  const ip = values.ip as string;
  const advertiseIp = (values.advertise_ip as string | undefined) ?? ip;
  const version = packageVersion();
  const store = new CheckpointStore(workDir);
  const { pidNamespace, filesystemLinux } = isolation.namespaces;
  let namespaceTools: NamespaceTools | undefined;
  if (pidNamespace || filesystemLinux) {
    if (process.getuid?.() !== 0) return fail('--isolation: namespaces/pid and filesystem/linux need root (new namespaces and mounts)');
    namespaceTools = await findNamespaceTools();
    if (namespaceTools === undefined) return fail('--isolation: namespaces/pid and filesystem/linux need util-linux unshare (>= 2.32, with --kill-child) and mount');
    if (filesystemLinux && (workDir === '/tmp' || workDir.startsWith('/tmp/'))) {
      return fail(`--work_dir: with filesystem/linux the work dir cannot be under /tmp (a task's private /tmp would hide its sandbox), got '${workDir}'`);
    }
  }
  const allowedHostPaths = values.allowed_host_paths === undefined ? undefined : String(values.allowed_host_paths).split(':').filter((p) => p !== '');
  if (allowedHostPaths?.some((p) => !p.startsWith('/'))) return fail(`--allowed_host_paths: expected absolute directories separated by ':', got '${values.allowed_host_paths}'`);
  const images = createImageSupport({
    workDir,
    imageProviders: String(values.image_providers),
    ...(values.docker_store_dir !== undefined ? { storeDir: resolve(values.docker_store_dir as string) } : {}),
    registry: values.docker_registry as string,
    ...(values.docker_config !== undefined ? { dockerConfig: values.docker_config as string } : {}),
    ...(values.insecure_registries !== undefined ? { insecureRegistries: String(values.insecure_registries).split(',').map((h) => h.trim()).filter((h) => h !== '') } : {}),
    ociRuntime: values.oci_runtime as string,
    bridgeName: values.bridge_name as string,
    bridgeSubnet: values.bridge_subnet as string,
    cgroupsRoot: values.cgroups_root as string,
    ...(allowedHostPaths !== undefined ? { allowedHostPaths } : {}),
    logger,
  });
  if (!images.ok) return fail(images.message);
  for (const warning of images.warnings) logger.warn({ image_providers: values.image_providers }, warning);
  // Posix isolation adds nothing to what the containerizer measures itself: the chain goes in only with cgroups.
  const containerizer = createPosixContainerizer({
    logger,
    ...(isolation.cgroups !== undefined ? { isolation: { isolator: isolation.isolator, cgroups: isolation.cgroups } } : {}),
    ...(namespaceTools !== undefined ? { namespaces: { pidNamespace, filesystemLinux, tools: namespaceTools, ...(allowedHostPaths !== undefined ? { allowedHostPaths } : {}) } } : {}),
    ...(images.support !== undefined ? { images: images.support } : {}),
    ...(images.unavailable !== undefined ? { imagesUnavailable: images.unavailable } : {}),
  });
  const gc = createSandboxGc({
    workDir, gcDelaySeconds: values.gc_delay as number, diskHeadroom: values.gc_disk_headroom as number,
    diskWatchIntervalSeconds: values.disk_watch_interval as number, timers: systemTimers, clock: systemClock, logger,
  });
  const agent = new Agent({
    clock: systemClock,
    timers: systemTimers,
    logger,
    ids: { containerId: () => randomUUID(), uuid: () => randomBytes(16).toString('base64') },
    containerizer,
    store,
    fetch: (uris, opts) => fetchUris(uris, opts),
    health,
    gc,
    config: {
      workDir,
      hostname: (values.hostname as string | undefined) ?? osHostname(),
      ip: advertiseIp,
      resources: detected.resources,
      attributes: attributes.attributes,
      version,
      flags: flagText(values),
      ...(values.agent_token !== undefined ? { token: values.agent_token as string } : {}),
      reconfigurationPolicy: values.reconfiguration_policy as ReconfigurationPolicy,
      defaultGraceMs: (values.default_kill_grace_period as number) * 1000,
      shutdownGraceSeconds: values.executor_shutdown_grace_period as number,
      executorRegistrationTimeoutMs: (values.executor_registration_timeout as number) * 1000,
      executorReregistrationTimeoutMs: (values.executor_reregistration_timeout as number) * 1000,
      recoveryTimeoutSeconds: values.recovery_timeout as number,
      retry: { initialMs: (values.status_update_retry_interval_min as number) * 1000, maxMs: (values.status_update_retry_interval_max as number) * 1000 },
      ...(process.env.PATH !== undefined ? { path: process.env.PATH } : {}),
    },
  });

  const build = readBuildInfo(fileURLToPath(new URL('..', import.meta.url)));
  const app = createAgentApp({ view: agent, executors: agent, logger, version, build });
  try {
    await app.listen({ host: ip, port: values.port as number });
  } catch (e) {
    gc.stop();
    const code = (e as NodeJS.ErrnoException).code;
    return fail(`--port: cannot listen on ${ip}:${values.port}: ${code === 'EADDRINUSE' ? 'the address is in use' : (e as Error).message}`);
  }
  const port = (app.server.address() as AddressInfo).port;
  agent.setEndpoint(advertiseIp, port);

  const boot = checkBoot(store.paths.bootId);
  const recovered = await agent.recover(store.recover(), { rebooted: boot.rebooted });
  if (!recovered.ok) {
    logger.error({ workDir }, recovered.message);
    gc.stop();
    await app.close();
    return fail(recovered.message);
  }

  boot.save();

  const link = new MasterLink({
    masters: parseMasters(values.master as string),
    timers: systemTimers,
    logger,
    random: Math.random,
    backoff: { initialMs: (values.registration_backoff_factor as number) * 1000, maxMs: 60_000 },
    hello: () => agent.hello(),
    onRegistered: (e) => agent.registered(e),
    onMessage: (e) => agent.handle(e),
    onDisconnected: (reason) => agent.disconnected(reason),
  });
  agent.attach(link);
  link.start();

  const startLevel = logger.level;
  logger.level = 'info';
  logger.info({ address: `http://${advertiseIp}:${port}`, agentId: agent.agentId(), recoveredTasks: recovered.tasks }, 'agent started');
  logger.level = startLevel;

  // The link's timers are unref'd; this keeps the process up until a signal or the master stops it.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      logger.info({ signal }, 'agent stopping; tasks keep running and are recovered on restart');
      await stopProcess();
    })();
  };
  const stopProcess = async () => {
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    clearInterval(keepAlive);
    agent.stop();
    gc.stop();
    await link.stop();
    await app.close();
    // Checkpoint and journal writes under way (an acknowledgement, say) reach the disk before the exit.
    await agent.settled();
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // ShutdownAgent from the master (machine DOWN, MARK_AGENT_GONE): no more registration attempts
  // at once; once the core has killed every task and forgotten its id, the process exits 0.
  void agent.shutdownRequested.then(() => link.stop());
  void agent.shutdownComplete.then((done) => {
    closing ??= (async () => {
      const startLevel = logger.level;
      logger.level = 'info';
      logger.info({ forced: done.forced, executorsLeft: done.executorsLeft }, `agent shut down by the master: ${done.message}; ${done.executorsLeft === 0 ? 'the next start registers as a new agent' : 'executors were left: the next start recovers them'}`);
      logger.level = startLevel;
      await stopProcess();
    })();
  });
}
