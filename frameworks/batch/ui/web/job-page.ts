/**
 * `#/jobs/<id>`: one job: what it runs, its schedules (with the next run), "Run now", the active
 * runs with their tasks, and the finished runs (newest first), each linking to its run page with
 * the logs. Live: the feed's `job` topic.
 */
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { runHref, runNow } from './api.ts';
import type { Json, JobSnapshot } from './feed-protocol.ts';
import type { PageContext } from './page.ts';

export function jobPage(root: HTMLElement, ctx: PageContext, params: Readonly<Record<string, string>>): () => void {
  const id = params.id;
  const message = h('div.message', { 'data-message': '' });
  const body = h('div', null, h('p.muted', null, 'Loading…'));
  replaceChildren(root,
    h('p', null, h('a', { href: '#/jobs' }, '← Jobs')),
    h('div.toolbar', null, h('h2', null, id), h('span.spacer'),
      h('button.primary', { 'data-action': 'run', onclick: async () => {
        const r = await runNow(id);
        if (r.ok) location.hash = runHref(id, r.runId);
        else replaceChildren(message, h('p.error', null, r.message));
      } }, 'Run now')),
    message, body);

  const draw = (job: Json) => {
    const run = job.run ?? {};
    const finished = [
      ...(job.history?.successfulFinishedRuns ?? []).map((r: Json) => ({ ...r, status: 'SUCCESS' })),
      ...(job.history?.failedFinishedRuns ?? []).map((r: Json) => ({ ...r, status: 'FAILED' })),
    ].sort((a, b) => String(b.finishedAt).localeCompare(String(a.finishedAt)));
    replaceChildren(body,
      h('dl.facts', null,
        job.description ? [h('dt', null, 'Description'), h('dd', null, job.description)] : null,
        h('dt', null, 'Command'), h('dd', null, h('code', null, run.cmd ?? (run.args ?? []).join(' '))),
        run.docker?.image ? [h('dt', null, 'Image'), h('dd', null, h('code', null, run.docker.image))] : null,
        h('dt', null, 'Resources'), h('dd', null, `cpus ${run.cpus} · mem ${run.mem} MiB · disk ${run.disk} MiB${run.gpus ? ` · gpus ${run.gpus}` : ''}`),
        h('dt', null, 'Restart'), h('dd', null, run.restart?.policy ?? 'NEVER'),
        h('dt', null, 'History'), h('dd', { 'data-history': `${job.history?.successCount ?? 0}/${job.history?.failureCount ?? 0}` },
          `${job.history?.successCount ?? 0} succeeded, ${job.history?.failureCount ?? 0} failed`)),
      h('h3', null, 'Schedules'),
      (job.schedules ?? []).length === 0 ? h('p.muted', null, 'No schedule: runs start only on demand.') : h('table.table', { 'data-table': 'schedules' },
        h('thead', null, h('tr', null, ...['Schedule', 'Cron', 'Time zone', 'Concurrency', 'Enabled', 'Next run'].map((c) => h('th', null, c)))),
        h('tbody', null, ...(job.schedules as Json[]).map((s) => h('tr', { 'data-schedule': s.id },
          h('td', null, s.id), h('td', null, h('code', null, s.cron)), h('td', null, s.timezone), h('td', null, s.concurrencyPolicy),
          h('td', null, s.enabled ? 'yes' : 'no'), h('td', null, s.nextRunAt ?? '—'))))),
      h('h3', null, 'Active runs'),
      (job.activeRuns ?? []).length === 0 ? h('p.muted', { 'data-empty': 'active-runs' }, 'None.') : h('table.table', { 'data-table': 'active-runs' },
        h('thead', null, h('tr', null, ...['Run', 'Status', 'Created', 'Tasks'].map((c) => h('th', null, c)))),
        h('tbody', null, ...(job.activeRuns as Json[]).map((r) => h('tr', { 'data-run': r.id },
          h('td', null, h('a', { href: runHref(id, r.id) }, r.id)),
          h('td', null, h(`span.run.${r.status}`, null, r.status)),
          h('td', null, r.createdAt),
          h('td', null, (r.tasks ?? []).map((t: Json) => h('div', null, h(`span.state.${t.status ?? ''}`, null, t.status ?? 'not launched')))))))),
      h('h3', null, 'Finished runs'),
      finished.length === 0 ? h('p.muted', null, 'None yet.') : h('table.table', { 'data-table': 'finished-runs' },
        h('thead', null, h('tr', null, ...['Run', 'Result', 'Created', 'Finished'].map((c) => h('th', null, c)))),
        h('tbody', null, ...finished.slice(0, 50).map((r) => h('tr', { 'data-run': r.id },
          h('td', null, h('a', { href: runHref(id, r.id) }, r.id)),
          h('td', null, h(`span.run.${r.status}`, null, r.status)),
          h('td', null, r.createdAt), h('td', null, r.finishedAt))))));
  };

  const sub = ctx.live.subscribe<JobSnapshot>('job', { id }, {
    snapshot: (s) => {
      if ('job' in s) draw(s.job);
      else if ('missing' in s) replaceChildren(body, h('p.muted', { 'data-gone': id }, `The job ${id} does not exist.`));
    },
    error: (m) => replaceChildren(message, h('p.error', null, m)),
  });
  return () => sub.close();
}
