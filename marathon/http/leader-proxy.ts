/**
 * Forwarding to the leading marathon. A marathon that does not lead answers every API request
 * by forwarding it to the leader (method, path and query, body, end-to-end headers) and relaying
 * the answer — status, headers and a streamed body, so `/v2/events` works through it too — as
 * Marathon's LeaderProxyFilter does. `X-Marathon-Via` names each proxy on the way; a request that
 * already carries it is not forwarded again (no loops when two marathons disagree on the leader).
 *
 * `LeaderProxy` is the port (the transport); `createHttpLeaderProxy` is its node:http adapter.
 * The decision whether to forward is `leaderDecision`, a pure function.
 */
import http from 'node:http';
import type { Readable } from 'node:stream';
import type { MarathonStatus } from '../ports.ts';

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: Buffer | string;
}

export interface ProxiedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readable;
}

export interface LeaderProxy {
  /** Forwards to `leader` (`host:port`); rejects when the leader cannot be reached. */
  forward(leader: string, request: ProxiedRequest): Promise<ProxiedResponse>;
}

export const VIA_HEADER = 'x-marathon-via';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the transport sets itself. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'host', 'content-length',
]);

export function endToEndHeaders(headers: ProxiedRequest['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  }
  return out;
}

export type LeaderDecision =
  | { readonly kind: 'serve' }
  | { readonly kind: 'forward'; readonly leader: string }
  | { readonly kind: 'redirect'; readonly leader: string }
  | { readonly kind: 'unavailable' };

/**
 * Serve here when leading; otherwise forward to a known leader (redirect when proxying is off),
 * and answer 503 when no leader is known, the leader is this marathon itself (state not settled
 * yet), or the request was already forwarded once.
 */
export function leaderDecision(
  status: MarathonStatus, self: string, options: { readonly proxyEnabled: boolean; readonly alreadyForwarded: boolean },
): LeaderDecision {
  if (status.isLeader) return { kind: 'serve' };
  const leader = status.leader;
  if (leader === undefined || leader === '' || leader === self || options.alreadyForwarded) return { kind: 'unavailable' };
  return options.proxyEnabled ? { kind: 'forward', leader } : { kind: 'redirect', leader };
}

export function createHttpLeaderProxy(options: { readonly self: string; readonly connectTimeoutMs?: number } ): LeaderProxy {
  return {
    forward(leader, request) {
      const [host, portText] = splitHostPort(leader);
      return new Promise((resolve, reject) => {
        const headers = endToEndHeaders(request.headers);
        const via = request.headers[VIA_HEADER];
        headers[VIA_HEADER] = [via, `1.1 ${options.self}`].filter((v) => v !== undefined).join(', ');
        const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
        if (body !== undefined && body.length > 0) headers['content-length'] = String(body.length);
        const req = http.request({ host, port: Number(portText), method: request.method, path: request.url, headers }, (res) => {
          // The timeout guards the connection and the first answer only: an event stream may idle.
          req.setTimeout(0);
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res });
        });
        req.setTimeout(options.connectTimeoutMs ?? 5000, () => req.destroy(new Error(`leader ${leader} did not answer in time`)));
        req.on('error', reject);
        req.end(body !== undefined && body.length > 0 ? body : undefined);
      });
    },
  };
}

function splitHostPort(hostPort: string): [string, string] {
  const withoutScheme = hostPort.replace(/^https?:\/\//, '');
  const i = withoutScheme.lastIndexOf(':');
  return i < 0 ? [withoutScheme, '80'] : [withoutScheme.slice(0, i).replace(/^\[|\]$/g, ''), withoutScheme.slice(i + 1)];
}
