/**
 * `#/deployments`: the running deployments with their progress (`currentStep` of `totalSteps`),
 * the apps they change and the actions of the current step. Cancel: "Roll back" (DELETE, a new
 * deployment that returns the apps to where they were) or "Stop" (DELETE with `force=true`: the
 * deployment ends where it stands). Re-read on deployment and app events.
 */
import { fetchJson, refusal, type Json } from '../../../common/ui/web/api.ts';
import { h, replaceChildren } from '../../../common/ui/web/dom.ts';
import { appHref, type PageContext } from './page.ts';

export function deploymentsPage(root: HTMLElement, ctx: PageContext): () => void {
  const body = h('div', null, h('p.muted', null, 'Loading deployments…'));
  const message = h('div.message', { 'data-message': '' });
  replaceChildren(root, h('h2', null, 'Deployments'), message, body);

  const cancel = async (id: string, force: boolean) => {
    const a = await fetchJson('DELETE', `/v2/deployments/${encodeURIComponent(id)}${force ? '?force=true' : ''}`);
    replaceChildren(message, a.status === 202 ? h('p.info', null, `Deployment ${id} stopped.`)
      : a.status === 200 ? h('p.info', null, `Deployment ${id} is being rolled back by ${a.body?.deploymentId}.`)
        : h('p.error', null, refusal(a)));
  };

  const load = async () => {
    const a = await fetchJson('GET', '/v2/deployments');
    if (a.status !== 200) {
      replaceChildren(body, h('p.error', null, refusal(a)));
      return;
    }
    const list = a.body as Json[];
    if (list.length === 0) {
      replaceChildren(body, h('p.muted', { 'data-empty': 'deployments' }, 'No deployment is running.'));
      return;
    }
    replaceChildren(body, h('table.table', { 'data-table': 'deployments' },
      h('thead', null, h('tr', null, ...['Deployment', 'Apps', 'Progress', 'Current actions', 'Started', ''].map((c) => h('th', null, c)))),
      h('tbody', null, ...list.map((d) => {
        const step = Number(d.currentStep ?? 0);
        const total = Number(d.totalSteps ?? 0);
        return h('tr', { 'data-deployment': d.id },
          h('td', null, h('code', null, d.id)),
          h('td', null, ...[...(d.affectedApps ?? []), ...(d.affectedPods ?? [])].map((id: string) => h('div', null, h('a', { href: appHref(id) }, id)))),
          h('td', { 'data-progress': `${step}/${total}` },
            h('progress', { max: String(Math.max(total, 1)), value: String(step) }), ` step ${step} of ${total}`),
          h('td', null, ...(d.currentActions ?? []).map((act: Json) => h('div', null, `${act.action} ${act.app ?? act.pod ?? ''}`,
            (act.readinessCheckResults ?? []).length > 0 ? ` (${act.readinessCheckResults.filter((r: Json) => r.ready).length}/${act.readinessCheckResults.length} ready)` : ''))),
          h('td', null, d.version ?? ''),
          h('td', null,
            h('button', { 'data-action': 'rollback', onclick: () => void cancel(d.id, false) }, 'Roll back'),
            h('button.danger', { 'data-action': 'stop', onclick: () => void cancel(d.id, true) }, 'Stop')));
      }))));
  };
  void load();
  return ctx.events.refreshOn((type) => type.startsWith('deployment') || type === 'api_post_event' || type === 'group_change_success'
    || type === 'status_update_event' || type === 'instance_changed_event', () => void load());
}
