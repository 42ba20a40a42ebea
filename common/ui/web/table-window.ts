/**
 * The arithmetic of table paging and virtual scrolling, pure (no DOM): which page a row offset is
 * on, the pages to offer, and which rows of a long list a viewport shows. Unit-tested in
 * common/ui/kit.test.ts.
 */
export interface PageInfo {
  /** 0-based page index and count (at least 1 page, even when empty). */
  readonly page: number;
  readonly pages: number;
  /** 1-based first and last row shown ("101–150 of 100,000"); first = 0 when empty. */
  readonly first: number;
  readonly last: number;
}

export function pageInfo(total: number, offset: number, limit: number): PageInfo {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.min(pages - 1, Math.floor(offset / limit));
  const first = total === 0 ? 0 : Math.min(total, offset + 1);
  const last = Math.min(total, offset + limit);
  return { page, pages, first, last };
}

/** The offset of page `page` (clamped to the pages there are). */
export function offsetOfPage(page: number, total: number, limit: number): number {
  const pages = Math.max(1, Math.ceil(total / limit));
  return Math.max(0, Math.min(pages - 1, page)) * limit;
}

export interface VirtualWindow {
  /** Rows [start, end) to render, with `before` and `after` pixels of padding around them. */
  readonly start: number;
  readonly end: number;
  readonly before: number;
  readonly after: number;
}

/** The rows a scrolled viewport shows, plus `overscan` rows each side. */
export function virtualWindow(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 5): VirtualWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const firstVisible = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(total, firstVisible - overscan));
  const end = Math.min(total, firstVisible + visible + overscan);
  return { start, end, before: start * rowHeight, after: (total - end) * rowHeight };
}
