/**
 * A small real cluster for agent tests: a `maestro master`, one `maestro agent`, and a framework
 * over the plain v1 scheduler HTTP API (test/support/http-scheduler.ts), with the helpers those
 * tests share: launch on the next offer, wait for an update, acknowledge (one, or all as they
 * come), the task processes of a task id, and a bounded poll. Teardown stops every process and
 * kills any task process left under the agent's work dir, also on failure.
 */
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { killTaskProcesses, startAgent, startMaster, taskProcesses, type Flags, type MaestroProcess } from './maestro-process.ts';
import { frameworkInfo, subscribe, subscribeCall, type Json, type Subscription } from './http-scheduler.ts';

/** A SCALAR resource in the scheduler API's JSON. */
export const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } });

export interface Cluster {
  readonly master: MaestroProcess;
  readonly agent: MaestroProcess;
  readonly sub: Subscription;
  readonly frameworkId: string;
}

/** A master (50 ms allocation interval) and one agent; teardown stops both and kills the agent's task processes, also on failure. */
export async function startMasterAndAgent(t: ExecutionContext, agentFlags: Flags = {}): Promise<{ master: MaestroProcess; agent: MaestroProcess }> {
  const master = await startMaster({ allocation_interval: '50ms', quiet: true });
  t.teardown(() => master.stop());
  const agent = await startAgent(master.url, { resources: 'cpus:4;mem:4096;disk:4096;ports:[31000-31100]', ...agentFlags });
  t.teardown(async () => {
    killTaskProcesses(agent.workDir);
    await agent.stop();
  });
  return { master, agent };
}

export async function startCluster(t: ExecutionContext, opts: { agentFlags?: Flags; framework?: Json } = {}): Promise<Cluster> {
  const { master, agent } = await startMasterAndAgent(t, opts.agentFlags);
  const sub = await subscribe(master.url, subscribeCall(opts.framework ?? frameworkInfo({ name: 'agent-test' })));
  t.teardown(() => sub.close());
  t.is(sub.status, 200, sub.errorText);
  await sub.waitForEvent('SUBSCRIBED');
  return { master, agent, sub, frameworkId: sub.frameworkId() };
}

/** Waits for an offer and launches the given tasks on it (task ids and commands; 0.1 cpus, 32 MB each). */
export async function launch(c: Cluster, tasks: readonly { id: string; command: string; killGraceSeconds?: number; extra?: Json }[], from = 0): Promise<void> {
  const offer = (await c.sub.waitForEvent('OFFERS', () => true, 15_000, from)).offers.offers[0] as Json;
  const answer = await c.sub.call({
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: tasks.map((task) => ({
        name: task.id, task_id: { value: task.id }, agent_id: offer.agent_id,
        resources: [scalar('cpus', 0.1), scalar('mem', 32)], command: { value: task.command, shell: true },
        ...(task.killGraceSeconds !== undefined ? { kill_policy: { grace_period: { nanoseconds: task.killGraceSeconds * 1e9 } } } : {}),
        ...task.extra,
      })) } }],
      filters: { refuse_seconds: 1 },
    },
  });
  if (answer.status !== 202) throw new Error(`ACCEPT: ${answer.status} ${answer.text}`);
}

export function update(c: Cluster, taskId: string, state: string, timeoutMs = 20_000): Promise<Json> {
  return c.sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === taskId && e.update.status.state === state, timeoutMs);
}

export async function ack(c: { readonly sub: Subscription }, e: Json): Promise<void> {
  const s = e.update.status;
  if (s.uuid === undefined) return;
  const answer = await c.sub.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } });
  if (answer.status !== 202) throw new Error(`ACKNOWLEDGE: ${answer.status} ${answer.text}`);
}

/** Acknowledges every update of the stream as it arrives (a well-behaved framework), except those of `skipTasks`. */
export function autoAck(c: { readonly sub: Subscription }, skipTasks: readonly string[] = []): void {
  let seen = 0;
  const tick = setInterval(() => {
    while (seen < c.sub.events.length) {
      const e = c.sub.events[seen++];
      if (e.type === 'UPDATE' && !skipTasks.includes(e.update.status.task_id.value)) void ack(c, e).catch(() => undefined);
    }
  }, 20);
  c.sub.ended.finally(() => clearInterval(tick)).catch(() => undefined);
  tick.unref();
}

export function taskPids(workDir: string, taskId: string): number[] {
  return taskProcesses(workDir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MESOS_TASK_ID=${taskId}`);
    } catch {
      return false;
    }
  });
}

/** Polls /proc until `done()` holds; fails after `tries` rounds of 50 ms (a bound, not a measurement). */
export async function until(done: () => boolean, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}


/** Waits for an offer (from event index `from`, not rescinded so far) and accepts it with the operations `build` makes from it. */
export async function acceptOffer(c: Cluster, build: (offer: Json) => Json[], from = 0): Promise<Json> {
  const rescinded = (id: string) => c.sub.events.some((e) => e.type === 'RESCIND' && e.rescind.offer_id.value === id);
  const event = await c.sub.waitForEvent('OFFERS', (e) => !rescinded(e.offers.offers[0].id.value), 15_000, from);
  const offer = event.offers.offers[0] as Json;
  const answer = await c.sub.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: build(offer), filters: { refuse_seconds: 1 } } });
  if (answer.status !== 202) throw new Error(`ACCEPT: ${answer.status} ${answer.text}`);
  return offer;
}
