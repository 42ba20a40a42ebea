/**
 * What a probe's observation means for a Marathon-run health check. Pure.
 *
 * Marathon's rules (HealthCheckWorker): an HTTP(S) answer in [200, 399] is healthy (redirects are
 * not followed: a 3xx is healthy as it is); a 1xx with `ignoreHttp1xx` on an HTTP check is ignored (the health
 * stays as it was); any other answer is unhealthy with the status as its cause
 * (`503 Service Unavailable`); a TCP connect that opens is healthy; an error (refused, reset,
 * no address) is unhealthy with its message; a probe past `timeoutSeconds` is unhealthy.
 *
 * Observations are slave/health's (`ProbeOutcome`): the probe loop and the TCP probe are shared
 * with the agent's checks, and `isHealthyStatusCode` is the same [200, 399] rule.
 */
import { STATUS_CODES } from 'node:http';
import { isHealthyStatusCode, type ProbeOutcome } from '../../slave/health/probe-result.ts';
import type { HealthOutcome } from './health-state.ts';
import type { MarathonRunCheck } from './health-target.ts';

/** A status the way Marathon's HTTP client prints it: `500 Internal Server Error`. */
export function statusText(status: number): string {
  const reason = STATUS_CODES[status];
  return reason === undefined ? String(status) : `${status} ${reason}`;
}

export function healthOutcome(check: MarathonRunCheck['check'], outcome: ProbeOutcome): HealthOutcome {
  switch (outcome.kind) {
    case 'response': {
      const status = outcome.statusCode;
      if (isHealthyStatusCode(status)) return { kind: 'healthy' };
      // Marathon 1.x honours ignoreHttp1xx for HTTP checks only (its HTTPS path has no such branch).
      if (status >= 100 && status < 200 && check.ignoreHttp1xx === true && check.protocol === 'HTTP') return { kind: 'ignored' };
      return { kind: 'unhealthy', cause: statusText(status) };
    }
    case 'connected':
      return { kind: 'healthy' };
    case 'error':
      return { kind: 'unhealthy', cause: outcome.message };
    case 'timed-out':
      return { kind: 'unhealthy', cause: `${check.protocol} health check timed out after ${outcome.timeoutMs / 1000} seconds` };
    case 'exited':
    case 'signaled':
      return { kind: 'unhealthy', cause: `unexpected ${outcome.kind} observation for a ${check.protocol} check` };
  }
}
