/**
 * `maestro cluster up` as a newcomer runs it: a master, three agents, marathon, batch and redis
 * come up with one progress line each, the agents register with their slices of the host and
 * attributes of their own, the UIs answer, Ctrl-C (to the process group, as a terminal sends it)
 * stops everything (tasks included: no process of the cluster is left), a second run in the same
 * state directory brings back the same agents (their ids are checkpointed), marathon's apps and
 * batch's jobs, and `cluster up` killed with SIGKILL takes its members along.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentSlice } from '../deploy/cluster.ts';
import { killTaskProcesses, taskProcesses } from './support/maestro-process.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Slave { id: string; attributes: Record<string, string>; resources: { cpus: number; ports: string }; active: boolean }

/** The members' logs, for the failure message. */
function logs(dir: string): string {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-2000)}`).join('\n');
}

/** `count` consecutive free loopback ports (agents keep their port across runs: a changed port is an incompatible agent, as in Mesos). */
async function freePorts(count: number): Promise<number> {
  const listen = (port: number) => new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  // Below the kernel's ephemeral range: the members listening on port 0 (master, marathon, batch)
  // must not be handed one of these between this check and the agents' start (it happened once).
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  const span = Math.max(1000, ephemeralLow - 20000 - count);
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * span);
    let free = true;
    for (let p = base; free && p < base + count; p++) free = await listen(p);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/**
 * Live processes that belong to the cluster in `dir`: its state directory is in their command
 * line (members, redis, the embedded PostgreSQL servers), their environment (tasks: MESOS_SANDBOX)
 * or their working directory.
 */
function clusterProcesses(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const inEnv = readFileSync(`/proc/${pid}/environ`, 'utf8').includes(dir);
      if (cmdline.includes(dir) || inEnv || readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) found.push(`${pid} ${cmdline}`);
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

const AGENTS = 3;

interface RunningCluster {
  out(): string;
  readonly masterUrl: string;
  readonly marathonUrl: string;
  readonly batchUrl: string;
  /** Ctrl-C as a terminal sends it (SIGINT to the foreground process group); resolves with the output once it exited. */
  stop(): Promise<string>;
  /** SIGKILL to `cluster up` alone (a crash): it cannot stop its members. */
  kill(): Promise<void>;
}

async function clusterUp(dir: string, agentPort: number): Promise<RunningCluster> {
  const env = { ...process.env };
  delete env.DATABASE_URL; // the embedded PostgreSQL and a redis-server of its own, as on a fresh machine
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [join(root, 'bin', 'maestro.mjs'), 'cluster', 'up', `--dir=${dir}`, '--master_port=0', '--marathon_port=0', '--batch_port=0', `--agent_port=${agentPort}`, `--agents=${AGENTS}`], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true }); // a process group of its own, like a terminal's foreground job
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // its members die with it (setpriv --pdeathsig)
      reject(new Error(`cluster did not come up:\n${out}\n${logs(dir)}`));
    }, 90_000);
    const check = () => { if (out.includes('Press Ctrl-C')) { clearTimeout(timer); resolve(); } };
    child.stdout.on('data', check);
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`cluster exited:\n${out}\n${logs(dir)}`)); });
  });
  const masterUrl = /master API\s+(http:\/\/[\d.]+:\d+)/.exec(out)![1];
  const marathonUrl = /marathon API\s+(http:\/\/[\d.]+:\d+)/.exec(out)![1];
  const batchUrl = /batch API\s+(http:\/\/[\d.]+:\d+)/.exec(out)![1];
  return {
    out: () => out,
    masterUrl,
    marathonUrl,
    batchUrl,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
      return out;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function slaves(masterUrl: string, want: number): Promise<Slave[]> {
  for (let i = 0; i < 100; i++) {
    const body = (await (await fetch(`${masterUrl}/master/slaves`)).json()) as { slaves: Slave[] };
    if (body.slaves.filter((s) => s.active).length === want) return body.slaves;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${want} active agents`);
}

test('agent slices share the host and never overlap ports', (t) => {
  const a = agentSlice(0, 2, 4, 8000); // cpus 4/2 = 2; mem 8000 * 0.8 / 2 = 3200
  const b = agentSlice(1, 2, 4, 8000);
  t.is(a.resources, 'cpus:2;mem:3200;disk:10240;ports:[31000-31999]');
  t.is(b.resources, 'cpus:2;mem:3200;disk:10240;ports:[32000-32999]');
  t.is(a.attributes, 'rack:r1;zone:a');
  t.is(b.attributes, 'rack:r2;zone:b');
  t.is(agentSlice(0, 8, 2, 1000).resources, 'cpus:0.5;mem:256;disk:10240;ports:[31000-31999]'); // floors
});

/** The app's running task count once it has no deployment (undefined until then). */
async function runningTasks(marathonUrl: string, appId: string, want: number): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${marathonUrl}/v2/apps${appId}`);
    if (r.status === 200) {
      const { app } = (await r.json()) as { app: { tasksRunning: number; deployments: unknown[] } };
      if (app.deployments.length === 0 && app.tasksRunning === want) return app.tasksRunning;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${appId} never ran ${want} tasks`);
}

/** The job's successful runs once there are `want` of them. */
async function successes(batchUrl: string, jobId: string, want: number): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${batchUrl}/v1/jobs/${jobId}?embed=history`);
    if (r.status === 200) {
      const { history } = (await r.json()) as { history: { successCount: number } };
      if (history.successCount === want) return want;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${jobId} never had ${want} successful runs`);
}

test('cluster up starts a master, three agents, marathon, batch and redis, stops whole on Ctrl-C, and a second run reuses the state', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-cluster-'));
  chmodSync(dir, 0o755); // the embedded PostgreSQL runs as user postgres and must reach its data dir
  t.teardown(() => {
    killTaskProcesses(dir); // only if the cluster failed to stop them
    rmSync(dir, { recursive: true, force: true });
  });

  const agentPort = await freePorts(AGENTS);
  const first = await clusterUp(dir, agentPort);
  let stopped = false;
  t.teardown(async () => { if (!stopped) await first.stop(); });
  // One progress line per member as it comes up, with the seconds it took; then the URLs.
  for (const name of ['master', 'redis', 'agent-1', 'agent-2', 'agent-3', 'marathon', 'batch']) {
    t.regex(first.out(), new RegExp(`^  ${name} +up in +\\d+\\.\\d s  (http|redis)://`, 'm'), name);
  }
  t.regex(first.out(), /\(new\)/);
  t.regex(first.out(), new RegExp(`master UI +${first.masterUrl}/\n`));
  t.regex(first.out(), new RegExp(`marathon UI +${first.marathonUrl}/ui/\n`));
  t.regex(first.out(), new RegExp(`batch UI +${first.batchUrl}/ui/\n`));
  for (const ui of [`${first.masterUrl}/`, `${first.marathonUrl}/ui/`, `${first.batchUrl}/ui/`]) {
    const r = await fetch(ui);
    t.is(r.status, 200, ui);
    t.regex(r.headers.get('content-type') ?? '', /^text\/html/, ui);
  }
  const agents = await slaves(first.masterUrl, AGENTS);
  t.deepEqual(agents.map((s) => s.attributes.rack).sort(), ['r1', 'r2', 'r3']);
  t.deepEqual(agents.map((s) => s.attributes.zone).sort(), ['a', 'b', 'c']);
  t.deepEqual(agents.map((s) => s.resources.ports).sort(), ['[31000-31999]', '[32000-32999]', '[33000-33999]']);
  const created = await fetch(`${first.marathonUrl}/v2/apps`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: '/hello', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2, constraints: [['rack', 'UNIQUE']] }),
  });
  t.is(created.status, 201, await created.text());
  t.is(await runningTasks(first.marathonUrl, '/hello', 2), 2);
  const job = await fetch(`${first.batchUrl}/v1/jobs`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'once', run: { cmd: 'true', cpus: 0.1, mem: 32 } }),
  });
  t.is(job.status, 201, await job.text());
  t.is((await fetch(`${first.batchUrl}/v1/jobs/once/runs`, { method: 'POST' })).status, 201);
  t.is(await successes(first.batchUrl, 'once', 1), 1);
  t.true(clusterProcesses(dir).length >= 2 + AGENTS + 3, 'the scan sees the running cluster'); // members, redis, PostgreSQL servers, tasks

  // Ctrl-C: every member and both tasks are gone when the command returns.
  const out = await first.stop();
  stopped = true;
  t.regex(out, /stopped in \d+\.\d s \(\d+ task process(es)? killed\)\n/);
  t.deepEqual(clusterProcesses(dir), []);

  const second = await clusterUp(dir, agentPort);
  let secondStopped = false;
  t.teardown(async () => { if (!secondStopped) await second.stop(); });
  t.regex(second.out(), /\(reused: /);
  const again = await slaves(second.masterUrl, AGENTS);
  t.deepEqual(again.map((s) => s.id).sort(), agents.map((s) => s.id).sort(), 'the agents come back with their checkpointed ids');
  // Marathon's embedded PostgreSQL kept the app: it runs again on the second cluster.
  t.is(await runningTasks(second.marathonUrl, '/hello', 2), 2);
  // So did batch's: the job and its history.
  t.is(await successes(second.batchUrl, 'once', 1), 1);

  // `cluster up` killed outright: its members go with it (the tasks stay: only Ctrl-C reaps them).
  await second.kill();
  secondStopped = true;
  // A task is its process (MESOS_SANDBOX in its environment) and its `sh` supervisor.
  const isTask = (p: string) => taskProcesses(dir).includes(Number(p.split(' ')[0])) || p.includes('/slave/containerizer/supervisor.sh ');
  for (let i = 0; i < 300 && clusterProcesses(dir).some((p) => !isTask(p)); i++) await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(clusterProcesses(dir).filter((p) => !isTask(p)), []);
});
