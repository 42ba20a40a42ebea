/**
 * One round of offer matching (pure): the offers that arrived together against the apps and pods
 * that want instances (an app instance is one task of a LAUNCH, a pod instance a LAUNCH_GROUP). Each offer is a pool; apps take instances from it one at a time through the
 * placement pipeline (marathon/placement/) until it fits no more, so one offer can carry many
 * tasks and constraints see the instances placed earlier in the same round.
 *
 * Invariants: an app never gets more new instances than it asked for; every offer is either
 * launched on (with at least one task) or declined; every rejected try leaves its reasons in
 * `rejections` (what `/v2/queue` reports).
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition, Instance, PathId, Timestamp } from '../model.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import { createOfferPool, type OfferPool } from '../placement/offer-pool.ts';
import { placeInstance, type Match, type PlacedInstance, type PlacementResult } from '../placement/place-instance.ts';
import { placePod } from '../placement/place-pod.ts';
import { buildTaskInfo } from '../launch/task-info.ts';
import { buildTaskGroup } from '../launch/task-group.ts';
import { instanceIds, podInstanceIds } from './task-ids.ts';

/** An app or a pod that wants `count` more instances. */
export type LaunchWant =
  | { readonly app: AppDefinition; readonly pod?: undefined; readonly count: number }
  | { readonly pod: PodDefinition; readonly app?: undefined; readonly count: number };

export interface OfferLaunch {
  readonly offerId: string;
  readonly agentId: string;
  /** LAUNCH (the apps' tasks, one operation) and LAUNCH_GROUP (one per pod instance). */
  readonly operations: readonly mesos.v1.Offer.Operation[];
  readonly instances: readonly Instance[];
}

export interface OfferRejection {
  readonly appId: PathId;
  readonly offerId: string;
  readonly agentId: string;
  readonly hostname: string;
  readonly reasons: readonly string[];
}

export interface OfferRoundResult {
  readonly launches: readonly OfferLaunch[];
  readonly declined: readonly string[];
  readonly rejections: readonly OfferRejection[];
  /** Apps that used at least one offer, with the count of offers they used. */
  readonly used: ReadonlyMap<PathId, number>;
}

export interface OfferRoundInput {
  readonly offers: readonly mesos.v1.Offer[];
  readonly wants: readonly LaunchWant[];
  /** Instances that count for each app's constraints (already placed). */
  readonly placed: ReadonlyMap<PathId, readonly PlacedInstance[]>;
  readonly newId: () => string;
  readonly now: Timestamp;
  /** The framework id (a pod's executor names it). */
  readonly frameworkId: string;
}

export function matchOffers(input: OfferRoundInput): OfferRoundResult {
  const idOf = (w: LaunchWant): PathId => (w.app ?? w.pod).id;
  const left = new Map(input.wants.map((w) => [idOf(w), w.count]));
  const placed = new Map<PathId, PlacedInstance[]>();
  for (const w of input.wants) placed.set(idOf(w), [...(input.placed.get(idOf(w)) ?? [])]);
  const launches: OfferLaunch[] = [];
  const declined: string[] = [];
  const rejections: OfferRejection[] = [];
  const used = new Map<PathId, number>();

  for (const offer of input.offers) {
    let pool: OfferPool = createOfferPool(offer);
    const taskInfos: mesos.v1.TaskInfo[] = [];
    const groups: mesos.v1.Offer.Operation[] = [];
    const instances: Instance[] = [];
    for (const want of input.wants) {
      const spec = want.app ?? want.pod;
      let took = false;
      while ((left.get(spec.id) ?? 0) > 0) {
        const r: PlacementResult = want.app !== undefined
          ? placeInstance(want.app, pool, placed.get(spec.id) ?? [])
          : placePod(want.pod, pool, placed.get(spec.id) ?? []);
        if (!r.ok) {
          rejections.push({ appId: spec.id, offerId: offer.id.value, agentId: offer.agent_id.value, hostname: offer.hostname, reasons: r.reasons });
          break;
        }
        const m: Match = r.match;
        let ids: { instanceId: string; taskId: string };
        let podTasks: Instance['podTasks'];
        if (want.app !== undefined) {
          ids = instanceIds(spec.id, input.newId());
          taskInfos.push(buildTaskInfo(want.app, { taskId: ids.taskId }, m));
        } else {
          const p = podInstanceIds(want.pod, input.newId());
          const built = buildTaskGroup(want.pod, { instanceId: p.instanceId, executorId: p.executorId, taskIds: p.taskIds }, m, input.frameworkId);
          groups.push({ type: 'LAUNCH_GROUP', launch_group: { executor: built.executor, task_group: built.taskGroup } });
          ids = { instanceId: p.instanceId, taskId: p.taskIds[0] };
          podTasks = want.pod.containers.map((c, k) => ({ taskId: p.taskIds[k], name: c.name }));
        }
        instances.push({
          instanceId: ids.instanceId,
          taskId: ids.taskId,
          ...(podTasks === undefined ? {} : { podTasks }),
          appId: spec.id,
          version: spec.version,
          condition: 'Provisioned',
          agentId: m.agentId,
          host: m.hostname,
          ports: m.hostPorts,
          ipAddresses: [],
          ...(m.region === undefined ? {} : { region: m.region }),
          ...(m.zone === undefined ? {} : { zone: m.zone }),
          attributes: m.attributes,
          role: m.role,
          stagedAt: input.now,
          healthCheckResults: [],
          goal: 'Running',
        });
        placed.get(spec.id)?.push({ agentId: m.agentId, hostname: m.hostname, attributes: m.attributes, ...(m.region === undefined ? {} : { region: m.region }), ...(m.zone === undefined ? {} : { zone: m.zone }) });
        left.set(spec.id, (left.get(spec.id) ?? 0) - 1);
        pool = r.pool;
        took = true;
      }
      if (took) used.set(spec.id, (used.get(spec.id) ?? 0) + 1);
    }
    const operations: mesos.v1.Offer.Operation[] = [
      ...(taskInfos.length > 0 ? [{ type: 'LAUNCH', launch: { task_infos: taskInfos } } as mesos.v1.Offer.Operation] : []),
      ...groups,
    ];
    if (operations.length > 0) launches.push({ offerId: offer.id.value, agentId: offer.agent_id.value, operations, instances });
    else declined.push(offer.id.value);
  }
  return { launches, declined, rejections, used };
}
