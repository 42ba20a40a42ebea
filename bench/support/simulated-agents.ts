/**
 * Simulated agents (after Kubernetes' kubemark): many agents in the bench process, each with its
 * own WebSocket to a real master, speaking the real agent protocol (one protobuf
 * `maestro.agent.Envelope` per binary frame, master/agent-link.ts) and faking only the launch.
 *
 * What each agent does:
 *   - registers with its resources (default `cpus:2;mem:1024;disk:4096;ports:[31000-32000]`);
 *   - answers every Ping with a Pong of the same sequence;
 *   - on RunTask reports TASK_STARTING, then TASK_RUNNING at once (no process is started);
 *   - on KillTask reports TASK_KILLED; on ShutdownFramework forgets that framework's tasks;
 *   - sends further updates only when told (`sendUpdate`, `finishTask`) and never resends one:
 *     acknowledgements are counted and handed to `onAck` listeners, nothing else.
 * Invariant: an agent holds no per-message history, only its live tasks, so thousands fit in one
 * process. Status uuids are 16 bytes from a process-wide counter (unique, cheap, not random).
 */
import WebSocket from 'ws';
import { Resources } from '../../common/resources/resources.ts';
import { codec } from '../../proto/codec.ts';
import type { maestro, mesos } from '../../proto/types.generated.ts';

type Envelope = maestro.agent.Envelope;
const envelopeCodec = codec<Envelope>('maestro.agent.Envelope');

export const SIMULATED_AGENT_RESOURCES = 'cpus:2;mem:1024;disk:4096;ports:[31000-32000]';

export interface SimulatedAgentsOptions {
  /** `http://127.0.0.1:PORT` of the master. */
  readonly masterUrl: string;
  readonly count: number;
  readonly resources?: string;
  /** Connections opened at once while registering (default 64). */
  readonly concurrency?: number;
  readonly registerTimeoutMs?: number;
}

export interface AgentCounters {
  runTasks: number;
  killTasks: number;
  shutdownFrameworks: number;
  pings: number;
  updatesSent: number;
  acks: number;
}

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

export interface SimulatedTask {
  readonly agentIndex: number;
  readonly frameworkId: string;
  readonly taskId: string;
}

export interface SimulatedAgents {
  readonly count: number;
  /** Master-assigned ids, by agent index. */
  readonly agentIds: readonly string[];
  readonly counters: Readonly<AgentCounters>;
  /** Milliseconds from the first connection attempt to the last registration answer. */
  readonly registrationMs: number;
  indexOf(agentId: string): number | undefined;
  /** Live tasks (launched, neither killed nor finished nor shut down). */
  tasks(): SimulatedTask[];
  /** Sends one StatusUpdate from agent `agentIndex`; returns its uuid (base64). */
  sendUpdate(agentIndex: number, frameworkId: string, taskId: string, state: mesos.v1.TaskState): string;
  /** Reports TASK_FINISHED for a live task; false when the agent does not run it. */
  finishTask(agentIndex: number, frameworkId: string, taskId: string): boolean;
  onAck(listener: (ack: AckSeen) => void): () => void;
  /** Closes every connection; resolves when all are closed. Idempotent. */
  close(): Promise<void>;
}

let uuidCounter = 0n;
function nextUuid(): string {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(process.pid), 0);
  b.writeBigUInt64BE(++uuidCounter, 8);
  return b.toString('base64');
}

interface AgentSlot {
  readonly index: number;
  readonly ws: WebSocket;
  id: string;
  /** `${frameworkId} ${taskId}` -> task. */
  readonly tasks: Map<string, SimulatedTask>;
}

const taskKey = (frameworkId: string, taskId: string) => `${frameworkId} ${taskId}`;

function wsUrl(masterUrl: string): string {
  return `${masterUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/maestro/agent/v1`;
}

/** Connects and registers `count` agents; rejects (after closing those opened) if any fails. */
export async function startSimulatedAgents(options: SimulatedAgentsOptions): Promise<SimulatedAgents> {
  const resources = Resources.parse(options.resources ?? SIMULATED_AGENT_RESOURCES).toProto() as unknown as mesos.v1.Resource[];
  const slots: AgentSlot[] = [];
  const byId = new Map<string, number>();
  const counters: AgentCounters = { runTasks: 0, killTasks: 0, shutdownFrameworks: 0, pings: 0, updatesSent: 0, acks: 0 };
  const ackListeners = new Set<(ack: AckSeen) => void>();
  const timeoutMs = options.registerTimeoutMs ?? 60_000;

  const send = (slot: AgentSlot, envelope: Envelope) => {
    if (slot.ws.readyState === WebSocket.OPEN) slot.ws.send(envelopeCodec.encode(envelope), { binary: true });
  };
  const update = (slot: AgentSlot, frameworkId: string, taskId: string, state: mesos.v1.TaskState): string => {
    const uuid = nextUuid();
    counters.updatesSent++;
    send(slot, {
      status_update: {
        framework_id: { value: frameworkId },
        status: { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', agent_id: { value: slot.id }, uuid, timestamp: Date.now() / 1000 },
      },
    });
    return uuid;
  };

  const onMessage = (slot: AgentSlot, env: Envelope) => {
    if (env.ping !== undefined) {
      counters.pings++;
      send(slot, { pong: { sequence: env.ping.sequence } });
    } else if (env.status_update_acknowledgement !== undefined) {
      counters.acks++;
      const a = env.status_update_acknowledgement;
      if (ackListeners.size > 0) {
        const seen: AckSeen = { agentIndex: slot.index, frameworkId: a.framework_id.value, taskId: a.task_id.value, uuid: a.uuid, at: process.hrtime.bigint() };
        for (const l of ackListeners) l(seen);
      }
    } else if (env.run_task !== undefined) {
      counters.runTasks++;
      const frameworkId = env.run_task.framework.id?.value ?? '';
      const taskId = env.run_task.task.task_id.value;
      slot.tasks.set(taskKey(frameworkId, taskId), { agentIndex: slot.index, frameworkId, taskId });
      update(slot, frameworkId, taskId, 'TASK_STARTING');
      update(slot, frameworkId, taskId, 'TASK_RUNNING');
    } else if (env.kill_task !== undefined) {
      counters.killTasks++;
      const frameworkId = env.kill_task.framework_id.value;
      const taskId = env.kill_task.task_id.value;
      if (slot.tasks.delete(taskKey(frameworkId, taskId))) update(slot, frameworkId, taskId, 'TASK_KILLED');
    } else if (env.shutdown_framework !== undefined) {
      counters.shutdownFrameworks++;
      const frameworkId = env.shutdown_framework.framework_id.value;
      for (const [key, t] of slot.tasks) if (t.frameworkId === frameworkId) slot.tasks.delete(key);
    }
  };

  const register = (index: number) => new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(wsUrl(options.masterUrl), { perMessageDeflate: false });
    const slot: AgentSlot = { index, ws, id: '', tasks: new Map() };
    slots[index] = slot;
    let registered = false;
    const timer = setTimeout(() => reject(new Error(`simulated agent ${index}: no registration answer within ${timeoutMs} ms`)), timeoutMs);
    ws.on('open', () => send(slot, { register_agent: { agent_info: { hostname: `sim-agent-${index}`, resources }, version: 'simulated' } }));
    ws.on('error', (e) => { if (!registered) { clearTimeout(timer); reject(e); } });
    ws.on('close', () => { if (!registered) { clearTimeout(timer); reject(new Error(`simulated agent ${index}: closed before registration`)); } });
    ws.on('message', (data: Buffer) => {
      const env = envelopeCodec.decode(data);
      if (!registered) {
        if (env.agent_registered !== undefined) {
          registered = true;
          clearTimeout(timer);
          slot.id = env.agent_registered.agent_id.value;
          byId.set(slot.id, index);
          resolve();
        } else if (env.registration_refused !== undefined) {
          clearTimeout(timer);
          reject(new Error(`simulated agent ${index}: registration refused: ${env.registration_refused.message}`));
        }
        return;
      }
      onMessage(slot, env);
    });
  });

  let closing: Promise<void> | undefined;
  let stopped = false;
  const close = () => {
    stopped = true;
    closing ??= Promise.all(slots.filter((s) => s !== undefined).map((s) => new Promise<void>((resolve) => {
      if (s.ws.readyState === WebSocket.CLOSED) return resolve();
      s.ws.once('close', () => resolve());
      // terminate(): no closing handshake to wait for; the master sees the disconnection at once.
      s.ws.terminate();
    }))).then(() => undefined);
    return closing;
  };

  const t0 = process.hrtime.bigint();
  const concurrency = Math.max(1, options.concurrency ?? 64);
  let next = 0;
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, options.count) }, async () => {
      while (next < options.count && !stopped) await register(next++);
    }));
  } catch (error) {
    await close();
    throw error;
  }
  const registrationMs = Number(process.hrtime.bigint() - t0) / 1e6;

  return {
    count: options.count,
    agentIds: slots.map((s) => s.id),
    counters,
    registrationMs,
    indexOf: (agentId) => byId.get(agentId),
    tasks: () => slots.flatMap((s) => [...s.tasks.values()]),
    sendUpdate: (agentIndex, frameworkId, taskId, state) => update(slots[agentIndex], frameworkId, taskId, state),
    finishTask(agentIndex, frameworkId, taskId) {
      const slot = slots[agentIndex];
      if (slot === undefined || !slot.tasks.delete(taskKey(frameworkId, taskId))) return false;
      update(slot, frameworkId, taskId, 'TASK_FINISHED');
      return true;
    },
    onAck(listener) {
      ackListeners.add(listener);
      return () => ackListeners.delete(listener);
    },
    close,
  };
}
