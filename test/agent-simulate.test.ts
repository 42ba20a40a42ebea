/**
 * `maestro agent --simulate=3` as a real process under a real `maestro master`, with a framework
 * over the plain v1 scheduler HTTP API (test/support/http-scheduler.ts): three agents register
 * with their own hostnames and attributes, a task with `maestro.simulate.duration_seconds` goes
 * RUNNING then FINISHED, one without it runs until KILLED, an unacknowledged update is resent
 * (same uuid) until acknowledged, after a master restart the agents come back with their ids and
 * their running task, and SIGTERM stops the process. Waits are for events and log
 * lines, never for durations; teardown stops both processes and removes their work dirs, also
 * on failure.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { startMaestro, startMaster, type MaestroProcess } from './support/maestro-process.ts';
import { frameworkInfo, getJson, rawRequest, subscribe, subscribeCall, type Json, type Subscription } from './support/http-scheduler.ts';
import { ack, autoAck, scalar } from './support/task-cluster.ts';


interface Cluster {
  readonly master: MaestroProcess;
  readonly sim: MaestroProcess;
  readonly sub: Subscription;
}

/** Resolves once the process has printed a JSON log line with `msg`. */
async function logLine(p: MaestroProcess, msg: string, timeoutMs = 20_000): Promise<Json> {
  for (let waited = 0; ; waited += 25) {
    for (const line of p.output().split('\n')) {
      if (!line.includes(msg)) continue;
      try {
        const rec = JSON.parse(line) as Json;
        if (rec.msg === msg) return rec;
      } catch { /* a partial line */ }
    }
    if (waited > timeoutMs) throw new Error(`no '${msg}' line within ${timeoutMs} ms:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startCluster(t: ExecutionContext, simFlags: Record<string, string | number | boolean> = {}, framework: Json = frameworkInfo({ name: 'sim-test' })): Promise<Cluster> {
  const master = await startMaster({ allocation_interval: '50ms', quiet: true });
  t.teardown(() => master.stop());
  const sim = await startMaestro('agent', { master: master.url.replace(/^http:\/\//, ''), simulate: 3, quiet: true, ...simFlags }, 'agent started');
  t.teardown(() => sim.stop());
  await logLine(sim, 'simulated agents registered');
  const sub = await subscribe(master.url, subscribeCall(framework));
  t.teardown(() => sub.close());
  t.is(sub.status, 200, sub.errorText);
  await sub.waitForEvent('SUBSCRIBED');
  return { master, sim, sub };
}

const usedOffers = new Set<string>();

/** An offer of the stream not used yet (each simulated agent is offered on its own). */
async function freshOffer(c: Cluster): Promise<Json> {
  const unused = (e: Json) => (e.offers.offers as Json[]).find((o) => !usedOffers.has(o.id.value as string));
  const offer = unused(await c.sub.waitForEvent('OFFERS', (e) => unused(e) !== undefined, 15_000)) as Json;
  usedOffers.add(offer.id.value as string);
  return offer;
}

/** Launches one task (0.5 cpus, 64 MB) on an offer not used before. */
async function launch(c: Cluster, taskId: string, labels: Record<string, string> = {}): Promise<void> {
  const offer = await freshOffer(c);
  const entries = Object.entries(labels);
  const answer = await c.sub.call({
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [{
        name: taskId, task_id: { value: taskId }, agent_id: offer.agent_id,
        resources: [scalar('cpus', 0.5), scalar('mem', 64)], command: { value: 'sleep 1000', shell: true },
        ...(entries.length > 0 ? { labels: { labels: entries.map(([key, value]) => ({ key, value })) } } : {}),
      }] } }],
      filters: { refuse_seconds: 1 },
    },
  });
  if (answer.status !== 202) throw new Error(`ACCEPT: ${answer.status} ${answer.text}`);
}

function update(c: Cluster, taskId: string, state: string, from = 0): Promise<Json> {
  return c.sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === taskId && e.update.status.state === state, 20_000, from);
}

test('three simulated agents register with their own hostnames, resources and attributes; SIGTERM stops the process', async (t) => {
  const c = await startCluster(t, { attributes: 'rack:r1' });
  const slaves = (await getJson(c.master.url, '/master/slaves')).slaves as Json[];
  t.is(slaves.length, 3);
  t.deepEqual(slaves.map((s) => s.hostname.replace(/\..*$/, '')).sort(), ['sim-0000', 'sim-0001', 'sim-0002']);
  t.true(slaves.every((s) => s.active === true));
  t.deepEqual(slaves.map((s) => [s.resources.cpus, s.resources.mem, s.resources.disk, s.resources.ports]), Array(3).fill([2, 1024, 4096, '[31000-32000]']));
  t.deepEqual(slaves.map((s) => s.attributes.sim_index).sort(), [0, 1, 2]);
  t.true(slaves.every((s) => s.attributes.rack === 'r1'));
  const started = await logLine(c.sim, 'agent started');
  t.is(started.simulated, 3);
  t.is(started.master, c.master.url.replace(/^http:\/\//, ''));
  const metrics = await getJson(started.address as string, '/metrics/snapshot');
  t.is(metrics['simulator/agents_registered'], 3);

  const exited = new Promise<number | null>((resolve) => c.sim.child.once('exit', (code) => resolve(code)));
  c.sim.child.kill('SIGTERM');
  t.is(await exited, 0);
  t.truthy(await logLine(c.sim, 'simulated agents stopping'));
});

test('a task with the duration label goes RUNNING then FINISHED; one without it runs until KILLED', async (t) => {
  const c = await startCluster(t, {}, frameworkInfo({ name: 'sim-kill', capabilities: [{ type: 'TASK_KILLING_STATE' }] }));
  autoAck(c);
  await launch(c, 'brief', { 'maestro.simulate.duration_seconds': '0.3' });
  const running = await update(c, 'brief', 'TASK_RUNNING');
  const finished = await update(c, 'brief', 'TASK_FINISHED');
  t.true(c.sub.events.indexOf(running) < c.sub.events.indexOf(finished));
  t.is(finished.update.status.message, 'Command exited with status 0');

  const from = c.sub.events.length;
  await launch(c, 'forever');
  const live = await update(c, 'forever', 'TASK_RUNNING', from);
  t.is((await c.sub.call({ type: 'KILL', kill: { task_id: { value: 'forever' }, agent_id: live.update.status.agent_id } })).status, 202);
  const killing = await update(c, 'forever', 'TASK_KILLING', from);
  const killed = await update(c, 'forever', 'TASK_KILLED', from);
  t.true(c.sub.events.indexOf(killing) < c.sub.events.indexOf(killed));
  t.false(c.sub.events.slice(from).some((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 'forever' && e.update.status.state === 'TASK_FINISHED'));
  // Once the acknowledgement reaches the agent, the master lists both tasks as completed.
  for (;;) {
    const fw = ((await getJson(c.master.url, '/master/state')).frameworks as Json[])[0];
    if (fw.tasks.length === 0) {
      t.deepEqual((fw.completed_tasks as Json[]).map((x) => [x.id, x.state]).sort(), [['brief', 'TASK_FINISHED'], ['forever', 'TASK_KILLED']]);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
});

test('an unacknowledged status update is resent with the same uuid until acknowledged', async (t) => {
  const c = await startCluster(t, { status_update_retry_interval_min: '200ms', status_update_retry_interval_max: '400ms' });
  autoAck(c, ['stubborn']);
  await launch(c, 'stubborn');
  const first = await update(c, 'stubborn', 'TASK_STARTING');
  const again = await c.sub.waitForEvent('UPDATE', (e) => e.update.status.uuid === first.update.status.uuid, 20_000, c.sub.events.indexOf(first) + 1);
  t.is(again.update.status.state, 'TASK_STARTING');
  // In order: TASK_RUNNING waits behind it until it is acknowledged.
  t.false(c.sub.events.some((e) => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING'));
  await ack(c, first);
  const running = await update(c, 'stubborn', 'TASK_RUNNING');
  t.is(running.update.status.task_id.value, 'stubborn');
});

test('after a master restart the simulated agents reconnect and re-register with their ids and their running task', async (t) => {
  const c = await startCluster(t, { registration_backoff_factor: '100ms' }, frameworkInfo({ name: 'sim-failover', failover_timeout: 3600 }));
  autoAck(c);
  await launch(c, 'survivor');
  await update(c, 'survivor', 'TASK_RUNNING');
  const before = ((await getJson(c.master.url, '/master/slaves')).slaves as Json[]).map((s) => s.id as string).sort();
  const port = Number(new URL(c.master.url).port);
  c.sub.close();
  await c.master.kill();
  const again = await startMaster({ allocation_interval: '50ms', quiet: true, port });
  t.teardown(() => again.stop());
  // The agents come back on their own (backoff from 100 ms), each with its id and what it runs.
  for (;;) {
    const slaves = (await getJson(again.url, '/master/slaves')).slaves as Json[];
    if (slaves.length === 3) {
      t.deepEqual(slaves.map((s) => s.id as string).sort(), before);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const answer = await rawRequest(again.url, { path: '/api/v1', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'GET_TASKS' }) });
  t.is(answer.status, 200, answer.text);
  const tasks = (JSON.parse(answer.text) as Json).get_tasks.tasks as Json[];
  t.deepEqual(tasks.map((x) => [x.task_id.value, x.state]), [['survivor', 'TASK_RUNNING']]);
});
