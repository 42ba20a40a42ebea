/**
 * The master core's own ports: it names things only through `IdGenerator` and reaches agents only
 * through the `AgentConnection` each agent arrives on (master/agent-link.ts makes them from
 * WebSockets); time, timers and logging come through common/ports.ts. Tests drive all of them with
 * fakes, `main.ts` wires the real ones.
 *
 * Id formats follow Mesos: the master has a UUID id; a framework id is `<master>-NNNN` (four
 * digits, zero padded), an agent id `<master>-S<n>`, an offer id `<master>-O<n>`.
 */
import { randomUUID } from 'node:crypto';
import type { AgentId, FrameworkId, OfferId } from '../common/ids.ts';
import { asAgentId, asFrameworkId, asOfferId } from '../common/ids.ts';
import type { maestro } from '../proto/types.generated.ts';

export interface IdGenerator {
  readonly masterId: string;
  frameworkId(): FrameworkId;
  agentId(): AgentId;
  offerId(): OfferId;
}

export type AgentEnvelope = maestro.agent.Envelope;

/**
 * One agent's link to the master (master/agent-link.ts: a WebSocket). The master binds it to an
 * agent id when the agent registers; an agent that is not connected simply misses messages (it
 * re-registers and the master reconciles).
 */
export interface AgentConnection {
  /** Distinguishes connections in logs. */
  readonly id: number;
  /** The peer's IP address, when the transport knows it (for the agent's Mesos-style pid). */
  readonly remoteAddress?: string;
  send(envelope: AgentEnvelope): void;
  /** Drops the connection (refused registration, a newer connection of the same agent, shutdown). Idempotent. */
  close(reason: string): void;
}

export function createIdGenerator(masterId: string = randomUUID()): IdGenerator {
  let frameworks = 0;
  let agents = 0;
  let offers = 0;
  return {
    masterId,
    frameworkId: () => asFrameworkId(`${masterId}-${String(frameworks++).padStart(4, '0')}`),
    agentId: () => asAgentId(`${masterId}-S${agents++}`),
    offerId: () => asOfferId(`${masterId}-O${offers++}`),
  };
}
