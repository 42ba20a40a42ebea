/**
 * Master high availability with real processes and PostgreSQL: three `maestro master`s on one
 * database (createTestDatabase), two agents whose `--master` lists all three, and a framework
 * (frameworks/sdk) with a long task. One master leads; the others answer 307 to it (scheduler
 * API, /master/state, the operator API, /master/redirect). kill -9 of the leader: another takes
 * over, both agents re-register with their ids, the framework re-subscribes with its id, the task
 * is still RUNNING and reconciles, weights and quota set before are still there. Then an agent
 * killed during a second failover is marked unreachable after the (test-set, 3 s)
 * `--agent_reregister_timeout`, and the registry's tables hold exactly that. Second test: a leader
 * whose database session the server ends exits at once and the other master leads. Every process
 * and the database are removed in teardown, also on failure.
 */
import test, { type ExecutionContext } from 'ava';
import pg from 'pg';
import { createTestDatabase } from './support/postgres.ts';
import { killTaskProcesses, startAgent, startMaster, type MaestroProcess } from './support/maestro-process.ts';
import { createSchedulerDriver, type SchedulerDriver } from '../frameworks/sdk/scheduler-driver.ts';
import type { Offer, TaskStatus } from '../frameworks/sdk/scheduler-handler.ts';
import { matchOffer } from '../frameworks/sdk/offer-matching.ts';
import { eventually } from './support/eventually.ts';

type Json = Record<string, any>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const host = (p: MaestroProcess) => p.url.replace(/^http:\/\//, '');

async function operator(m: MaestroProcess, call: Json, redirect: 'error' | 'manual' = 'error'): Promise<Response> {
  return fetch(`${m.url}/api/v1`, { method: 'POST', redirect, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(call) });
}

async function operatorJson(m: MaestroProcess, type: string): Promise<Json> {
  const r = await operator(m, { type });
  if (r.status !== 200) throw new Error(`${type}: ${r.status} ${await r.text()}`);
  return (await r.json()) as Json;
}

/** The master that leads now (the one whose /master/redirect names itself and serves /master/state), with the others' view. */
async function leaderOf(masters: readonly MaestroProcess[]): Promise<MaestroProcess | undefined> {
  for (const m of masters) {
    if (m.child.exitCode !== null || m.child.signalCode !== null) continue;
    const r = await fetch(`${m.url}/master/redirect`, { redirect: 'manual' }).catch(() => undefined);
    if (r?.status === 307 && r.headers.get('location') === `//${host(m)}`) {
      const state = await fetch(`${m.url}/master/state`, { redirect: 'manual' });
      if (state.status === 200) return m;
    }
  }
  return undefined;
}

interface Seen {
  readonly subscribed: string[];
  readonly updates: TaskStatus[];
  offers: Offer[];
}

test('three masters on one database: one leads, the others redirect; kill -9 of the leader keeps agents, framework, task, weights and quota; a missing agent becomes unreachable', async (t: ExecutionContext) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const masterFlags = {
    database: db.url, hostname: '127.0.0.1', allocation_interval: '50ms', quiet: true, agent_reregister_timeout: '3secs',
  };
  const masters: MaestroProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await startMaster(masterFlags);
    t.teardown(() => m.stop());
    masters.push(m);
  }
  const leader = await eventually(() => leaderOf(masters), 'a leader');
  const followers = masters.filter((m) => m !== leader);

  // Only one leads: the others answer 307 to it on the scheduler, state, operator and redirect endpoints.
  for (const f of followers) {
    const sched = await fetch(`${f.url}/api/v1/scheduler`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/json' }, body: '{"type":"SUBSCRIBE"}' });
    t.is(sched.status, 307);
    t.is(sched.headers.get('location'), `//${host(leader)}/api/v1/scheduler`);
    const state = await fetch(`${f.url}/master/state`, { redirect: 'manual' });
    t.is(state.status, 307);
    t.is(state.headers.get('location'), `//${host(leader)}/master/state`);
    const op = await operator(f, { type: 'GET_HEALTH' }, 'manual');
    t.is(op.status, 307);
    t.is((await fetch(`${f.url}/master/redirect`, { redirect: 'manual' })).headers.get('location'), `//${host(leader)}`);
    const metrics = (await (await fetch(`${f.url}/metrics/snapshot`)).json()) as Json;
    t.is(metrics['master/elected'], 0);
  }
  t.is(((await (await fetch(`${leader.url}/metrics/snapshot`)).json()) as Json)['master/elected'], 1);

  // Two agents that know all three masters; the task goes to rack a, rack b stays empty.
  const masterList = masters.map(host).join(',');
  const agents: MaestroProcess[] = [];
  for (const rack of ['a', 'b']) {
    const agent = await startAgent(leader.url, {
      master: masterList, resources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31010]', attributes: `rack:${rack}`, registration_backoff_factor: '100ms',
    });
    t.teardown(async () => {
      killTaskProcesses(agent.workDir);
      await agent.stop();
    });
    agents.push(agent);
  }
  const [agentA, agentB] = agents;
  const agentIds = async (m: MaestroProcess) => ((await operatorJson(m, 'GET_AGENTS')).get_agents.agents as Json[]).map((a) => a.agent_info.id.value as string).sort();
  const idsBefore = await eventually(async () => {
    const ids = await agentIds(leader);
    return ids.length === 2 ? ids : undefined;
  }, 'both agents registered');

  // The framework: all three masters, partition-aware, a long failover timeout.
  const seen: Seen = { subscribed: [], updates: [], offers: [] };
  const driver: SchedulerDriver = createSchedulerDriver({
    masters: masters.map(host),
    frameworkInfo: { user: 'root', name: 'ha-test', failover_timeout: 3600, checkpoint: true, capabilities: [{ type: 'PARTITION_AWARE' }] },
    backoff: { initialMs: 100, maxMs: 1000 },
    handler: {
      subscribed: (id) => { seen.subscribed.push(id); },
      offers: (offers) => { seen.offers = [...seen.offers, ...offers]; },
      rescind: () => undefined,
      update: (status) => { seen.updates.push(status); },
      error: () => undefined,
      disconnected: () => undefined,
    },
  });
  t.teardown(() => driver.stop());
  driver.start();
  const frameworkId = await eventually(async () => seen.subscribed[0], 'SUBSCRIBED');
  t.is(driver.master, host(leader));
  const offer = await eventually(async () => seen.offers.find((o) => o.attributes?.some((a) => a.name === 'rack' && a.text?.value === 'a')), 'an offer of rack a');
  const match = matchOffer(offer, { scalars: { cpus: 0.1, mem: 32 } });
  if (!match.ok) throw new Error(match.reasons.join('; '));
  t.deepEqual(await driver.accept([offer.id.value], [{ type: 'LAUNCH', launch: { task_infos: [{
    name: 'long', task_id: { value: 'long' }, agent_id: offer.agent_id, resources: match.toProto(), command: { value: 'sleep 1000', shell: true },
  }] } }], { refuse_seconds: 1 }), { ok: true });
  await eventually(async () => seen.updates.find((s) => s.task_id.value === 'long' && s.state === 'TASK_RUNNING'), 'TASK_RUNNING');

  // Weights and quota, through a follower's redirect to the leader.
  const viaFollower = await operator(followers[0], { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: 2.5 }] } }, 'manual');
  t.is(viaFollower.status, 307);
  const leaderLocation = `http:${viaFollower.headers.get('location')}`;
  const weights = await fetch(leaderLocation, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: 2.5 }] } }) });
  t.is(weights.status, 200, await weights.text());
  const quota = await operator(leader, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'web', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }] } });
  t.is(quota.status, 200, await quota.text());

  // kill -9 the leader: one of the others takes over.
  const killedAt = Date.now();
  await leader.kill();
  const second = await eventually(() => leaderOf(followers), 'a new leader');
  t.log(`new leader serving ${Date.now() - killedAt} ms after the kill`);
  t.deepEqual(await eventually(async () => {
    const ids = await agentIds(second);
    return ids.length === 2 ? ids : undefined;
  }, 'both agents re-registered'), idsBefore, 'the same agent ids');
  await eventually(async () => (seen.subscribed.length >= 2 && driver.master === host(second) ? true : undefined), 'the framework to re-subscribe to the new leader');
  t.deepEqual(new Set(seen.subscribed), new Set([frameworkId]), 'the same framework id');
  const task = await eventually(async () => {
    const state = (await (await fetch(`${second.url}/master/state`)).json()) as Json;
    const fw = (state.frameworks as Json[]).find((f) => f.id === frameworkId && f.active === true);
    return fw?.tasks?.find((x: Json) => x.id === 'long');
  }, 'the task at the new leader');
  t.is(task.state, 'TASK_RUNNING');
  const mark = seen.updates.length;
  t.deepEqual(await driver.reconcile([{ taskId: 'long', agentId: offer.agent_id.value }]), { ok: true });
  const reconciled = await eventually(async () => seen.updates.slice(mark).find((s) => s.task_id.value === 'long' && s.reason === 'REASON_RECONCILIATION'), 'the reconciliation answer');
  t.is(reconciled.state, 'TASK_RUNNING');
  t.deepEqual((await operatorJson(second, 'GET_WEIGHTS')).get_weights.weight_infos, [{ role: 'web', weight: 2.5 }]);
  t.like((await operatorJson(second, 'GET_QUOTA')).get_quota.status.configs[0], { role: 'web', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } });

  // Agent b dies, then the leader: the last master waits for b, then marks it unreachable.
  const bId = (await operatorJson(second, 'GET_AGENTS')).get_agents.agents.find((a: Json) => a.agent_info.attributes?.[0]?.text?.value === 'b').agent_info.id.value as string;
  await agentB.kill();
  await second.kill();
  const third = await eventually(() => leaderOf(masters), 'a third leader');
  t.not(third, second);
  await eventually(async () => ((await agentIds(third)).length === 1 ? true : undefined), 'agent a re-registered with the third leader');
  const unreachable = await eventually(async () => {
    const metrics = (await (await fetch(`${third.url}/metrics/snapshot`)).json()) as Json;
    return metrics['master/slaves_unreachable'] === 1 ? metrics : undefined;
  }, 'agent b marked unreachable', 30_000);
  t.is(unreachable['master/slaves_active'], 1);
  const agentsNow = (await operatorJson(third, 'GET_AGENTS')).get_agents;
  t.deepEqual(agentsNow.recovered_agents ?? [], []);
  t.false((agentsNow.agents as Json[]).some((a) => a.agent_info.id.value === bId));
  // The framework asks about a task on b: the master answers for an unreachable agent.
  const mark2 = seen.updates.length;
  await eventually(async () => (driver.master === host(third) && driver.state === 'SUBSCRIBED' ? true : undefined), 'the framework on the third leader');
  t.deepEqual(await driver.reconcile([{ taskId: 'never-ran-on-b', agentId: bId }]), { ok: true });
  const answer = await eventually(async () => seen.updates.slice(mark2).find((s) => s.task_id.value === 'never-ran-on-b'), 'the answer about b');
  t.is(answer.state, 'TASK_UNREACHABLE');
  // Task on a survived both failovers.
  const stateA = (await (await fetch(`${third.url}/master/state`)).json()) as Json;
  t.is((stateA.frameworks as Json[]).find((f) => f.id === frameworkId)?.tasks.find((x: Json) => x.id === 'long')?.state, 'TASK_RUNNING');
  t.truthy(agentA);

  // What the registry holds now: a admitted, b unreachable, the framework, weights and quota.
  const rows = await query(db.url, `SELECT agent_id, state FROM master_registry_agents ORDER BY state`);
  t.deepEqual(rows.map((r) => [r.agent_id === bId ? 'b' : 'a', r.state]), [['a', 'admitted'], ['b', 'unreachable']]);
  t.deepEqual((await query(db.url, 'SELECT framework_id, removed_ms FROM master_registry_frameworks')).map((r) => [r.framework_id, r.removed_ms]), [[frameworkId, null]]);
  t.deepEqual(await query(db.url, 'SELECT role, weight FROM master_registry_weights'), [{ role: 'web', weight: 2.5 }]);
});

async function query(url: string, sql: string): Promise<Json[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Json[];
  } finally {
    await client.end();
  }
}

test('a leader whose database session ends steps down at once (the process exits) and the other master takes over', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const masters: MaestroProcess[] = [];
  for (let i = 0; i < 2; i++) {
    const m = await startMaster({ database: db.url, hostname: '127.0.0.1', quiet: true });
    t.teardown(() => m.stop());
    masters.push(m);
  }
  const first = await eventually(() => leaderOf(masters), 'a leader');
  const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
  // The server ends the leader's lock session, as a database restart or a network cut would.
  const ended = await query(db.url, "SELECT pg_terminate_backend(backend_pid) AS ended FROM leaders WHERE component = 'master'");
  t.deepEqual(ended, [{ ended: true }]);
  t.is(await exited, 1, 'the deposed leader exits (its supervisor restarts it as a follower)');
  const second = await eventually(() => leaderOf(masters), 'the other master to lead');
  t.not(second, first);
  t.regex(first.output(), /lost leadership/);
});
