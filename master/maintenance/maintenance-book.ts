/**
 * The master's maintenance books: the current `MaintenanceState` (maintenance.ts), the machine
 * each agent is on, and the inverse offers (outstanding ones and each framework's latest answer,
 * per agent). Plain data and lookups; no timers, no I/O. maintenance-effects.ts changes it and acts.
 *
 * Inverse offers (Mesos' allocator keeps these; here the master does):
 * - while an agent's machine is DRAINING, each framework with tasks or executors on it is sent one
 *   (INVERSE_OFFERS), its status UNKNOWN from then on;
 * - ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS set ACCEPT / DECLINE (with the time) and end
 *   the inverse offer; the next one is made after the call's `refuse_seconds` (default 5 s);
 * - the machine going UP or DOWN, or its unavailability changing, rescinds the outstanding ones
 *   and forgets the answers (Mesos clears them with the machine's draining).
 */
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { EMPTY_MAINTENANCE, machineKey, type InverseOfferStatus, type MachineID, type MachineMode, type MaintenanceState, type Unavailability } from './maintenance.ts';

export interface OutstandingInverseOffer {
  readonly id: string;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
}

const IPV4_LITERAL = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The machine of an agent, as Mesos forms it: the AgentInfo hostname and the IP the agent serves
 * on (the host of its reported `host:port` endpoint when that is an IPv4 address, else the address
 * its connection came from).
 */
export function agentMachineId(info: mesos.v1.AgentInfo, endpoint: string | undefined, remoteAddress: string | undefined): MachineID {
  const host = endpoint === undefined ? undefined : /^(.*):\d+$/.exec(endpoint)?.[1];
  let ip = host !== undefined && IPV4_LITERAL.test(host) ? host : remoteAddress;
  if (ip?.startsWith('::ffff:')) ip = ip.slice('::ffff:'.length);
  return ip === undefined ? { hostname: info.hostname } : { hostname: info.hostname, ip };
}

export class MaintenanceBook {
  state: MaintenanceState = EMPTY_MAINTENANCE;
  /** Outstanding inverse offers by id, and by `<agent>\0<framework>`. */
  readonly inverseOffers = new Map<string, OutstandingInverseOffer>();
  readonly outstanding = new Map<string, string>();
  /** Each framework's latest answer, per agent. */
  readonly statuses = new Map<AgentId, Map<FrameworkId, InverseOfferStatus>>();
  /** No new inverse offer to `<agent>\0<framework>` before this time (ms). */
  readonly refusedUntil = new Map<string, number>();
  /** The latest save to the store: saves are whole states, so they go one after another, in order. */
  saving: Promise<unknown> = Promise.resolve();

  get active(): boolean {
    return this.state.machines.size > 0;
  }

  modeOf(id: MachineID): MachineMode {
    return this.state.machines.get(machineKey(id))?.mode ?? 'UP';
  }

  /** The unavailability offers from this machine carry: its window's, while DRAINING. */
  unavailabilityOf(id: MachineID): Unavailability | undefined {
    if (this.state.machines.size === 0) return undefined;
    const m = this.state.machines.get(machineKey(id));
    return m?.mode === 'DRAINING' ? m.unavailability : undefined;
  }

  /** Forgets the inverse offers and answers of an agent; returns the outstanding ones (to rescind). */
  clearAgent(agentId: AgentId): OutstandingInverseOffer[] {
    const ended: OutstandingInverseOffer[] = [];
    for (const [id, o] of this.inverseOffers) {
      if (o.agentId !== agentId) continue;
      this.inverseOffers.delete(id);
      this.outstanding.delete(pairKey(o.agentId, o.frameworkId));
      ended.push(o);
    }
    this.statuses.delete(agentId);
    for (const key of [...this.refusedUntil.keys()]) if (key.startsWith(`${agentId}\u0000`)) this.refusedUntil.delete(key);
    return ended;
  }

  setStatus(agentId: AgentId, frameworkId: FrameworkId, status: InverseOfferStatus): void {
    let m = this.statuses.get(agentId);
    if (m === undefined) this.statuses.set(agentId, (m = new Map()));
    m.set(frameworkId, status);
  }
}

export function pairKey(agentId: AgentId, frameworkId: FrameworkId): string {
  return `${agentId}\u0000${frameworkId}`;
}
