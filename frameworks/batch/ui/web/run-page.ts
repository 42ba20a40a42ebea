/**
 * `#/jobs/<id>/runs/<run>`: one run: status, times, why it failed, and per task its state and its
 * stdout and stderr, followed live (the feed's `log` topic: batch reads them from the task's agent).
 * An active run can be stopped (`POST .../actions/stop`).
 * The run is read from the REST API (`GET /v1/jobs/{id}/runs/{run}`, active or finished) whenever
 * the feed says the job changed.
 */
import { fetchJson, refusal } from '../../../../common/ui/web/api.ts';
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { jobHref } from './api.ts';
import { LOG_FILES, type Json, type JobSnapshot, type LogChunk, type LogSnapshot } from './feed-protocol.ts';
import type { PageContext } from './page.ts';

/** Text to append from a chunk that starts at `chunk.offset`, given everything before `have` is shown (a resubscription re-sends the tail). */
export function newText(have: number, chunk: LogChunk): string {
  const bytes = new TextEncoder().encode(chunk.data);
  if (chunk.offset + bytes.length <= have) return '';
  return chunk.offset >= have ? chunk.data : new TextDecoder().decode(bytes.slice(have - chunk.offset));
}

/** Offsets count bytes (the agent's files API), not UTF-16 characters. */
const byteLength = (s: string): number => new TextEncoder().encode(s).length;

const MAX_SHOWN = 256 * 1024;

function logPane(ctx: PageContext, jobId: string, runId: string, taskId: string, file: string): { el: HTMLElement; close(): void } {
  const pre = h('pre.log', { 'data-log': file, 'data-task': taskId });
  const note = h('p.muted', null, 'Waiting for output…');
  let have = -1;
  const sub = ctx.live.subscribe<LogSnapshot>('log', { job: jobId, run: runId, task: taskId, file }, {
    snapshot: (s) => { note.textContent = s.waiting; },
    append: (d) => {
      const chunk = d as LogChunk;
      if (have < 0) have = chunk.offset;
      const text = newText(have, chunk);
      have = Math.max(have, chunk.offset + byteLength(chunk.data));
      note.textContent = `${file} · ${have} bytes`;
      if (text === '') return;
      const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent = ((pre.textContent ?? '') + text).slice(-MAX_SHOWN);
      if (stick) pre.scrollTop = pre.scrollHeight;
    },
    error: (m) => { note.textContent = m; },
  });
  return { el: h('div.log-pane', null, h('h4', null, file), note, pre), close: () => sub.close() };
}

export function runPage(root: HTMLElement, ctx: PageContext, params: Readonly<Record<string, string>>): () => void {
  const { id: jobId, run: runId } = params;
  const summary = h('div', null, h('p.muted', null, 'Loading…'));
  const message = h('div.message', { 'data-message': '' });
  const stop = async () => {
    const a = await fetchJson('POST', `/v1/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(runId)}/actions/stop`);
    replaceChildren(message, a.status === 200 ? h('p.muted', null, 'Stopping: its tasks are being killed.') : h('p.error', null, refusal(a)));
  };
  const tasksEl = h('div');
  const panes = new Map<string, { el: HTMLElement; close(): void }[]>();
  replaceChildren(root,
    h('p', null, h('a', { href: '#/jobs' }, '← Jobs'), ' / ', h('a', { href: jobHref(jobId) }, jobId)),
    h('h2', null, `Run ${runId}`), message, summary, h('h3', null, 'Tasks'), tasksEl);

  const load = async () => {
    const a = await fetchJson('GET', `/v1/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(runId)}`);
    if (a.status !== 200) {
      replaceChildren(summary, h('p.error', null, refusal(a)));
      return;
    }
    const run = a.body as Json;
    replaceChildren(summary, h('dl.facts', null,
      h('dt', null, 'Status'), h('dd', null, h(`span.run.${run.status}`, { 'data-run-status': run.status }, run.status)),
      h('dt', null, 'Created'), h('dd', null, run.createdAt),
      h('dt', null, 'Completed'), h('dd', null, run.completedAt ?? '—')),
      ['INITIAL', 'STARTING', 'ACTIVE'].includes(run.status) ? h('button.danger', { 'data-action': 'stop', onclick: () => void stop() }, 'Stop run') : null);
    const tasks = (run.tasks ?? []) as Json[];
    if (tasks.length === 0) {
      replaceChildren(tasksEl, h('p.muted', null, 'No task launched yet.'));
      return;
    }
    for (const t of tasks) {
      if (!panes.has(t.id)) panes.set(t.id, LOG_FILES.map((f) => logPane(ctx, jobId, runId, t.id, f)));
    }
    replaceChildren(tasksEl, ...tasks.map((t) => h('section.card', { 'data-task': t.id },
      h('div', null, h('code', null, t.id), ' ', h(`span.state.${t.status ?? ''}`, { 'data-state': t.status ?? '' }, t.status ?? 'not launched'),
        t.startedAt ? h('span.muted', null, ` started ${t.startedAt}`) : null, t.completedAt ? h('span.muted', null, ` · ended ${t.completedAt}`) : null),
      h('div.split', null, ...(panes.get(t.id) ?? []).map((p) => p.el)))));
  };

  const sub = ctx.live.subscribe<JobSnapshot>('job', { id: jobId }, { snapshot: () => void load() });
  return () => {
    sub.close();
    for (const list of panes.values()) for (const p of list) p.close();
  };
}
