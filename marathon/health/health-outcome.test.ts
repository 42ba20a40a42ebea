import test from 'ava';
import type { ProbeOutcome } from '../../slave/health/probe-result.ts';
import type { HealthOutcome } from './health-state.ts';
import { healthOutcome, statusText } from './health-outcome.ts';
import type { MarathonRunCheck } from './health-target.ts';
import { healthCheck } from './test-fixtures.ts';

const http = healthCheck({ protocol: 'HTTP' }) as MarathonRunCheck['check'];
const http1xx = healthCheck({ protocol: 'HTTP', ignoreHttp1xx: true }) as MarathonRunCheck['check'];
const https1xx = healthCheck({ protocol: 'HTTPS', ignoreHttp1xx: true }) as MarathonRunCheck['check'];
const tcp = healthCheck({ protocol: 'TCP', path: undefined }) as MarathonRunCheck['check'];
const response = (statusCode: number): ProbeOutcome => ({ kind: 'response', statusCode });

const cases: readonly [string, MarathonRunCheck['check'], ProbeOutcome, HealthOutcome][] = [
  ['200 healthy', http, response(200), { kind: 'healthy' }],
  ['204 healthy', http, response(204), { kind: 'healthy' }],
  ['302 healthy (not followed)', http, response(302), { kind: 'healthy' }],
  ['399 healthy', http, response(399), { kind: 'healthy' }],
  ['400 unhealthy', http, response(400), { kind: 'unhealthy', cause: '400 Bad Request' }],
  ['503 unhealthy', http, response(503), { kind: 'unhealthy', cause: '503 Service Unavailable' }],
  ['599 (no reason phrase)', http, response(599), { kind: 'unhealthy', cause: '599' }],
  ['102 unhealthy without ignoreHttp1xx', http, response(102), { kind: 'unhealthy', cause: '102 Processing' }],
  ['102 ignored with ignoreHttp1xx', http1xx, response(102), { kind: 'ignored' }],
  ['199 ignored with ignoreHttp1xx', http1xx, response(199), { kind: 'ignored' }],
  ['HTTPS: 102 unhealthy even with ignoreHttp1xx (as Marathon)', https1xx, response(102), { kind: 'unhealthy', cause: '102 Processing' }],
  ['500 still unhealthy with ignoreHttp1xx', http1xx, response(500), { kind: 'unhealthy', cause: '500 Internal Server Error' }],
  ['TCP connected', tcp, { kind: 'connected' }, { kind: 'healthy' }],
  ['TCP refused', tcp, { kind: 'error', message: 'connect ECONNREFUSED 127.0.0.1:1' }, { kind: 'unhealthy', cause: 'connect ECONNREFUSED 127.0.0.1:1' }],
  ['HTTP timed out after 20 s', http, { kind: 'timed-out', timeoutMs: 20_000 }, { kind: 'unhealthy', cause: 'HTTP health check timed out after 20 seconds' }],
];
for (const [name, check, outcome, expected] of cases) {
  test(`healthOutcome: ${name}`, (t) => t.deepEqual(healthOutcome(check, outcome), expected));
}

test('statusText: as Marathon prints a status', (t) => {
  t.is(statusText(404), '404 Not Found');
  t.is(statusText(299), '299');
});
