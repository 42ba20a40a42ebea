/**
 * Media types of the Mesos HTTP APIs and the two negotiations every API endpoint does:
 * which encoding a request body is in (`Content-Type`) and which encoding the client accepts
 * for the answer (`Accept`, with `q` weights and `type/*` wildcards). Pure functions over header
 * text; no Fastify, no sockets.
 *
 * Invariants: an absent or empty `Accept` accepts everything (RFC 7231); the most specific
 * matching range decides, and `q=0` refuses. JSON wins over protobuf when both are acceptable,
 * as in Mesos.
 */

export const APPLICATION_JSON = 'application/json';
export const APPLICATION_PROTOBUF = 'application/x-protobuf';

export type Encoding = 'json' | 'protobuf';

export function mediaTypeOf(encoding: Encoding): string {
  return encoding === 'json' ? APPLICATION_JSON : APPLICATION_PROTOBUF;
}

/** The bare `type/subtype` of a Content-Type value, lower-cased, parameters dropped. */
export function bareMediaType(headerValue: string): string {
  const semicolon = headerValue.indexOf(';');
  return (semicolon === -1 ? headerValue : headerValue.slice(0, semicolon)).trim().toLowerCase();
}

export type ContentTypeCheck =
  | { readonly kind: 'ok'; readonly encoding: Encoding }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unsupported'; readonly mediaType: string };

/**
 * Mesos compares Content-Type for equality; parameters such as `charset=utf-8` are tolerated
 * here because several HTTP client libraries add them on their own.
 */
export function checkContentType(headerValue: string | undefined): ContentTypeCheck {
  if (headerValue === undefined) return { kind: 'missing' };
  const bare = bareMediaType(headerValue);
  if (bare === APPLICATION_JSON) return { kind: 'ok', encoding: 'json' };
  if (bare === APPLICATION_PROTOBUF) return { kind: 'ok', encoding: 'protobuf' };
  return { kind: 'unsupported', mediaType: headerValue };
}

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(headerValue: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of headerValue.split(',')) {
    const [range, ...params] = part.split(';');
    const [type, subtype] = range.trim().toLowerCase().split('/');
    if (!type || subtype === undefined || subtype === '') continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim());
      if (key.toLowerCase() === 'q' && value !== undefined) {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? parsed : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** Whether a request with this `Accept` header value accepts `mediaType`. */
export function acceptsMediaType(acceptHeader: string | undefined, mediaType: string): boolean {
  if (acceptHeader === undefined || acceptHeader.trim() === '') return true;
  const [type, subtype] = mediaType.toLowerCase().split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const range of parseAccept(acceptHeader)) {
    let specificity: number;
    if (range.type === type && range.subtype === subtype) specificity = 2;
    else if (range.type === type && range.subtype === '*') specificity = 1;
    else if (range.type === '*' && range.subtype === '*') specificity = 0;
    else continue;
    if (best === undefined || specificity > best.specificity) best = { specificity, q: range.q };
  }
  return best !== undefined && best.q > 0;
}

/** The answer encoding for an `Accept` header: JSON first, then protobuf, else none. */
export function negotiateEncoding(acceptHeader: string | undefined): Encoding | undefined {
  if (acceptsMediaType(acceptHeader, APPLICATION_JSON)) return 'json';
  if (acceptsMediaType(acceptHeader, APPLICATION_PROTOBUF)) return 'protobuf';
  return undefined;
}

export const NOT_ACCEPTABLE_MESSAGE =
  `Expecting 'Accept' to allow '${APPLICATION_PROTOBUF}' or '${APPLICATION_JSON}'`;
export const MISSING_CONTENT_TYPE_MESSAGE = "Expecting 'Content-Type' to be present";
export const UNSUPPORTED_CONTENT_TYPE_MESSAGE =
  `Expecting 'Content-Type' of ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF}`;
