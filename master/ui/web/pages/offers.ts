/**
 * Offers: every outstanding offer, live (framework, agent, role, resources, age). An accepted,
 * declined or rescinded offer leaves the next snapshot. Ages tick in the browser from the time the
 * master first saw the offer: no request for that.
 */
import { h } from '../../../../common/ui/web/dom.ts';
import { formatAge } from '../../../../common/ui/web/format.ts';
import type { LiveConnection } from '../../../../common/ui/web/live.ts';
import type { View } from '../../../../common/ui/web/router.ts';
import { createTable } from '../../../../common/ui/web/table.ts';
import type { OfferRow } from '../master-protocol.ts';
import { page, res } from './common.ts';

export function offersPage(live: LiveConnection, query: Readonly<Record<string, string>>): View {
  const table = createTable<OfferRow>({
    live, topic: 'offers', testId: 'offers', filter: query.filter, sort: 'age', filterPlaceholder: 'Filter by offer, framework, agent, role…', empty: 'No outstanding offers.',
    columns: [
      { key: 'id', label: 'Offer', sortable: true, render: (o) => h('code', null, o.id) },
      { key: 'framework', label: 'Framework', sortable: true, render: (o) => h('span', { title: o.frameworkId }, o.frameworkName || o.frameworkId) },
      { key: 'agent', label: 'Agent', sortable: true, render: (o) => h('span', { title: o.agentId }, o.hostname) },
      { key: 'role', label: 'Role', render: (o) => o.role },
      { key: 'cpus', label: 'Resources', sortable: true, render: (o) => res(o.resources) },
      { key: 'age', label: 'Age', sortable: true, render: (o) => h('span.age', { 'data-created': o.createdAt }, formatAge(o.createdAt, live.serverNow())) },
    ],
  });
  const tick = setInterval(() => {
    for (const el of table.el.querySelectorAll<HTMLElement>('span.age')) el.textContent = formatAge(Number(el.dataset.created), live.serverNow());
  }, 1000);
  return { el: page('Offers', table.el), dispose: () => { clearInterval(tick); table.dispose?.(); } };
}
