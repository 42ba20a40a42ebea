import test from 'ava';
import { ERRORS, escapeHtml, fromBatchError, type HttpError } from './errors.ts';

// every entry of the catalogue, built with sample arguments -> its status
const catalogue: [string, HttpError, number][] = [
  ['invalidJson', ERRORS.invalidJson('Unexpected end', '/v1/jobs'), 400],
  ['invalidId', ERRORS.invalidId('A_B', '/v1/jobs/A_B'), 400],
  ['unknownEmbed', ERRORS.unknownEmbed('/v1/jobs'), 400],
  ['invalidBoolean', ERRORS.invalidBoolean('stopCurrentJobRuns', '/v1/jobs/a'), 400],
  ['unknownRoute', ERRORS.unknownRoute('/x'), 404],
  ['bodyTooLarge', ERRORS.bodyTooLarge('/v1/jobs'), 413],
  ['invalidObject', ERRORS.invalidObject([{ path: '/id', errors: ['error.pattern'] }]), 422],
  ['unknownJob', ERRORS.unknownJob('a'), 404],
  ['unknownSchedule', ERRORS.unknownSchedule('s'), 404],
  ['unknownJobRun', ERRORS.unknownJobRun('a', 'r'), 404],
  ['jobExists', ERRORS.jobExists(), 409],
  ['activeRuns', ERRORS.activeRuns(), 409],
  ['scheduleExists', ERRORS.scheduleExists('s'), 409],
  ['internal', ERRORS.internal('/v1/jobs'), 500],
];

test('the catalogue covers every code, each with its status and a string message (a 500 has only requestPath)', (t) => {
  t.deepEqual(catalogue.map(([code]) => code).sort(), Object.keys(ERRORS).sort());
  for (const [code, e, status] of catalogue) {
    t.is(e.status, status, code);
    if (status === 500) t.deepEqual(Object.keys(e.body), ['requestPath'], code);
    else t.is(typeof e.body.message, 'string', code);
  }
});

test('Metronome\'s exact bodies', (t) => {
  t.deepEqual(ERRORS.unknownJob('prod.a').body, { id: 'prod.a', message: 'Job not found' });
  t.deepEqual(ERRORS.unknownSchedule('nightly').body, { id: 'nightly', message: 'Schedule not found' });
  t.deepEqual(ERRORS.unknownJobRun('prod.a', '20261122100000abcde').body, { jobSpec: 'prod.a', id: '20261122100000abcde', message: 'Job Run not found' });
  t.deepEqual(ERRORS.jobExists().body, { message: 'Job with this id already exists' });
  t.deepEqual(ERRORS.activeRuns().body, { message: 'There are active job runs. Override with stopCurrentJobRuns=true' });
  t.deepEqual(ERRORS.unknownRoute('/v2/apps').body, { message: 'Unknown route.', requestPath: '/v2/apps' });
  t.deepEqual(ERRORS.invalidObject([{ path: '/run/mem', errors: ['error.min'] }]).body, {
    message: 'Object is not valid', details: [{ path: '/run/mem', errors: ['error.min'] }],
  });
});

const escapes: [string, string][] = [
  ['plain /v1/jobs', 'plain /v1/jobs'],
  ['<script>', '&lt;script&gt;'],
  ['a "b" & \'c\'', 'a &quot;b&quot; &amp; &#x27;c&#x27;'],
];
for (const [raw, escaped] of escapes) {
  test(`escapeHtml(${JSON.stringify(raw)})`, (t) => t.is(escapeHtml(raw), escaped));
}

test('client errors escape both the message and the path', (t) => {
  t.deepEqual(ERRORS.invalidId('<b>', '/v1/jobs/<b>').body, { message: 'Not a valid id: &lt;b&gt;', requestPath: '/v1/jobs/&lt;b&gt;' });
});

// a refusal of the core -> what the REST layer answers (the route's 404 shape given: unknownJob('a'))
const refusals: [string, Parameters<typeof fromBatchError>[0], HttpError][] = [
  ['404 takes the route\'s shape', { ok: false, status: 404, message: 'no job a' }, ERRORS.unknownJob('a')],
  ['409 keeps its message', { ok: false, status: 409, message: 'busy' }, { status: 409, body: { message: 'busy' } }],
  ['503 keeps its message', { ok: false, status: 503, message: 'no leader' }, { status: 503, body: { message: 'no leader' } }],
  ['422 keeps its details', { ok: false, status: 422, message: 'x', details: [{ path: '/id', errors: ['taken'] }] },
    ERRORS.invalidObject([{ path: '/id', errors: ['taken'] }])],
  ['422 without details names the root', { ok: false, status: 422, message: 'bad' }, ERRORS.invalidObject([{ path: '/', errors: ['bad'] }])],
  ['400 keeps details', { ok: false, status: 400, message: 'm', details: [{ path: '/a', errors: ['e'] }] },
    { status: 400, body: { message: 'm', details: [{ path: '/a', errors: ['e'] }] } }],
];
for (const [name, refusal, expected] of refusals) {
  test(`fromBatchError: ${name}`, (t) => t.deepEqual(fromBatchError(refusal, ERRORS.unknownJob('a')), expected));
}
