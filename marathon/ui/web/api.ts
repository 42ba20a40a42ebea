/**
 * Marathon's endpoints as the pages name them; the calls themselves go through the kit's
 * `fetchJson` (common/ui/web/api.ts: an answer is a value, never a throw).
 */

/** An app id in a URL path: each segment encoded, the leading slash kept (`/a/b c` -> `/a/b%20c`). */
export function appPath(id: string): string {
  return id.split('/').map(encodeURIComponent).join('/');
}
