/**
 * frameworks/sdk against a real `maestro master` and `maestro agent`: subscription (through a
 * dead master and a redirecting one), launch with automatic acknowledgements (the agent's
 * GET_TASKS shows no unacknowledged update), kill, decline filters, suppress/revive through
 * setDemand, explicit/implicit/periodic reconciliation, a master restart on the same port
 * (reconnect with backoff, re-subscription with the framework id, the task survives), failover
 * to a second driver, and the heartbeat watchdog (a SIGSTOPped master). Every process, server
 * and driver is stopped in teardown, also on failure.
 */
import test, { type ExecutionContext } from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { killTaskProcesses, startAgent, startMaster, type Flags, type MaestroProcess } from './support/maestro-process.ts';
import { createSchedulerDriver, type SchedulerDriver, type SchedulerDriverOptions } from '../frameworks/sdk/scheduler-driver.ts';
import type { FrameworkInfo, Offer, TaskStatus } from '../frameworks/sdk/scheduler-handler.ts';
import { matchOffer } from '../frameworks/sdk/offer-matching.ts';

type Recorded =
  | { readonly kind: 'subscribed'; readonly frameworkId: string }
  | { readonly kind: 'offers'; readonly offers: Offer[] }
  | { readonly kind: 'rescind'; readonly offerId: string }
  | { readonly kind: 'update'; readonly status: TaskStatus }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'disconnected' };

/** Everything a driver's handler saw, in order, with a wait that misses nothing after a cursor. */
class Recorder {
  readonly events: Recorded[] = [];
  private readonly waiters = new Set<() => void>();

  push(e: Recorded): void {
    this.events.push(e);
    for (const w of [...this.waiters]) w();
  }

  get mark(): number {
    return this.events.length;
  }

  waitFor<K extends Recorded['kind']>(kind: K, pred: (e: Extract<Recorded, { kind: K }>) => boolean = () => true, timeoutMs = 20_000, from = 0): Promise<Extract<Recorded, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.events.length; i++) {
          const e = this.events[i];
          if (e.kind === kind && pred(e as Extract<Recorded, { kind: K }>)) {
            this.waiters.delete(check);
            clearTimeout(timer);
            resolve(e as Extract<Recorded, { kind: K }>);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${kind} within ${timeoutMs} ms; saw ${this.events.map((e) => e.kind).join(',')}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  count(kind: Recorded['kind'], from = 0): number {
    return this.events.slice(from).filter((e) => e.kind === kind).length;
  }
}

const host = (p: MaestroProcess) => p.url.replace(/^http:\/\//, '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FRAMEWORK: FrameworkInfo = { user: 'root', name: 'sdk-test', failover_timeout: 3600, checkpoint: true };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startMasterProcess(t: ExecutionContext, flags: Flags = {}): Promise<MaestroProcess> {
  const master = await startMaster({ allocation_interval: '50ms', quiet: true, ...flags });
  t.teardown(() => master.stop());
  return master;
}

async function startAgentProcess(t: ExecutionContext, master: MaestroProcess): Promise<MaestroProcess> {
  // A short reconnection backoff: after a master restart the agent is back within a second, not after its doubling (up to a minute) ran up while the master was down.
  const agent = await startAgent(master.url, { resources: 'cpus:4;mem:4096;disk:4096;ports:[31000-31100]', registration_backoff_factor: '100ms' });
  t.teardown(async () => {
    killTaskProcesses(agent.workDir);
    await agent.stop();
  });
  return agent;
}

function startDriver(t: ExecutionContext, masters: string[], extra: Partial<SchedulerDriverOptions> = {}): { driver: SchedulerDriver; rec: Recorder } {
  const rec = new Recorder();
  const driver = createSchedulerDriver({
    masters,
    frameworkInfo: FRAMEWORK,
    backoff: { initialMs: 100, maxMs: 1000 },
    handler: {
      subscribed: (frameworkId) => rec.push({ kind: 'subscribed', frameworkId }),
      offers: (offers) => rec.push({ kind: 'offers', offers }),
      rescind: (offerId) => rec.push({ kind: 'rescind', offerId }),
      update: (status) => rec.push({ kind: 'update', status }),
      error: (message) => rec.push({ kind: 'error', message }),
      disconnected: () => rec.push({ kind: 'disconnected' }),
    },
    ...extra,
  });
  t.teardown(() => driver.stop());
  driver.start();
  return { driver, rec };
}

/** Waits for an offer and launches `sleep 30` as `taskId` on it (resources picked by matchOffer: 0.1 cpus, 32 MB, one port); returns the offer. */
async function launchSleep(t: ExecutionContext, driver: SchedulerDriver, rec: Recorder, taskId: string, from = 0): Promise<Offer> {
  const offer = (await rec.waitFor('offers', (e) => e.offers.length > 0, 20_000, from)).offers[0];
  const match = matchOffer(offer, { scalars: { cpus: 0.1, mem: 32 }, ports: 1 });
  if (!match.ok) throw new Error(`offer does not fit: ${match.reasons.join('; ')}`);
  const r = await driver.accept([offer.id.value], [{
    type: 'LAUNCH',
    launch: { task_infos: [{
      name: taskId, task_id: { value: taskId }, agent_id: offer.agent_id,
      resources: match.toProto(),
      command: { value: 'sleep 30', shell: true },
    }] },
  }], { refuse_seconds: 1 });
  t.deepEqual(r, { ok: true });
  return offer;
}

async function agentTasks(agent: MaestroProcess): Promise<Array<Record<string, any>>> {
  const answer = await fetch(`${agent.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'GET_TASKS' }) });
  const body = (await answer.json()) as Record<string, any>;
  return (body.get_tasks.launched_tasks ?? []) as Array<Record<string, any>>;
}

async function until(done: () => Promise<boolean> | boolean, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await done()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('subscribes past a dead master and a redirecting one, gets offers; a bad call is a value, not a throw', async (t) => {
  const master = await startMasterProcess(t);
  await startAgentProcess(t, master);
  const dead = await freePort();
  const redirects: string[] = [];
  const redirector: Server = createServer((req, res) => {
    redirects.push(req.url ?? '');
    res.writeHead(307, { Location: `//${host(master)}${req.url}` }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => redirector.close(() => r())));
  const redirectorHost = `127.0.0.1:${(redirector.address() as AddressInfo).port}`;

  const { driver, rec } = startDriver(t, [`127.0.0.1:${dead}`, redirectorHost]);
  const subscribed = await rec.waitFor('subscribed');
  t.is(driver.state, 'SUBSCRIBED');
  t.is(driver.frameworkId, subscribed.frameworkId);
  t.is(driver.master, host(master));
  t.deepEqual(redirects, ['/api/v1/scheduler']);
  const offers = await rec.waitFor('offers', (e) => e.offers.length > 0);
  t.true(offers.offers[0].resources!.some((r) => r.name === 'cpus'));

  const bad = await driver.acknowledge({ taskId: 'no-such-task', agentId: offers.offers[0].agent_id.value, uuid: 'not a uuid' });
  t.false(bad.ok);
  if (!bad.ok) t.true(bad.status >= 400 && bad.status < 500, `${bad.status} ${bad.message}`);
});

test('launch: TASK_RUNNING is acknowledged by the SDK (the agent holds no unacknowledged update); kill gives TASK_KILLED', async (t) => {
  const master = await startMasterProcess(t);
  const agent = await startAgentProcess(t, master);
  const { driver, rec } = startDriver(t, [host(master)]);
  await launchSleep(t, driver, rec, 'sleeper');
  const running = await rec.waitFor('update', (e) => e.status.task_id.value === 'sleeper' && e.status.state === 'TASK_RUNNING');
  t.truthy(running.status.uuid);
  await until(async () => {
    const task = (await agentTasks(agent)).find((x) => x.task_id.value === 'sleeper');
    return task !== undefined && task.state === 'TASK_RUNNING' && task.status_update_state === undefined;
  }, 'the agent to see TASK_RUNNING acknowledged');

  t.deepEqual(await driver.kill('sleeper', running.status.agent_id!.value), { ok: true });
  const killed = await rec.waitFor('update', (e) => e.status.task_id.value === 'sleeper' && e.status.state === 'TASK_KILLED');
  t.truthy(killed.status.uuid);
  // The terminal update acknowledged, the agent moves the task out of its launched tasks.
  await until(async () => (await agentTasks(agent)).every((x) => x.task_id.value !== 'sleeper'), 'the killed task to be completed');
  t.is(rec.count('update') >= 2, true);
});

test('decline with refuse_seconds: the agent is not offered again until the filter expires', async (t) => {
  const master = await startMasterProcess(t);
  await startAgentProcess(t, master);
  const { driver, rec } = startDriver(t, [host(master)]);
  const first = (await rec.waitFor('offers', (e) => e.offers.length > 0)).offers[0];
  const mark = rec.mark;
  t.deepEqual(await driver.decline([first.id.value], { refuse_seconds: 4 }), { ok: true });
  // Allocation runs every 50 ms: without the filter the resources would be back at once.
  await sleep(2000);
  t.is(rec.count('offers', mark), 0);
  const again = (await rec.waitFor('offers', (e) => e.offers.length > 0, 20_000, mark)).offers[0];
  t.is(again.agent_id.value, first.agent_id.value);
  t.not(again.id.value, first.id.value);
});

test('setDemand(false) suppresses offers; setDemand(true) revives them, once per change', async (t) => {
  const master = await startMasterProcess(t);
  await startAgentProcess(t, master);
  const { driver, rec } = startDriver(t, [host(master)]);
  const first = (await rec.waitFor('offers', (e) => e.offers.length > 0)).offers[0];
  t.deepEqual(await driver.setDemand(false), { ok: true });
  const mark = rec.mark;
  t.deepEqual(await driver.decline([first.id.value], { refuse_seconds: 0.01 }), { ok: true });
  await sleep(2000);
  t.is(rec.count('offers', mark), 0, 'no offers while suppressed');
  t.deepEqual(await driver.setDemand(true), { ok: true });
  const revived = await rec.waitFor('offers', (e) => e.offers.length > 0, 20_000, mark);
  t.is(revived.offers[0].agent_id.value, first.agent_id.value);
  // Unchanged demand sends nothing and answers ok.
  t.deepEqual(await driver.setDemand(true), { ok: true });
});

test('reconcile: explicit and implicit answers carry the task state; periodic reconciliation repeats', async (t) => {
  const master = await startMasterProcess(t);
  await startAgentProcess(t, master);
  const { driver, rec } = startDriver(t, [host(master)]);
  await launchSleep(t, driver, rec, 'known');
  const running = await rec.waitFor('update', (e) => e.status.task_id.value === 'known' && e.status.state === 'TASK_RUNNING');
  const agentId = running.status.agent_id!.value;

  let mark = rec.mark;
  t.deepEqual(await driver.reconcile([{ taskId: 'known', agentId }]), { ok: true });
  const explicit = await rec.waitFor('update', (e) => e.status.task_id.value === 'known' && e.status.reason === 'REASON_RECONCILIATION', 10_000, mark);
  t.is(explicit.status.state, 'TASK_RUNNING');

  mark = rec.mark;
  t.deepEqual(await driver.reconcile([]), { ok: true });
  const implicit = await rec.waitFor('update', (e) => e.status.reason === 'REASON_RECONCILIATION', 10_000, mark);
  t.is(implicit.status.task_id.value, 'known');
  t.is(implicit.status.state, 'TASK_RUNNING');

  mark = rec.mark;
  const stop = driver.startReconciliation({ intervalMs: 300, tasks: () => [{ taskId: 'known', agentId }, { taskId: 'unknown-task', agentId }] });
  const gone = await rec.waitFor('update', (e) => e.status.task_id.value === 'unknown-task', 10_000, mark);
  t.true(['TASK_LOST', 'TASK_UNKNOWN', 'TASK_GONE'].includes(gone.status.state), gone.status.state);
  await until(() => rec.events.slice(mark).filter((e) => e.kind === 'update' && e.status.task_id.value === 'known' && e.status.reason === 'REASON_RECONCILIATION').length >= 4, 'several reconciliation rounds');
  stop();
});

test('master restart on the same port: the driver reconnects with backoff, re-subscribes with its framework id, the task survives', async (t) => {
  const port = await freePort();
  const master = await startMasterProcess(t, { port });
  const agent = await startAgentProcess(t, master);
  const { driver, rec } = startDriver(t, [`127.0.0.1:${port}`]);
  const { frameworkId } = await rec.waitFor('subscribed');
  await launchSleep(t, driver, rec, 'survivor');
  const running = await rec.waitFor('update', (e) => e.status.task_id.value === 'survivor' && e.status.state === 'TASK_RUNNING');

  const mark = rec.mark;
  await master.kill();
  await rec.waitFor('disconnected', () => true, 10_000, mark);
  t.not(driver.state, 'SUBSCRIBED');
  // Let a few attempts fail against the closed port before the master comes back.
  await sleep(1500);
  const restarted = await startMasterProcess(t, { port });
  const again = await rec.waitFor('subscribed', () => true, 20_000, mark);
  t.is(again.frameworkId, frameworkId);
  t.is(driver.state, 'SUBSCRIBED');

  // The agent re-registers with the task; reconciliation then answers RUNNING for it.
  await until(async () => {
    const from = rec.mark;
    await driver.reconcile([{ taskId: 'survivor', agentId: running.status.agent_id!.value }]);
    const answer = await rec.waitFor('update', (e) => e.status.task_id.value === 'survivor' && e.status.reason === 'REASON_RECONCILIATION', 5000, from).catch(() => undefined);
    return answer?.status.state === 'TASK_RUNNING';
  }, 'the task to be RUNNING at the new master', 300);
  t.true((await agentTasks(agent)).some((x) => x.task_id.value === 'survivor' && x.state === 'TASK_RUNNING'));
  t.deepEqual(await driver.kill('survivor'), { ok: true });
  await rec.waitFor('update', (e) => e.status.task_id.value === 'survivor' && e.status.state === 'TASK_KILLED', 20_000, mark);
  t.truthy(restarted.url);
});

test('failover: a second driver with the persisted framework id takes over; the first gets an error and stops', async (t) => {
  const master = await startMasterProcess(t);
  await startAgentProcess(t, master);
  const first = startDriver(t, [host(master)]);
  const { frameworkId } = await first.rec.waitFor('subscribed');
  const second = startDriver(t, [host(master)], { frameworkId });
  const taken = await second.rec.waitFor('subscribed');
  t.is(taken.frameworkId, frameworkId);
  const error = await first.rec.waitFor('error');
  t.regex(error.message, /failed over/i);
  t.is(first.driver.state, 'STOPPED');
  // The stopped driver answers calls with a value and does not come back.
  const refused = await first.driver.revive();
  t.false(refused.ok);
  await second.rec.waitFor('offers', (e) => e.offers.length > 0);
  await sleep(1000);
  t.is(first.rec.count('subscribed'), 1);
  t.is(first.driver.state, 'STOPPED');
});

test('heartbeat watchdog: a master that goes silent (SIGSTOP) is left, and the driver re-subscribes once it answers again', async (t) => {
  const master = await startMasterProcess(t, { heartbeat_interval: '1secs' });
  const { driver, rec } = startDriver(t, [host(master)], { heartbeatMisses: 2, connectTimeoutMs: 1000 });
  const { frameworkId } = await rec.waitFor('subscribed');
  const mark = rec.mark;
  const pid = master.child.pid!;
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Already gone.
    }
  });
  // 2 missed heartbeats of 1 s: the watchdog fires well within 15 s.
  await rec.waitFor('disconnected', () => true, 15_000, mark);
  t.not(driver.state, 'SUBSCRIBED');
  process.kill(pid, 'SIGCONT');
  const again = await rec.waitFor('subscribed', () => true, 20_000, mark);
  t.is(again.frameworkId, frameworkId);
});
