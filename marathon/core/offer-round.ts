/**
 * One round of offer matching (pure): the offers that arrived together against the apps that
 * want instances. Each offer is a pool; apps take instances from it one at a time through the
 * placement pipeline (marathon/placement/) until it fits no more, so one offer can carry many
 * tasks and constraints see the instances placed earlier in the same round.
 *
 * Invariants: an app never gets more new instances than it asked for; every offer is either
 * launched on (with at least one task) or declined; every rejected try leaves its reasons in
 * `rejections` (what `/v2/queue` reports).
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition, Instance, PathId, Timestamp } from '../model.ts';
import { createOfferPool } from '../placement/offer-pool.ts';
import { placeInstance, type PlacedInstance } from '../placement/place-instance.ts';
import { buildTaskInfo } from '../launch/task-info.ts';
import { instanceIds } from './task-ids.ts';

export interface LaunchWant {
  readonly app: AppDefinition;
  readonly count: number;
}

export interface OfferLaunch {
  readonly offerId: string;
  readonly agentId: string;
  readonly taskInfos: readonly mesos.v1.TaskInfo[];
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
}

export function matchOffers(input: OfferRoundInput): OfferRoundResult {
  const left = new Map(input.wants.map((w) => [w.app.id, w.count]));
  const placed = new Map<PathId, PlacedInstance[]>();
  for (const w of input.wants) placed.set(w.app.id, [...(input.placed.get(w.app.id) ?? [])]);
  const launches: OfferLaunch[] = [];
  const declined: string[] = [];
  const rejections: OfferRejection[] = [];
  const used = new Map<PathId, number>();

  for (const offer of input.offers) {
    let pool = createOfferPool(offer);
    const taskInfos: mesos.v1.TaskInfo[] = [];
    const instances: Instance[] = [];
    for (const want of input.wants) {
      const app = want.app;
      let took = false;
      while ((left.get(app.id) ?? 0) > 0) {
        const r = placeInstance(app, pool, placed.get(app.id) ?? []);
        if (!r.ok) {
          rejections.push({ appId: app.id, offerId: offer.id.value, agentId: offer.agent_id.value, hostname: offer.hostname, reasons: r.reasons });
          break;
        }
        const ids = instanceIds(app.id, input.newId());
        const m = r.match;
        taskInfos.push(buildTaskInfo(app, { taskId: ids.taskId }, m));
        instances.push({
          instanceId: ids.instanceId,
          taskId: ids.taskId,
          appId: app.id,
          version: app.version,
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
        placed.get(app.id)?.push({ agentId: m.agentId, hostname: m.hostname, attributes: m.attributes, ...(m.region === undefined ? {} : { region: m.region }), ...(m.zone === undefined ? {} : { zone: m.zone }) });
        left.set(app.id, (left.get(app.id) ?? 0) - 1);
        pool = r.pool;
        took = true;
      }
      if (took) used.set(app.id, (used.get(app.id) ?? 0) + 1);
    }
    if (taskInfos.length > 0) launches.push({ offerId: offer.id.value, agentId: offer.agent_id.value, taskInfos, instances });
    else declined.push(offer.id.value);
  }
  return { launches, declined, rejections, used };
}
