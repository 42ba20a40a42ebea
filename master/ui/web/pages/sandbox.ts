/**
 * The sandbox browser: the listing of a task's sandbox directory on its agent, and the live tail
 * of `stdout` and `stderr` (or of a file picked in the listing). The master proxies the agent's
 * `/files` API and pushes listing changes and appended bytes over the feed (master/ui/sandbox-proxy.ts).
 */
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { formatAge, formatBytes } from '../../../../common/ui/web/format.ts';
import type { LiveConnection, LiveSubscription } from '../../../../common/ui/web/live.ts';
import type { View } from '../../../../common/ui/web/router.ts';
import type { SandboxListing, TailChunk } from '../master-protocol.ts';
import { page, sandboxHref } from './common.ts';

/** Keeps the newest 256 KiB of text in a tail pane. */
const MAX_TAIL_CHARS = 256 * 1024;

function tail(live: LiveConnection, agent: string, path: string, name: string): { el: HTMLElement; sub: LiveSubscription } {
  const pre = h('pre.log', { 'data-testid': `tail-${name}` });
  const status = h('small.muted');
  const stick = () => pre.scrollTop = pre.scrollHeight;
  const sub = live.subscribe<TailChunk>('sandbox-tail', { agent, path }, {
    snapshot(c) {
      pre.textContent = c.data;
      status.textContent = c.offset > 0 ? `(from byte ${c.offset})` : '';
      stick();
    },
    append(d) {
      const c = d as TailChunk;
      const text = (pre.textContent ?? '') + c.data;
      pre.textContent = text.length > MAX_TAIL_CHARS ? text.slice(text.length - MAX_TAIL_CHARS) : text;
      stick();
    },
    error(message) {
      status.textContent = message;
    },
  });
  return { el: h('div.tail', null, h('h2', null, name, ' ', status), pre), sub };
}

export function sandboxPage(live: LiveConnection, agent: string, path: string, query: Readonly<Record<string, string>>): View {
  const listing = h('tbody', null, h('tr.empty', null, h('td', { colspan: 3 }, 'Listing…')));
  const listError = h('div.error');
  const files = live.subscribe<SandboxListing>('sandbox-files', { agent, path }, {
    snapshot(l) {
      listError.textContent = '';
      replaceChildren(listing, l.entries.length === 0 ? h('tr.empty', null, h('td', { colspan: 3 }, 'Empty directory.')) : l.entries.map((e) => h('tr', null,
        h('td', null, e.dir
          ? h('a', { href: sandboxHref(agent, e.path) }, `${e.name}/`)
          : h('a', { href: `${sandboxHref(agent, path)}?file=${encodeURIComponent(e.path)}`, 'data-file': e.name }, e.name)),
        h('td', null, e.dir ? '—' : formatBytes(e.size)),
        h('td', null, `${formatAge(e.mtime, live.serverNow())} ago`))));
    },
    error(message) {
      listError.textContent = message;
    },
  });
  const picked = query.file;
  const tails = picked
    ? [tail(live, agent, picked, picked.slice(picked.lastIndexOf('/') + 1))]
    : [tail(live, agent, `${path}/stdout`, 'stdout'), tail(live, agent, `${path}/stderr`, 'stderr')];
  const el = page('Sandbox',
    h('p.muted', null, 'agent ', h('code', null, agent), ' · ', h('code', { 'data-testid': 'sandbox-path' }, path)),
    h('div.live-table', null, listError, h('table.table', { 'data-testid': 'sandbox-files' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Size'), h('th', null, 'Modified'))), listing)),
    h('div.split', null, tails.map((t) => t.el)));
  return {
    el,
    dispose() {
      files.close();
      for (const t of tails) t.sub.close();
    },
  };
}
