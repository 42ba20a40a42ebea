/** Overview: cluster totals (total, allocated, offered, idle per resource), counts, per-role split, allocation over time. */
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { lineChart } from '../../../../common/ui/web/chart.ts';
import { formatCount, formatMb, formatPercent, trim } from '../../../../common/ui/web/format.ts';
import type { LiveConnection } from '../../../../common/ui/web/live.ts';
import type { View } from '../../../../common/ui/web/router.ts';
import type { Amounts, Overview } from '../master-protocol.ts';
import { page, res } from './common.ts';

const RESOURCES: readonly (keyof Amounts)[] = ['cpus', 'mem', 'disk', 'gpus'];
const fmt = (name: keyof Amounts, v: number) => (name === 'mem' || name === 'disk' ? formatMb(v) : trim(v));

function card(name: keyof Amounts, o: Overview): HTMLElement {
  const { total, allocated, offered, idle } = o.totals;
  const pct = (v: number) => (total[name] > 0 ? `${Math.min(100, (v / total[name]) * 100).toFixed(1)}%` : '0%');
  return h('div.card', { 'data-testid': `total-${name}` },
    h('div.label', null, name),
    h('div.value', null, fmt(name, total[name])),
    h('div.bar', null, h('span.allocated', { style: `width:${pct(allocated[name])}` }), h('span.offered', { style: `width:${pct(offered[name])}` })),
    h('small', null, `allocated ${fmt(name, allocated[name])} · offered ${fmt(name, offered[name])} · idle ${fmt(name, idle[name])}`));
}

function count(label: string, value: string, testId: string): HTMLElement {
  return h('div.card', { 'data-testid': testId }, h('div.label', null, label), h('div.value', null, value));
}

export function overviewPage(live: LiveConnection): View {
  const body = h('div', null, h('p.muted', null, 'Waiting for the feed…'));
  const sub = live.subscribe<Overview>('overview', {}, {
    snapshot(o) {
      const tasks = Object.entries(o.tasks).sort(([a], [b]) => a.localeCompare(b));
      const running = o.tasks.TASK_RUNNING ?? 0;
      const samples = o.history;
      const share = (pick: (s: (typeof samples)[number]) => number, of: (s: (typeof samples)[number]) => number) => samples.map((s) => (of(s) > 0 ? pick(s) / of(s) : 0));
      replaceChildren(body,
        h('p.muted', null, `master ${o.master.hostname} · ${o.master.id} · version ${o.master.version}${o.master.cluster ? ` · cluster ${o.master.cluster}` : ''}`),
        h('div.cards', null, RESOURCES.map((r) => card(r, o))),
        h('h2', null, 'Cluster'),
        h('div.cards', null,
          count('agents', `${formatCount(o.agents.active)} active`, 'count-agents'),
          count('disconnected, unreachable or not yet re-registered agents', formatCount(o.agents.unreachable + o.agents.disconnected + o.agents.recovered), 'count-unreachable'),
          count('frameworks', `${formatCount(o.frameworks.active)} active`, 'count-frameworks'),
          count('outstanding offers', formatCount(o.offers), 'count-offers'),
          count('running tasks', formatCount(running), 'count-running')),
        h('h2', null, 'Allocation over time'),
        lineChart({
          times: samples.map((s) => s.t),
          max: 1,
          format: formatPercent,
          title: 'share of cpus and mem allocated and offered',
          series: [
            { name: 'cpus allocated', values: share((s) => s.allocated.cpus, (s) => s.total.cpus) },
            { name: 'cpus offered', values: share((s) => s.offered.cpus, (s) => s.total.cpus) },
            { name: 'mem allocated', values: share((s) => s.allocated.mem, (s) => s.total.mem) },
          ],
          width: 720,
          height: 180,
        }),
        h('h2', null, 'Per role'),
        h('table.table', { 'data-testid': 'overview-roles' },
          h('thead', null, h('tr', null, h('th', null, 'role'), h('th', null, 'allocated'), h('th', null, 'offered'))),
          h('tbody', null, o.roles.length === 0
            ? h('tr.empty', null, h('td', { colspan: 3 }, 'No role holds resources.'))
            : o.roles.map((r) => h('tr', null, h('td', null, r.role), h('td', null, res(r.allocated)), h('td', null, res(r.offered)))))),
        h('h2', null, 'Tasks by state'),
        h('p', { 'data-testid': 'tasks-by-state' }, tasks.length === 0 ? 'No tasks.' : tasks.map(([s, n]) => `${s.replace(/^TASK_/, '')} ${formatCount(n)}`).join(' · ')));
    },
  });
  return { el: page('Overview', body), dispose: () => sub.close() };
}
