/**
 * `maestro cluster up` as a newcomer runs it: a master and agents come up, the agents register
 * with their slices of the host and distinct attributes, Ctrl-C stops everything, and a second run
 * in the same state directory brings back the same agents (their ids are checkpointed).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentSlice } from '../deploy/cluster.ts';
import { killTaskProcesses } from './support/maestro-process.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Slave { id: string; attributes: Record<string, string>; resources: { cpus: number; ports: string }; active: boolean }

/** The members' logs, for the failure message. */
function logs(dir: string): string {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-2000)}`).join('\n');
}

/** Two consecutive free loopback ports (agents keep their port across runs: a changed port is an incompatible agent, as in Mesos). */
async function freePortPair(): Promise<number> {
  const listen = (port: number) => new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    if ((await listen(base)) && (await listen(base + 1))) return base;
  }
  throw new Error('no two consecutive free ports');
}

async function clusterUp(dir: string, agentPort: number): Promise<{ masterUrl: string; marathonUrl: string; batchUrl: string; stop(): Promise<string> }> {
  const env = { ...process.env };
  delete env.DATABASE_URL; // the embedded PostgreSQL and a redis-server of its own, as on a fresh machine
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [join(root, 'bin', 'maestro.mjs'), 'cluster', 'up', `--dir=${dir}`, '--master_port=0', '--marathon_port=0', '--batch_port=0', `--agent_port=${agentPort}`, '--agents=2'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster did not come up:\n${out}\n${logs(dir)}`)), 90_000);
    const check = () => { if (out.includes('Press Ctrl-C')) { clearTimeout(timer); resolve(); } };
    child.stdout.on('data', check);
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`cluster exited:\n${out}\n${logs(dir)}`)); });
  });
  const masterUrl = /master\s+(http:\/\/[\d.]+:\d+)/.exec(out)![1];
  const marathonUrl = /marathon\s+(http:\/\/[\d.]+:\d+)/.exec(out)![1];
  const batchUrl = /batch\s+(http:\/\/[\d.]+:\d+)/.exec(out)![1];
  return {
    masterUrl,
    marathonUrl,
    batchUrl,
    async stop() {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
      return out;
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

test('cluster up starts a master, two agents, marathon and batch, stops on Ctrl-C, and a second run reuses the state', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-cluster-'));
  chmodSync(dir, 0o755); // the embedded PostgreSQL runs as user postgres and must reach its data dir
  t.teardown(() => {
    killTaskProcesses(dir); // the app's tasks outlive the cluster by design
    rmSync(dir, { recursive: true, force: true });
  });

  const agentPort = await freePortPair();
  const first = await clusterUp(dir, agentPort);
  let stopped = false;
  t.teardown(async () => { if (!stopped) await first.stop(); });
  const agents = await slaves(first.masterUrl, 2);
  t.deepEqual(agents.map((s) => s.attributes.rack).sort(), ['r1', 'r2']);
  t.deepEqual(agents.map((s) => s.resources.ports).sort(), ['[31000-31999]', '[32000-32999]']);
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
  const out = await first.stop();
  stopped = true;
  t.regex(out, /stopped\n/);

  const second = await clusterUp(dir, agentPort);
  t.teardown(() => second.stop());
  const again = await slaves(second.masterUrl, 2);
  t.deepEqual(again.map((s) => s.id).sort(), agents.map((s) => s.id).sort(), 'the agents come back with their checkpointed ids');
  // Marathon's embedded PostgreSQL kept the app: it runs again on the second cluster.
  t.is(await runningTasks(second.marathonUrl, '/hello', 2), 2);
  // So did batch's: the job and its history.
  t.is(await successes(second.batchUrl, 'once', 1), 1);
});
