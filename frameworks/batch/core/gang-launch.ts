/**
 * Placing a run's tasks and building them (pure). A run of `parallelism` N starts only when all N
 * tasks fit in the offers at hand (gang scheduling across agents): the tasks are placed one after
 * another over the offer pools through the placement pipeline (marathon/placement/, the same
 * filters and reasons as Marathon apps), and if one does not fit, none is launched and the pools
 * are left as they were, so a partial start never holds resources.
 *
 * Every task gets one host port (`PORT0`, `PORT`), its index and the count
 * (`MAESTRO_TASK_INDEX`, `MAESTRO_TASK_COUNT`) and its peers' addresses, index order
 * (`MAESTRO_PEERS=host:port,...`), so the tasks of a parallel job can find each other.
 */
import type { mesos } from '../../../proto/types.generated.ts';
import type { Constraint } from '../../../marathon/model.ts';
import type { OfferPool } from '../../../marathon/placement/offer-pool.ts';
import { placeDemand, type Match, type PlacedInstance, type PlacementDemand, type RejectReason } from '../../../marathon/placement/place-instance.ts';
import type { JobConstraint, JobSpec } from '../model.ts';

/** Metronome's EQ is Marathon's IS; the other operators (LIKE, UNLIKE, UNIQUE, ...) mean the same in both. */
export function toPlacementConstraint(c: JobConstraint): Constraint {
  const op = c.operator.toUpperCase() === 'EQ' ? 'IS' : c.operator.toUpperCase();
  return c.value === undefined ? [c.attribute, op] : [c.attribute, op, c.value];
}

export function jobDemand(job: JobSpec, role: string): PlacementDemand {
  const r = job.run;
  return {
    role,
    constraints: r.placement.constraints.map(toPlacementConstraint),
    cpus: r.cpus,
    mem: r.mem,
    disk: r.disk,
    gpus: r.gpus,
    hostPorts: [0],
    resident: false,
    labels: job.labels,
  };
}

export interface TaskPlacement {
  readonly index: number;
  readonly offerId: string;
  readonly match: Match;
}

export type GangResult =
  | { readonly ok: true; readonly placements: readonly TaskPlacement[]; readonly pools: readonly OfferPool[] }
  | { readonly ok: false; readonly reasons: readonly RejectReason[] };

/** Places all `count` tasks over `pools` (in order), or none. */
export function placeGang(demand: PlacementDemand, count: number, pools: readonly OfferPool[]): GangResult {
  const next = [...pools];
  const placed: PlacedInstance[] = [];
  const placements: TaskPlacement[] = [];
  const reasons = new Set<RejectReason>();
  for (let index = 0; index < count; index++) {
    let done = false;
    for (let k = 0; k < next.length && !done; k++) {
      const r = placeDemand(demand, next[k], placed);
      if (!r.ok) {
        r.reasons.forEach((x) => reasons.add(x));
        continue;
      }
      next[k] = r.pool;
      const m = r.match;
      placed.push({ agentId: m.agentId, hostname: m.hostname, attributes: m.attributes, ...(m.region === undefined ? {} : { region: m.region }), ...(m.zone === undefined ? {} : { zone: m.zone }) });
      placements.push({ index, offerId: next[k].offerId, match: m });
      done = true;
    }
    if (!done) return { ok: false, reasons: [...reasons] };
  }
  return { ok: true, placements, pools: next };
}

export interface RunTaskIds {
  readonly jobId: string;
  readonly runId: string;
  /** Per index. */
  readonly taskIds: readonly string[];
}

/** The TaskInfos of a placed run, in index order. */
export function buildRunTasks(job: JobSpec, ids: RunTaskIds, placements: readonly TaskPlacement[]): mesos.v1.TaskInfo[] {
  const peers = placements.map((p) => `${p.match.hostname}:${p.match.hostPorts[0]}`).join(',');
  const r = job.run;
  return placements.map((p) => {
    const port = p.match.hostPorts[0];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.env)) if (typeof v === 'string') env[k] = v;
    Object.assign(env, {
      MAESTRO_JOB_ID: job.id,
      MAESTRO_RUN_ID: ids.runId,
      MAESTRO_TASK_INDEX: String(p.index),
      MAESTRO_TASK_COUNT: String(placements.length),
      MAESTRO_PEERS: peers,
      HOST: p.match.hostname,
      PORT0: String(port),
      PORT: String(port),
    });
    const command: mesos.v1.CommandInfo = {
      environment: { variables: Object.entries(env).map(([name, value]) => ({ name, value })) },
      uris: r.artifacts.map((a) => ({ value: a.uri, executable: a.executable, extract: a.extract, cache: a.cache })),
    };
    if (r.cmd !== undefined) {
      command.shell = true;
      command.value = r.cmd;
    } else {
      command.shell = false;
      if (r.args !== undefined && r.args.length > 0) {
        command.arguments = [...r.args];
        if (r.docker === undefined) command.value = r.args[0];
      }
    }
    if (r.user !== undefined) command.user = r.user;
    const volumes = r.volumes.map((v): mesos.v1.Volume => ({ container_path: v.containerPath, host_path: v.hostPath, mode: v.mode }));
    const task: mesos.v1.TaskInfo = {
      name: job.id,
      task_id: { value: ids.taskIds[p.index] },
      agent_id: { value: p.match.agentId },
      resources: p.match.resources,
      command,
      labels: { labels: Object.entries(job.labels).map(([key, value]) => ({ key, value })) },
    };
    if (r.docker !== undefined) {
      task.container = { type: 'DOCKER', docker: { image: r.docker.image, force_pull_image: r.docker.forcePullImage }, volumes };
    } else if (volumes.length > 0) {
      task.container = { type: 'MESOS', volumes };
    }
    if (r.taskKillGracePeriodSeconds !== undefined) task.kill_policy = { grace_period: { nanoseconds: r.taskKillGracePeriodSeconds * 1e9 } };
    return task;
  });
}
