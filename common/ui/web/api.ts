/**
 * The browser's calls to the REST API of the process that served the page (same origin: the
 * marathon and batch UIs drive their own servers). An answer is a value, never a throw: the
 * status plus the parsed JSON body (undefined when empty or not JSON); a network failure is
 * status 0 with `{message}`. Each UI keeps only its endpoints (marathon/ui/web/api.ts,
 * frameworks/batch/ui/web/api.ts).
 */
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Answer {
  readonly status: number;
  readonly body: Json;
}

/** `method path` with `body` (JSON text, sent as typed) when given. */
export async function fetchJson(method: string, path: string, body?: string): Promise<Answer> {
  try {
    const res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  } catch (e) {
    return { status: 0, body: { message: `network error: ${(e as Error).message}` } };
  }
}

export const isOk = (a: Answer): boolean => a.status >= 200 && a.status < 300;

/**
 * A refused call as one line, for a banner: the body's `message` (Marathon, Metronome and maestro
 * all send one) plus the first of `details[]` (`path errors`), else `HTTP <status>`.
 */
export function refusal(a: Answer): string {
  const message = typeof a.body?.message === 'string' ? a.body.message : `HTTP ${a.status}`;
  const first = Array.isArray(a.body?.details) ? a.body.details[0] as Json : undefined;
  const detail = first === undefined ? '' : `: ${first?.path ?? ''} ${(Array.isArray(first?.errors) ? first.errors : []).join(', ')}`.trimEnd();
  return `${message}${detail}`;
}
