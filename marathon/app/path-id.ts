/**
 * Marathon path ids: parsing (absolute or relative to a base), parent and ancestry.
 *
 * Rules (Marathon 1.x `PathId`): segments are separated by `/`; each segment is a DNS-style label
 * sequence `[a-z0-9]([a-z0-9-]*[a-z0-9])?` joined by dots (`web`, `web.v2`), or `.` / `..` in a
 * relative path. Empty segments (`/a//b`, a trailing `/`) are dropped, as Marathon does.
 *
 * Invariants of a returned `PathId`: absolute, no trailing slash (except the root `/`), no `.` or
 * `..` segment, every segment valid. A path that climbs above the root is invalid.
 */
import { asPathId, type PathId } from '../model.ts';

/** One valid (non-dot) segment, Marathon's id pattern. */
const SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

/** Marathon's regular expression, quoted in its validation message for an invalid id. */
export const PATH_ID_PATTERN = '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$';

export const ROOT: PathId = asPathId('/');

/** The segments of an absolute id: `/a/b` -> `['a','b']`, `/` -> `[]`. */
export function segmentsOf(id: PathId): string[] {
  return id === '/' ? [] : id.slice(1).split('/');
}

function fromSegments(segments: readonly string[]): PathId {
  return asPathId('/' + segments.join('/'));
}

/**
 * Parses `raw` as an absolute id, or relative to `base` (default `/`) when it does not start with
 * `/`: `web`, `./web`, `../x`. Undefined when empty, a segment is invalid, or it climbs above `/`.
 */
export function parsePathId(raw: string, base: PathId = ROOT): PathId | undefined {
  if (raw.length === 0) return undefined;
  const absolute = raw.startsWith('/');
  const out = absolute ? [] : segmentsOf(base);
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    if (!SEGMENT.test(seg)) return undefined;
    out.push(seg);
  }
  return fromSegments(out);
}

/** `/a/b` -> `/a`; `/a` -> `/`; `/` -> `/`. */
export function parentOf(id: PathId): PathId {
  const segs = segmentsOf(id);
  return fromSegments(segs.slice(0, -1));
}

/**
 * True when `id` is `ancestor` itself or lies below it (equal counts): `/a/b` and `/a` are under
 * `/a`, `/ab` is not; everything is under `/`.
 */
export function isUnder(id: PathId, ancestor: PathId): boolean {
  if (ancestor === '/') return true;
  return id === ancestor || id.startsWith(ancestor + '/');
}

/** The child of `parent` named `name` (a valid segment): `/a` + `b` -> `/a/b`. */
export function childOf(parent: PathId, name: string): PathId {
  return parent === '/' ? asPathId('/' + name) : asPathId(parent + '/' + name);
}

/** The ids from the root's child down to `id` itself: `/a/b/c` -> `/a`, `/a/b`, `/a/b/c`. */
export function ancestry(id: PathId): PathId[] {
  const segs = segmentsOf(id);
  return segs.map((_s, i) => fromSegments(segs.slice(0, i + 1)));
}
