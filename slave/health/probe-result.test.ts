import test from 'ava';
import { checkResult, emptyCheckStatus, healthVerdict, sameCheckStatus, type CheckType, type ProbeOutcome } from './probe-result.ts';

const verdicts: readonly [CheckType, ProbeOutcome, boolean, string][] = [
  ['COMMAND', { kind: 'exited', exitCode: 0 }, true, 'COMMAND health check passed'],
  ['COMMAND', { kind: 'exited', exitCode: 1 }, false, 'COMMAND health check failed: Command returned exited with status 1'],
  ['COMMAND', { kind: 'signaled', signal: 'SIGKILL' }, false, 'COMMAND health check failed: Command returned terminated with signal SIGKILL (9)'],
  ['COMMAND', { kind: 'error', message: 'Failed to create subprocess: spawn x ENOENT' }, false, 'COMMAND health check failed: Failed to create subprocess: spawn x ENOENT'],
  ['COMMAND', { kind: 'timed-out', timeoutMs: 20_000 }, false, 'COMMAND health check failed: Command has not returned after 20secs; aborting'],
  ['HTTP', { kind: 'response', statusCode: 200 }, true, 'HTTP health check passed'],
  ['HTTP', { kind: 'response', statusCode: 399 }, true, 'HTTP health check passed'], // [200, 399] is healthy
  ['HTTP', { kind: 'response', statusCode: 199 }, false, 'HTTP health check failed: Unexpected HTTP response code: 199'],
  ['HTTP', { kind: 'response', statusCode: 400 }, false, 'HTTP health check failed: Unexpected HTTP response code: 400 Bad Request'],
  ['HTTP', { kind: 'response', statusCode: 503 }, false, 'HTTP health check failed: Unexpected HTTP response code: 503 Service Unavailable'],
  ['HTTP', { kind: 'timed-out', timeoutMs: 1_500 }, false, 'HTTP health check failed: HTTP request has not returned after 1.5secs; aborting'],
  ['TCP', { kind: 'connected' }, true, 'TCP health check passed'],
  ['TCP', { kind: 'error', message: 'Failed to connect to 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1' }, false, 'TCP health check failed: Failed to connect to 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1'],
  ['TCP', { kind: 'timed-out', timeoutMs: 120_000 }, false, 'TCP health check failed: TCP connection has not returned after 2mins; aborting'],
];

for (const [type, outcome, ok, message] of verdicts) {
  test(`healthVerdict ${type} ${JSON.stringify(outcome)}`, (t) => {
    t.deepEqual(healthVerdict(type, outcome), { ok, message });
  });
}

const results: readonly [CheckType, ProbeOutcome, object][] = [
  ['COMMAND', { kind: 'exited', exitCode: 0 }, { type: 'COMMAND', command: { exit_code: 0 } }],
  ['COMMAND', { kind: 'exited', exitCode: 2 }, { type: 'COMMAND', command: { exit_code: 2 } }],
  ['COMMAND', { kind: 'signaled', signal: 'SIGTERM' }, { type: 'COMMAND', command: {} }],
  ['COMMAND', { kind: 'error', message: 'x' }, { type: 'COMMAND', command: {} }],
  ['COMMAND', { kind: 'timed-out', timeoutMs: 1 }, { type: 'COMMAND', command: {} }],
  ['HTTP', { kind: 'response', statusCode: 500 }, { type: 'HTTP', http: { status_code: 500 } }],
  ['HTTP', { kind: 'error', message: 'refused' }, { type: 'HTTP', http: {} }],
  ['HTTP', { kind: 'timed-out', timeoutMs: 1 }, { type: 'HTTP', http: {} }],
  ['TCP', { kind: 'connected' }, { type: 'TCP', tcp: { succeeded: true } }],
  ['TCP', { kind: 'error', message: 'refused' }, { type: 'TCP', tcp: { succeeded: false } }],
  ['TCP', { kind: 'timed-out', timeoutMs: 1 }, { type: 'TCP', tcp: {} }],
];

for (const [type, outcome, expected] of results) {
  test(`checkResult ${type} ${JSON.stringify(outcome)}`, (t) => {
    t.deepEqual(checkResult(type, outcome), expected);
  });
}

test('sameCheckStatus: equal results, different results, empty vs a result', (t) => {
  t.true(sameCheckStatus({ type: 'HTTP', http: { status_code: 200 } }, { type: 'HTTP', http: { status_code: 200 } }));
  t.false(sameCheckStatus({ type: 'HTTP', http: { status_code: 200 } }, { type: 'HTTP', http: { status_code: 500 } }));
  t.false(sameCheckStatus(emptyCheckStatus('TCP'), { type: 'TCP', tcp: { succeeded: false } }));
  t.true(sameCheckStatus(emptyCheckStatus('COMMAND'), { type: 'COMMAND', command: {} }));
});

test('emptyCheckStatus: the type and its empty sub-message', (t) => {
  t.deepEqual(emptyCheckStatus('COMMAND'), { type: 'COMMAND', command: {} });
  t.deepEqual(emptyCheckStatus('HTTP'), { type: 'HTTP', http: {} });
  t.deepEqual(emptyCheckStatus('TCP'), { type: 'TCP', tcp: {} });
  t.deepEqual(emptyCheckStatus('UNKNOWN'), { type: 'UNKNOWN' });
});
