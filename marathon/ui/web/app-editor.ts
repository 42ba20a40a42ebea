/**
 * `#/create` and `#/edit/<id>`: an app definition as JSON. Create POSTs `/v2/apps`; edit PUTs
 * `/v2/apps/<id>` (the definition as `GET /v2/apps/<id>` served it, minus the run-time fields).
 * The text is checked as JSON in the browser first (the line of a syntax error is marked); the
 * server validates the rest: a 422 shows each `details[].path` at its field, a 409 (a deployment
 * holds the app) offers the same change with `force=true`. Nothing is stored unless the server
 * accepts the whole definition; on success the page goes to the app.
 */
import { fetchJson, refusal, type Answer, type Json } from '../../../common/ui/web/api.ts';
import { h, replaceChildren } from '../../../common/ui/web/dom.ts';
import { createJsonEditor } from '../../../common/ui/web/json-editor.ts';
import { appPath } from './api.ts';
import { appHref, type PageContext } from './page.ts';

/** The definition a new app starts from. */
export const NEW_APP = {
  id: '/my-app',
  cmd: 'while true; do echo hello; sleep 5; done',
  cpus: 0.1,
  mem: 32,
  disk: 0,
  instances: 1,
};

/** Run-time fields `GET /v2/apps/{id}` adds that a PUT must not send back. */
const RUNTIME_FIELDS = ['version', 'versionInfo', 'tasks', 'tasksStaged', 'tasksRunning', 'tasksHealthy', 'tasksUnhealthy',
  'deployments', 'lastTaskFailure', 'readinessCheckResults', 'taskStats', 'role'];

export function editablePart(app: Json): Json {
  const copy: Json = { ...app };
  for (const f of RUNTIME_FIELDS) delete copy[f];
  return copy;
}

export function appEditor(root: HTMLElement, _ctx: PageContext, params: Readonly<Record<string, string>>): () => void {
  const editing = params.id === undefined ? undefined : params.id.startsWith('/') ? params.id : `/${params.id}`;
  const editor = createJsonEditor({ name: 'app', text: editing === undefined ? JSON.stringify(NEW_APP, null, 2) : '' });
  const message = h('div.message', { 'data-message': '' });
  const submit = h('button.primary', { type: 'submit', 'data-action': 'submit' }, editing === undefined ? 'Create app' : 'Save (new version)') as HTMLButtonElement;

  const send = async (force: boolean): Promise<Answer> => {
    const body = editor.text();
    const q = force ? '?force=true' : '';
    return editing === undefined ? fetchJson('POST', `/v2/apps${q}`, body) : fetchJson('PUT', `/v2/apps${appPath(editing)}${q}`, body);
  };
  const handle = async (force: boolean) => {
    replaceChildren(message);
    const json = editor.parse();
    if (!json.ok) return;
    submit.disabled = true;
    const a = await send(force);
    submit.disabled = false;
    const refused = editor.showAnswer(a);
    if (refused === undefined) {
      const id = typeof a.body?.id === 'string' ? a.body.id : editing ?? json.value?.id;
      location.hash = appHref(String(id).startsWith('/') ? String(id) : `/${id}`);
      return;
    }
    if (a.status === 409) refused.append(' ', h('button.danger', { type: 'button', 'data-action': 'force', onclick: () => void handle(true) }, 'Deploy anyway (force)'));
    replaceChildren(message, refused);
  };

  const form = h('form.editor', { onsubmit: (e: Event) => { e.preventDefault(); void handle(false); } },
    editor.el, h('div.toolbar', null, submit, h('a.button', { href: editing === undefined ? '#/apps' : appHref(editing) }, 'Cancel')));
  replaceChildren(root,
    h('p', null, h('a', { href: '#/apps' }, '← Applications')),
    h('h2', null, editing === undefined ? 'Create an app' : `Edit ${editing}`),
    h('p.muted', null, 'Marathon app definition (JSON). The server checks it; errors show at their fields.'),
    message, form);

  if (editing !== undefined) {
    void fetchJson('GET', `/v2/apps${appPath(editing)}`).then((a) => {
      if (a.status !== 200) replaceChildren(message, h('p.error', null, refusal(a)));
      else editor.setText(JSON.stringify(editablePart(a.body.app), null, 2));
    });
  }
  return () => {};
}
