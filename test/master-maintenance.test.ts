/**
 * Mesos maintenance against a real master and two real agents: a schedule makes a machine
 * DRAINING (offers from it carry `unavailability`, the framework running there gets an inverse
 * offer and its DECLINE shows in the status), machine/down shuts its agent down (its task ends
 * TASK_LOST, REASON_AGENT_REMOVED_BY_OPERATOR; the agent kills it and exits 0, as a Mesos agent;
 * restarted while DOWN it exits again), after machine/up a restart on the same work dir registers
 * as a new agent (new id); bad input gets Mesos' 400 texts. With --database the schedule and modes survive
 * a master restart (the operator API in protobuf too), and an agent removed by machine/down is not
 * awaited by the master elected after a kill -9 of the leader (the registry no longer lists it).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { killTaskProcesses, startAgent, startMaster, type MaestroProcess } from './support/maestro-process.ts';
import { frameworkInfo, getJson, rawRequest, subscribe, subscribeCall, type Json } from './support/http-scheduler.ts';
import { autoAck, scalar, taskPids, until } from './support/task-cluster.ts';
import { createTestDatabase } from './support/postgres.ts';
import { eventually } from './support/eventually.ts';
import { codec } from '../proto/codec.ts';

/** The process's exit code once it exited by itself (within 30 s). */
const exitCode = (p: MaestroProcess) => new Promise<number | null>((resolve, reject) => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve(p.child.exitCode);
  const timer = setTimeout(() => reject(new Error(`the process did not exit:\n${p.output()}`)), 30_000);
  p.child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
});
const post = (base: string, path: string, body: unknown) =>
  rawRequest(base, { method: 'POST', path, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
const operator = async (base: string, call: Json) => {
  const r = await rawRequest(base, { method: 'POST', path: '/api/v1', body: JSON.stringify(call), headers: { 'Content-Type': 'application/json', Accept: 'application/json' } });
  return { status: r.status, text: r.text, json: r.status === 200 && r.text !== '' ? JSON.parse(r.text) as Json : undefined };
};

test('schedule, DRAINING offers and inverse offers, machine down and up, Mesos 400s', async (t) => {
  const master = await startMaster({ allocation_interval: '50ms', quiet: true });
  t.teardown(() => master.stop());
  const agents = [];
  for (const hostname of ['maint-a', 'maint-b']) {
    const agent = await startAgent(master.url, { hostname, resources: 'cpus:2;mem:1024;disk:1024', registration_backoff_factor: '100ms' });
    t.teardown(async () => {
      killTaskProcesses(agent.workDir);
      await agent.stop();
    });
    agents.push(agent);
  }
  const [agentA] = agents;
  const slaves = async () => (await getJson(master.url, '/master/slaves')).slaves as Json[];
  for (let i = 0; (await slaves()).length < 2; i++) {
    if (i > 200) t.fail('two agents did not register');
    await new Promise((r) => setTimeout(r, 50));
  }
  const machineA = { hostname: 'maint-a', ip: '127.0.0.1' };

  const sub = await subscribe(master.url, subscribeCall(frameworkInfo({ name: 'maintenance-test' })));
  t.teardown(() => sub.close());
  await sub.waitForEvent('SUBSCRIBED');
  autoAck({ sub });
  const fromA = (e: Json) => e.offers.offers.some((o: Json) => o.hostname === 'maint-a');
  const offer = (await sub.waitForEvent('OFFERS', fromA, 15_000)).offers.offers.find((o: Json) => o.hostname === 'maint-a');
  t.is(offer.unavailability, undefined, 'no maintenance yet');
  const accepted = await sub.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
    name: 'm-1', task_id: { value: 'm-1' }, agent_id: offer.agent_id, resources: [scalar('cpus', 0.1), scalar('mem', 32)], command: { value: 'sleep 300', shell: true },
  }] } }], filters: { refuse_seconds: 0.2 } } });
  t.is(accepted.status, 202, accepted.text);
  await sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'm-1' && e.update.status.state === 'TASK_RUNNING', 20_000);

  // Bad input: Mesos' 400s, nothing stored.
  const start = { nanoseconds: (Date.now() + 3600_000) * 1e6 };
  const bad: Array<[string, unknown, string]> = [
    ['/maintenance/schedule', { windows: [{ machine_ids: [machineA], unavailability: { start } }, { machine_ids: [machineA], unavailability: { start } }] },
      'Machine \'hostname: "maint-a"\nip: "127.0.0.1"\n\' appears more than once in the schedule'],
    ['/maintenance/schedule', { windows: [{ machine_ids: [], unavailability: { start } }] }, 'List of machines in the maintenance window is empty'],
    ['/maintenance/schedule', { windows: [{ machine_ids: [{}], unavailability: { start } }] }, "Both 'hostname' and 'ip' for a machine are empty"],
    ['/machine/down', [], 'List of machines is empty'],
    ['/machine/down', [machineA], 'Machine \'{"hostname":"maint-a","ip":"127.0.0.1"}\' is not part of a maintenance schedule'],
    ['/master/machine/up', [machineA], 'Machine \'{"hostname":"maint-a","ip":"127.0.0.1"}\' is not part of a maintenance schedule'],
  ];
  for (const [path, body, message] of bad) {
    const r = await post(master.url, path, body);
    t.is(r.status, 400, `${path} ${JSON.stringify(body)}`);
    t.is(r.text, message);
  }
  const notJson = await post(master.url, '/machine/down', '{"hostname":');
  t.is(notJson.status, 400);
  t.regex(notJson.text, /^Failed to parse JSON/);
  const wrongField = await post(master.url, '/maintenance/schedule', { windows: [{ machine_ids: [{ hostname: 7 }], unavailability: { start } }] });
  t.is(wrongField.status, 400);
  t.regex(wrongField.text, /hostname/);
  t.deepEqual(await getJson(master.url, '/maintenance/schedule'), {});
  t.is((await rawRequest(master.url, { method: 'GET', path: '/machine/down' })).status, 405);

  // Schedule: maint-a DRAINING.
  const schedule = { windows: [{ machine_ids: [machineA], unavailability: { start, duration: { nanoseconds: 600e9 } } }] };
  const mark = sub.events.length;
  const updated = await post(master.url, '/maintenance/schedule', schedule);
  t.is(updated.status, 200, updated.text);
  t.deepEqual(await getJson(master.url, '/master/maintenance/schedule'), schedule);
  const got = await operator(master.url, { type: 'GET_MAINTENANCE_SCHEDULE' });
  t.deepEqual(got.json?.get_maintenance_schedule.schedule, schedule);

  const draining = (await sub.waitForEvent('OFFERS', fromA, 15_000, mark)).offers.offers.find((o: Json) => o.hostname === 'maint-a');
  t.deepEqual(draining.unavailability, schedule.windows[0].unavailability);
  const inverse = (await sub.waitForEvent('INVERSE_OFFERS', () => true, 15_000, mark)).inverse_offers.inverse_offers[0];
  t.like(inverse, { agent_id: offer.agent_id, framework_id: { value: sub.frameworkId() }, unavailability: schedule.windows[0].unavailability });
  let status = (await operator(master.url, { type: 'GET_MAINTENANCE_STATUS' })).json?.get_maintenance_status.status;
  t.deepEqual(status.draining_machines[0].id, machineA);
  t.is(status.draining_machines[0].statuses[0].status, 'UNKNOWN');
  const declined = await sub.call({ type: 'DECLINE_INVERSE_OFFERS', decline_inverse_offers: { inverse_offer_ids: [inverse.id], filters: { refuse_seconds: 3600 } } });
  t.is(declined.status, 202, declined.text);
  status = await getJson(master.url, '/maintenance/status');
  t.like(status.draining_machines[0].statuses[0], { status: 'DECLINE', framework_id: { value: sub.frameworkId() } });

  // machine/down: the agent is shut down, its task lost, and it is refused while DOWN.
  const upEarly = await post(master.url, '/machine/up', [machineA]);
  t.is(upEarly.text, 'Machine \'{"hostname":"maint-a","ip":"127.0.0.1"}\' is not in DOWN mode and cannot be brought up');
  const beforeDown = sub.events.length;
  const down = await operator(master.url, { type: 'START_MAINTENANCE', start_maintenance: { machines: [machineA] } });
  t.is(down.status, 200, down.text);
  const lost = (await sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'm-1' && e.update.status.state !== 'TASK_RUNNING', 10_000, beforeDown)).update.status;
  t.like(lost, { state: 'TASK_LOST', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', source: 'SOURCE_MASTER' });
  await sub.waitForEvent('FAILURE', (e) => e.failure.agent_id.value === offer.agent_id.value, 10_000);
  t.deepEqual((await slaves()).map((s) => s.hostname), ['maint-b']);
  await until(() => taskPids(agentA.workDir, 'm-1').length === 0, 'the DOWN agent to kill its task');
  // As a Mesos agent: once its task is gone the agent process exits 0, and forgets its id.
  t.is(await exitCode(agentA), 0);
  t.regex(agentA.output(), /agent shut down by the master: Operator initiated 'Machine DOWN'; the next start registers as a new agent/);
  t.false(existsSync(join(agentA.workDir, 'meta', 'slaves', 'latest')));
  // Restarted while the machine is DOWN: refused with a shutdown, it exits again.
  const restartedDown = await startAgent(master.url, { hostname: 'maint-a', resources: 'cpus:2;mem:1024;disk:1024', registration_backoff_factor: '100ms' }, { workDir: agentA.workDir });
  t.teardown(() => restartedDown.kill());
  t.is(await exitCode(restartedDown), 0);
  t.regex(restartedDown.output(), /agent shut down by the master: Machine is `DOWN`/);
  t.deepEqual(await getJson(master.url, '/maintenance/status'), { down_machines: [machineA] });
  const removing = await post(master.url, '/maintenance/schedule', {});
  t.is(removing.text, 'Machine \'hostname: "maint-a"\nip: "127.0.0.1"\n\' is deactivated and cannot be removed from the schedule');

  // machine/up: out of the schedule, and the agent registers again.
  const beforeUp = sub.events.length;
  const up = await operator(master.url, { type: 'STOP_MAINTENANCE', stop_maintenance: { machines: [machineA] } });
  t.is(up.status, 200, up.text);
  t.deepEqual(await getJson(master.url, '/maintenance/schedule'), {});
  t.deepEqual(await getJson(master.url, '/maintenance/status'), {});
  // Restarted (systemd's Restart=always, say) on the same work dir once UP: a new agent, with a new id.
  const again = await startAgent(master.url, { hostname: 'maint-a', resources: 'cpus:2;mem:1024;disk:1024', registration_backoff_factor: '100ms' }, { workDir: agentA.workDir });
  t.teardown(async () => {
    killTaskProcesses(again.workDir);
    await again.stop();
  });
  for (let i = 0; !(await slaves()).some((s) => s.hostname === 'maint-a'); i++) {
    if (i > 200) t.fail('the agent did not register again after machine/up');
    await new Promise((r) => setTimeout(r, 50));
  }
  const newId = (await slaves()).find((s) => s.hostname === 'maint-a')!.id as string;
  t.not(newId, offer.agent_id.value, 'registered as a new agent');
  const back = (await sub.waitForEvent('OFFERS', fromA, 15_000, beforeUp)).offers.offers.find((o: Json) => o.hostname === 'maint-a');
  t.is(back.unavailability, undefined);
  t.is(back.agent_id.value, newId);
});

/** Resolves once the master at `url` leads (its maintenance endpoint answers 200, not a redirect or 503). */
async function leading(url: string): Promise<void> {
  for (let i = 0; (await rawRequest(url, { method: 'GET', path: '/maintenance/schedule' })).status !== 200; i++) {
    if (i > 400) throw new Error('the master did not lead');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('with --database the schedule and machine modes survive a restart of the master; the operator calls speak protobuf', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const flags = { database: db.url, hostname: '127.0.0.1', allocation_interval: '50ms', quiet: true };
  const first = await startMaster(flags);
  t.teardown(() => first.stop());
  await leading(first.url);
  const start = { nanoseconds: 1_900_000_000_000_000_000 };
  const schedule = { windows: [{ machine_ids: [{ hostname: 'm1.example', ip: '10.9.0.1' }, { hostname: 'm2.example', ip: '10.9.0.2' }], unavailability: { start } }] };
  const calls = codec('mesos.v1.master.Call');
  const responses = codec('mesos.v1.master.Response');
  const protobuf = (url: string, call: Json) => rawRequest(url, {
    method: 'POST', path: '/api/v1', body: Buffer.from(calls.encode(call as never)), headers: { 'Content-Type': 'application/x-protobuf', Accept: 'application/x-protobuf' },
  });
  const updated = await protobuf(first.url, { type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule } });
  t.is(updated.status, 200, updated.text);
  t.is((await post(first.url, '/machine/down', [{ hostname: 'm1.example', ip: '10.9.0.1' }])).status, 200);
  await first.stop();

  const second = await startMaster(flags);
  t.teardown(() => second.stop());
  await leading(second.url);
  t.deepEqual(await getJson(second.url, '/maintenance/schedule'), schedule);
  const answer = await protobuf(second.url, { type: 'GET_MAINTENANCE_STATUS' });
  t.is(answer.status, 200);
  t.deepEqual(responses.decode(answer.body), {
    type: 'GET_MAINTENANCE_STATUS',
    get_maintenance_status: { status: { draining_machines: [{ id: { hostname: 'm2.example', ip: '10.9.0.2' } }], down_machines: [{ hostname: 'm1.example', ip: '10.9.0.1' }] } },
  });
});

test('with --database an agent removed by machine/down leaves the registry: after a kill -9 of the master the new leader does not await it', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const flags = { database: db.url, hostname: '127.0.0.1', allocation_interval: '50ms', agent_reregister_timeout: '1secs', quiet: true };
  const first = await startMaster(flags);
  t.teardown(() => first.stop());
  await leading(first.url);
  const agent = await startAgent(first.url, { hostname: 'maint-db', resources: 'cpus:1;mem:256;disk:256', registration_backoff_factor: '100ms' });
  t.teardown(async () => {
    killTaskProcesses(agent.workDir);
    await agent.stop();
  });
  await eventually(async () => ((await getJson(first.url, '/master/slaves')).slaves as Json[]).length === 1, 'the agent registered', 20_000);
  const machine = { hostname: 'maint-db', ip: '127.0.0.1' };
  const start = { nanoseconds: (Date.now() + 3600_000) * 1e6 };
  t.is((await post(first.url, '/maintenance/schedule', { windows: [{ machine_ids: [machine], unavailability: { start } }] })).status, 200);
  t.is((await post(first.url, '/machine/down', [machine])).status, 200);
  t.is(await exitCode(agent), 0, 'the agent shut down');
  await first.kill();

  const second = await startMaster(flags);
  t.teardown(() => second.stop());
  await leading(second.url);
  const slaves = await getJson(second.url, '/master/slaves');
  t.deepEqual(slaves.recovered_slaves, [], 'not awaited');
  t.deepEqual(slaves.slaves, []);
  // Past --agent_reregister_timeout: nothing was marked unreachable.
  await new Promise((r) => setTimeout(r, 1500));
  t.is((await getJson(second.url, '/metrics/snapshot'))['master/slaves_unreachable'], 0);
  t.deepEqual((await getJson(second.url, '/master/slaves')).recovered_slaves, []);
});
