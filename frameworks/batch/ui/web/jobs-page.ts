/**
 * `#/jobs`: every job with its command, schedules (cron, time zone, next run), active runs and a
 * history summary (successes, failures, last of each); "Run now" per job. Live: the feed's `jobs`
 * topic pushes the list whenever it changed.
 */
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { jobHref, runHref, runNow } from './api.ts';
import type { JobRow, JobsSnapshot } from './feed-protocol.ts';
import type { PageContext } from './page.ts';

export function jobsPage(root: HTMLElement, ctx: PageContext): () => void {
  const body = h('div', null, h('p.muted', null, 'Loading jobs…'));
  const message = h('div.message', { 'data-message': '' });
  replaceChildren(root,
    h('div.toolbar', null, h('h2', null, 'Jobs'), h('span.spacer'), h('a.button', { href: '#/create', 'data-action': 'create' }, 'Create job')),
    message, body);

  const start = async (id: string) => {
    const r = await runNow(id);
    if (r.ok) location.hash = runHref(id, r.runId);
    else replaceChildren(message, h('p.error', null, r.message));
  };
  const row = (j: JobRow) => h('tr', { 'data-job': j.id },
    h('td.wrap', null, h('a', { href: jobHref(j.id) }, j.id), j.description ? h('div.muted', null, j.description) : null),
    h('td.wrap', null, h('code', null, j.cmd ?? '')),
    h('td', null, j.schedules.length === 0 ? h('span.muted', null, 'none') : j.schedules.map((s) => h('div', { 'data-schedule': s.id },
      h('code', null, s.cron), ` ${s.timezone}`, s.enabled ? '' : ' (disabled)', s.nextRunAt ? h('div.muted', null, `next ${s.nextRunAt}`) : null))),
    h('td', { 'data-active': String(j.activeRuns.length) }, j.activeRuns.length === 0 ? h('span.muted', null, '—')
      : j.activeRuns.map((r) => h('div', null, h('a', { href: runHref(j.id, r.id) }, h(`span.run.${r.status}`, null, r.status))))),
    h('td', { 'data-history': `${j.history.successCount}/${j.history.failureCount}` },
      h('span.ok', null, `✓ ${j.history.successCount}`), ' ', h('span.bad', null, `✗ ${j.history.failureCount}`),
      j.history.lastSuccessAt ? h('div.muted', null, `last success ${j.history.lastSuccessAt}`) : null,
      j.history.lastFailureAt ? h('div.muted', null, `last failure ${j.history.lastFailureAt}`) : null),
    h('td', null, h('button', { 'data-action': 'run', onclick: () => void start(j.id) }, 'Run now')));

  const sub = ctx.live.subscribe<JobsSnapshot>('jobs', {}, {
    snapshot: (s) => {
      if (!('jobs' in s)) return;
      if (s.jobs.length === 0) {
        replaceChildren(body, h('p.muted', { 'data-empty': 'jobs' }, 'No jobs yet. ', h('a', { href: '#/create' }, 'Create one'), '.'));
        return;
      }
      replaceChildren(body, h('div.table-wrap', null, h('table.table', { 'data-table': 'jobs' },
        h('thead', null, h('tr', null, ...['Job', 'Command', 'Schedules', 'Active runs', 'History', ''].map((c) => h('th', null, c)))),
        h('tbody', null, ...s.jobs.map(row)))));
    },
    error: (m) => replaceChildren(message, h('p.error', null, m)),
  });
  return () => sub.close();
}
