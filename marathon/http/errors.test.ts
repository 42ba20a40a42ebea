import test from 'ava';
import { ERRORS, fromServiceError, type HttpError } from './errors.ts';

// The catalogue, with the exact status and body Marathon 1.x answers.
const rows: [string, HttpError, number, unknown][] = [
  ['invalidJson', ERRORS.invalidJson([{ path: '/', errors: ['e'] }]), 400, { message: 'Invalid JSON', details: [{ path: '/', errors: ['e'] }] }],
  ['invalidObject', ERRORS.invalidObject([{ path: '/cpus', errors: ['error.min'] }]), 422, { message: 'Object is not valid', details: [{ path: '/cpus', errors: ['error.min'] }] }],
  ['unknownApp', ERRORS.unknownApp('/x'), 404, { message: "App '/x' does not exist" }],
  ['unknownApp in version', ERRORS.unknownApp('/x', '2026-01-01T00:00:00.000Z'), 404, { message: "App '/x' does not exist in version 2026-01-01T00:00:00.000Z" }],
  ['unknownGroup', ERRORS.unknownGroup('/g'), 404, { message: "Group '/g' does not exist" }],
  ['unknownTask', ERRORS.unknownTask('t.1'), 404, { message: "Task 't.1' does not exist" }],
  ['unknownDeployment', ERRORS.unknownDeployment('d'), 404, { message: 'DeploymentPlan d does not exist' }],
  ['appExists', ERRORS.appExists('/x'), 409, { message: 'An app with id [/x] already exists.' }],
  ['appLocked', ERRORS.appLocked(['d1', 'd2']), 409, {
    message: "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
    deployments: [{ id: 'd1' }, { id: 'd2' }],
  }],
  ['notInQueue', ERRORS.notInQueue('/x'), 404, { message: 'Application /x not found in tasks queue.' }],
  ['groupExists', ERRORS.groupExists('/g'), 409, { message: 'Group /g is already created. Use PUT to change this group.' }],
  ['appPathExists', ERRORS.appPathExists('/a'), 409, { message: 'An app with the path /a already exists.' }],
  ['noLeader', ERRORS.noLeader(), 503, { message: 'Could not determine the current leader' }],
];
for (const [name, e, status, body] of rows) {
  test(`ERRORS.${name}: ${status} ${JSON.stringify(body)}`, (t) => {
    t.is(e.status, status);
    t.deepEqual(e.body, body);
  });
}

// Sample arguments per code: a new catalogue entry must be added here, or this test fails.
const SAMPLES: Record<keyof typeof ERRORS, readonly unknown[]> = {
  invalidJson: [[{ path: '/', errors: ['e'] }]],
  badRequest: ['m'],
  invalidObject: [[{ path: '/', errors: ['e'] }]],
  unknownApp: ['/x'],
  unknownGroup: ['/x'],
  unknownTask: ['t'],
  unknownDeployment: ['d'],
  notInQueue: ['/x'],
  appExists: ['/x'],
  appLocked: [['d']],
  groupExists: ['/g'],
  appPathExists: ['/a'],
  methodNotAllowed: ['m'],
  bodyTooLarge: ['m'],
  noLeader: [],
  leaderUnreachable: ['h:1'],
  notImplemented: ['m'],
  notFound: ['m'],
  internal: ['m'],
};

test('every catalogue entry has a sample, is a 4xx/5xx and has a non-empty message', (t) => {
  t.deepEqual(Object.keys(ERRORS).sort(), Object.keys(SAMPLES).sort());
  for (const [code, make] of Object.entries(ERRORS)) {
    const e = (make as (...a: unknown[]) => HttpError)(...SAMPLES[code as keyof typeof ERRORS]);
    t.true(e.status >= 400 && e.status < 600, code);
    t.true(typeof e.body.message === 'string' && e.body.message.length > 0, code);
  }
});

test('fromServiceError keeps status, message, details and deployments, and adds nothing', (t) => {
  t.deepEqual(fromServiceError({ ok: false, status: 404, message: 'm' }), { status: 404, body: { message: 'm' } });
  t.deepEqual(fromServiceError({ ok: false, status: 422, message: 'Object is not valid', details: [{ path: '/id', errors: ['e'] }] }),
    { status: 422, body: { message: 'Object is not valid', details: [{ path: '/id', errors: ['e'] }] } });
  t.deepEqual(fromServiceError({ ok: false, status: 409, message: 'locked', deployments: [{ id: 'd' }] }),
    { status: 409, body: { message: 'locked', deployments: [{ id: 'd' }] } });
});
