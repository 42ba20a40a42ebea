import test from 'ava';
import fc from 'fast-check';
import type { HealthPolicy } from './config.ts';
import { applyVerdict, startHealth, type HealthNotice, type HealthPhase, type HealthState } from './health-state.ts';

const T0 = 1_000_000;
const sec = (s: number) => T0 + s * 1000;

type Step = readonly [atSeconds: number, ok: boolean];

/** Runs results through the core; each notice as 'healthy' | 'unhealthy' | 'kill'. */
function run(policy: HealthPolicy, steps: readonly Step[]): { notices: string[][]; state: HealthState } {
  let state = startHealth(T0);
  const notices: string[][] = [];
  for (const [at, ok] of steps) {
    const step = applyVerdict(state, policy, { ok, message: ok ? 'ok' : `failed at ${at}` }, sec(at));
    state = step.state;
    notices.push(step.notices.map(short));
  }
  return { notices, state };
}

const short = (n: HealthNotice) => (n.kind === 'kill' ? 'kill' : n.healthy ? 'healthy' : 'unhealthy');

const DEFAULT: HealthPolicy = { gracePeriodMs: 10_000, consecutiveFailures: 3 };

const cases: readonly { name: string; policy?: HealthPolicy; steps: Step[]; notices: string[][]; phase: HealthPhase; failures: number }[] = [
  { name: 'first success is the first verdict', steps: [[15, true]], notices: [['healthy']], phase: 'healthy', failures: 0 },
  { name: 'success again: no news', steps: [[15, true], [25, true]], notices: [['healthy'], []], phase: 'healthy', failures: 0 },
  {
    name: 'failures inside the grace period (from the start, delay included) are ignored',
    policy: { gracePeriodMs: 20_000, consecutiveFailures: 1 },
    // t=5 and t=20 are within 20 s of the start; t=20.001 is past it
    steps: [[5, false], [20, false], [20.001, false]],
    notices: [[], [], ['unhealthy', 'kill']],
    phase: 'unhealthy',
    failures: 1,
  },
  {
    name: 'default delay 15 s is past the default 10 s grace: the first failure counts',
    steps: [[15, false], [25, false], [35, false], [45, false]],
    notices: [['unhealthy'], [], ['kill'], []],
    phase: 'unhealthy',
    failures: 4,
  },
  {
    name: 'the first success ends the grace period',
    policy: { gracePeriodMs: 60_000, consecutiveFailures: 2 },
    steps: [[1, false], [2, true], [3, false], [4, false]],
    notices: [[], ['healthy'], ['unhealthy'], ['kill']],
    phase: 'unhealthy',
    failures: 2,
  },
  {
    name: 'flapping: a success resets the count, so kill never comes',
    steps: [[15, true], [25, false], [35, false], [45, true], [55, false], [65, false], [75, true]],
    notices: [['healthy'], ['unhealthy'], [], ['healthy'], ['unhealthy'], [], ['healthy']],
    phase: 'healthy',
    failures: 0,
  },
  {
    name: 'three consecutive failures after healthy: kill once, on the third',
    steps: [[15, true], [25, false], [35, false], [45, false], [55, false], [65, false]],
    notices: [['healthy'], ['unhealthy'], [], ['kill'], [], []],
    phase: 'unhealthy',
    failures: 5,
  },
  {
    name: 'kill once per check, even after recovering and failing again',
    policy: { gracePeriodMs: 0, consecutiveFailures: 1 },
    steps: [[1, false], [2, true], [3, false]],
    notices: [['unhealthy', 'kill'], ['healthy'], ['unhealthy']],
    phase: 'unhealthy',
    failures: 1,
  },
  {
    name: 'consecutive_failures 0: the first counted failure kills',
    policy: { gracePeriodMs: 0, consecutiveFailures: 0 },
    steps: [[0, false]],
    notices: [['unhealthy', 'kill']],
    phase: 'unhealthy',
    failures: 1,
  },
  {
    name: 'grace period 0: no failure is ignored',
    policy: { gracePeriodMs: 0, consecutiveFailures: 3 },
    steps: [[0, false], [0.5, false]],
    notices: [['unhealthy'], []],
    phase: 'unhealthy',
    failures: 2,
  },
];

for (const c of cases) {
  test(`health core: ${c.name}`, (t) => {
    const { notices, state } = run(c.policy ?? DEFAULT, c.steps);
    t.deepEqual(notices, c.notices);
    t.is(state.phase, c.phase);
    t.is(state.consecutiveFailures, c.failures);
  });
}

test('health core: ignored failures only move delay to grace', (t) => {
  const step = applyVerdict(startHealth(T0), DEFAULT, { ok: false, message: 'no' }, sec(1));
  t.deepEqual(step.state, { phase: 'grace', startedAt: T0, consecutiveFailures: 0, killed: false });
  t.deepEqual(step.notices, []);
});

test('health core: the failure message travels with the notices', (t) => {
  const step = applyVerdict(startHealth(T0), { gracePeriodMs: 0, consecutiveFailures: 1 }, { ok: false, message: 'HTTP health check failed: boom' }, sec(1));
  t.deepEqual(step.notices, [
    { kind: 'health-changed', healthy: false, message: 'HTTP health check failed: boom' },
    { kind: 'kill', message: 'HTTP health check failed: boom' },
  ]);
});

test('health core invariants: kill at most once and only at the limit; notices alternate; healthy means no failures', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 20_000 }),
      fc.integer({ min: 0, max: 5 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.boolean()), { maxLength: 40 }),
      (gracePeriodMs, consecutiveFailures, results) => {
        const policy = { gracePeriodMs, consecutiveFailures };
        let state = startHealth(T0);
        let now = T0;
        let kills = 0;
        let lastVerdict: boolean | undefined;
        for (const [gap, ok] of results) {
          now += gap;
          const before = state;
          const step = applyVerdict(state, policy, { ok, message: '' }, now);
          state = step.state;
          for (const n of step.notices) {
            if (n.kind === 'kill') {
              kills++;
              if (state.consecutiveFailures < consecutiveFailures) return false;
            } else {
              if (n.healthy === lastVerdict) return false;
              lastVerdict = n.healthy;
            }
          }
          if (state.phase === 'healthy' && state.consecutiveFailures !== 0) return false;
          if (!ok && state.phase === 'grace' && (before.phase === 'healthy' || before.phase === 'unhealthy')) return false;
        }
        return kills <= 1;
      },
    ),
  );
  t.pass();
});
