/**
 * Decline filters (Mesos `RefusedOfferFilter`): after a DECLINE or an ACCEPT with
 * `filters.refuse_seconds`, the framework is not offered, on that agent and for that role,
 * resources contained in what it gave back, until the filter expires or the framework revives.
 * Rules: absent refuse_seconds = 5 s (Mesos default), negative or not a number = the default,
 * 0 = no filter, longer than a year = a year. Filters live in `FrameworkState.filters`
 * (role -> agent -> list); expiry is checked against `now` (ms), and expired ones are pruned
 * once per full cycle.
 */
import type { AgentId } from '../../common/ids.ts';
import type { Resources } from '../../common/resources/resources.ts';
import type { FrameworkState } from './allocator-state.ts';

/** Mesos' default `Filters.refuse_seconds`. */
export const DEFAULT_REFUSE_SECONDS = 5;
/** Longest decline filter kept. */
export const MAX_REFUSE_SECONDS = 365 * 24 * 3600;

/** The filter duration in seconds for a given refuse_seconds (0: no filter). */
export function refuseSecondsOf(refuseSeconds: number | undefined): number {
  let seconds = refuseSeconds ?? DEFAULT_REFUSE_SECONDS;
  if (!(seconds >= 0)) seconds = DEFAULT_REFUSE_SECONDS;
  return Math.min(seconds, MAX_REFUSE_SECONDS);
}

/** Adds a filter on `declined` (unallocated form) for the framework, role and agent. */
export function addDeclineFilter(fw: FrameworkState, role: string, agentId: AgentId, declined: Resources, seconds: number, now: number): void {
  if (seconds <= 0) return;
  let byAgent = fw.filters.get(role);
  if (byAgent === undefined) fw.filters.set(role, (byAgent = new Map()));
  const f = { resources: declined, expiresAt: now + seconds * 1000 };
  const list = byAgent.get(agentId);
  if (list === undefined) byAgent.set(agentId, [f]);
  else list.push(f);
}

/** Whether a live filter of the framework for this role and agent contains `offer`. */
export function isFiltered(fw: FrameworkState, role: string, agentId: AgentId, offer: Resources, now: number): boolean {
  if (fw.filters.size === 0) return false;
  const fs = fw.filters.get(role)?.get(agentId);
  if (fs === undefined) return false;
  for (const f of fs) if (now < f.expiresAt && f.resources.contains(offer)) return true;
  return false;
}

/** Drops the framework's expired filters (allocating nothing when none expired). */
export function expireFilters(fw: FrameworkState, now: number): void {
  for (const [role, byAgent] of fw.filters) {
    for (const [aid, list] of byAgent) {
      let expired = 0;
      for (const f of list) if (now >= f.expiresAt) expired++;
      if (expired === 0) continue;
      if (expired === list.length) byAgent.delete(aid);
      else byAgent.set(aid, list.filter((f) => now < f.expiresAt));
    }
    if (byAgent.size === 0) fw.filters.delete(role);
  }
}
