import test from 'ava';
import fc from 'fast-check';
import { applyOutcome, INITIAL_HEALTH, isAlive, toHealthResult, type HealthOutcome, type HealthPolicy, type HealthState } from './health-state.ts';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0); // the instance started running
const s = (seconds: number) => T0 + seconds * 1000;
const policy: HealthPolicy = { startedAt: T0, gracePeriodMs: 300_000, maxConsecutiveFailures: 3 };
const OK: HealthOutcome = { kind: 'healthy' };
const FAIL: HealthOutcome = { kind: 'unhealthy', cause: '503 Service Unavailable' };
const IGNORED: HealthOutcome = { kind: 'ignored' };

/** Runs outcomes at the given seconds after T0; returns the final state and the effects in order. */
function run(events: readonly (readonly [number, HealthOutcome])[], p: HealthPolicy = policy) {
  let state: HealthState = INITIAL_HEALTH;
  const effects: string[] = [];
  for (const [at, outcome] of events) {
    const step = applyOutcome(state, p, outcome, s(at));
    state = step.state;
    effects.push(...step.effects.map((e) => (e.kind === 'kill' ? `kill:${e.cause}` : e.kind)));
  }
  return { state, effects };
}

const cases: readonly {
  name: string;
  events: readonly (readonly [number, HealthOutcome])[];
  policy?: HealthPolicy;
  failures: number;
  alive: boolean;
  effects: readonly string[];
}[] = [
  { name: 'nothing yet', events: [], failures: 0, alive: false, effects: [] },
  { name: 'a success', events: [[5, OK]], failures: 0, alive: true, effects: ['changed'] },
  // grace 300 s: failures at 5 s and 299 s are not counted (no success yet)
  { name: 'failures in the grace period are ignored', events: [[5, FAIL], [299, FAIL]], failures: 0, alive: false, effects: [] },
  // at exactly startedAt + grace the period is over (Marathon: since + grace > now ignores)
  { name: 'the grace period ends at startedAt + grace', events: [[300, FAIL]], failures: 1, alive: false, effects: ['changed'] },
  // a success at 10 s ends the grace period for good: the failure at 20 s counts
  { name: 'the first success ends the grace period', events: [[10, OK], [20, FAIL]], failures: 1, alive: false, effects: ['changed', 'changed'] },
  { name: 'a success resets the failures', events: [[10, OK], [20, FAIL], [30, FAIL], [40, OK]], failures: 0, alive: true, effects: ['changed', 'changed', 'changed', 'changed'] },
  // max 3: killed on the 4th consecutive failure (Marathon kills after MORE than max)
  {
    name: 'more than maxConsecutiveFailures: kill once',
    events: [[10, OK], [20, FAIL], [30, FAIL], [40, FAIL], [50, FAIL], [60, FAIL]],
    failures: 5,
    alive: false,
    effects: ['changed', 'changed', 'changed', 'changed', 'changed', 'kill:503 Service Unavailable', 'changed'],
  },
  {
    name: 'maxConsecutiveFailures 0 never kills',
    events: [[301, FAIL], [302, FAIL], [303, FAIL], [304, FAIL], [305, FAIL]],
    policy: { ...policy, maxConsecutiveFailures: 0 },
    failures: 5,
    alive: false,
    effects: ['changed', 'changed', 'changed', 'changed', 'changed'],
  },
  {
    name: 'maxConsecutiveFailures 1: the 2nd failure kills',
    events: [[301, FAIL], [302, FAIL]],
    policy: { ...policy, maxConsecutiveFailures: 1 },
    failures: 2,
    alive: false,
    effects: ['changed', 'changed', 'kill:503 Service Unavailable'],
  },
  { name: 'an ignored 1xx changes nothing', events: [[10, OK], [20, IGNORED], [30, IGNORED]], failures: 0, alive: true, effects: ['changed'] },
  { name: 'an ignored 1xx does not count as a failure', events: [[301, FAIL], [302, IGNORED]], failures: 1, alive: false, effects: ['changed'] },
  // grace 0: the first failure counts at once
  { name: 'no grace period', events: [[0, FAIL]], policy: { ...policy, gracePeriodMs: 0 }, failures: 1, alive: false, effects: ['changed'] },
];

for (const c of cases) {
  test(`health state: ${c.name}`, (t) => {
    const { state, effects } = run(c.events, c.policy);
    t.is(state.consecutiveFailures, c.failures);
    t.is(isAlive(state), c.alive);
    t.deepEqual(effects, c.effects);
  });
}

test('health state: the result carries ISO timestamps and the last cause', (t) => {
  const { state } = run([[10, OK], [20, OK], [301, FAIL]]);
  t.deepEqual(toHealthResult(state), {
    alive: false,
    consecutiveFailures: 1,
    firstSuccess: '2026-11-22T10:00:10.000Z',
    lastSuccess: '2026-11-22T10:00:20.000Z',
    lastFailure: '2026-11-22T10:05:01.000Z',
    lastFailureCause: '503 Service Unavailable',
  });
  t.deepEqual(toHealthResult(INITIAL_HEALTH), {
    alive: false, consecutiveFailures: 0, firstSuccess: null, lastFailure: null, lastSuccess: null, lastFailureCause: null,
  });
});

test('health state: alive again after a success that follows a failure', (t) => {
  const { state } = run([[301, FAIL], [310, OK]]);
  t.deepEqual(toHealthResult(state), {
    alive: true,
    consecutiveFailures: 0,
    firstSuccess: '2026-11-22T10:05:10.000Z',
    lastSuccess: '2026-11-22T10:05:10.000Z',
    lastFailure: '2026-11-22T10:05:01.000Z',
    lastFailureCause: '503 Service Unavailable',
  });
});

const outcomeArb: fc.Arbitrary<HealthOutcome> = fc.oneof(
  fc.constant(OK),
  fc.constant(IGNORED),
  fc.string({ maxLength: 8 }).map((cause): HealthOutcome => ({ kind: 'unhealthy', cause })),
);
const policyArb = fc.record({ startedAt: fc.constant(T0), gracePeriodMs: fc.integer({ min: 0, max: 100_000 }), maxConsecutiveFailures: fc.integer({ min: 0, max: 5 }) });

test('health state (property): kill at most once, never for max 0, only past max; firstSuccess fixed; ignored is a no-op', (t) => {
  fc.assert(
    fc.property(policyArb, fc.array(fc.tuple(fc.integer({ min: 1, max: 10_000 }), outcomeArb), { maxLength: 40 }), (p, steps) => {
      let state = INITIAL_HEALTH;
      let now = T0;
      let kills = 0;
      for (const [dt, outcome] of steps) {
        now += dt;
        const before = state;
        const step = applyOutcome(state, p, outcome, now);
        state = step.state;
        const killed = step.effects.some((e) => e.kind === 'kill');
        if (killed) {
          kills++;
          if (p.maxConsecutiveFailures === 0 || state.consecutiveFailures <= p.maxConsecutiveFailures) return false;
        }
        if (before.firstSuccess !== undefined && state.firstSuccess !== before.firstSuccess) return false;
        if (outcome.kind === 'ignored' && (state !== before || step.effects.length > 0)) return false;
        if (outcome.kind === 'healthy' && (state.consecutiveFailures !== 0 || !isAlive(state))) return false;
      }
      return kills <= 1;
    }),
  );
  t.pass();
});
