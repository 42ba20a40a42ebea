/**
 * A page for the kit's browser test (common/ui/kit-browser.test.ts): a live table in scroll mode
 * over the test server's `rows` topic, and a JSON editor whose submit the server validates. Not
 * part of any UI.
 */
import { fetchJson } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { createJsonEditor } from '../json-editor.ts';
import { connectLive, liveUrl } from '../live.ts';
import { createTable } from '../table.ts';

interface Row { readonly id: number; readonly name: string }

const live = connectLive(liveUrl('/ui/ws'));
const state = h('span', { 'data-testid': 'live-state' });
live.onState((s) => { state.textContent = s; });
const table = createTable<Row>({
  live, topic: 'rows', testId: 'rows', mode: 'scroll', sort: 'id', pageSize: 40,
  columns: [
    { key: 'id', label: 'ID', sortable: true, render: (r) => String(r.id) },
    { key: 'name', label: 'Name', sortable: true, render: (r) => r.name },
  ],
});
const editor = createJsonEditor({ name: 'demo', text: JSON.stringify({ id: '/demo', cpus: 1 }, null, 2) });
const banner = h('div', { 'data-testid': 'editor-banner' });
const submit = h('button.primary', { type: 'button', 'data-testid': 'editor-submit' }, 'Save') as HTMLButtonElement;
submit.addEventListener('click', async () => {
  replaceChildren(banner);
  const json = editor.parse();
  if (!json.ok) return;
  const refused = editor.showAnswer(await fetchJson('POST', '/validate', editor.text()));
  replaceChildren(banner, refused ?? h('p', null, 'saved'));
});
replaceChildren(document.getElementById('app')!, h('div', null, state, table.el, editor.el, submit, banner));
