/**
 * Reading a batch API request as Metronome's Play binders do: the repeatable, comma-separated
 * `embed` query, Boolean query flags, the JSON body. Pure functions; each answers a value or
 * `undefined`/an error value, never throws.
 *
 * Invariants: an accepted embed set names only known embeds; nothing here reads a clock or I/O.
 */
import { EMBED_NAMES } from './errors.ts';

export type Embed = (typeof EMBED_NAMES)[number];

/** The URL's path, without the query. */
export function requestPath(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * `embed` as given (absent, one value or repeated; each may be comma-separated) to a set;
 * undefined when a name is unknown (Metronome answers 400 then). Empty names are ignored.
 */
export function parseEmbeds(raw: unknown): ReadonlySet<Embed> | undefined {
  if (raw === undefined) return new Set();
  const values = Array.isArray(raw) ? raw : [raw];
  const out = new Set<Embed>();
  for (const v of values) {
    if (typeof v !== 'string') return undefined;
    for (const name of v.split(',')) {
      if (name === '') continue;
      if (!(EMBED_NAMES as readonly string[]).includes(name)) return undefined;
      out.add(name as Embed);
    }
  }
  return out;
}

/** Play's Boolean binder: `true`, `false`, `1`, `0` (trimmed); absent = `fallback`; anything else undefined. */
export function parseBooleanParam(raw: unknown, fallback: boolean): boolean | undefined {
  if (raw === undefined) return fallback;
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (typeof v !== 'string') return undefined;
  switch (v.trim()) {
    case 'true': case '1': return true;
    case 'false': case '0': return false;
    default: return undefined;
  }
}

export type JsonBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly detail: string };

/** The request body (kept as text by the app) as JSON; an absent or empty body is an error, as in Play. */
export function parseJsonBody(body: unknown): JsonBody {
  const text = typeof body === 'string' ? body : '';
  if (text.trim() === '') return { ok: false, detail: 'No content to map due to end-of-input' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}
