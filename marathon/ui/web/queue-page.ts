/**
 * `#/queue`: the apps waiting to launch (Marathon's launch queue) and why they are not placed:
 * how many offers marathon looked at and left unused, the rejection funnel of
 * `processedOffersSummary` (per reason, the offers it was the first to decline), the last unused
 * offers with their reasons, and the backoff delay (with "Reset delay": DELETE
 * /v2/queue/{id}/delay). Live from the UI's queue feed (`/ui/feed/queue`, SSE): offer rounds
 * change the figures without any Marathon event.
 */
import { fetchJson, refusal, type Json } from '../../../common/ui/web/api.ts';
import { h, replaceChildren } from '../../../common/ui/web/dom.ts';
import { appPath } from './api.ts';
import { appHref, type PageContext } from './page.ts';

/** One line a person reads: the reason that declined the most offers, in words. */
export function explainQueueEntry(entry: Json): string {
  const summary = entry.processedOffersSummary ?? {};
  const processed = Number(summary.processedOffersCount ?? 0);
  const rows = (summary.rejectSummaryLastOffers ?? []) as { reason: string; declined: number; processed: number }[];
  const worst = [...rows].filter((r) => r.declined > 0).sort((a, b) => b.declined - a.declined)[0];
  if (processed === 0) return 'No offer has been considered yet: waiting for the master to offer resources.';
  if (worst === undefined) return `${processed} offers considered; none declined for a placement reason.`;
  return `${worst.declined} of ${processed} offers declined: ${REASON_TEXT[worst.reason] ?? worst.reason} (${worst.reason}).`;
}

const REASON_TEXT: Readonly<Record<string, string>> = {
  UnfulfilledRole: 'the offer is for another role',
  UnfulfilledConstraint: 'the agent does not meet the app\'s constraints',
  NoCorrespondingReservationFound: 'no matching reservation',
  AgentMaintenance: 'the agent is under maintenance',
  InsufficientCpus: 'not enough CPUs on the agent',
  InsufficientMemory: 'not enough memory on the agent',
  InsufficientDisk: 'not enough disk on the agent',
  InsufficientGpus: 'not enough GPUs on the agent',
  InsufficientPorts: 'the requested ports are not available',
  DeclinedScarceResources: 'the agent has scarce resources (GPUs) the app does not use',
};

export function queuePage(root: HTMLElement, ctx: PageContext): () => void {
  const body = h('div', null, h('p.muted', null, 'Loading the queue…'));
  const message = h('div.message', { 'data-message': '' });
  replaceChildren(root, h('h2', null, 'Launch queue'), message, body);

  const draw = (queue: Json[]) => {
    if (queue.length === 0) {
      replaceChildren(body, h('p.muted', { 'data-empty': 'queue' }, 'Nothing waits to launch.'));
      return;
    }
    replaceChildren(body, ...queue.map((e) => {
      const s = e.processedOffersSummary ?? {};
      const funnel = ((s.rejectSummaryLastOffers ?? []) as Json[]).filter((r) => r.declined > 0);
      const id = e.app?.id ?? '';
      return h('section.card', { 'data-queue-app': id },
        h('h3', null, h('a', { href: appHref(id) }, id), ` — ${e.count} to launch`),
        h('p.why', { 'data-why': '' }, explainQueueEntry(e)),
        h('p.muted', null, `needs cpus ${e.app?.cpus} · mem ${e.app?.mem} MiB · disk ${e.app?.disk} MiB`,
          (e.app?.constraints ?? []).length > 0 ? ` · constraints ${JSON.stringify(e.app.constraints)}` : '',
          ` · waiting since ${e.since}`,
          Number(e.delay?.timeLeftSeconds ?? 0) > 0 ? ` · delayed ${e.delay.timeLeftSeconds}s ` : ' ',
          Number(e.delay?.timeLeftSeconds ?? 0) > 0 ? h('button', { 'data-action': 'reset-delay', onclick: async () => {
            const a = await fetchJson('DELETE', `/v2/queue${appPath(id)}/delay`);
            replaceChildren(message, a.status === 204 ? h('p.info', null, `Delay of ${id} reset.`) : h('p.error', null, refusal(a)));
          } }, 'Reset delay') : null),
        h('p', null, `Offers: ${s.processedOffersCount ?? 0} processed, ${s.unusedOffersCount ?? 0} unused`,
          s.lastUnusedOfferAt ? `, last unused ${s.lastUnusedOfferAt}` : ''),
        funnel.length === 0 ? null : h('table.table', { 'data-table': 'reasons' },
          h('thead', null, h('tr', null, h('th', null, 'Reason'), h('th', null, 'Declined'), h('th', null, 'Of processed'))),
          h('tbody', null, ...funnel.map((r) => h('tr', { 'data-reason': r.reason },
            h('td', null, r.reason), h('td.num', null, String(r.declined)), h('td.num', null, String(r.processed)))))),
        (e.lastUnusedOffers ?? []).length === 0 ? null : h('details', null, h('summary', null, 'Last unused offers'),
          h('ul', null, ...(e.lastUnusedOffers as Json[]).map((o) => h('li', null,
            `${o.timestamp} ${o.offer?.hostname ?? ''} (${o.offer?.agentId ?? ''}): ${(o.reason ?? []).join(', ')}`)))));
    }));
  };

  const source = new EventSource('/ui/feed/queue');
  source.addEventListener('queue', (m) => {
    try {
      draw((JSON.parse(String((m as MessageEvent).data)) as { queue: Json[] }).queue);
    } catch {
      /* a broken message: the next one replaces it */
    }
  });
  void ctx;
  return () => source.close();
}
