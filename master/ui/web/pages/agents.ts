/** Agents: resources (total, allocated, offered), attributes, tasks, reachability, maintenance mode; paged and filtered on the server. */
import { h } from '../../../../common/ui/web/dom.ts';
import { formatAge } from '../../../../common/ui/web/format.ts';
import type { LiveConnection } from '../../../../common/ui/web/live.ts';
import type { View } from '../../../../common/ui/web/router.ts';
import { createTable } from '../../../../common/ui/web/table.ts';
import type { AgentRow } from '../master-protocol.ts';
import { badge, link, page, usageBar } from './common.ts';

const STATUS_KIND = { active: 'ok', deactivated: 'warn', disconnected: 'warn', unreachable: 'bad', recovered: 'warn' } as const;

export function agentsPage(live: LiveConnection, query: Readonly<Record<string, string>>): View {
  const table = createTable<AgentRow>({
    live, topic: 'agents', testId: 'agents', filter: query.filter, filterPlaceholder: 'Filter by hostname, id, attribute, status…', empty: 'No agents.',
    columns: [
      { key: 'hostname', label: 'Hostname', sortable: true, render: (a) => h('span', { title: a.endpoint ?? '' }, a.hostname) },
      { key: 'id', label: 'ID', sortable: true, render: (a) => h('code', null, a.id) },
      { key: 'status', label: 'Reachability', sortable: true, render: (a) => h('span', null, badge(a.status, STATUS_KIND[a.status]), a.missedPings > 0 ? h('small.muted', null, ` ${a.missedPings} missed pings`) : null) },
      { key: 'cpus', label: 'CPUs', sortable: true, render: (a) => usageBar('cpus', a.total, a.allocated, a.offered) },
      { key: 'mem', label: 'Memory', sortable: true, render: (a) => usageBar('mem', a.total, a.allocated, a.offered) },
      { key: 'disk', label: 'Disk', render: (a) => usageBar('disk', a.total, a.allocated, a.offered) },
      { key: 'tasks', label: 'Tasks', sortable: true, render: (a) => link('/tasks', { agent: a.id }, String(a.tasks)) },
      { key: 'attributes', label: 'Attributes', render: (a) => h('code', null, a.attributes) },
      { key: 'mode', label: 'Maintenance', render: (a) => a.mode },
      { key: 'registered', label: 'Registered', render: (a) => (a.registeredAt === undefined ? '—' : `${formatAge(a.registeredAt, live.serverNow())} ago`) },
    ],
  });
  return { el: page('Agents', table.el), dispose: () => table.dispose?.() };
}
