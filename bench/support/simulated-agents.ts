/**
 * Simulated agents for the end-to-end benchmarks (after Kubernetes' kubemark), two ways, one
 * implementation (slave/simulate/: the real agent protocol, real registration, pings, status
 * updates resent until acknowledged, in order per task; only the launch is faked):
 *
 *   - `startSimulatedAgentsProcess`: `maestro agent --simulate=N` as a child process of its own,
 *     so that master, agents and framework are three processes (master-offers.bench.ts). The
 *     registration time is the simulator's own (first connection attempt -> last agent
 *     registered), read from its `simulated agents registered` line.
 *   - `startSimulatedAgents`: the same fleet inside the bench process, for benchmarks that time
 *     each update from the agent's side (status-updates.bench.ts: the agents and the framework
 *     must read one clock). `sendUpdate` reports TASK_RUNNING again for a running task through
 *     the agent's status update manager; `onAck` sees every acknowledgement as it arrives.
 *
 * Every process is stopped by `stop()`/`close()` or, should the bench die first, by a synchronous
 * SIGKILL from the bench process's `exit` hook (SIGINT and SIGTERM exit through it too).
 */
import { randomBytes } from 'node:crypto';
import { Resources } from '../../common/resources/resources.ts';
import { silentLogger, systemClock, systemTimers } from '../../common/ports.ts';
import type { maestro } from '../../proto/types.generated.ts';
import { newCounters, SIMULATED_AGENT_RESOURCES, type SimulationCounters } from '../../slave/simulate/simulated-agent.ts';
import { SimulatedFleet } from '../../slave/simulate/simulated-fleet.ts';
import { startMaestro, type MaestroProcess } from '../../test/support/maestro-process.ts';
import { killOnExit } from './master-process.ts';

export { SIMULATED_AGENT_RESOURCES };

const masterAddress = (masterUrl: string) => masterUrl.replace(/^https?:\/\//, '').replace(/\/.*$/, '');

// ---------------------------------------------------------------- a process of its own

export interface SimulatedAgentsProcess {
  readonly count: number;
  readonly pid: number;
  /** The simulator's HTTP endpoint (`/metrics/snapshot`). */
  readonly url: string;
  /** Milliseconds from the first connection attempt to the last agent's registration (the simulator's clock). */
  readonly registrationMs: number;
  /** The simulator's RSS once every agent had registered. */
  readonly rssBytes: number;
  output(): string;
  /** SIGTERM (SIGKILL after 5 s), work dir removed. Idempotent. */
  stop(): Promise<void>;
}


/** Waits for a JSON log line with `msg` in what the process printed. */
function waitForLine(p: MaestroProcess, msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let scanned = 0;
    const check = (): boolean => {
      const out = p.output();
      const end = out.lastIndexOf('\n');
      if (end < scanned) return false;
      for (const line of out.slice(scanned, end).split('\n')) {
        if (!line.includes(msg)) continue;
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          if (rec.msg === msg) {
            resolve(rec);
            return true;
          }
        } catch { /* not a log line */ }
      }
      scanned = end + 1;
      return false;
    };
    if (check()) return;
    const onData = () => { if (check()) done(); };
    const onExit = () => { done(); reject(new Error(`the simulator exited before '${msg}':\n${p.output()}`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`no '${msg}' from the simulator within ${timeoutMs} ms:\n${p.output()}`)); }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      p.child.stdout?.off('data', onData);
      p.child.off('exit', onExit);
    };
    p.child.stdout?.on('data', onData);
    p.child.once('exit', onExit);
  });
}

/** Starts `maestro agent --simulate=count` against the master and waits until every agent has registered. */
export async function startSimulatedAgentsProcess(options: { masterUrl: string; count: number; resources?: string; timeoutMs?: number }): Promise<SimulatedAgentsProcess> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const nodeArgs = (process.env.BENCH_AGENTS_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const p = await startMaestro('agent', {
    master: masterAddress(options.masterUrl), simulate: options.count, quiet: true,
    resources: options.resources ?? SIMULATED_AGENT_RESOURCES,
  }, 'agent started', 30_000, { nodeArgs });
  killOnExit(p);
  try {
    const registered = await waitForLine(p, 'simulated agents registered', timeoutMs);
    return {
      count: options.count, pid: p.child.pid!, url: p.url, output: p.output, stop: p.stop,
      registrationMs: Number(registered.registrationMs), rssBytes: Number(registered.rssBytes),
    };
  } catch (error) {
    await p.stop();
    throw error;
  }
}

// ---------------------------------------------------------------- in the bench process

/** One acknowledgement as an agent received it. */
export interface AckSeen {
  readonly agentIndex: number;
  readonly frameworkId: string;
  readonly taskId: string;
  /** base64, as in the StatusUpdate that it acknowledges. */
  readonly uuid: string;
  /** process.hrtime.bigint() on arrival. */
  readonly at: bigint;
}

export interface SimulatedAgents {
  readonly count: number;
  readonly counters: Readonly<SimulationCounters>;
  /** Milliseconds from the first connection attempt to the last registration. */
  readonly registrationMs: number;
  indexOf(agentId: string): number | undefined;
  /**
   * Reports TASK_RUNNING again for a running task of agent `agentIndex`, through its status update
   * manager (sent now if the task has no unacknowledged update, else queued behind it); returns
   * the update's uuid (base64).
   */
  sendUpdate(agentIndex: number, frameworkId: string, taskId: string): string;
  onAck(listener: (ack: AckSeen) => void): () => void;
  /** Closes every connection; resolves when all are closed. Idempotent. */
  close(): Promise<void>;
}

export interface SimulatedAgentsOptions {
  /** `http://127.0.0.1:PORT` of the master. */
  readonly masterUrl: string;
  readonly count: number;
  readonly resources?: string;
  readonly registerTimeoutMs?: number;
}

/** Connects and registers `count` agents in this process; rejects (after closing them) if they do not all register in time. */
export async function startSimulatedAgents(options: SimulatedAgentsOptions): Promise<SimulatedAgents> {
  const counters = newCounters();
  const listeners = new Set<(ack: AckSeen) => void>();
  const fleet: SimulatedFleet = new SimulatedFleet({
    masters: [masterAddress(options.masterUrl)],
    count: options.count,
    hostnameBase: 'bench',
    port: 0,
    attributes: [],
    random: Math.random,
    backoff: { initialMs: 1000, maxMs: 60_000 },
    shared: {
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger,
      uuid: () => randomBytes(16).toString('base64'),
      resources: Resources.parse(options.resources ?? SIMULATED_AGENT_RESOURCES),
      version: 'simulated',
      retry: { initialMs: 10_000, maxMs: 600_000 },
      counters,
      onAck: (agent, a: maestro.agent.StatusUpdateAcknowledgement) => {
        if (listeners.size === 0) return;
        const seen: AckSeen = { agentIndex: agent.identity.index, frameworkId: a.framework_id.value, taskId: a.task_id.value, uuid: a.uuid, at: process.hrtime.bigint() };
        for (const l of listeners) l(seen);
      },
    },
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= fleet.stop());
  fleet.start();
  const timeoutMs = options.registerTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let registrationMs: number;
  try {
    registrationMs = await Promise.race([
      fleet.registered,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${fleet.registeredAgents} of ${options.count} simulated agents registered within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    await close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    count: options.count,
    counters,
    registrationMs,
    indexOf: (agentId) => fleet.indexOf(agentId),
    sendUpdate(agentIndex, frameworkId, taskId) {
      const uuid = fleet.agents[agentIndex]?.reportRunning(frameworkId, taskId);
      if (uuid === undefined) throw new Error(`simulated agent ${agentIndex} does not run task ${taskId} of ${frameworkId}`);
      return uuid;
    },
    onAck(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close,
  };
}
