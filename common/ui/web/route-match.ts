/**
 * Hash routes, pure: `#/tasks/abc?filter=x` -> path `/tasks/abc`, query {filter: 'x'}; patterns
 * with `:name` segments (`/sandbox/:agent/:task`) match one encoded segment each. Used by
 * router.ts; unit-tested in common/ui/kit.test.ts.
 */
export interface Location {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

export function parseHash(hash: string): Location {
  let s = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!s.startsWith('/')) s = `/${s}`;
  const q = s.indexOf('?');
  const path = q === -1 ? s : s.slice(0, q);
  const query: Record<string, string> = {};
  if (q !== -1) {
    for (const [k, v] of new URLSearchParams(s.slice(q + 1))) query[k] = v;
  }
  return { path: path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path, query };
}

/** The parameters of `pattern` in `path`, decoded; undefined when it does not match. */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const ps = pattern.split('/').filter(Boolean);
  const xs = path.split('/').filter(Boolean);
  if (ps.length !== xs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) {
      try {
        params[ps[i].slice(1)] = decodeURIComponent(xs[i]);
      } catch {
        return undefined;
      }
    } else if (ps[i] !== xs[i]) {
      return undefined;
    }
  }
  return params;
}

/** The hash for a path with parameters encoded: hashFor('/tasks', {filter: 'a b'}) = `#/tasks?filter=a+b`. */
export function hashFor(path: string, query: Readonly<Record<string, string>> = {}): string {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
  return `#${path}${qs === '' ? '' : `?${qs}`}`;
}
