/** Frameworks: roles, allocated and offered resources, tasks, failover state, DRF share, a link to the framework's own UI. */
import { h } from '../../../../common/ui/web/dom.ts';
import { formatAge, formatDuration, formatPercent } from '../../../../common/ui/web/format.ts';
import type { LiveConnection } from '../../../../common/ui/web/live.ts';
import type { View } from '../../../../common/ui/web/router.ts';
import { createTable } from '../../../../common/ui/web/table.ts';
import type { FrameworkRow } from '../master-protocol.ts';
import { badge, link, page, res } from './common.ts';

const KIND = { connected: 'ok', disconnected: 'warn', recovered: 'warn', inactive: 'bad', completed: '' } as const;

/** Only http(s) links are rendered as links (a framework chooses its webui_url). */
const safeUrl = (u: string | undefined) => (u !== undefined && /^https?:\/\//i.test(u) ? u : undefined);

export function frameworksPage(live: LiveConnection, query: Readonly<Record<string, string>>): View {
  const completed = query.completed === 'true';
  const table = createTable<FrameworkRow>({
    live, topic: 'frameworks', testId: 'frameworks', params: { completed }, filter: query.filter, filterPlaceholder: 'Filter by name, id, role, principal…',
    empty: completed ? 'No completed frameworks.' : 'No frameworks subscribed.',
    columns: [
      { key: 'name', label: 'Name', sortable: true, render: (f) => f.name },
      { key: 'id', label: 'ID', sortable: true, render: (f) => h('code', null, f.id) },
      { key: 'status', label: 'State', render: (f) => h('span', null, badge(f.status, KIND[f.status]),
        f.status === 'disconnected' && f.disconnectedAt !== undefined ? h('small.muted', null, ` for ${formatAge(f.disconnectedAt, live.serverNow())}${f.failoverTimeoutSecs ? ` (failover timeout ${formatDuration(f.failoverTimeoutSecs * 1000)})` : ''}`) : null) },
      { key: 'roles', label: 'Roles', render: (f) => f.roles.join(', ') },
      { key: 'allocated', label: 'Allocated', render: (f) => res(f.allocated) },
      { key: 'offered', label: 'Offered', render: (f) => res(f.offered) },
      { key: 'tasks', label: 'Tasks', sortable: true, render: (f) => link('/tasks', { framework: f.id }, String(f.tasks)) },
      { key: 'offers', label: 'Offers', render: (f) => link('/offers', { filter: f.id }, String(f.offers)) },
      { key: 'share', label: 'DRF share', render: (f) => formatPercent(f.share) },
      { key: 'registered', label: 'Registered', sortable: true, render: (f) => (f.registeredAt === undefined ? '—' : `${formatAge(f.registeredAt, live.serverNow())} ago`) },
      { key: 'webui', label: 'Web UI', render: (f) => { const u = safeUrl(f.webuiUrl); return u ? h('a', { href: u, target: '_blank', rel: 'noopener' }, 'open') : '—'; } },
    ],
  });
  const toggle = completed ? link('/frameworks', {}, 'Show active frameworks') : link('/frameworks', { completed: 'true' }, 'Show completed frameworks');
  return { el: page(completed ? 'Completed frameworks' : 'Frameworks', h('p', null, toggle), table.el), dispose: () => table.dispose?.() };
}
