/**
 * Does one more instance of an app fit on an offer, and with which resources? The pipeline, wired
 * here and nowhere else; every step that says no gives a reason (Marathon's `NoOfferMatchReason`
 * names), all steps run, and the reasons come back in Marathon's funnel order:
 *
 *   role         the offer is allocated to the app's role, and holds resources of an accepted role
 *   constraints  every constraint holds against the app's placed instances (constraints.ts)
 *   reservation  resident apps (persistent volumes) need reservations: not supported, never fit
 *   maintenance  the agent is not in (or draining towards) a maintenance window   [needs `now`]
 *   scalars      cpus, mem, disk, gpus from the usable resources (frameworks/sdk matchOffer)
 *   ports        the declared host ports from the usable port ranges (port-match.ts)
 *   scarce       GPU agents are kept for GPU apps   [gpuSchedulingBehavior or app label 'restricted']
 *
 * The pipeline reads a `PlacementDemand` (what one instance asks of an offer); `placeInstance`
 * asks it for an app's task, marathon/placement/place-pod.ts for a pod's task group.
 *
 * Invariants: a match takes only resources the pool holds (no port or scalar is used twice across
 * repeated placements on the returned pools); the same inputs give the same answer. Pure.
 */
import { matchOffer } from '../../frameworks/sdk/offer-matching.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition, Constraint } from '../model.ts';
import { declaredPorts } from './app-ports.ts';
import { unmetConstraints } from './constraints.ts';
import { withoutResources, type OfferPool } from './offer-pool.ts';
import { matchPorts } from './port-match.ts';
import { usableResources } from './resource-roles.ts';

/** Marathon's reasons, in its funnel order (the first one is "the" reason of a miss). */
export const REJECT_REASONS = [
  'UnfulfilledRole',
  'UnfulfilledConstraint',
  'NoCorrespondingReservationFound',
  'AgentMaintenance',
  'InsufficientCpus',
  'InsufficientMemory',
  'InsufficientDisk',
  'InsufficientGpus',
  'InsufficientPorts',
  'DeclinedScarceResources',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** An instance that counts for constraints (a `Match` is one too). */
export interface PlacedInstance {
  readonly agentId: string;
  readonly hostname: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly zone?: string;
}

export interface Match {
  readonly agentId: string;
  readonly hostname: string;
  /** The role the instance's resources are allocated to (the app's role). */
  readonly role: string;
  /** Exactly what the instance takes, as offered (reservations and allocation info kept). */
  readonly resources: mesos.v1.Resource[];
  /** Host ports of the declared ports that asked for one, in declaration order (app-ports.ts). */
  readonly hostPorts: number[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly zone?: string;
}

export type PlacementResult =
  | { readonly ok: true; readonly match: Match; readonly pool: OfferPool }
  | { readonly ok: false; readonly reasons: readonly RejectReason[] };

export interface PlacementOptions {
  /** Now, in ms since the epoch: maintenance windows are checked only when given. */
  readonly now?: number;
  /** Marathon's `--draining_seconds`: decline this long before a window starts (default 0). */
  readonly drainingSeconds?: number;
  /** Marathon's `--gpu_scheduling_behavior` (default 'undefined': GPU agents take any app). */
  readonly gpuSchedulingBehavior?: 'undefined' | 'restricted' | 'unrestricted';
}

/** What one instance asks of an offer, whatever launches it (an app's task, a pod's task group). */
export interface PlacementDemand {
  /** The role its resources are allocated to. */
  readonly role: string;
  /** Empty or absent: `*` and `role` (resource-roles.ts). */
  readonly acceptedResourceRoles?: readonly string[];
  readonly constraints: readonly Constraint[];
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
  /** Host port requests in declaration order: N exactly N, 0 any offered port. */
  readonly hostPorts: readonly number[];
  /** Needs reservations made for it (persistent volumes, residency): never fits here. */
  readonly resident: boolean;
  /** Labels that steer placement (`GPU_SCHEDULING_BEHAVIOR`). */
  readonly labels: Readonly<Record<string, string>>;
}

/** An app's instance as a demand: its resources, constraints and declared host ports. */
export function appDemand(app: AppDefinition): PlacementDemand {
  const demand: { -readonly [K in keyof PlacementDemand]: PlacementDemand[K] } = {
    role: app.role,
    constraints: app.constraints,
    cpus: app.cpus,
    mem: app.mem,
    disk: app.disk,
    gpus: app.gpus,
    hostPorts: declaredPorts(app).flatMap((p) => (p.hostPort === undefined ? [] : [p.hostPort])),
    resident: (app.container?.volumes ?? []).some((v) => v.persistent !== undefined) || app.residency !== undefined,
    labels: app.labels,
  };
  if (app.acceptedResourceRoles !== undefined) demand.acceptedResourceRoles = app.acceptedResourceRoles;
  return demand;
}

interface Step {
  readonly demand: PlacementDemand;
  readonly pool: OfferPool;
  readonly usable: Resources;
}

// --- filters: each a one-line rule ---------------------------------------------------------

/** The offer belongs to another role, or nothing left in it is of a role the app accepts. */
function roleFilter({ demand, pool, usable }: Step): boolean {
  if (pool.allocationRole !== undefined && pool.allocationRole !== demand.role) return false;
  return pool.remaining.isEmpty() || !usable.isEmpty();
}

/** Persistent volumes need a reservation made for the instance; this scheduler makes none. */
function reservationFilter({ demand }: Step): boolean {
  return !demand.resident;
}

/** Marathon's maintenance rule: no offers from `drainingSeconds` before a window until its end. */
function maintenanceFilter({ pool }: Step, options: PlacementOptions): boolean {
  const u = pool.unavailability;
  if (u === undefined || options.now === undefined) return true;
  const nowNanos = options.now * 1e6;
  if (nowNanos < u.startNanos - (options.drainingSeconds ?? 0) * 1e9) return true;
  return u.durationNanos !== undefined && u.startNanos + u.durationNanos < nowNanos;
}

/**
 * Under 'restricted', an app without GPUs does not take an agent that has them; an app's label
 * `GPU_SCHEDULING_BEHAVIOR` (restricted | unrestricted) overrides the flag, as in Marathon.
 */
function scarceFilter({ demand, pool }: Step, options: PlacementOptions): boolean {
  const label = demand.labels.GPU_SCHEDULING_BEHAVIOR;
  const behavior = label === 'restricted' || label === 'unrestricted' ? label : options.gpuSchedulingBehavior;
  return !(behavior === 'restricted' && demand.gpus === 0 && pool.offeredGpus);
}

const SCALAR_REASON: Readonly<Record<string, RejectReason>> = {
  INSUFFICIENT_CPUS: 'InsufficientCpus',
  INSUFFICIENT_MEM: 'InsufficientMemory',
  INSUFFICIENT_DISK: 'InsufficientDisk',
  INSUFFICIENT_GPUS: 'InsufficientGpus',
};

/** cpus, mem, disk, gpus through the SDK's matcher, on the usable resources only. */
function fitScalars({ demand, pool, usable }: Step): { take: Resources } | { reasons: RejectReason[] } {
  const offer: mesos.v1.Offer = {
    id: { value: pool.offerId },
    framework_id: { value: '' },
    agent_id: { value: pool.agent.agentId },
    hostname: pool.agent.hostname,
    resources: usable.filter((e) => e.kind === 'SCALAR').toProto(),
  };
  const m = matchOffer(offer, { scalars: { cpus: demand.cpus, mem: demand.mem, disk: demand.disk, gpus: demand.gpus } });
  if (m.ok) return { take: m.take };
  return { reasons: m.reasons.map((r) => SCALAR_REASON[r.slice(0, r.indexOf(':'))]).filter((r) => r !== undefined) };
}

/** Does one more instance of an app fit on the pool? */
export function placeInstance(
  app: AppDefinition,
  pool: OfferPool,
  placed: readonly PlacedInstance[],
  options: PlacementOptions = {},
): PlacementResult {
  return placeDemand(appDemand(app), pool, placed, options);
}

/** The pipeline (module header) for any demand. */
export function placeDemand(
  demand: PlacementDemand,
  pool: OfferPool,
  placed: readonly PlacedInstance[],
  options: PlacementOptions = {},
): PlacementResult {
  const step: Step = { demand, pool, usable: usableResources(demand, pool.remaining) };
  const reasons = new Set<RejectReason>();
  if (!roleFilter(step)) reasons.add('UnfulfilledRole');
  if (unmetConstraints(demand.constraints, pool.agent, placed).length > 0) reasons.add('UnfulfilledConstraint');
  if (!reservationFilter(step)) reasons.add('NoCorrespondingReservationFound');
  if (!maintenanceFilter(step, options)) reasons.add('AgentMaintenance');
  const scalars = fitScalars(step);
  if ('reasons' in scalars) for (const r of scalars.reasons) reasons.add(r);
  const ports = matchPorts(demand.hostPorts, step.usable);
  if (!ports.ok) reasons.add('InsufficientPorts');
  if (!scarceFilter(step, options)) reasons.add('DeclinedScarceResources');

  if (reasons.size > 0 || !('take' in scalars) || !ports.ok) {
    return { ok: false, reasons: REJECT_REASONS.filter((r) => reasons.has(r)) };
  }
  const take = Resources.of([...scalars.take.entries, ...ports.take]);
  const agent = pool.agent;
  const match: { -readonly [K in keyof Match]: Match[K] } = {
    agentId: agent.agentId,
    hostname: agent.hostname,
    role: demand.role,
    resources: take.toProto(),
    hostPorts: [...ports.ports],
    attributes: agent.attributes,
  };
  if (agent.region !== undefined) match.region = agent.region;
  if (agent.zone !== undefined) match.zone = agent.zone;
  return { ok: true, match, pool: withoutResources(pool, take) };
}
