/**
 * Turning an allocator decision into a `mesos.v1.Offer`. Pure.
 *
 * - The master's own record of an offer (`buildOffer`, what the operator views show) always carries
 *   `allocation_info.role`, on the offer and on each resource, as Mesos keeps it.
 * - What a framework is sent (`offerForFramework`): the same for MULTI_ROLE frameworks; the others
 *   get it with the allocation info stripped, on the offer and its resources (Mesos does the same,
 *   and injects it back when such a framework accepts).
 * - `url` points at the agent's HTTP endpoint (`host:port`, as the agent reported it) with the
 *   Mesos agent path `/slave(1)`.
 */
import type { mesos } from '../proto/types.generated.ts';

type Resource = mesos.v1.Resource;

export interface OfferInput {
  readonly offerId: string;
  readonly frameworkId: string;
  readonly role: string;
  readonly agentId: string;
  readonly agentInfo: mesos.v1.AgentInfo;
  readonly agentEndpoint: string | undefined;
  /** Allocated resources (with allocation info). */
  readonly resources: readonly Resource[];
  readonly executorIds: readonly string[];
  /** The agent's machine is DRAINING (master/maintenance): when it becomes unavailable. */
  readonly unavailability?: mesos.v1.Unavailability;
}

export function stripAllocationInfo(list: readonly Resource[]): Resource[] {
  return list.map((r) => {
    if (r.allocation_info === undefined) return r;
    const { allocation_info: _dropped, ...rest } = r;
    return rest as Resource;
  });
}

export function agentUrl(agentInfo: mesos.v1.AgentInfo, endpoint: string | undefined): mesos.v1.URL {
  const m = endpoint === undefined ? null : /^(.*):(\d+)$/.exec(endpoint);
  const host = m ? m[1] : agentInfo.hostname;
  const port = m ? Number(m[2]) : agentInfo.port ?? 5051;
  const address: mesos.v1.Address = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? { hostname: agentInfo.hostname, ip: host, port } : { hostname: host, port };
  return { scheme: 'http', address, path: '/slave(1)' };
}

/** The master's record of an offer, with its allocation info. */
export function buildOffer(i: OfferInput): mesos.v1.Offer {
  const offer: mesos.v1.Offer = {
    id: { value: i.offerId },
    framework_id: { value: i.frameworkId },
    agent_id: { value: i.agentId },
    hostname: i.agentInfo.hostname,
    url: agentUrl(i.agentInfo, i.agentEndpoint),
    resources: [...i.resources],
    allocation_info: { role: i.role },
  };
  if ((i.agentInfo.attributes ?? []).length > 0) offer.attributes = [...i.agentInfo.attributes!];
  if (i.executorIds.length > 0) offer.executor_ids = i.executorIds.map((value) => ({ value }));
  if (i.agentInfo.domain !== undefined) offer.domain = i.agentInfo.domain;
  if (i.unavailability !== undefined) offer.unavailability = i.unavailability;
  return offer;
}

/** The offer as a framework receives it: without allocation info unless it is MULTI_ROLE. */
export function offerForFramework(offer: mesos.v1.Offer, multiRole: boolean): mesos.v1.Offer {
  if (multiRole) return offer;
  const { allocation_info: _dropped, ...rest } = offer;
  return { ...rest, resources: stripAllocationInfo(offer.resources ?? []) };
}
