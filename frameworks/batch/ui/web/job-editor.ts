/**
 * `#/create`: a job as Metronome JSON (`POST /v1/jobs`), optionally with `schedules` (then the
 * job and its schedules go to `POST /v0/scheduled-jobs`, Metronome's call for both at once). JSON
 * syntax is checked in the browser first; the server's 422 `details[].path` show at their fields
 * (the kit's JSON editor, common/ui/web/json-editor.ts). Nothing is stored unless the whole job is
 * accepted; on success the page goes to the job.
 */
import { fetchJson } from '../../../../common/ui/web/api.ts';
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { createJsonEditor } from '../../../../common/ui/web/json-editor.ts';
import { jobHref } from './api.ts';
import type { PageContext } from './page.ts';

export const NEW_JOB = {
  id: 'hello',
  description: 'Says hello',
  run: { cmd: 'echo hello from $MAESTRO_JOB_ID', cpus: 0.1, mem: 32, disk: 0 },
};

export function jobEditor(root: HTMLElement, _ctx: PageContext): () => void {
  const editor = createJsonEditor({ name: 'job', text: JSON.stringify(NEW_JOB, null, 2) });
  const message = h('div.message', { 'data-message': '' });
  const submit = h('button.primary', { type: 'submit', 'data-action': 'submit' }, 'Create job') as HTMLButtonElement;
  const handle = async () => {
    replaceChildren(message);
    const json = editor.parse();
    if (!json.ok) return;
    submit.disabled = true;
    const a = await fetchJson('POST', Array.isArray(json.value?.schedules) ? '/v0/scheduled-jobs' : '/v1/jobs', editor.text());
    submit.disabled = false;
    const refused = editor.showAnswer(a);
    if (refused === undefined) location.hash = jobHref(String(a.body?.id ?? json.value?.id));
    else replaceChildren(message, refused);
  };
  replaceChildren(root,
    h('p', null, h('a', { href: '#/jobs' }, '← Jobs')),
    h('h2', null, 'Create a job'),
    h('p.muted', null, 'Metronome job definition (JSON); add "schedules": [{"id": "nightly", "cron": "0 2 * * *"}] to schedule it. The server checks it; errors show at their fields.'),
    message,
    h('form.editor', { onsubmit: (e: Event) => { e.preventDefault(); void handle(); } },
      editor.el, h('div.toolbar', null, submit, h('a.button', { href: '#/jobs' }, 'Cancel'))));
  return () => {};
}
