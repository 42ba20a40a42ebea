/**
 * Maintenance: each machine's mode (Mesos maintenance: UP, DRAINING while in a window of the
 * schedule, DOWN after machine/down; UNREACHABLE for an agent that missed its pings), its window,
 * and the frameworks' answers to inverse offers. Scheduled machines without an agent (a DOWN
 * machine's agents are removed) are listed too. Changes are made through the operator API or the
 * legacy endpoints (docs/operating.md, Maintenance).
 */
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { formatCount, formatDuration } from '../../../../common/ui/web/format.ts';
import type { LiveConnection } from '../../../../common/ui/web/live.ts';
import type { View } from '../../../../common/ui/web/router.ts';
import { createTable } from '../../../../common/ui/web/table.ts';
import type { MachineRow, Maintenance } from '../master-protocol.ts';
import { badge, page } from './common.ts';

const MODE_KIND = { UP: 'ok', DRAINING: 'warn', DOWN: 'bad', UNREACHABLE: 'bad' } as const;

function windowText(m: MachineRow): string {
  if (m.window === undefined) return '';
  const start = new Date(m.window.start).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return m.window.durationMs === undefined ? `from ${start}` : `from ${start} for ${formatDuration(m.window.durationMs)}`;
}

function inverseOffersText(m: MachineRow): string {
  if (m.inverseOffers.length === 0) return '';
  const n = (s: string) => m.inverseOffers.filter((o) => o.status === s).length;
  return [['ACCEPT', 'accepted'], ['DECLINE', 'declined'], ['UNKNOWN', 'unanswered']].filter(([s]) => n(s) > 0).map(([s, label]) => `${n(s)} ${label}`).join(', ');
}

export function maintenancePage(live: LiveConnection): View {
  const summary = h('p', { 'data-testid': 'maintenance-summary' });
  const table = createTable<MachineRow>({
    live, topic: 'maintenance', testId: 'machines', filterPlaceholder: 'Filter by hostname, ip, agent, mode…', empty: 'No machines.',
    columns: [
      { key: 'hostname', label: 'Machine', sortable: true, render: (m) => (m.ip === undefined ? m.hostname : `${m.hostname} (${m.ip})`) },
      { key: 'agent', label: 'Agent', render: (m) => (m.agentId === '' ? h('span.muted', null, 'no agent') : h('code', null, m.agentId)) },
      { key: 'mode', label: 'Mode', sortable: true, render: (m) => badge(m.mode, MODE_KIND[m.mode]) },
      { key: 'window', label: 'Unavailability', render: windowText },
      { key: 'inverse', label: 'Inverse offers', render: inverseOffersText },
      { key: 'status', label: 'Agent status', render: (m) => (m.status === 'none' ? '' : m.status) },
    ],
    onPage(p) {
      const m = p as Maintenance;
      replaceChildren(summary,
        `${formatCount(m.up)} machines UP, ${formatCount(m.draining)} DRAINING, ${formatCount(m.down)} DOWN, ${formatCount(m.unreachable)} unreachable. `,
        h('span.muted', null, m.windows === 0 ? 'No maintenance scheduled.' : `${formatCount(m.windows)} maintenance window${m.windows === 1 ? '' : 's'} scheduled.`));
    },
  });
  return { el: page('Maintenance', summary, table.el), dispose: () => table.dispose?.() };
}
