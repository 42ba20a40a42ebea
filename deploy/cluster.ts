/**
 * `maestro cluster up`: a local cluster for trying maestro out, as child processes of this one.
 * Each member is a real process with its own work dir under one state directory (`--dir`,
 * default `.maestro-cluster/` in the current directory; a second run reuses it). Logs go to
 * `<dir>/<name>.log`; one progress line per member (as it comes up, with the seconds it took) and
 * the URLs go to the terminal.
 *
 * Members: the master, `--agents` agents (2 by default), marathon, batch and, unless `--redis` /
 * REDIS_URL names one, Debian's redis-server (data in `<dir>/redis`). They start as soon as what
 * they need is up: the master and redis at once; the agents when the master listens (so they
 * register at once instead of backing off); marathon and batch at once when the master's port is
 * fixed (their drivers retry until it answers), else when it listens; batch also waits for redis.
 * The agents share this host, so each gets an equal slice of its cpus and memory, its own port
 * range, and attributes of its own (`rack:rN`, `zone` a/b/c). Marathon and batch keep their state
 * in PostgreSQL: `--database` / DATABASE_URL, or an embedded server each under `<dir>/marathon`
 * and `<dir>/batch` (so a second run finds the apps and jobs again).
 *
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything: the frameworks first (so that nothing
 * relaunches), then the agents' tasks (task-reaper.ts; a task outlives its agent by design), then
 * the agents, the master and redis (SIGTERM, SIGKILL after 10 s); a second Ctrl-C kills them at
 * once. No process is left behind. The members have process groups of their own (the terminal's
 * Ctrl-C reaches this process only, which stops them in order) and die with this process if it is
 * killed (cluster-members.ts).
 */
import { mkdirSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { formatHelp, parseFlags, FlagError, type FlagSpec } from '../common/flags.ts';
import { killMembers, startMaestroMember, startRedisMember, stopMembers, type Member, type StartedMember } from './cluster-members.ts';
import { killClusterTasks } from './task-reaper.ts';

const FLAGS: readonly FlagSpec[] = [
  { name: 'dir', type: 'string', default: '.maestro-cluster', help: 'state directory shared by every member (work dirs, logs); reused by a second run' },
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'address every member listens on' },
  { name: 'master_port', type: 'number', default: 5050, help: 'port of the master (its web UI and APIs)' },
  { name: 'agents', type: 'number', default: 2, help: 'how many agents to run (each gets an equal share of this host)' },
  { name: 'marathon_port', type: 'number', default: 8080, help: 'port of marathon (its REST API v2)' },
  { name: 'database', type: 'string', help: 'PostgreSQL url for marathon and batch (also DATABASE_URL); default: an embedded PostgreSQL in <dir>/marathon and <dir>/batch' },
  { name: 'batch_port', type: 'number', default: 9000, help: 'port of the batch framework (Metronome /v1/jobs API)' },
  { name: 'redis', type: 'string', help: 'Redis url for batch\'s queue (also REDIS_URL); default: a redis-server started here, data in <dir>/redis' },
  { name: 'agent_port', type: 'number', default: 5051, help: 'port of the first agent; the others follow (0: ephemeral ports, but then a second run cannot take the agents back: a changed port is a different agent, as in Mesos)' },
];

/** The resources and attributes of agent `i` of `n` on this host: equal shares, disjoint port ranges. */
export function agentSlice(i: number, n: number, hostCpus: number, hostMemMb: number): { resources: string; attributes: string } {
  const cpusEach = Math.max(0.5, Math.floor((hostCpus / n) * 10) / 10);
  const memEach = Math.max(256, Math.floor((hostMemMb * 0.8) / n));
  const portsFrom = 31000 + i * 1000;
  return {
    resources: `cpus:${cpusEach};mem:${memEach};disk:10240;ports:[${portsFrom}-${portsFrom + 999}]`,
    attributes: `rack:r${i + 1};zone:${String.fromCharCode(97 + (i % 3))}`,
  };
}


/** What the last lines say: where to point a browser and a client. */
export function urlLines(master: string, marathon: string, batch: string, dir: string): string[] {
  return [
    `  master UI        ${master}/`,
    `  master API       ${master}/api/v1/scheduler  (operator ${master}/api/v1, state ${master}/master/state)`,
    `  marathon UI      ${marathon}/ui/`,
    `  marathon API     ${marathon}/v2/apps  (events ${marathon}/v2/events)`,
    `  batch UI         ${batch}/ui/`,
    `  batch API        ${batch}/v1/jobs`,
    `  logs             ${dir}/*.log`,
  ];
}

class Stopped extends Error {}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed;
  try {
    parsed = parseFlags(FLAGS, argv, env);
    const n = parsed.values.agents as number;
    if (!Number.isInteger(n) || n < 1) throw new FlagError('agents', `--agents: expected a positive integer, got '${n}'`);
    for (const name of ['master_port', 'marathon_port', 'batch_port', 'agent_port']) {
      const p = parsed.values[name] as number;
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new FlagError(name, `--${name}: expected a port (0-65535), got '${p}'`);
    }
  } catch (e) {
    if (e instanceof FlagError) { process.stderr.write(`maestro cluster: ${e.message}\n`); process.exitCode = 1; return; }
    throw e;
  }
  const [action] = parsed.positional;
  if (parsed.help || action === undefined) {
    process.stdout.write(formatHelp('maestro cluster up [flags]', 'Runs a local cluster (a master, agents, marathon, batch, redis) until Ctrl-C.', FLAGS));
    return;
  }
  if (action !== 'up' || parsed.positional.length > 1) {
    process.stderr.write(`maestro cluster: unknown action '${parsed.positional.join(' ')}' (expected 'up')\n`);
    process.exitCode = 1;
    return;
  }
  const v = parsed.values;
  const dir = resolve(String(v.dir));
  const reused = existsSync(join(dir, 'master'));
  const ip = v.ip as string;
  const n = v.agents as number;
  const database = (v.database as string | undefined) ?? env.DATABASE_URL;
  const databaseFlag = database === undefined || database === '' ? [] : [`--database=${database}`];
  const givenRedis = (v.redis as string | undefined) ?? env.REDIS_URL;

  // Every spawned member, by the order in which they stop.
  const frameworks: Member[] = [];
  const agents: Member[] = [];
  const base: Member[] = [];
  const agentDirs = Array.from({ length: n }, (_, i) => join(dir, `agent-${i + 1}`));
  for (const d of ['master', 'marathon', 'batch', ...agentDirs]) mkdirSync(resolve(dir, d), { recursive: true });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const t = Date.now();
      process.stdout.write('\nstopping the cluster...\n');
      await stopMembers(frameworks);
      const killed = await killClusterTasks(dir, agentDirs);
      await stopMembers(agents);
      await stopMembers(base);
      process.stdout.write(`stopped in ${((Date.now() - t) / 1000).toFixed(1)} s${killed > 0 ? ` (${killed} task process${killed === 1 ? '' : 'es'} killed)` : ''}\n`);
    })();
    return stopping;
  };
  // The first Ctrl-C (or SIGTERM, SIGHUP) stops in order; another one while stopping kills at once.
  const onSignal = () => {
    if (stopping === undefined) {
      void stop();
      return;
    }
    process.stdout.write('killing the members now\n');
    killMembers([...frameworks, ...agents, ...base]);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const t0 = Date.now();
  process.stdout.write(`state directory: ${dir}${reused ? ' (reused: the agents, apps and jobs of the last run)' : ' (new)'}\n`);
  const progress = (name: string, s: StartedMember, detail = '') => {
    process.stdout.write(`  ${name.padEnd(10)} up in ${s.seconds.toFixed(1).padStart(4)} s  ${s.address}${detail}\n`);
    return s;
  };
  /** Runs `start` unless the cluster is stopping meanwhile. */
  const unlessStopping = <T>(start: () => Promise<T>): Promise<T> => (stopping ? Promise.reject(new Stopped()) : start());

  const masterPort = v.master_port as number;
  const master = startMaestroMember('master', ['master', `--ip=${ip}`, `--port=${masterPort}`, `--work_dir=${join(dir, 'master')}`], dir, (m) => base.push(m))
    .then((s) => progress('master', s));
  const hostPort = (s: StartedMember) => s.address.replace(/^https?:\/\//, '');
  // A fixed port is known before the master listens; the frameworks' drivers retry until it does.
  const masterAddress = masterPort === 0 ? master.then(hostPort) : Promise.resolve(`${ip}:${masterPort}`);
  const redisUrl = givenRedis !== undefined && givenRedis !== ''
    ? Promise.resolve(givenRedis)
    : startRedisMember(ip, join(dir, 'redis'), dir, (m) => base.push(m)).then((s) => progress('redis', s).address);
  const agentsUp = master.then((m) => Promise.all(agentDirs.map((work, i) => unlessStopping(() => {
    const slice = agentSlice(i, n, cpus().length, Math.floor(totalmem() / 2 ** 20));
    const agentPort = v.agent_port as number;
    return startMaestroMember(`agent-${i + 1}`, ['agent', `--master=${hostPort(m)}`, `--ip=${ip}`, `--port=${agentPort === 0 ? 0 : agentPort + i}`,
      `--work_dir=${work}`, `--resources=${slice.resources}`, `--attributes=${slice.attributes}`,
      // Agents on one host need bridges of their own (slave/containerizer/create-image-support.ts).
      `--bridge_name=maestro-a${i + 1}`, `--bridge_subnet=172.30.${i + 1}.0/24`], dir, (a) => agents.push(a))
      .then((s) => progress(`agent-${i + 1}`, s, `  ${slice.attributes}  ${slice.resources}`));
  }))));
  const marathon = masterAddress.then((m) => unlessStopping(() => startMaestroMember('marathon', ['marathon', `--master=${m}`, `--http_address=${ip}`,
    `--http_port=${v.marathon_port}`, `--work_dir=${join(dir, 'marathon')}`, ...databaseFlag], dir, (f) => frameworks.push(f))))
    .then((s) => progress('marathon', s));
  const batch = Promise.all([masterAddress, redisUrl]).then(([m, redis]) => unlessStopping(() => startMaestroMember('batch', ['batch', `--master=${m}`,
    `--http_address=${ip}`, `--http_port=${v.batch_port}`, `--work_dir=${join(dir, 'batch')}`, `--redis=${redis}`, ...databaseFlag], dir, (f) => frameworks.push(f))))
    .then((s) => progress('batch', s));
  const all = [master, redisUrl, agentsUp, marathon, batch];
  for (const p of all) p.catch(() => undefined); // the first failure is handled below; the rest follow from the stop

  try {
    const [m, , , mt, b] = await Promise.all(all) as [StartedMember, string, StartedMember[], StartedMember, StartedMember];
    if (stopping) throw new Stopped();
    process.stdout.write([
      '',
      `cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      ...urlLines(m.address, mt.address, b.address, dir),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'));
  } catch (e) {
    if (!(e instanceof Stopped) && !stopping) {
      process.stderr.write(`\n${(e as Error).message}\n`);
      process.exitCode = 1;
    }
    await stop();
    return;
  }
  // Up until told to stop, or until a member dies.
  const members = [...base, ...agents, ...frameworks];
  const died = await Promise.race([stopping ?? new Promise<never>(() => undefined), ...members.map((mb) => mb.exited.then(() => mb))]);
  if (died !== undefined && !stopping) {
    process.stderr.write(`${died.name} exited (see ${join(dir, `${died.name}.log`)}); stopping the rest\n`);
    process.exitCode = 1;
  }
  await stop();
}
