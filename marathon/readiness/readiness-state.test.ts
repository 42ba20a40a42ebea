import test from 'ava';
import type { ReadinessCheck, ReadinessResult } from '../model.ts';
import { pendingReadinessResult, readinessResult, type ReadinessOutcome } from './readiness-state.ts';

const check = (over: Partial<ReadinessCheck> = {}): ReadinessCheck => ({
  name: 'ready', protocol: 'HTTP', path: '/ready', portName: 'http-api', intervalSeconds: 30, timeoutSeconds: 10,
  httpStatusCodesForReady: [200], preserveLastResponse: false, ...over,
});
const answer = (status: number, body = ''): ReadinessOutcome => ({ kind: 'response', response: { status, contentType: 'application/json', body } });
const URL_ = 'http://agent1:31001/ready';

const cases: readonly [string, ReadinessCheck, ReadinessOutcome, ReadinessResult][] = [
  ['200 is ready', check(), answer(200), { name: 'ready', taskId: 't1', ready: true }],
  ['503 is not ready', check(), answer(503), { name: 'ready', taskId: 't1', ready: false }],
  ['a 204 when only 200 counts', check(), answer(204), { name: 'ready', taskId: 't1', ready: false }],
  ['a 204 when 200 and 204 count', check({ httpStatusCodesForReady: [200, 204] }), answer(204), { name: 'ready', taskId: 't1', ready: true }],
  ['the last response kept', check({ preserveLastResponse: true }), answer(503, '{"busy":true}'),
    { name: 'ready', taskId: 't1', ready: false, lastResponse: { status: 503, contentType: 'application/json', body: '{"busy":true}' } }],
  ['an error without preserveLastResponse', check(), { kind: 'error', cause: 'connect ECONNREFUSED' }, { name: 'ready', taskId: 't1', ready: false }],
  // Marathon answers for the task: 504 text/plain
  ['an error with preserveLastResponse', check({ preserveLastResponse: true }), { kind: 'error', cause: 'connect ECONNREFUSED' },
    { name: 'ready', taskId: 't1', ready: false, lastResponse: { status: 504, contentType: 'text/plain', body: `Marathon could not query ${URL_}: connect ECONNREFUSED` } }],
  // an error is never ready, even when 504 would count
  ['an error is never ready', check({ httpStatusCodesForReady: [504] }), { kind: 'error', cause: 'timed out' }, { name: 'ready', taskId: 't1', ready: false }],
];
for (const [name, c, outcome, expected] of cases) {
  test(`readinessResult: ${name}`, (t) => t.deepEqual(readinessResult(c, 't1', URL_, outcome), expected));
}

test('pendingReadinessResult: not ready, no response', (t) => {
  t.deepEqual(pendingReadinessResult(check(), 't1'), { name: 'ready', taskId: 't1', ready: false });
});
