/**
 * A live table over rows the server pages, filters and sorts (a table topic answers
 * `Page<Row>`: total, offset, rows; see live-protocol.ts). The table owns the parameters: the
 * filter box (debounced), sortable column headers, and either pager buttons (`mode: 'pages'`) or a
 * virtually scrolled body (`mode: 'scroll'`) that asks the server for just the rows in view plus
 * some overscan (table-window.ts). It never holds more than one page of rows.
 */
import { h, replaceChildren, type Child } from './dom.ts';
import type { LiveConnection, LiveSubscription } from './live.ts';
import type { Page } from './live-protocol.ts';
import type { View } from './router.ts';
import { formatCount } from './format.ts';
import { offsetOfPage, pageInfo, virtualWindow } from './table-window.ts';

export interface Column<Row> {
  readonly key: string;
  readonly label: string;
  /** The server accepts this key as `sort`. */
  readonly sortable?: boolean;
  readonly render: (row: Row) => Child;
  readonly className?: string;
}

export interface TableOptions<Row> {
  readonly live: LiveConnection;
  readonly topic: string;
  readonly columns: readonly Column<Row>[];
  /** Parameters besides paging (a framework id, say). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly pageSize?: number;
  readonly sort?: string;
  readonly desc?: boolean;
  readonly filter?: string;
  readonly filterPlaceholder?: string;
  readonly mode?: 'pages' | 'scroll';
  /** Row height in px for 'scroll' mode (ui.css sets `.table.scroll td` to match). */
  readonly rowHeight?: number;
  readonly empty?: string;
  /** `data-testid` of the table, for tests. */
  readonly testId?: string;
  readonly onPage?: (page: Page<Row>) => void;
}

export function createTable<Row>(options: TableOptions<Row>): View {
  const limit = options.pageSize ?? 50;
  const mode = options.mode ?? 'pages';
  const rowHeight = options.rowHeight ?? 28;
  let filter = options.filter ?? '';
  let sort = options.sort ?? options.columns.find((c) => c.sortable)?.key ?? '';
  let desc = options.desc ?? false;
  let offset = 0;
  let windowLimit = limit;
  let total = 0;

  const filterBox = h('input.filter', { type: 'search', placeholder: options.filterPlaceholder ?? 'Filter…', value: filter, 'data-testid': `${options.testId ?? options.topic}-filter` }) as HTMLInputElement;
  const summary = h('span.summary');
  const prev = h('button', { type: 'button' }, '‹ Prev') as HTMLButtonElement;
  const next = h('button', { type: 'button' }, 'Next ›') as HTMLButtonElement;
  const error = h('div.error');
  const tbody = h('tbody');
  const headers = options.columns.map((c) => {
    const th = h('th', { 'data-key': c.key, class: c.sortable ? 'sortable' : null }, c.label);
    if (c.sortable) {
      th.addEventListener('click', () => {
        if (sort === c.key) desc = !desc;
        else {
          sort = c.key;
          desc = false;
        }
        offset = 0;
        refresh();
      });
    }
    return th;
  });
  const table = h('table.table', { class: mode === 'scroll' ? 'scroll' : null, 'data-testid': options.testId ?? options.topic }, h('thead', null, h('tr', null, headers)), tbody);
  const body = mode === 'scroll' ? h('div.scroller', null, table) : h('div.table-wrap', null, table);
  const el = h('section.live-table', null, h('div.toolbar', null, filterBox, summary, mode === 'pages' ? [prev, next] : null), error, body);

  const params = () => ({ ...options.params, offset, limit: mode === 'scroll' ? windowLimit : limit, filter, sort, desc });
  const render = (page: Page<Row>) => {
    total = page.total;
    error.textContent = '';
    const cols = options.columns.length;
    const rows: HTMLElement[] = page.rows.map((r) => h('tr', null, options.columns.map((c) => h('td', { class: c.className ?? null }, c.render(r)))));
    if (page.total === 0) rows.push(h('tr.empty', null, h('td', { colspan: cols }, options.empty ?? 'Nothing here.')));
    if (mode === 'scroll') {
      const before = page.offset * rowHeight;
      const after = Math.max(0, (page.total - page.offset - page.rows.length) * rowHeight);
      if (before > 0) rows.unshift(h('tr.spacer', null, h('td', { colspan: cols, style: `height:${before}px` })));
      if (after > 0) rows.push(h('tr.spacer', null, h('td', { colspan: cols, style: `height:${after}px` })));
    }
    replaceChildren(tbody, rows);
    const info = pageInfo(page.total, page.offset, mode === 'scroll' ? page.rows.length || 1 : limit);
    summary.textContent = page.total === 0 ? '0 rows' : `${formatCount(info.first)}–${formatCount(page.offset + page.rows.length)} of ${formatCount(page.total)}`;
    prev.disabled = info.page === 0;
    next.disabled = info.page >= info.pages - 1;
    for (const th of headers) {
      th.classList.toggle('sorted', th.dataset.key === sort);
      th.classList.toggle('desc', th.dataset.key === sort && desc);
    }
    options.onPage?.(page);
  };

  const sub: LiveSubscription = options.live.subscribe<Page<Row>>(options.topic, params(), {
    snapshot: render,
    error: (message, field) => { error.textContent = field ? `${field}: ${message}` : message; },
  });
  const refresh = () => sub.update(params());

  let debounce: ReturnType<typeof setTimeout> | undefined;
  filterBox.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      filter = filterBox.value;
      offset = 0;
      if (mode === 'scroll') body.scrollTop = 0;
      refresh();
    }, 200);
  });
  prev.addEventListener('click', () => { offset = offsetOfPage(Math.floor(offset / limit) - 1, total, limit); refresh(); });
  next.addEventListener('click', () => { offset = offsetOfPage(Math.floor(offset / limit) + 1, total, limit); refresh(); });
  if (mode === 'scroll') {
    let frame = 0;
    body.addEventListener('scroll', () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const w = virtualWindow(body.scrollTop, body.clientHeight, rowHeight, total, 20);
        if (w.start === offset && w.end - w.start === windowLimit) return;
        offset = w.start;
        windowLimit = Math.max(1, w.end - w.start);
        refresh();
      });
    });
  }
  return {
    el,
    dispose() {
      clearTimeout(debounce);
      sub.close();
    },
  };
}
