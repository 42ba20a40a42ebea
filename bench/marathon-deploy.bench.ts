/**
 * Marathon deployments end to end: a real `maestro master`, `maestro marathon` (PostgreSQL: the
 * test server or an embedded one, test/support/postgres.ts) and agents, all child processes; the
 * bench is a REST and event-stream client.
 *
 *   one app       SIMULATED agents (slave/simulate/: the real agent protocol, launch faked): POST
 *                 /v2/apps with N instances -> its `deployment_success` on /v2/events:
 *                 post_to_deployed_ms (every instance TASK_RUNNING: a Scale step ends only then,
 *                 checked after through /v2/apps), instances/s
 *   many apps     SIMULATED agents: PUT /v2/apps with A apps of I instances (one deployment)
 *                 -> `deployment_success`: post_to_deployed_ms
 *   healthy       ONE REAL agent: POST an app of H `sleep` instances with a COMMAND health check
 *                 (run by the agent, delaySeconds 0, intervalSeconds 10) -> tasksHealthy = H:
 *                 post_to_healthy_ms (polled every 50 ms)
 *
 * `node --import=tsx bench/marathon-deploy.bench.ts [agents=200] [instances=1000] [apps=100]
 * [per_app=10] [healthy=200]`; `BENCH_MARATHON_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`
 * profiles marathon. Marathon 0.15 published about 14 s for 500 instances on 189 agents.
 */
import { emit, printTable, type BenchResult } from './report.ts';
import { startMasterProcess } from './support/master-process.ts';
import { startSimulatedAgentsProcess } from './support/simulated-agents.ts';
import { killOnExit } from './support/master-process.ts';
import { startMaestro, killTaskProcesses, type MaestroProcess } from '../test/support/maestro-process.ts';
import { call, eventually, openEventStream, type Json } from '../test/support/marathon-cluster.ts';
import { createTestDatabase } from '../test/support/postgres.ts';

const args = process.argv.slice(2).map(Number);
const AGENTS = args[0] > 0 ? args[0] : 200;
const INSTANCES = args[1] > 0 ? args[1] : 1000;
const APPS = args[2] > 0 ? args[2] : 100;
const PER_APP = args[3] > 0 ? args[3] : 10;
const HEALTHY = args[4] > 0 ? args[4] : 200;
const WAIT_MS = 300_000;

const results: BenchResult[] = [];
function record(config: BenchResult['config'], metric: string, value: number, unit: string): void {
  const r: BenchResult = { bench: 'marathon-deploy', config, metric, value, unit };
  emit(r);
  results.push(r);
}

async function startMarathon(masterUrl: string, databaseUrl: string): Promise<MaestroProcess> {
  const p = await startMaestro('marathon', { master: masterUrl.replace(/^https?:\/\//, ''), database: databaseUrl, logging_level: 'WARNING' }, 'marathon started', 60_000, {
    listenFlags: { http_address: '127.0.0.1', http_port: 0 },
    nodeArgs: (process.env.BENCH_MARATHON_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== ''),
  });
  killOnExit(p);
  return p;
}

/** Sends `send`, then waits for the `deployment_success` of the deployment it started; ms between. */
async function timeDeployment(marathon: string, send: () => Promise<{ status: number; body: Json; text: string }>): Promise<number> {
  const stream = openEventStream(marathon, '?event_type=deployment_success');
  try {
    await stream.ready;
    const t0 = performance.now();
    const r = await send();
    if (r.status !== 200 && r.status !== 201) throw new Error(`deployment refused: ${r.status} ${r.text}`);
    const id = (r.body.deploymentId ?? r.body.deployments?.[0]?.id) as string;
    let t1 = 0;
    await eventually(async () => {
      if (stream.events.some((e) => e.id === id)) t1 ||= performance.now();
      return t1 > 0;
    }, `deployment ${id}`, WAIT_MS);
    return t1 - t0;
  } finally {
    stream.close();
  }
}

async function simulated(): Promise<void> {
  const db = await createTestDatabase();
  const master = await startMasterProcess({ allocation_interval: '100ms' });
  const agents = await startSimulatedAgentsProcess({ masterUrl: master.url, count: AGENTS });
  const marathon = await startMarathon(master.url, db.url);
  const config = { agents: AGENTS, agents_kind: 'simulated' };
  try {
    await eventually(async () => (await call(marathon.url, 'GET', '/v2/info')).body?.frameworkId, 'marathon to subscribe', 60_000);
    const one = await timeDeployment(marathon.url, () => call(marathon.url, 'POST', '/v2/apps', { id: '/bench/one', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: INSTANCES }));
    const app = (await call(marathon.url, 'GET', '/v2/apps/bench/one')).body.app;
    if (app.tasksRunning !== INSTANCES) throw new Error(`deployed, but ${app.tasksRunning} of ${INSTANCES} running`);
    record({ ...config, apps: 1, instances: INSTANCES }, 'post_to_deployed_ms', one, 'ms');
    record({ ...config, apps: 1, instances: INSTANCES }, 'instances_per_s', INSTANCES / (one / 1000), '1/s');
    await call(marathon.url, 'DELETE', '/v2/apps/bench/one?force=true');
    await eventually(async () => (await call(marathon.url, 'GET', '/v2/tasks')).body.tasks.length === 0, 'the first app to stop', WAIT_MS);

    const apps = Array.from({ length: APPS }, (_, n) => ({ id: `/bench/many/app-${n}`, cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: PER_APP }));
    const many = await timeDeployment(marathon.url, () => call(marathon.url, 'PUT', '/v2/apps', apps));
    const running = (await call(marathon.url, 'GET', '/v2/tasks')).body.tasks.filter((t: Json) => t.state === 'TASK_RUNNING').length;
    if (running !== APPS * PER_APP) throw new Error(`deployed, but ${running} of ${APPS * PER_APP} running`);
    record({ ...config, apps: APPS, instances: APPS * PER_APP }, 'post_to_deployed_ms', many, 'ms');
    record({ ...config, apps: APPS, instances: APPS * PER_APP }, 'instances_per_s', (APPS * PER_APP) / (many / 1000), '1/s');
  } finally {
    await marathon.stop();
    await agents.stop();
    await master.stop();
    await db.drop();
  }
}

async function realAgent(): Promise<void> {
  const db = await createTestDatabase();
  const master = await startMasterProcess({ allocation_interval: '100ms' });
  const agent = await startMaestro('agent', {
    master: master.url.replace(/^https?:\/\//, ''), quiet: true,
    resources: `cpus:${Math.max(8, HEALTHY * 0.01 * 2)};mem:${Math.max(4096, HEALTHY * 16)};disk:4096;ports:[31000-32000]`,
  }, 'agent started');
  killOnExit(agent);
  const marathon = await startMarathon(master.url, db.url);
  try {
    await eventually(async () => (await call(marathon.url, 'GET', '/v2/info')).body?.frameworkId, 'marathon to subscribe', 60_000);
    const t0 = performance.now();
    const r = await call(marathon.url, 'POST', '/v2/apps', {
      id: '/bench/healthy', cmd: 'sleep 1000', cpus: 0.01, mem: 8, instances: HEALTHY,
      healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' }, delaySeconds: 0, intervalSeconds: 10, timeoutSeconds: 5, gracePeriodSeconds: 300, maxConsecutiveFailures: 3 }],
    });
    if (r.status !== 201) throw new Error(`POST refused: ${r.status} ${r.text}`);
    await eventually(async () => (await call(marathon.url, 'GET', '/v2/apps/bench/healthy')).body.app.tasksHealthy === HEALTHY, 'all instances healthy', WAIT_MS);
    const ms = performance.now() - t0;
    record({ agents: 1, agents_kind: 'real', apps: 1, instances: HEALTHY }, 'post_to_healthy_ms', ms, 'ms');
  } finally {
    await marathon.stop();
    killTaskProcesses(agent.workDir);
    await agent.stop();
    await master.stop();
    await db.drop();
  }
}

await simulated();
await realAgent();
printTable(results);
