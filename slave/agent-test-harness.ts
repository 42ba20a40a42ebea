/**
 * The agent core's test harness (for slave/*.test.ts only): the real core with fakes at its ports:
 * a manual clock and timer queue, a scripted containerizer (launch results and terminations the
 * test decides), a recording master link, and the real checkpoint store on a temp dir. The state
 * machine, the status update manager and the recovery logic are the real ones.
 */
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../common/resources/resources.ts';
import { ManualTime } from '../master/test-fixtures.ts';
import { silentLogger } from '../common/ports.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import { Agent } from './agent.ts';
import type { AgentDeps, SandboxCollector } from './agent-ports.ts';
import { CheckpointStore } from './checkpoint-store.ts';
import type { ContainerId, Containerizer, LaunchSpec, RecoverableContainer, Termination } from './containerizer.ts';

type Envelope = maestro.agent.Envelope;

export class FakeContainerizer implements Containerizer {
  readonly launched: LaunchSpec[] = [];
  readonly signals: [string, string][] = [];
  readonly cleaned: string[] = [];
  /** `update` calls: container id and the resources as text. */
  readonly updates: [string, string][] = [];
  launchResult: { ok: true; pid: number } | { ok: false; message: string } = { ok: true, pid: 4242 };
  recovered = new Map<ContainerId, 'running' | Termination>();
  private readonly waiters = new Map<string, (t: Termination) => void>();

  /** While set, recovery waits for it (the containerizer still looking for its containers). */
  recoverGate: Promise<void> | undefined;
  /** While set, launches wait for it (a launch in progress). */
  launchGate: Promise<void> | undefined;
  async launch(spec: LaunchSpec) {
    this.launched.push(spec);
    await this.launchGate;
    return this.launchResult;
  }
  wait(id: ContainerId): Promise<Termination> {
    return new Promise((resolve) => this.waiters.set(id, resolve));
  }
  async kill(id: ContainerId, signal: 'SIGTERM' | 'SIGKILL') {
    this.signals.push([id, signal]);
  }
  async recover(containers: readonly RecoverableContainer[]) {
    await this.recoverGate;
    return new Map(containers.filter((c) => this.recovered.has(c.containerId)).map((c) => [c.containerId, this.recovered.get(c.containerId)!]));
  }
  async update(id: ContainerId, resources: Resources) {
    this.updates.push([id, resources.toString()]);
  }
  async usage() {
    return undefined;
  }
  async cleanup(id: ContainerId) {
    this.cleaned.push(id);
  }
  /** Ends a container as the test says. */
  end(id: string, t: Termination): void {
    this.waiters.get(id)?.(t);
  }
}

export class FakeLink {
  readonly sent: Envelope[] = [];
  registered = true;
  readonly address = '127.0.0.1:5050';
  send(e: Envelope): boolean {
    if (this.registered) this.sent.push(e);
    return this.registered;
  }
  /** Every status update sent, resends included. */
  sends(taskId?: string): mesos.v1.TaskStatus[] {
    return this.sent.flatMap((e) => (e.status_update !== undefined && (taskId === undefined || e.status_update.status.task_id.value === taskId) ? [e.status_update.status] : []));
  }
  /** Distinct status updates (by uuid), in the order first sent. */
  updates(taskId?: string): mesos.v1.TaskStatus[] {
    const seen = new Set<string>();
    return this.sends(taskId).filter((s) => !seen.has(s.uuid!) && seen.add(s.uuid!) !== undefined);
  }
}

/** Ids for containers and status uuids, shared by every agent of the test process. */
let nextId = 0;

/** Every agent made by `harness`, so `settle` can wait for their checkpoint writes. */
export const agents: Agent[] = [];
/** Lets promise chains run and the agents' (asynchronous) checkpoint and journal writes finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await Promise.all(agents.map((a) => a.settled()));
    await new Promise((r) => setImmediate(r));
  }
}

/** The GC's metrics while it holds nothing: what the recording GC of `harness` answers. */
export const idleGcMetrics = { 'gc/path_removals_succeeded': 0, 'gc/path_removals_failed': 0, 'gc/path_removals_pending': 0 };

/** An agent over fakes; `makeGc` swaps the recording GC for another (the real one, say). */
export function harness(t: ExecutionContext, workDir?: string, makeGc?: (dir: string, time: ManualTime) => SandboxCollector) {
  const dir = workDir ?? mkdtempSync(join(tmpdir(), 'maestro-agent-core-'));
  // Writes still in flight would recreate directories after the removal: wait for them first.
  if (workDir === undefined) t.teardown(async () => { await settle(); rmSync(dir, { recursive: true, force: true }); });
  const time = new ManualTime();
  const containerizer = new FakeContainerizer();
  const link = new FakeLink();
  const gcScheduled: string[] = [];
  const gcFromMtime: string[] = [];
  const gcUnscheduled: string[] = [];
  const deps: AgentDeps = {
    clock: time, timers: time, logger: silentLogger,
    // Unique across every agent of the test process: a restarted agent must not mint a uuid its journal already has.
    ids: { containerId: () => `c${nextId++}`, uuid: () => Buffer.from(`uuid-${String(nextId++).padStart(11, '0')}`).toString('base64') },
    containerizer, store: new CheckpointStore(dir),
    fetch: async () => ({ ok: true }),
    gc: makeGc?.(dir, time) ?? {
      schedule: (d) => gcScheduled.push(d),
      scheduleFromMtime: async (d) => { gcFromMtime.push(d); },
      unschedule: async (d) => { gcUnscheduled.push(d); },
      metrics: () => ({ ...idleGcMetrics }),
    },
    config: {
      workDir: dir, hostname: 'host-1', ip: '127.0.0.1', resources: Resources.parse('cpus:2;mem:1024;ports:[31000-31010]'),
      attributes: [], version: 'test', flags: {}, reconfigurationPolicy: 'equal', defaultGraceMs: 3000, shutdownGraceSeconds: 5,
      retry: { initialMs: 1000, maxMs: 4000 },
    },
  };
  const agent = new Agent(deps);
  agents.push(agent);
  agent.setEndpoint('127.0.0.1', 5051);
  agent.attach(link);
  return { dir, time, containerizer, link, agent, gcScheduled, gcFromMtime, gcUnscheduled, deps };
}

export const framework = (caps: mesos.v1.FrameworkInfo.Capability.Type[] = []): mesos.v1.FrameworkInfo => ({
  user: '', name: 'fw', id: { value: 'F' }, ...(caps.length > 0 ? { capabilities: caps.map((type) => ({ type })) } : {}),
});

export const taskInfo = (id: string, resources = 'cpus:1;mem:128', extra: Partial<mesos.v1.TaskInfo> = {}): mesos.v1.TaskInfo => ({
  name: id, task_id: { value: id }, agent_id: { value: 'S0' },
  resources: Resources.parse(resources).toProto(), command: { value: 'sleep 100', shell: true }, ...extra,
});

export function register(h: ReturnType<typeof harness>): void {
  h.agent.registered({ agent_registered: { agent_id: { value: 'S0' }, master_info: { id: 'm', ip: 0, port: 5050 } } });
}

/** Acknowledges every update sent so far, then lets the next one (sent once the ack is on disk) go out. */
export async function ackAll(h: ReturnType<typeof harness>, taskId: string): Promise<void> {
  for (const s of h.link.updates(taskId)) {
    h.agent.handle({ status_update_acknowledgement: { agent_id: { value: 'S0' }, framework_id: { value: 'F' }, task_id: s.task_id, uuid: s.uuid! } });
  }
  await settle();
}
