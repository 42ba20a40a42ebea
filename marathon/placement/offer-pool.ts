/**
 * An offer as placement sees it: the agent's facts (hostname, attributes in Marathon's text form,
 * fault domain) and the resources still free after the instances already placed on it in this
 * offer round. A pool is immutable: placing an instance returns a new pool with less in it, so one
 * offer can hold many instances and nothing is used twice.
 *
 * Attribute text form (what constraints compare, and what an Instance keeps): Marathon's, as it
 * formats Mesos attributes: TEXT as is, SCALAR as Java's default NumberFormat prints it (grouping,
 * at most three decimals: `1,234.5`), RANGES as `[b-e,b-e]` sorted, SET as `{a,b}` sorted. Pure.
 */
import { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';

export interface AgentFacts {
  readonly agentId: string;
  readonly hostname: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly zone?: string;
}

/** A Mesos maintenance window, in nanoseconds since the epoch (Mesos `Unavailability`). */
export interface Unavailability {
  readonly startNanos: number;
  readonly durationNanos?: number;
}

export interface OfferPool {
  readonly offerId: string;
  readonly agent: AgentFacts;
  /** What is still free (all of the offer before the first placement). */
  readonly remaining: Resources;
  /** The role the offer is allocated to (Mesos multi-role `allocation_info`), when the master said. */
  readonly allocationRole?: string;
  /** Whether the offer held GPUs at all (scarce-resource rule; placing GPU apps does not change it). */
  readonly offeredGpus: boolean;
  readonly unavailability?: Unavailability;
}

const scalarFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** One attribute's value in Marathon's text form (see the module header). */
export function attributeText(a: mesos.v1.Attribute): string {
  switch (a.type) {
    case 'SCALAR':
      return scalarFormat.format(a.scalar?.value ?? 0);
    case 'RANGES': {
      const list = [...(a.ranges?.range ?? [])].sort((x, y) => x.begin - y.begin);
      return `[${list.map((r) => `${r.begin}-${r.end}`).join(',')}]`;
    }
    case 'SET':
      return `{${[...(a.set?.item ?? [])].sort().join(',')}}`;
    case 'TEXT':
      return a.text?.value ?? '';
  }
}

export function attributesText(list: readonly mesos.v1.Attribute[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  // Mesos allows repeated names; Marathon reads the first one.
  for (const a of list ?? []) if (!(a.name in out)) out[a.name] = attributeText(a);
  return out;
}

/** The agent's facts from an offer (region and zone from its fault domain). */
export function agentFacts(offer: mesos.v1.Offer): AgentFacts {
  const domain = offer.domain?.fault_domain;
  const facts: { -readonly [K in keyof AgentFacts]: AgentFacts[K] } = {
    agentId: offer.agent_id.value,
    hostname: offer.hostname,
    attributes: attributesText(offer.attributes),
  };
  if (domain?.region?.name) facts.region = domain.region.name;
  if (domain?.zone?.name) facts.zone = domain.zone.name;
  return facts;
}

function allocationRoleOf(offer: mesos.v1.Offer): string | undefined {
  return offer.allocation_info?.role ?? offer.resources?.find((r) => r.allocation_info?.role)?.allocation_info?.role ?? undefined;
}

/** Builds the pool of a fresh offer. Throws `ResourceError` on invalid resources (a master never offers those). */
export function createOfferPool(offer: mesos.v1.Offer): OfferPool {
  const remaining = Resources.fromProto(offer.resources);
  const pool: { -readonly [K in keyof OfferPool]: OfferPool[K] } = {
    offerId: offer.id.value,
    agent: agentFacts(offer),
    remaining,
    offeredGpus: remaining.scalar('gpus') > 0,
  };
  const role = allocationRoleOf(offer);
  if (role !== undefined) pool.allocationRole = role;
  const u = offer.unavailability;
  if (u?.start !== undefined && u.start !== null) {
    pool.unavailability = u.duration?.nanoseconds !== undefined && u.duration.nanoseconds !== null
      ? { startNanos: u.start.nanoseconds, durationNanos: u.duration.nanoseconds }
      : { startNanos: u.start.nanoseconds };
  }
  return pool;
}

/** The same pool with `used` taken out (`used` must be contained: it comes from a match on this pool). */
export function withoutResources(pool: OfferPool, used: Resources): OfferPool {
  return { ...pool, remaining: pool.remaining.minus(used) };
}
