/**
 * MARK_AGENT_GONE with real processes and PostgreSQL: a `maestro master --database` on a fixed
 * loopback port, a real `maestro agent`, and a partition-aware framework (frameworks/sdk) with a
 * long task. The operator marks the agent gone: the framework gets TASK_GONE_BY_OPERATOR, the
 * agent is told to shut down (it kills the task and exits 0, as a Mesos agent); the registry's
 * row says gone. Restarted on the same work dir, the agent registers as a new agent (new id) and
 * is admitted. After kill -9 of the master and a restart on the same database and port, the old
 * id is still gone and listed nowhere, the new agent is back, and the call is still idempotent.
 * Every process and the database are removed in teardown, also on failure.
 */
import test from 'ava';
import { createServer } from 'node:net';
import pg from 'pg';
import { createTestDatabase } from './support/postgres.ts';
import { killTaskProcesses, startAgent, startMaestro, taskProcesses, type MaestroProcess } from './support/maestro-process.ts';
import { createSchedulerDriver } from '../frameworks/sdk/scheduler-driver.ts';
import type { Offer, TaskStatus } from '../frameworks/sdk/scheduler-handler.ts';
import { matchOffer } from '../frameworks/sdk/offer-matching.ts';
import { eventually } from './support/eventually.ts';

type Json = Record<string, any>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const operator = (m: MaestroProcess, call: Json) =>
  fetch(`${m.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(call) });

async function getAgents(m: MaestroProcess): Promise<Json> {
  const r = await operator(m, { type: 'GET_AGENTS' });
  if (r.status !== 200) throw new Error(`GET_AGENTS: ${r.status} ${await r.text()}`);
  return ((await r.json()) as Json).get_agents;
}

/** The process's exit code once it exited by itself (within 30 s). */
const exitCode = (p: MaestroProcess) => new Promise<number | null>((resolve, reject) => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve(p.child.exitCode);
  const timer = setTimeout(() => reject(new Error(`the process did not exit:\n${p.output()}`)), 30_000);
  p.child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
});

const refusals = (agent: MaestroProcess) => agent.output().split('\n').filter((l) => l.includes('the master refused the registration') && l.includes('has been marked gone')).length;

test('an agent marked gone: TASK_GONE_BY_OPERATOR, the agent kills its task and exits 0, a restart is a new agent, and the old id stays gone after kill -9 of the master', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const port = await freePort();
  const masterFlags = { database: db.url, hostname: '127.0.0.1', allocation_interval: '50ms', quiet: true, agent_reregister_timeout: '2secs' };
  const startTheMaster = () => startMaestro('master', masterFlags, 'master started', 30_000, { listenFlags: { ip: '127.0.0.1', port } });
  let master = await startTheMaster();
  const first = master;
  t.teardown(() => first.stop()); // its work dir, once it is killed and replaced below
  t.teardown(() => master.stop());
  await eventually(async () => ((await fetch(`${master.url}/master/state`)).status === 200 ? true : undefined), 'the master to lead');

  const agent = await startAgent(master.url, { resources: 'cpus:2;mem:1024;disk:1024', registration_backoff_factor: '100ms' });
  t.teardown(async () => {
    killTaskProcesses(agent.workDir);
    await agent.stop();
  });
  const agentId = await eventually(async () => (await getAgents(master)).agents?.[0]?.agent_info.id.value as string | undefined, 'the agent registered');

  const updates: TaskStatus[] = [];
  const failures: string[] = [];
  let offers: Offer[] = [];
  let frameworkId: string | undefined;
  const driver = createSchedulerDriver({
    masters: [master.url.replace(/^http:\/\//, '')],
    frameworkInfo: { user: 'root', name: 'gone-test', failover_timeout: 3600, checkpoint: true, capabilities: [{ type: 'PARTITION_AWARE' }] },
    backoff: { initialMs: 100, maxMs: 1000 },
    handler: {
      subscribed: (id) => { frameworkId = id; },
      offers: (o) => { offers = [...offers, ...o]; },
      rescind: () => undefined,
      update: (status) => { updates.push(status); },
      error: () => undefined,
      disconnected: () => undefined,
      failure: (f) => { if (f.agent_id?.value !== undefined) failures.push(f.agent_id.value); },
    },
  });
  t.teardown(() => driver.stop());
  driver.start();
  await eventually(async () => frameworkId, 'SUBSCRIBED');
  const offer = await eventually(async () => offers[0], 'an offer');
  const match = matchOffer(offer, { scalars: { cpus: 0.1, mem: 32 } });
  if (!match.ok) throw new Error(match.reasons.join('; '));
  t.deepEqual(await driver.accept([offer.id.value], [{ type: 'LAUNCH', launch: { task_infos: [{
    name: 'long', task_id: { value: 'long' }, agent_id: offer.agent_id, resources: match.toProto(), command: { value: 'sleep 1000', shell: true },
  }] } }], { refuse_seconds: 1 }), { ok: true });
  await eventually(async () => updates.find((s) => s.task_id.value === 'long' && s.state === 'TASK_RUNNING'), 'TASK_RUNNING');
  t.true(taskProcesses(agent.workDir).length > 0);

  // Unknown agent: Mesos' 404.
  const unknown = await operator(master, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'no-such-agent' } } });
  t.is(unknown.status, 404);
  t.is(await unknown.text(), "Agent 'no-such-agent' not found");

  // Mark gone: 200 once the registry holds it.
  const gone = await operator(master, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } });
  t.is(gone.status, 200, await gone.text());
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  t.teardown(() => client.end());
  const row = await client.query('SELECT state, info FROM master_registry_agents WHERE agent_id = $1', [agentId]);
  t.deepEqual(row.rows, [{ state: 'gone', info: null }], 'stored before the answer');

  const status = await eventually(async () => updates.find((s) => s.task_id.value === 'long' && s.state === 'TASK_GONE_BY_OPERATOR'), 'TASK_GONE_BY_OPERATOR');
  t.is(status.reason, 'REASON_AGENT_REMOVED_BY_OPERATOR');
  await eventually(async () => (agent.output().includes('the master asked this agent to shut down') ? true : undefined), 'the agent told to shut down');
  await eventually(async () => (taskProcesses(agent.workDir).length === 0 ? true : undefined), 'the task process killed by the agent');
  // As a Mesos agent: it exits 0 once its task is gone, and forgets its id.
  t.is(await exitCode(agent), 0);
  t.regex(agent.output(), /agent shut down by the master: Agent has been marked gone; the next start registers as a new agent/);
  t.deepEqual((await getAgents(master)).agents ?? [], []);
  t.true(failures.includes(agentId), 'the framework heard the agent is lost');
  const again = await operator(master, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } });
  t.is(again.status, 200, 'idempotent');

  // Restarted on the same work dir (systemd's Restart=always, say): a new agent, which the master admits.
  const restarted = await startAgent(master.url, { resources: 'cpus:2;mem:1024;disk:1024', registration_backoff_factor: '100ms' }, { workDir: agent.workDir });
  t.teardown(async () => {
    killTaskProcesses(restarted.workDir);
    await restarted.stop();
  });
  const newId = await eventually(async () => (await getAgents(master)).agents?.[0]?.agent_info.id.value as string | undefined, 'the restarted agent registered');
  t.not(newId, agentId);
  t.is(refusals(restarted), 0);

  // kill -9 of the master; a new one on the same database and port: the old id stays gone, the new agent comes back.
  await master.kill();
  master = await startTheMaster();
  await eventually(async () => ((await fetch(`${master.url}/master/state`)).status === 200 ? true : undefined), 'the restarted master to lead');
  await eventually(async () => ((await getAgents(master)).agents?.[0]?.agent_info.id.value === newId ? true : undefined), 'the new agent re-registered');
  await sleep(2500); // past --agent_reregister_timeout: nothing unreachable
  const agentsNow = await getAgents(master);
  t.deepEqual((agentsNow.agents ?? []).map((a: Json) => a.agent_info.id.value), [newId]);
  t.deepEqual(agentsNow.recovered_agents ?? [], []);
  const metrics = (await (await fetch(`${master.url}/metrics/snapshot`)).json()) as Json;
  t.is(metrics['master/slaves_unreachable'], 0);
  t.is((await operator(master, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } })).status, 200, 'still gone: idempotent');
  t.deepEqual((await client.query('SELECT state FROM master_registry_agents WHERE agent_id = $1', [agentId])).rows, [{ state: 'gone' }]);
});
