/**
 * `#/apps/<id>`: one app: status, instances, its command and resources, the deployments holding
 * it, the last task failure, and its tasks (id, host, ports, state, health, started, version).
 * Actions: scale (PUT `{instances}`), restart (POST /restart), suspend (scale to 0), edit (the
 * JSON editor) and destroy (DELETE, after a confirmation in the page). A change refused with 409
 * (a deployment holds the app) offers the same change with `force=true`.
 * Re-read when an event names the app (or carries no app id at all).
 */
import { fetchJson, refusal, type Answer, type Json } from '../../../common/ui/web/api.ts';
import { h, replaceChildren } from '../../../common/ui/web/dom.ts';
import { appPath } from './api.ts';
import { appHealth, appStatus, queueByApp } from './app-status.ts';
import { concernsApp } from './events.ts';
import { appHref, editHref, type PageContext } from './page.ts';

export function appPage(root: HTMLElement, ctx: PageContext, params: Readonly<Record<string, string>>): () => void {
  const id = params.id.startsWith('/') ? params.id : `/${params.id}`;
  const path = `/v2/apps${appPath(id)}`;
  const summary = h('div.summary');
  const tasks = h('div');
  const message = h('div.message', { 'data-message': '' });
  let current: Json;

  const act = async (what: string, call: (force: boolean) => Promise<Answer>) => {
    replaceChildren(message);
    let a = await call(false);
    if (a.status === 409) {
      replaceChildren(message, h('p.error', null, `${refusal(a)} `,
        h('button.danger', { 'data-action': 'force', onclick: async () => {
          a = await call(true);
          replaceChildren(message, a.status < 300 ? h('p.info', null, `${what}: deployment ${a.body?.deploymentId ?? ''} started`) : h('p.error', null, refusal(a)));
        } }, `${what} anyway (force)`)));
      return;
    }
    replaceChildren(message, a.status < 300
      ? h('p.info', null, `${what}: ${a.body?.deploymentId !== undefined ? `deployment ${a.body.deploymentId} started` : 'done'}`)
      : h('p.error', null, refusal(a)));
  };
  const q = (force: boolean) => (force ? '?force=true' : '');
  const scaleTo = (n: number) => act(n === 0 ? 'Suspend' : `Scale to ${n}`, (force) => fetchJson('PUT', `${path}${q(force)}`, JSON.stringify({ instances: n })));

  const scaleInput = h('input', { type: 'number', min: '0', step: '1', name: 'instances', 'aria-label': 'instances', style: 'width:6em' }) as HTMLInputElement;
  const confirmBox = h('span');
  const actions = h('div.toolbar', null,
    h('h2', null, id),
    h('span.spacer'),
    scaleInput,
    h('button', { 'data-action': 'scale', onclick: () => {
      const n = Number(scaleInput.value);
      if (scaleInput.value === '' || !Number.isInteger(n) || n < 0) {
        replaceChildren(message, h('p.error', null, 'instances: a whole number, 0 or more'));
        return;
      }
      void scaleTo(n);
    } }, 'Scale'),
    h('button', { 'data-action': 'restart', onclick: () => void act('Restart', (force) => fetchJson('POST', `${path}/restart${q(force)}`)) }, 'Restart'),
    h('button', { 'data-action': 'suspend', onclick: () => void scaleTo(0) }, 'Suspend'),
    h('a.button', { href: editHref(id), 'data-action': 'edit' }, 'Edit'),
    h('button.danger', { 'data-action': 'destroy', onclick: () => replaceChildren(confirmBox,
      h('span.confirm', null, `Destroy ${id} and kill its tasks? `,
        h('button.danger', { 'data-action': 'confirm-destroy', onclick: async () => {
          replaceChildren(confirmBox);
          await act('Destroy', (force) => fetchJson('DELETE', `${path}${q(force)}`));
        } }, 'Destroy'),
        h('button', { onclick: () => replaceChildren(confirmBox) }, 'Cancel'))) }, 'Destroy'),
    confirmBox);
  replaceChildren(root, h('p', null, h('a', { href: '#/apps' }, '← Applications')), actions, message, summary, h('h3', null, 'Tasks'), tasks);

  const load = async () => {
    const [a, queue] = await Promise.all([fetchJson('GET', `${path}?embed=app.taskStats`), fetchJson('GET', '/v2/queue')]);
    if (a.status === 404) {
      replaceChildren(summary, h('p.muted', { 'data-gone': id }, `The app ${id} does not exist (any more).`));
      replaceChildren(tasks);
      return;
    }
    if (a.status !== 200) {
      replaceChildren(summary, h('p.error', null, refusal(a)));
      return;
    }
    const app = a.body.app as Json;
    if (current === undefined && scaleInput.value === '') scaleInput.value = String(app.instances);
    current = app;
    const status = appStatus(app, queueByApp(queue.status === 200 ? queue.body.queue : []).get(id));
    const health = appHealth(app);
    const failure = app.lastTaskFailure as Json;
    replaceChildren(summary, h('dl.facts', null,
      h('dt', null, 'Status'), h('dd', null, h(`span.badge.status-${status}`, { 'data-status': status }, status)),
      h('dt', null, 'Instances'), h('dd', { 'data-instances': `${app.tasksRunning}/${app.instances}` },
        `${app.tasksRunning} running of ${app.instances} (${app.tasksStaged} staged, ${app.tasksHealthy} healthy, ${app.tasksUnhealthy} unhealthy)`),
      h('dt', null, 'Health'), h('dd', null, health === 'none' ? 'no health checks' : h(`span.badge.health-${health}`, null, health)),
      h('dt', null, 'Command'), h('dd', null, h('code', null, app.cmd ?? (app.args ?? []).join(' ') ?? '')),
      h('dt', null, 'Resources'), h('dd', null, `cpus ${app.cpus} · mem ${app.mem} MiB · disk ${app.disk} MiB${app.gpus ? ` · gpus ${app.gpus}` : ''}`),
      h('dt', null, 'Version'), h('dd', null, app.version ?? ''),
      h('dt', null, 'Deployments'), h('dd', null, (app.deployments as Json[]).length === 0 ? 'none'
        : (app.deployments as Json[]).map((d) => h('a', { href: '#/deployments' }, `${d.id} `))),
      failure ? [h('dt', null, 'Last failure'), h('dd.error', null, `${failure.state} at ${failure.timestamp}: ${failure.message}`)] : null));
    const list = app.tasks as Json[];
    replaceChildren(tasks, list.length === 0 ? h('p.muted', null, 'No tasks.') : h('table.table', { 'data-table': 'tasks' },
      h('thead', null, h('tr', null, ...['Task', 'Host', 'Ports', 'State', 'Health', 'Started', 'Version'].map((c) => h('th', null, c)))),
      h('tbody', null, ...list.map((t) => {
        const results = (t.healthCheckResults ?? []) as Json[];
        const healthText = results.length === 0 ? '—' : results.every((r) => r.alive) ? 'healthy' : 'unhealthy';
        return h('tr', { 'data-task': t.id },
          h('td.wrap', null, h('code', null, t.id)),
          h('td', null, t.host ?? ''),
          h('td', null, (t.ports ?? []).join(', ')),
          h('td', null, h(`span.state.${t.state}`, { 'data-state': t.state }, t.state)),
          h('td', null, healthText),
          h('td', null, t.startedAt ?? ''),
          h('td', null, t.version ?? ''));
      }))));
  };
  void load();
  return ctx.events.refreshOn((_type, data) => concernsApp(id, data), () => void load());
}
