/**
 * Tasks: state, health, framework, agent, resources, last update and a sandbox link; active,
 * unreachable, completed or all. Filtered, sorted and windowed on the server; the table scrolls
 * virtually through 100,000 rows.
 */
import { h } from '../../../../common/ui/web/dom.ts';
import { formatAge } from '../../../../common/ui/web/format.ts';
import type { LiveConnection } from '../../../../common/ui/web/live.ts';
import { navigate, type View } from '../../../../common/ui/web/router.ts';
import { createTable } from '../../../../common/ui/web/table.ts';
import type { TaskRow } from '../master-protocol.ts';
import { badge, page, res, sandboxHref, state } from './common.ts';

const SCOPES = ['active', 'unreachable', 'completed', 'all'];

export function tasksPage(live: LiveConnection, query: Readonly<Record<string, string>>): View {
  const scope = SCOPES.includes(query.scope ?? '') ? query.scope! : 'active';
  const params: Record<string, string> = { scope };
  if (query.framework) params.framework = query.framework;
  if (query.agent) params.agent = query.agent;
  const table = createTable<TaskRow>({
    live, topic: 'tasks', testId: 'tasks', params, filter: query.filter, mode: 'scroll', pageSize: 60,
    filterPlaceholder: 'Search tasks by id, name, state, framework, agent…', empty: 'No tasks.',
    columns: [
      { key: 'id', label: 'ID', sortable: true, render: (t) => h('code', null, t.id) },
      { key: 'name', label: 'Name', sortable: true, render: (t) => t.name },
      { key: 'state', label: 'State', sortable: true, render: (t) => state(t.state) },
      { key: 'health', label: 'Health', render: (t) => (t.healthy === undefined ? '—' : t.healthy ? badge('healthy', 'ok') : badge('unhealthy', 'bad')) },
      { key: 'framework', label: 'Framework', sortable: true, render: (t) => h('span', { title: t.frameworkId }, t.frameworkName || t.frameworkId) },
      { key: 'agent', label: 'Agent', sortable: true, render: (t) => h('span', { title: t.agentId }, t.hostname || t.agentId) },
      { key: 'resources', label: 'Resources', render: (t) => res(t.resources) },
      { key: 'updated', label: 'Updated', sortable: true, render: (t) => (t.updatedAt === undefined ? '—' : `${formatAge(t.updatedAt, live.serverNow())} ago`) },
      { key: 'sandbox', label: 'Sandbox', render: (t) => (t.scope === 'unreachable' ? '—' : h('a', { href: sandboxHref(t.agentId, t.sandbox), 'data-testid': `sandbox-${t.id}` }, 'sandbox')) },
    ],
  });
  const select = h('select', { 'data-testid': 'task-scope' }, SCOPES.map((s) => h('option', { value: s, selected: s === scope }, s))) as HTMLSelectElement;
  select.addEventListener('change', () => navigate('/tasks', { ...query, scope: select.value }));
  const scoped = [query.framework ? `framework ${query.framework}` : '', query.agent ? `agent ${query.agent}` : ''].filter(Boolean).join(', ');
  return {
    el: page('Tasks', h('p', null, 'Show ', select, ' tasks', scoped ? ` of ${scoped} ` : ' ', scoped ? h('a', { href: `#/tasks?scope=${scope}` }, '(all)') : null), table.el),
    dispose: () => table.dispose?.(),
  };
}
