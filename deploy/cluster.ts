/**
 * `maestro cluster up`: a local cluster for trying maestro out, as child processes of this one.
 * Each member is a real `maestro <subcommand>` process with its own work dir under one state
 * directory (`--dir`, default `.maestro-cluster/` in the current directory; a second run reuses
 * it). Logs go to `<dir>/<name>.log`; progress and URLs go to the terminal. Ctrl-C (SIGINT) or
 * SIGTERM stops every member cleanly (SIGTERM, then SIGKILL after 10 s).
 *
 * Members today: the master, `--agents` agents (2 by default), marathon and batch (with Redis). The agents share this
 * host, so each is given an equal slice of its cpus and memory and its own port range, and a
 * distinct `rack` attribute so that placement has something to work with. Marathon keeps its state
 * in PostgreSQL: `--database` / DATABASE_URL, or an embedded server under `<dir>/marathon` (so a
 * second run finds its apps again); so does batch (`<dir>/batch`), whose queue of pending runs is
 * in Redis: `--redis` / REDIS_URL, or Debian's redis-server started here (data in `<dir>/redis`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHelp, parseFlags, FlagError, type FlagSpec } from '../common/flags.ts';

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

const maestro = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'maestro.mjs');

interface Member {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

function startMember(name: string, args: readonly string[], dir: string): Promise<{ member: Member; address: string }> {
  const log = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [maestro, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as { msg?: string; address?: string };
          if (rec.msg?.endsWith(' started') && rec.address) {
            child.stdout!.off('data', onData);
            resolvePromise({ member: { name, child, exited }, address: rec.address });
            return;
          }
        } catch { /* not a JSON log line */ }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it started; see ${join(dir, `${name}.log`)}`)));
  });
}

/** A free TCP port on `ip` (the OS picks one). */
function freePort(ip: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, ip, () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Debian's redis-server as a member: loopback, append-only file in `dataDir`, log in `<dir>/redis.log`. */
async function startRedis(ip: string, dataDir: string, dir: string): Promise<{ member: Member; url: string }> {
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort(ip);
  const log = createWriteStream(join(dir, 'redis.log'), { flags: 'a' });
  const child = spawn('redis-server', ['--port', String(port), '--bind', ip, '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolveReady, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        resolveReady();
      }
    };
    child.stdout!.on('data', onData);
    child.once('error', (e) => reject(new Error(`redis-server could not start (${e.message}); run ./deploy/install-deps, or pass --redis`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before it was ready; see ${join(dir, 'redis.log')}`)));
  });
  return { member: { name: 'redis', child, exited }, url: `redis://${ip}:${port}` };
}

async function stopAll(members: readonly Member[]): Promise<void> {
  await Promise.all(members.map(async (m) => {
    if (m.child.exitCode !== null || m.child.signalCode !== null) return;
    m.child.kill('SIGTERM');
    const t = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
    await m.exited;
    clearTimeout(t);
  }));
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed;
  try {
    parsed = parseFlags(FLAGS, argv, env);
  } catch (e) {
    if (e instanceof FlagError) { process.stderr.write(`maestro cluster: ${e.message}\n`); process.exitCode = 1; return; }
    throw e;
  }
  const [action] = parsed.positional;
  if (parsed.help || action === undefined) {
    process.stdout.write(formatHelp('maestro cluster up [flags]', 'Runs a local cluster (a master, agents, marathon, batch) until Ctrl-C.', FLAGS));
    return;
  }
  if (action !== 'up') {
    process.stderr.write(`maestro cluster: unknown action '${action}' (expected 'up')\n`);
    process.exitCode = 1;
    return;
  }
  const v = parsed.values;
  const dir = resolve(String(v.dir));
  mkdirSync(join(dir, 'master'), { recursive: true });
  const members: Member[] = [];
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the cluster...\n');
    await stopAll(members);
    process.stdout.write('stopped\n');
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  const t0 = Date.now();
  let marathonAddress = '';
  let batchAddress = '';
  process.stdout.write(`state directory: ${dir}\n`);
  try {
    process.stdout.write('starting master... ');
    const { member, address } = await startMember('master', ['master', `--ip=${v.ip}`, `--port=${v.master_port}`, `--work_dir=${join(dir, 'master')}`], dir);
    members.push(member);
    process.stdout.write(`${address}\n`);
    const masterHostPort = address.replace(/^https?:\/\//, '');
    const n = Number(v.agents);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--agents must be a positive integer, got ${v.agents}`);
    const agentLines: string[] = [];
    interface StartedAgent { readonly name: string; readonly address: string; readonly slice: { resources: string; attributes: string } }
    const settled = await Promise.allSettled(Array.from({ length: n }, (_, i): Promise<StartedAgent> => {
      const slice = agentSlice(i, n, cpus().length, Math.floor(totalmem() / 2 ** 20));
      const name = `agent-${i + 1}`;
      mkdirSync(join(dir, name), { recursive: true });
      return startMember(name, ['agent', `--master=${masterHostPort}`, `--ip=${v.ip}`, `--port=${Number(v.agent_port) === 0 ? 0 : Number(v.agent_port) + i}`,
        `--work_dir=${join(dir, name)}`, `--resources=${slice.resources}`, `--attributes=${slice.attributes}`,
        // Agents on one host need bridges of their own (slave/containerizer/create-image-support.ts).
        `--bridge_name=maestro-a${i + 1}`, `--bridge_subnet=172.30.${i + 1}.0/24`], dir)
        .then((r) => {
          members.push(r.member); // at once, so that a sibling's failure still stops it
          return { name, address: r.address, slice };
        });
    }));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const r of settled) {
      const a = (r as PromiseFulfilledResult<StartedAgent>).value;
      agentLines.push(`  ${a.name.padEnd(16)}  ${a.address}  (${a.slice.resources}; ${a.slice.attributes})`);
    }
    process.stdout.write(`started ${n} agent${n === 1 ? '' : 's'}\n`);
    process.stdout.write('starting marathon... ');
    mkdirSync(join(dir, 'marathon'), { recursive: true });
    const database = (v.database as string | undefined) ?? env.DATABASE_URL;
    const marathon = await startMember('marathon', ['marathon', `--master=${masterHostPort}`, `--http_address=${v.ip}`, `--http_port=${v.marathon_port}`,
      `--work_dir=${join(dir, 'marathon')}`, ...(database === undefined || database === '' ? [] : [`--database=${database}`])], dir);
    members.push(marathon.member);
    process.stdout.write(`${marathon.address}\n`);
    marathonAddress = marathon.address;
    let redisUrl = (v.redis as string | undefined) ?? env.REDIS_URL;
    if (redisUrl === undefined || redisUrl === '') {
      process.stdout.write('starting redis... ');
      const redis = await startRedis(v.ip as string, join(dir, 'redis'), dir);
      members.push(redis.member);
      redisUrl = redis.url;
      process.stdout.write(`${redisUrl}\n`);
    }
    process.stdout.write('starting batch... ');
    mkdirSync(join(dir, 'batch'), { recursive: true });
    const batch = await startMember('batch', ['batch', `--master=${masterHostPort}`, `--http_address=${v.ip}`, `--http_port=${v.batch_port}`,
      `--work_dir=${join(dir, 'batch')}`, `--redis=${redisUrl}`, ...(database === undefined || database === '' ? [] : [`--database=${database}`])], dir);
    members.push(batch.member);
    process.stdout.write(`${batch.address}\n`);
    batchAddress = batch.address;
    process.stdout.write([
      '',
      `cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      `  master            ${address}  (scheduler API ${address}/api/v1/scheduler, state ${address}/master/state)`,
      ...agentLines,
      `  marathon          ${marathonAddress}  (REST API ${marathonAddress}/v2/apps, events ${marathonAddress}/v2/events)`,
      `  batch             ${batchAddress}  (jobs ${batchAddress}/v1/jobs)`,
      `  logs              ${dir}/*.log`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'));
  } catch (e) {
    process.stderr.write(`\n${(e as Error).message}\n`);
    await stopAll(members);
    process.exitCode = 1;
    return;
  }
  // Stay up until a member dies or we are told to stop.
  await Promise.race(members.map((m) => m.exited.then(() => m)));
  if (!stopping) {
    process.stderr.write('a cluster member exited; stopping the rest\n');
    await shutdown();
    process.exitCode = 1;
  }
}
