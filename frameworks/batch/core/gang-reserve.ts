/**
 * Gang priority (pure): a parallel run at the head of the queue that has waited `reserveAfterMs`
 * holds back the offers it could use, so smaller runs behind it cannot keep taking the resources
 * it needs one by one (starvation). Mesos and Slurm call the safe kind of this backfill: a run
 * behind the head may still launch, but only on offers the head could not use, so it never
 * delays the head.
 *
 * "Could use" counts what this framework's own unfinished tasks hold on the agent as well: an
 * agent whose free resources plus ours would fit one of the head's tasks is held back, because
 * once our tasks there end the head can have it. Other frameworks' use is not known here.
 */
import type { OfferPool } from '../../../marathon/placement/offer-pool.ts';

/** The scalars of one task. */
export interface TaskScalars {
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
}

const KEYS = ['cpus', 'mem', 'disk', 'gpus'] as const;

/** Per agent, what our unfinished tasks hold there. */
export function usageByAgent(tasks: Iterable<{ readonly agentId: string | undefined; readonly scalars: TaskScalars }>): Map<string, TaskScalars> {
  const out = new Map<string, TaskScalars>();
  for (const t of tasks) {
    if (t.agentId === undefined) continue;
    const u = out.get(t.agentId) ?? { cpus: 0, mem: 0, disk: 0, gpus: 0 };
    out.set(t.agentId, { cpus: u.cpus + t.scalars.cpus, mem: u.mem + t.scalars.mem, disk: u.disk + t.scalars.disk, gpus: u.gpus + t.scalars.gpus });
  }
  return out;
}

/** The agents of `pools` whose offered resources plus our usage there fit one task of `head`: runs behind the head do not get them. */
export function reservedAgents(head: TaskScalars, pools: readonly OfferPool[], usage: ReadonlyMap<string, TaskScalars>): Set<string> {
  const out = new Set<string>();
  for (const p of pools) {
    const ours = usage.get(p.agent.agentId);
    if (KEYS.every((k) => p.remaining.scalar(k) + (ours?.[k] ?? 0) >= head[k])) out.add(p.agent.agentId);
  }
  return out;
}

/** Whether a gang run that has been ready since `readySince` (epoch ms) holds offers back at `now`. */
export function holdsOffers(parallelism: number, readySince: number, now: number, reserveAfterMs: number): boolean {
  return parallelism > 1 && now - readySince >= reserveAfterMs;
}
