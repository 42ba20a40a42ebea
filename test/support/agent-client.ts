/**
 * A minimal agent-protocol client for tests: it speaks only the protocol of master/agent-link.ts
 * (WebSocket, one protobuf `maestro.agent.Envelope` per binary frame) and launches nothing. It
 * registers (or re-registers with `agentId`), answers pings unless told not to (a partition),
 * records every message the master sends, and lets a test send status updates, report executors
 * gone (ExecutorExited) and wait for messages.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Resources } from '../../common/resources/resources.ts';
import { codec } from '../../proto/codec.ts';
import type { maestro, mesos } from '../../proto/types.generated.ts';

export type Envelope = maestro.agent.Envelope;
type Kind = keyof Envelope;

const envelopeCodec = codec<Envelope>('maestro.agent.Envelope');

export interface AgentOptions {
  /** `http://127.0.0.1:PORT` of the master. */
  readonly masterUrl: string;
  readonly hostname: string;
  /** Mesos text form, `cpus:4;mem:8192;ports:[31000-32000]`. */
  readonly resources: string;
  readonly attributes?: mesos.v1.Attribute[];
  readonly domain?: mesos.v1.DomainInfo;
  /** Set to re-register as this agent. */
  readonly agentId?: string;
  /** Reported on re-registration. */
  readonly tasks?: mesos.v1.Task[];
  readonly frameworks?: mesos.v1.FrameworkInfo[];
  readonly executors?: mesos.v1.ExecutorInfo[];
  readonly token?: string;
  readonly endpoint?: string;
  readonly version?: string;
}

export interface TestAgent {
  /** The id the master gave (or confirmed). */
  readonly agentId: string;
  /** Everything the master sent, in order, across reconnections. */
  readonly received: Envelope[];
  /** The messages of one kind received so far, in order (`agent.all('run_task')`). */
  all<K extends Kind>(kind: K): NonNullable<Envelope[K]>[];
  /** The registration answer (AgentRegistered or AgentReregistered envelope). */
  readonly registration: Envelope;
  /** false: pings are ignored (the master sees a partition). */
  answerPings: boolean;
  send(envelope: Envelope): void;
  /** Sends a StatusUpdate with a fresh uuid; returns the uuid (base64). */
  sendStatus(frameworkId: string, taskId: string, state: mesos.v1.TaskState, extra?: Partial<mesos.v1.TaskStatus>): string;
  /** Reports an executor gone (ExecutorExited); `status` is its wait status. */
  sendExecutorExited(frameworkId: string, executorId: string, status?: number): void;
  /** Resolves with the first message of `kind` (received at or after `from`, default 0) that matches. */
  waitFor<K extends Kind>(kind: K, predicate?: (m: NonNullable<Envelope[K]>) => boolean, timeoutMs?: number, from?: number): Promise<NonNullable<Envelope[K]>>;
  /** Closes the WebSocket (the master sees a disconnection). */
  close(): Promise<void>;
  /** Opens a new connection and re-registers with the same id; resolves with the answer. */
  reconnect(options?: Partial<Pick<AgentOptions, 'tasks' | 'frameworks' | 'executors'>>): Promise<Envelope>;
}

function wsUrl(masterUrl: string): string {
  return `${masterUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/maestro/agent/v1`;
}

export class RegistrationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationRefusedError';
  }
}

export async function connectAgent(options: AgentOptions): Promise<TestAgent> {
  const received: Envelope[] = [];
  const waiters = new Set<() => void>();
  let ws: WebSocket;
  let agentId = options.agentId ?? '';
  let registration: Envelope | undefined;
  const info = (): mesos.v1.AgentInfo => {
    const i: mesos.v1.AgentInfo = {
      hostname: options.hostname,
      resources: Resources.parse(options.resources).toProto(),
      attributes: options.attributes ?? [],
    };
    if (options.domain !== undefined) i.domain = options.domain;
    if (agentId !== '') i.id = { value: agentId };
    return i;
  };

  const agent: TestAgent = {
    get agentId() { return agentId; },
    received,
    all(kind) {
      return received.map((e) => e[kind]).filter((m) => m !== undefined) as never;
    },
    get registration() { return registration!; },
    answerPings: true,
    send(envelope) {
      ws.send(envelopeCodec.encode(envelope), { binary: true });
    },
    sendStatus(frameworkId, taskId, state, extra = {}) {
      const uuid = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64');
      agent.send({
        status_update: {
          framework_id: { value: frameworkId },
          status: { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', agent_id: { value: agentId }, uuid, timestamp: Date.now() / 1000, ...extra },
        },
      });
      return uuid;
    },
    sendExecutorExited(frameworkId, executorId, status) {
      const exited: maestro.agent.ExecutorExited = { framework_id: { value: frameworkId }, executor_id: { value: executorId } };
      if (status !== undefined) exited.status = status;
      agent.send({ executor_exited: exited });
    },
    waitFor(kind, predicate = () => true, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = from; i < received.length; i++) {
            const m = received[i][kind];
            if (m !== undefined && predicate(m as never)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(m as never);
              return true;
            }
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`agent ${options.hostname}: no ${String(kind)} within ${timeoutMs} ms; got ${received.map((e) => Object.keys(e)[0]).join(', ')}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      });
    },
    async reconnect(extra = {}) {
      await agent.close();
      return open({
        reregister_agent: {
          agent_info: info(), version: options.version ?? 'test', tasks: extra.tasks ?? options.tasks ?? [],
          frameworks: extra.frameworks ?? options.frameworks ?? [], executors: extra.executors ?? options.executors ?? [],
          token: options.token, endpoint: options.endpoint,
        },
      });
    },
  };

  const open = (hello: Envelope) => new Promise<Envelope>((resolve, reject) => {
    ws = new WebSocket(wsUrl(options.masterUrl));
    let settled = false;
    ws.on('open', () => agent.send(hello));
    ws.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
    ws.on('close', () => { if (!settled) { settled = true; reject(new Error('connection closed before registration')); } });
    ws.on('message', (data: Buffer) => {
      const env = envelopeCodec.decode(data);
      received.push(env);
      if (env.ping !== undefined && agent.answerPings) agent.send({ pong: { sequence: env.ping.sequence } });
      if (!settled) {
        if (env.agent_registered !== undefined || env.agent_reregistered !== undefined) {
          settled = true;
          agentId = (env.agent_registered ?? env.agent_reregistered)!.agent_id.value;
          registration = env;
          resolve(env);
        } else if (env.registration_refused !== undefined) {
          settled = true;
          reject(new RegistrationRefusedError(env.registration_refused.message));
        }
      }
      for (const w of [...waiters]) w();
    });
  });

  if (options.agentId === undefined) {
    await open({ register_agent: { agent_info: info(), version: options.version ?? 'test', token: options.token, endpoint: options.endpoint } });
  } else {
    await open({
      reregister_agent: {
        agent_info: info(), version: options.version ?? 'test', tasks: options.tasks ?? [], frameworks: options.frameworks ?? [],
        executors: options.executors ?? [], token: options.token, endpoint: options.endpoint,
      },
    });
  }
  return agent;
}
