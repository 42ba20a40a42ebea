/**
 * The query parameters of `/files/read` and the window of bytes a read returns, as Mesos reads
 * them: `path` is required; `offset` defaults to -1 (the answer then carries the file length as
 * its offset and no data, which is how a pager learns where to start); `length` -1 or absent
 * means "to the end"; offsets and lengths below -1 are refused; a read never returns more than
 * 16 pages (64 KiB); an offset at or past the end answers empty data at that offset.
 * Pure: numbers in, numbers out.
 */

/** Mesos caps one read at 16 pages of 4 KiB. */
export const MAX_READ_LENGTH = 16 * 4096;

export const MISSING_PATH_MESSAGE = "Expecting 'path=value' in query.\n";

export type ReadQuery =
  | { readonly ok: true; readonly path: string; readonly offset: number; readonly length: number | undefined }
  | { readonly ok: false; readonly message: string };

/** Strict decimal integer, as Mesos' numify: optional sign, digits, nothing else. */
export function parseInteger(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text.trim())) return undefined;
  const value = Number(text.trim());
  return Number.isSafeInteger(value) ? value : undefined;
}

export function parseReadQuery(query: Readonly<Record<string, string | undefined>>): ReadQuery {
  const path = query.path;
  if (path === undefined || path === '') return { ok: false, message: MISSING_PATH_MESSAGE };
  let offset = -1;
  if (query.offset !== undefined) {
    const parsed = parseInteger(query.offset);
    if (parsed === undefined) return { ok: false, message: `Failed to parse offset: Failed to convert '${query.offset}' to number.\n` };
    if (parsed < -1) return { ok: false, message: `Negative offset provided: ${parsed}.\n` };
    offset = parsed;
  }
  let length: number | undefined;
  if (query.length !== undefined) {
    const parsed = parseInteger(query.length);
    if (parsed === undefined) return { ok: false, message: `Failed to parse length: Failed to convert '${query.length}' to number.\n` };
    if (parsed < -1) return { ok: false, message: `Negative length provided: ${parsed}.\n` };
    if (parsed > -1) length = parsed;
  }
  return { ok: true, path, offset, length };
}

export interface ReadWindow {
  /** The `offset` of the answer: the requested one, or the file size for -1. */
  readonly offset: number;
  /** How many bytes to read from `offset` (0: answer with empty data). */
  readonly length: number;
}

export function readWindow(size: number, offset: number, length: number | undefined, cap = MAX_READ_LENGTH): ReadWindow {
  if (offset === -1) return { offset: size, length: 0 };
  if (offset >= size) return { offset, length: 0 };
  const wanted = length ?? size - offset;
  return { offset, length: Math.min(wanted, cap, size - offset) };
}
