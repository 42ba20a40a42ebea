/**
 * Server-side paging for the live feeds' tables: validating `PageParams` from a client (every bad
 * field named), and cutting a page out of rows without sorting them all. Pure.
 *
 * `takePage` keeps only the `offset + limit` best rows while scanning (a bounded insertion into a
 * sorted buffer), so the first pages of 100,000 rows cost one pass, not a full sort.
 */
import type { Page, PageParams } from './web/live-protocol.ts';

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly field: string; readonly message: string };

export const MAX_PAGE_LIMIT = 500;
/** Past this many rows (offset + limit) a page is cut from a full sort. */
const DEEP_PAGE = 2000;

export function parsePageParams(raw: Readonly<Record<string, unknown>>, sortKeys: readonly string[], defaultSort: string): ParseResult<PageParams> {
  const offset = raw.offset ?? 0;
  const limit = raw.limit ?? 50;
  const filter = raw.filter ?? '';
  const sort = raw.sort ?? defaultSort;
  const desc = raw.desc ?? false;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) return { ok: false, field: 'offset', message: 'offset must be a non-negative integer' };
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) return { ok: false, field: 'limit', message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}` };
  if (typeof filter !== 'string' || filter.length > 200) return { ok: false, field: 'filter', message: 'filter must be a string of at most 200 characters' };
  if (typeof sort !== 'string' || !sortKeys.includes(sort)) return { ok: false, field: 'sort', message: `sort must be one of ${sortKeys.join(', ')}` };
  if (typeof desc !== 'boolean') return { ok: false, field: 'desc', message: 'desc must be a boolean' };
  return { ok: true, value: { offset, limit, filter: filter.trim().toLowerCase(), sort, desc } };
}

/**
 * The page `[offset, offset+limit)` of the rows that pass `keep`, in `compare` order (reversed when
 * `desc`; ties keep scan order). `total` counts every row that passes.
 */
export function takePage<T>(rows: Iterable<T>, params: PageParams, keep: (row: T) => boolean, compare: (a: T, b: T) => number): Page<T> {
  const want = params.offset + params.limit;
  const cmp = params.desc ? (a: T, b: T) => compare(b, a) : compare;
  if (want > DEEP_PAGE) {
    // Deep pages: a full sort is cheaper than a large sorted buffer (Array.prototype.sort is stable).
    const all: T[] = [];
    for (const row of rows) if (keep(row)) all.push(row);
    all.sort(cmp);
    return { total: all.length, offset: params.offset, rows: all.slice(params.offset, want) };
  }
  const best: T[] = [];
  let total = 0;
  for (const row of rows) {
    if (!keep(row)) continue;
    total++;
    if (best.length === want && cmp(row, best[want - 1]) >= 0) continue;
    // Binary search for the first element greater than row (stable for ties).
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(best[mid], row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, row);
    if (best.length > want) best.pop();
  }
  return { total, offset: params.offset, rows: best.slice(params.offset) };
}

/** A row matches a filter when any of its texts contains it (filter already lower case; empty matches all). */
export function matchesFilter(filter: string, texts: readonly (string | undefined)[]): boolean {
  if (filter === '') return true;
  for (const t of texts) if (t !== undefined && t.toLowerCase().includes(filter)) return true;
  return false;
}
