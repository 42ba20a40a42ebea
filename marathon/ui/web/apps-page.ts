/**
 * `#/apps`: every app with its status, health and instances (running / wanted), resources and
 * the deployments holding it. Re-read (apps and queue) on every change event of `/v2/events`.
 */
import { fetchJson, refusal, type Json } from '../../../common/ui/web/api.ts';
import { h, replaceChildren } from '../../../common/ui/web/dom.ts';
import { appHealth, appStatus, queueByApp } from './app-status.ts';
import { appHref, type PageContext } from './page.ts';

export function appsPage(root: HTMLElement, ctx: PageContext): () => void {
  const body = h('div', null, h('p.muted', null, 'Loading apps…'));
  replaceChildren(root,
    h('div.toolbar', null,
      h('h2', null, 'Applications'),
      h('span.spacer'),
      h('a.button', { href: '#/create', 'data-action': 'create' }, 'Create app')),
    body);

  const load = async () => {
    const [apps, queue] = await Promise.all([fetchJson('GET', '/v2/apps'), fetchJson('GET', '/v2/queue')]);
    if (apps.status !== 200) {
      replaceChildren(body, h('p.error', null, refusal(apps)));
      return;
    }
    const queued = queueByApp(queue.status === 200 ? queue.body.queue : []);
    const list = [...(apps.body.apps as Json[])].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    if (list.length === 0) {
      replaceChildren(body, h('p.muted', { 'data-empty': 'apps' }, 'No apps yet. ', h('a', { href: '#/create' }, 'Create one'), '.'));
      return;
    }
    replaceChildren(body, h('table.table', { 'data-table': 'apps' },
      h('thead', null, h('tr', null, ...['ID', 'Status', 'Health', 'Instances', 'CPUs', 'Memory', 'Deployments'].map((c) => h('th', null, c)))),
      h('tbody', null, ...list.map((app) => {
        const status = appStatus(app, queued.get(app.id));
        const health = appHealth(app);
        return h('tr', { 'data-app': app.id },
          h('td', null, h('a', { href: appHref(app.id) }, app.id)),
          h('td', null, h(`span.badge.status-${status}`, { 'data-status': status }, status)),
          h('td', null, health === 'none' ? h('span.muted', null, '—')
            : h(`span.badge.health-${health}`, { 'data-health': health }, `${health} (${app.tasksHealthy ?? 0}/${app.tasksRunning ?? 0})`)),
          h('td', { 'data-instances': `${app.tasksRunning ?? 0}/${app.instances}` }, `${app.tasksRunning ?? 0} / ${app.instances}`),
          h('td.num', null, String(app.cpus)),
          h('td.num', null, `${app.mem} MiB`),
          h('td', null, (app.deployments as Json[]).map((d) => h('a', { href: '#/deployments' }, String(d.id).slice(0, 8))), ''));
      }))));
  };
  void load();
  return ctx.events.refreshOn(() => true, () => void load());
}
