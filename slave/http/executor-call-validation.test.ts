import test from 'ava';
import type { ExecutorCall } from '../executor-endpoint.ts';
import { validateExecutorCall } from './executor-call-validation.ts';

const ids = { executor_id: { value: 'exec-1' }, framework_id: { value: 'fw-1' } };
const uuid16 = Buffer.alloc(16, 7).toString('base64');
const status = (overrides: Record<string, unknown> = {}) => ({
  task_id: { value: 't1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid: uuid16, ...overrides,
});
const update = (overrides: Record<string, unknown> = {}) => ({ ...ids, type: 'UPDATE', update: { status: status(overrides) } });

const cases: [name: string, call: Record<string, unknown>, expected: string | undefined][] = [
  ['no type', { ...ids }, "Expecting 'type' to be present"],
  ['no executor_id', { type: 'SUBSCRIBE', framework_id: ids.framework_id, subscribe: {} }, "Expecting 'executor_id' to be present"],
  ['no framework_id', { type: 'SUBSCRIBE', executor_id: ids.executor_id, subscribe: {} }, "Expecting 'framework_id' to be present"],
  ['type not in the enum', { ...ids, type: 'HEARTBEAT' }, "Unknown 'type' HEARTBEAT"],
  ['UNKNOWN passes (answered 501 by the route)', { ...ids, type: 'UNKNOWN' }, undefined],
  ['SUBSCRIBE without subscribe', { ...ids, type: 'SUBSCRIBE' }, "Expecting 'subscribe' to be present"],
  ['SUBSCRIBE', { ...ids, type: 'SUBSCRIBE', subscribe: {} }, undefined],
  ['MESSAGE without message', { ...ids, type: 'MESSAGE' }, "Expecting 'message' to be present"],
  ['MESSAGE', { ...ids, type: 'MESSAGE', message: { data: 'aGk=' } }, undefined],
  ['UPDATE without update', { ...ids, type: 'UPDATE' }, "Expecting 'update' to be present"],
  ['UPDATE without status', { ...ids, type: 'UPDATE', update: {} }, "Expecting 'update.status' to be present"],
  ['UPDATE without uuid', update({ uuid: undefined }), "Expecting 'update.status.uuid' to be present"],
  // 'AAAA' is 3 bytes once decoded.
  ['UPDATE short uuid', update({ uuid: 'AAAA' }), "'update.status.uuid' is not a valid UUID: 3 bytes, expecting 16"],
  ['UPDATE other executor', update({ executor_id: { value: 'exec-2' } }),
    "'update.status.executor_id' (exec-2) does not match 'executor_id' (exec-1)"],
  ['UPDATE same executor', update({ executor_id: { value: 'exec-1' } }), undefined],
  ['UPDATE without source', update({ source: undefined }), "'update.status.source' is not set, expecting SOURCE_EXECUTOR"],
  ['UPDATE from the agent', update({ source: 'SOURCE_AGENT' }), "'update.status.source' is SOURCE_AGENT, expecting SOURCE_EXECUTOR"],
  ['UPDATE TASK_STAGING', update({ state: 'TASK_STAGING' }), "'update.status.state' TASK_STAGING is not allowed from an executor"],
  ['UPDATE TASK_RUNNING', update(), undefined],
  ['UPDATE TASK_FINISHED', update({ state: 'TASK_FINISHED' }), undefined],
];

for (const [name, call, expected] of cases) {
  test(`validateExecutorCall: ${name}`, (t) => {
    const plain = JSON.parse(JSON.stringify(call)) as ExecutorCall; // drops the undefined overrides
    t.is(validateExecutorCall(plain), expected);
  });
}
