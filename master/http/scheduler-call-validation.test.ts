import test from 'ava';
import type { SchedulerCall } from '../scheduler-endpoint.ts';
import { validateSchedulerCall } from './scheduler-call-validation.ts';

const fw = { value: 'fw-1' };
const uuid16 = Buffer.alloc(16, 7).toString('base64');
const info = { user: 'u', name: 'n' };

const cases: [name: string, call: Record<string, unknown>, expected: string | undefined][] = [
  ['no type', {}, "Expecting 'type' to be present"],
  ['SUBSCRIBE without subscribe', { type: 'SUBSCRIBE' }, "Expecting 'subscribe' to be present"],
  ['SUBSCRIBE new', { type: 'SUBSCRIBE', subscribe: { framework_info: info } }, undefined],
  ['SUBSCRIBE id in call only', { type: 'SUBSCRIBE', framework_id: fw, subscribe: { framework_info: info } },
    "'framework_id' differs from 'subscribe.framework_info.id'"],
  ['SUBSCRIBE ids differ', { type: 'SUBSCRIBE', framework_id: fw, subscribe: { framework_info: { ...info, id: { value: 'other' } } } },
    "'framework_id' differs from 'subscribe.framework_info.id'"],
  ['SUBSCRIBE ids equal', { type: 'SUBSCRIBE', framework_id: fw, subscribe: { framework_info: { ...info, id: fw } } }, undefined],
  ['DECLINE without framework_id', { type: 'DECLINE', decline: { offer_ids: [] } }, "Expecting 'framework_id' to be present"],
  ['TEARDOWN', { type: 'TEARDOWN', framework_id: fw }, undefined],
  ['REVIVE', { type: 'REVIVE', framework_id: fw }, undefined],
  ['SUPPRESS', { type: 'SUPPRESS', framework_id: fw }, undefined],
  ['ACCEPT without accept', { type: 'ACCEPT', framework_id: fw }, "Expecting 'accept' to be present"],
  ['DECLINE without decline', { type: 'DECLINE', framework_id: fw }, "Expecting 'decline' to be present"],
  ['KILL without kill', { type: 'KILL', framework_id: fw }, "Expecting 'kill' to be present"],
  ['SHUTDOWN without shutdown', { type: 'SHUTDOWN', framework_id: fw }, "Expecting 'shutdown' to be present"],
  ['RECONCILE without reconcile', { type: 'RECONCILE', framework_id: fw }, "Expecting 'reconcile' to be present"],
  ['RECONCILE implicit', { type: 'RECONCILE', framework_id: fw, reconcile: {} }, undefined],
  ['MESSAGE without message', { type: 'MESSAGE', framework_id: fw }, "Expecting 'message' to be present"],
  ['REQUEST without request', { type: 'REQUEST', framework_id: fw }, "Expecting 'request' to be present"],
  ['ACKNOWLEDGE without acknowledge', { type: 'ACKNOWLEDGE', framework_id: fw }, "Expecting 'acknowledge' to be present"],
  ['ACKNOWLEDGE short uuid', { type: 'ACKNOWLEDGE', framework_id: fw, acknowledge: { uuid: 'AAAA' } }, 'Not a valid UUID'],
  ['ACKNOWLEDGE good', { type: 'ACKNOWLEDGE', framework_id: fw, acknowledge: { uuid: uuid16 } }, undefined],
  ['UPDATE_FRAMEWORK ids differ', { type: 'UPDATE_FRAMEWORK', framework_id: fw, update_framework: { framework_info: info } },
    "'framework_id' differs from 'update_framework.framework_info.id'"],
  ['UPDATE_FRAMEWORK good', { type: 'UPDATE_FRAMEWORK', framework_id: fw, update_framework: { framework_info: { ...info, id: fw } } }, undefined],
  ['UNKNOWN passes validation (answered 501 later)', { type: 'UNKNOWN', framework_id: fw }, undefined],
];

for (const [name, call, expected] of cases) {
  test(`validateSchedulerCall: ${name}`, (t) => {
    t.is(validateSchedulerCall(call as unknown as SchedulerCall), expected);
  });
}
