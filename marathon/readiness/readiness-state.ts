/**
 * What one readiness probe means: a `ReadinessResult` (Marathon's `readinessCheckResults[]`
 * entry). Pure.
 *
 * Marathon's rules (core/readiness): ready when the answer's status is one of
 * `httpStatusCodesForReady`; `lastResponse` (status, media type, body) is kept only with
 * `preserveLastResponse`; a request that fails or times out reads as Marathon's own answer, a
 * `504` `text/plain` "Marathon could not query <url>: <why>", never ready.
 */
import type { ReadinessCheck, ReadinessResult } from '../model.ts';
import type { HttpGetResponse } from '../health/http-get.ts';

export type ReadinessOutcome =
  | { readonly kind: 'response'; readonly response: HttpGetResponse }
  | { readonly kind: 'error'; readonly cause: string };

export const GATEWAY_TIMEOUT = 504;

export function readinessResult(check: ReadinessCheck, taskId: string, url: string, outcome: ReadinessOutcome): ReadinessResult {
  const response: HttpGetResponse = outcome.kind === 'response'
    ? outcome.response
    : { status: GATEWAY_TIMEOUT, contentType: 'text/plain', body: `Marathon could not query ${url}: ${outcome.cause}` };
  const ready = outcome.kind === 'response' && check.httpStatusCodesForReady.includes(response.status);
  const base = { name: check.name, taskId, ready };
  return check.preserveLastResponse ? { ...base, lastResponse: { status: response.status, contentType: response.contentType, body: response.body } } : base;
}

/** The result before any probe answered. */
export function pendingReadinessResult(check: ReadinessCheck, taskId: string): ReadinessResult {
  return { name: check.name, taskId, ready: false };
}
