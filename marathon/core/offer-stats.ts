/**
 * Why offers did not fit an app, for `/v2/queue` (`processedOffersSummary`, `lastUnusedOffers`):
 * per reason, the offers it was the first to reject since the app started waiting, and the last few
 * unused offers with their reasons. Cleared when the app stops waiting.
 */
import type { OfferStats, PathId, Timestamp } from '../model.ts';
import type { OfferRoundResult } from './offer-round.ts';

const LAST_UNUSED = 10;

/**
 * Marathon's filter order: an offer counts as declined by the first reason in this order that
 * rejected it, and as processed by every filter before that (`rejectSummaryLastOffers` funnel).
 */
export const REASON_ORDER = [
  'UnfulfilledRole', 'UnfulfilledConstraint', 'NoCorrespondingReservationFound', 'AgentMaintenance',
  'InsufficientCpus', 'InsufficientMemory', 'InsufficientDisk', 'InsufficientGpus', 'InsufficientPorts',
  'DeclinedScarceResources',
] as const;

const rank = (reason: string): number => {
  const i = (REASON_ORDER as readonly string[]).indexOf(reason);
  return i < 0 ? REASON_ORDER.length : i;
};

/** The funnel of `processedOffersSummary.rejectSummaryLastOffers`: per reason, offers it saw and declined. */
export function rejectFunnel(stats: OfferStats): { reason: string; declined: number; processed: number }[] {
  let processed = stats.processedOffersCount;
  return REASON_ORDER.map((reason) => {
    const declined = stats.rejectSummary[reason] ?? 0;
    const row = { reason, declined, processed };
    processed -= declined;
    return row;
  });
}

export interface OfferStatsBook {
  record(round: OfferRoundResult, now: Timestamp): void;
  of(appId: PathId): OfferStats;
  clear(appId: PathId): void;
}

interface Entry {
  processed: number;
  unused: number;
  lastUnusedAt?: Timestamp;
  lastUsedAt?: Timestamp;
  reasons: Map<string, number>;
  last: OfferStats['lastUnusedOffers'][number][];
}

export function createOfferStats(): OfferStatsBook {
  const book = new Map<PathId, Entry>();
  const entry = (appId: PathId): Entry => {
    let e = book.get(appId);
    if (!e) {
      e = { processed: 0, unused: 0, reasons: new Map(), last: [] };
      book.set(appId, e);
    }
    return e;
  };
  return {
    record(round, now) {
      for (const [appId, n] of round.used) {
        const e = entry(appId);
        e.processed += n;
        e.lastUsedAt = now;
      }
      for (const r of round.rejections) {
        const e = entry(r.appId);
        e.processed += 1;
        e.unused += 1;
        e.lastUnusedAt = now;
        const first = [...r.reasons].sort((a, b) => rank(a) - rank(b))[0];
        if (first !== undefined) e.reasons.set(first, (e.reasons.get(first) ?? 0) + 1);
        e.last.push({ offerId: r.offerId, agentId: r.agentId, hostname: r.hostname, reasons: r.reasons, timestamp: now });
        if (e.last.length > LAST_UNUSED) e.last.shift();
      }
    },
    of(appId) {
      const e = book.get(appId);
      if (!e) return { processedOffersCount: 0, unusedOffersCount: 0, rejectSummary: {}, lastUnusedOffers: [] };
      return {
        processedOffersCount: e.processed,
        unusedOffersCount: e.unused,
        ...(e.lastUnusedAt === undefined ? {} : { lastUnusedOfferAt: e.lastUnusedAt }),
        ...(e.lastUsedAt === undefined ? {} : { lastUsedOfferAt: e.lastUsedAt }),
        rejectSummary: Object.fromEntries(e.reasons),
        lastUnusedOffers: [...e.last],
      };
    },
    clear(appId) {
      book.delete(appId);
    },
  };
}
