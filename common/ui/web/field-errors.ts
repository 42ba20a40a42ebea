/**
 * Validation errors of an API answer, per field, pure: Marathon 1.x answers 422
 * `{message, details: [{path: '/id', errors: ['...']}]}`; Metronome answers 422
 * `{message, details: [{path: '/id', errors: [...]}]}` too (older ones `{path, errors}` with a
 * JsPath like `obj.id`); maestro's own APIs `{message, field}`. Used by json-editor.ts (which finds
 * each path in the text with json-locate.ts); unit-tested in common/ui/kit.test.ts.
 */
export interface FieldError {
  /** `/container/docker/image`, or '' for the whole document. */
  readonly path: string;
  readonly message: string;
}

export function fieldErrors(body: unknown): FieldError[] {
  if (typeof body !== 'object' || body === null) return [];
  const b = body as { message?: unknown; details?: unknown; field?: unknown };
  const out: FieldError[] = [];
  if (Array.isArray(b.details)) {
    for (const d of b.details as { path?: unknown; errors?: unknown }[]) {
      const path = normalizePath(typeof d?.path === 'string' ? d.path : '');
      const errors = Array.isArray(d?.errors) ? d.errors.map(String) : [];
      for (const message of errors) out.push({ path, message });
    }
  }
  if (out.length === 0 && typeof b.message === 'string') out.push({ path: typeof b.field === 'string' ? normalizePath(b.field) : '', message: b.message });
  return out;
}

/**
 * `obj.container.docker` / `container.docker` / `/container/docker` / `/` -> `/container/docker`,
 * '' for the root. Only a JsPath (no leading `/`) has its dots read as separators: a key of a
 * Marathon path may hold dots (`/labels/com.example.tier`).
 */
export function normalizePath(p: string): string {
  let s = p.trim();
  if (!s.startsWith('/')) {
    s = `/${s.replace(/^obj(?=[.[]|$)/, '').replace(/\[(\d+)\]/g, '.$1').replace(/\./g, '/')}`;
  }
  s = s.replace(/\/+/g, '/');
  return s === '/' ? '' : s.replace(/\/$/, '');
}

