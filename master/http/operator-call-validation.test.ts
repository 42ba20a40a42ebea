import test from 'ava';
import { validateOperatorCall, type OperatorCall } from './operator-call-validation.ts';

const cases: [call: Record<string, unknown>, expected: string | undefined][] = [
  [{}, "Expecting 'type' to be present"],
  [{ type: 'GET_STATE' }, undefined],
  [{ type: 'GET_HEALTH' }, undefined],
  [{ type: 'GET_METRICS' }, "Expecting 'get_metrics' to be present"],
  [{ type: 'GET_METRICS', get_metrics: {} }, undefined],
  [{ type: 'UPDATE_WEIGHTS' }, "Expecting 'update_weights' to be present"],
  [{ type: 'UPDATE_QUOTA' }, "Expecting 'update_quota' to be present"],
  [{ type: 'TEARDOWN' }, "Expecting 'teardown' to be present"],
  [{ type: 'TEARDOWN', teardown: { framework_id: { value: 'f' } } }, undefined],
  [{ type: 'DRAIN_AGENT' }, "Expecting 'drain_agent' to be present"],
];

for (const [call, expected] of cases) {
  test(`validateOperatorCall ${JSON.stringify(call)}`, (t) => {
    t.is(validateOperatorCall(call as unknown as OperatorCall), expected);
  });
}
