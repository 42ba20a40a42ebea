/**
 * One HTTP(S) GET the way Marathon's own checks send it (health checks and readiness checks run
 * by marathon, not by the agent): a single request on a connection of its own (no keep-alive, so
 * a finished or aborted request leaves no socket behind), redirects NOT followed (Marathon takes
 * the first response as it is: a 3xx is a healthy answer), TLS certificates and host names not
 * verified (Marathon's checks trust any certificate), and an informational 1xx response taken as
 * the answer (Marathon sees it, so that `ignoreHttp1xx` can ignore it; Node would otherwise wait
 * for a final response).
 *
 * Why not slave/health/http-probe.ts: that probe follows redirects and reports only the final
 * status code (Mesos' `curl -L` semantics), and readiness checks need the content type and body.
 *
 * Invariants: the promise always settles, with a response or an error message, never rejects;
 * an abort through `signal` destroys the request and settles with an error; the body is decoded
 * as UTF-8 and cut at `maxBodyBytes`.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpGetResponse {
  readonly status: number;
  /** The media type without parameters (`application/json`), '' when the response has none. */
  readonly contentType: string;
  /** The body as UTF-8 text ('' unless `readBody`). */
  readonly body: string;
}

export type HttpGetResult =
  | { readonly ok: true; readonly response: HttpGetResponse }
  /** `error`: `GET <url> failed: <cause>`; `cause`: why alone. */
  | { readonly ok: false; readonly error: string; readonly cause: string };

export interface HttpGetOptions {
  /** Keep the body (readiness checks); health checks read and drop it. */
  readonly readBody?: boolean;
  /** Bodies longer than this are cut (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** `media/type` of a Content-Type header value, parameters dropped, lower case. */
export function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  return header.split(';')[0]!.trim().toLowerCase();
}

function readBody(response: IncomingMessage, keep: boolean, max: number): Promise<string | { error: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      if (!keep || size >= max) return;
      const part = chunk.subarray(0, max - size);
      chunks.push(part);
      size += part.length;
    });
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', (error) => resolve({ error: error.message }));
    response.once('close', () => {
      if (!response.complete) resolve({ error: 'the connection closed before the response body ended' });
    });
  });
}

export function httpGet(url: URL, signal: AbortSignal, options: HttpGetOptions = {}): Promise<HttpGetResult> {
  const keep = options.readBody ?? false;
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: HttpGetResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const failed = (why: string) => settle({ ok: false, error: `GET ${url.href} failed: ${why}`, cause: why });
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      failed(`unsupported scheme '${url.protocol}'`);
      return;
    }
    const common = { method: 'GET', agent: false as const, signal, headers: { accept: '*/*' } };
    const req = url.protocol === 'https:'
      ? httpsRequest(url, { ...common, rejectUnauthorized: false, checkServerIdentity: () => undefined })
      : httpRequest(url, common);
    req.once('information', (info) => {
      // A 1xx other than 101 (Node handles 101 through 'upgrade'): the answer as Marathon sees it.
      settle({ ok: true, response: { status: info.statusCode, contentType: '', body: '' } });
      req.destroy();
    });
    req.once('response', (response) => {
      const status = response.statusCode ?? 0;
      const contentType = mediaType(response.headers['content-type']);
      void readBody(response, keep, max).then((body) => {
        if (typeof body === 'string') settle({ ok: true, response: { status, contentType, body } });
        else failed(body.error);
      });
    });
    req.once('error', (error) => failed(error.message));
    req.end();
  });
}
