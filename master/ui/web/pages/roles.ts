/** Roles: weights, quota (guarantees, limits, consumed), allocated, offered and reserved resources, DRF shares. */
import { h, replaceChildren } from '../../../../common/ui/web/dom.ts';
import { formatPercent, formatResources } from '../../../../common/ui/web/format.ts';
import type { LiveConnection } from '../../../../common/ui/web/live.ts';
import type { View } from '../../../../common/ui/web/router.ts';
import type { RoleRow } from '../master-protocol.ts';
import { page, res } from './common.ts';

const quota = (q: Readonly<Record<string, number>>) => (Object.keys(q).length === 0 ? '—' : formatResources(q));

export function rolesPage(live: LiveConnection): View {
  const tbody = h('tbody', null, h('tr.empty', null, h('td', { colspan: 9 }, 'Waiting for the feed…')));
  const sub = live.subscribe<RoleRow[]>('roles', {}, {
    snapshot(rows) {
      replaceChildren(tbody, rows.length === 0
        ? h('tr.empty', null, h('td', { colspan: 9 }, 'No roles yet.'))
        : rows.map((r) => h('tr', null,
          h('td', null, r.name), h('td', null, String(r.weight)), h('td', null, String(r.frameworks)),
          h('td', null, res(r.allocated)), h('td', null, res(r.offered)), h('td', null, res(r.reserved)),
          h('td', null, quota(r.quotaGuarantees)), h('td', null, quota(r.quotaLimits)), h('td', null, formatPercent(r.share)))));
    },
  });
  const headers = ['Role', 'Weight', 'Frameworks', 'Allocated', 'Offered', 'Reserved', 'Quota guarantee', 'Quota limit', 'DRF share'];
  const table = h('div.live-table', null, h('table.table', { 'data-testid': 'roles' }, h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))), tbody));
  return { el: page('Roles', table), dispose: () => sub.close() };
}
