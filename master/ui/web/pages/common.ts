/** Small pieces the master's pages share: resource cells, state badges, links. */
import { h, type Child } from '../../../../common/ui/web/dom.ts';
import { formatMb, formatResources, trim } from '../../../../common/ui/web/format.ts';
import { hashFor } from '../../../../common/ui/web/route-match.ts';
import type { Amounts } from '../master-protocol.ts';

export const res = (a: Amounts): string => formatResources(a);

export function state(s: string): HTMLElement {
  return h('span.state', { class: s }, s.replace(/^TASK_/, ''));
}

export function badge(text: string, kind: 'ok' | 'warn' | 'bad' | '' = ''): HTMLElement {
  return h('span.badge', { class: kind || null }, text);
}

export function link(path: string, query: Record<string, string>, ...children: Child[]): HTMLElement {
  return h('a', { href: hashFor(path, query) }, ...children);
}

export function sandboxHref(agentId: string, path: string): string {
  return `#/sandbox/${encodeURIComponent(agentId)}/${encodeURIComponent(path)}`;
}

/** `used / total` of one resource, with a bar: allocated (blue) and offered (orange). */
export function usageBar(name: keyof Amounts, total: Amounts, allocated: Amounts, offered: Amounts): HTMLElement {
  const t = total[name];
  const pct = (v: number) => (t > 0 ? `${Math.min(100, (v / t) * 100).toFixed(1)}%` : '0%');
  const fmt = (v: number) => (name === 'mem' || name === 'disk' ? formatMb(v) : trim(v));
  return h('div.usage', null,
    h('div.bar', null, h('span.allocated', { style: `width:${pct(allocated[name])}` }), h('span.offered', { style: `width:${pct(offered[name])}` })),
    h('small.muted', null, `${fmt(allocated[name])} + ${fmt(offered[name])} of ${fmt(t)}`));
}

export function page(title: string, ...children: Child[]): HTMLElement {
  return h('div.page', null, h('h1', null, title), ...children);
}
