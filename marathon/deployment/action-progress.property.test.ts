/**
 * actionProgress driven by a small deterministic simulator: decisions are applied (a launch
 * becomes a Provisioned instance that stages, starts, runs, turns healthy and ready after seeded
 * delays, or fails; a kill sets the goal to Stopped and the instance dies a few ticks later), and
 * after every decision the safety properties of Marathon's upgrade strategy are checked. The
 * simulator is test code: the thing under test is only actionProgress.
 */
import test from 'ava';
import fc from 'fast-check';
import { Rng } from '../../common/rng.ts';
import type { AppDefinition, DeploymentActionName, Instance } from '../model.ts';
import { actionProgress, type ActionDecision } from './action-progress.ts';
import { restartBounds } from './restart-strategy.ts';
import { isTerminal } from './instance-facts.ts';
import { app, HTTP_CHECK, instance, V1, V2 } from './test-builders.ts';

interface Schedule {
  staging: number;
  starting: number;
  running: number;
  healthy: number;
  ready: number;
  /** Tick at which a launch fails instead of running (new instances only). */
  fails?: number;
  /** Tick at which a killed instance is gone. */
  dies?: number;
}

interface Scenario {
  action: DeploymentActionName;
  instances: number;
  mhc: number;
  moc: number;
  healthChecks: boolean;
  readiness: boolean;
  killSelection: 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
  oldCount: number;
  /** Old instances not yet running at the start. */
  oldLaunching: number;
  /**
   * Old instances running but failing their health checks (with health checks only): for good in
   * a restart (it must replace them anyway), for a few ticks otherwise (a scale waits for them).
   */
  oldUnhealthy: number;
  /** New-version instances already running (an earlier, interrupted run). */
  newCount: number;
  seed: number;
}

const MAX_TICKS = 400;
const MAX_FAILURES = 6;

const tsOf = (tick: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, 0) + tick * 1000).toISOString();

class Simulator {
  readonly rng: Rng;
  instances: Instance[] = [];
  readonly schedule = new Map<string, Schedule>();
  tick = 0;
  failures = 0;
  private nextId = 0;

  constructor(readonly app: AppDefinition, seed: number) {
    this.rng = new Rng(seed);
  }

  private delay(): number {
    return 1 + this.rng.nextInt(3);
  }

  /** An instance that is already up at tick 0 (ready; healthy from tick `healthyAt`). */
  seedRunning(version: string, healthyAt = -2): void {
    const id = `i-${this.nextId++}`;
    const hc = this.app.healthChecks.length > 0;
    this.instances.push(instance(id, { version, condition: 'Running', healthy: hc ? healthyAt <= 0 : undefined, stagedAt: tsOf(-100 + this.nextId), startedAt: tsOf(-100 + this.nextId) }));
    this.schedule.set(id, { staging: -5, starting: -4, running: -3, healthy: healthyAt, ready: -1 });
  }

  launch(version: string, mayFail: boolean): void {
    const id = `i-${this.nextId++}`;
    const staging = this.tick + this.delay();
    const starting = staging + this.delay();
    const running = starting + this.delay();
    const healthy = running + (this.app.healthChecks.length > 0 ? this.delay() : 0);
    const ready = healthy + (this.app.readinessChecks.length > 0 ? this.delay() : 0);
    const s: Schedule = { staging, starting, running, healthy, ready };
    if (mayFail && this.failures < MAX_FAILURES && this.rng.next() < 0.2) {
      this.failures++;
      s.fails = staging + this.rng.nextInt(3);
    }
    this.schedule.set(id, s);
    this.instances.push(instance(id, { version, condition: 'Provisioned', stagedAt: tsOf(this.tick) }));
  }

  apply(d: ActionDecision, version: string): void {
    const doomed = new Set(d.kill);
    this.instances = this.instances.map((i) => {
      if (!doomed.has(i.instanceId)) return i;
      if (i.goal !== 'Running') throw new Error(`kill asked twice for ${i.instanceId}`);
      this.schedule.get(i.instanceId)!.dies = this.tick + this.delay();
      return { ...i, goal: 'Stopped' as const };
    });
    for (let k = 0; k < d.launch; k++) this.launch(version, true);
  }

  isReady = (id: string): boolean => this.app.readinessChecks.length === 0 || (this.schedule.get(id)!.ready <= this.tick);

  advance(): void {
    this.tick++;
    const t = this.tick;
    const hc = this.app.healthChecks.length > 0;
    this.instances = this.instances.flatMap((i): Instance[] => {
      const s = this.schedule.get(i.instanceId)!;
      if (s.dies !== undefined && s.dies <= t) {
        // gone: sometimes still listed as terminal, sometimes forgotten
        return this.rng.next() < 0.5 ? [] : [{ ...i, condition: 'Killed' }];
      }
      if (isTerminal(i)) return this.rng.next() < 0.5 ? [] : [i];
      if (s.fails !== undefined && s.fails <= t) return [{ ...i, condition: 'Failed' }];
      if (s.running <= t) {
        return [{ ...i, condition: 'Running', startedAt: i.startedAt ?? tsOf(t), healthy: hc ? s.healthy <= t : undefined }];
      }
      if (s.starting <= t) return [{ ...i, condition: 'Starting' }];
      if (s.staging <= t) return [{ ...i, condition: 'Staging' }];
      return [i];
    });
  }

  /** Healthy instances marathon still wants (goal Running). */
  healthyCount(): number {
    const hc = this.app.healthChecks.length > 0;
    return this.instances.filter((i) => i.goal === 'Running' && i.condition === 'Running' && (!hc || i.healthy === true)).length;
  }

  aliveCount(): number {
    return this.instances.filter((i) => !isTerminal(i)).length;
  }
}

const scenario = (action: DeploymentActionName): fc.Arbitrary<Scenario> => fc.record({
  action: fc.constant(action),
  instances: fc.integer({ min: 0, max: 7 }),
  mhc: fc.oneof(fc.constantFrom(0, 0.25, 0.5, 0.75, 1), fc.double({ min: 0, max: 1, noNaN: true })),
  moc: fc.oneof(fc.constantFrom(0, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true })),
  healthChecks: fc.boolean(),
  readiness: fc.boolean(),
  killSelection: fc.constantFrom('YOUNGEST_FIRST' as const, 'OLDEST_FIRST' as const),
  oldCount: fc.integer({ min: 0, max: 7 }),
  oldLaunching: fc.integer({ min: 0, max: 2 }),
  oldUnhealthy: fc.integer({ min: 0, max: 2 }),
  newCount: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function setUp(s: Scenario): Simulator {
  const target = app('/app', {
    instances: s.instances,
    version: V2,
    upgradeStrategy: { minimumHealthCapacity: s.mhc, maximumOverCapacity: s.moc },
    healthChecks: s.healthChecks ? [HTTP_CHECK] : [],
    readinessChecks: s.readiness
      ? [{ name: 'ready', protocol: 'HTTP', path: '/ready', portName: 'http', intervalSeconds: 1, timeoutSeconds: 1, httpStatusCodesForReady: [200], preserveLastResponse: false }]
      : [],
    killSelection: s.killSelection,
  });
  const sim = new Simulator(target, s.seed);
  for (let k = 0; k < s.oldCount; k++) sim.seedRunning(V1);
  for (let k = 0; k < s.oldLaunching; k++) sim.launch(V1, false);
  const recovery = s.action === 'RestartApplication' ? Number.POSITIVE_INFINITY : 5;
  if (s.healthChecks) for (let k = 0; k < s.oldUnhealthy; k++) sim.seedRunning(V1, recovery);
  for (let k = 0; k < s.newCount; k++) sim.seedRunning(V2);
  return sim;
}

/** One decision, checked for idempotency: asked twice it is the same; once applied, nothing new. */
function step(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, sim: Simulator, action: DeploymentActionName): ActionDecision {
  const ask = () => actionProgress({ action: { action, app: sim.app.id }, app: sim.app, instances: sim.instances, isReady: sim.isReady });
  const d = ask();
  t.deepEqual(ask(), d, 'same instances, same decision');
  sim.apply(d, sim.app.version);
  const again = ask();
  if (again.launch !== 0 || again.kill.length !== 0) {
    throw new Error(`not idempotent at tick ${sim.tick}: ${JSON.stringify(d)} then ${JSON.stringify(again)}`);
  }
  return d;
}

test('property: a rolling restart keeps minHealthy once reached, stays within maxCapacity, and finishes', (t) => {
  fc.assert(fc.property(scenario('RestartApplication'), (s) => {
    const sim = setUp(s);
    const { minHealthy, maxCapacity } = restartBounds(sim.app);
    const ceiling = Math.max(maxCapacity, sim.aliveCount());
    let reached = sim.healthyCount() >= minHealthy;
    for (; sim.tick < MAX_TICKS; sim.advance()) {
      const aliveBefore = sim.aliveCount();
      const d = step(t, sim, 'RestartApplication');
      const healthy = sim.healthyCount();
      if (reached && healthy < minHealthy) throw new Error(`healthy ${healthy} < minHealthy ${minHealthy} at tick ${sim.tick}`);
      reached ||= healthy >= minHealthy;
      if (d.launch > 0 && sim.aliveCount() > maxCapacity) throw new Error(`launched past maxCapacity ${maxCapacity}: ${sim.aliveCount()}`);
      if (sim.aliveCount() > ceiling) throw new Error(`alive ${sim.aliveCount()} > ${ceiling}`);
      if (d.launch > 0 && aliveBefore >= maxCapacity) throw new Error('launch without room');
      if (d.done) {
        const wanted = sim.instances.filter((i) => i.goal === 'Running' && !isTerminal(i));
        return wanted.length === s.instances && wanted.every((i) => i.version === V2) && sim.healthyCount() === s.instances;
      }
    }
    throw new Error(`restart did not finish in ${MAX_TICKS} ticks: ${JSON.stringify(s)}`);
  }), { seed: 20261122, numRuns: 400 });
  t.pass();
});

test('property: a scale kills no more than the surplus, launches no more than the deficit, and finishes at exactly `instances`', (t) => {
  fc.assert(fc.property(scenario('ScaleApplication'), (s) => {
    const sim = setUp(s);
    for (; sim.tick < MAX_TICKS; sim.advance()) {
      const wanted = sim.instances.filter((i) => i.goal === 'Running' && !isTerminal(i)).length;
      const d = step(t, sim, 'ScaleApplication');
      if (d.kill.length > Math.max(0, wanted - s.instances)) throw new Error(`killed ${d.kill.length} of ${wanted} for ${s.instances}`);
      if (d.launch > Math.max(0, s.instances - wanted)) throw new Error(`launched ${d.launch} with ${wanted} for ${s.instances}`);
      if (d.kill.length > 0 && d.launch > 0) throw new Error('killed and launched at once');
      if (d.done) {
        const left = sim.instances.filter((i) => i.goal === 'Running' && !isTerminal(i));
        return left.length === s.instances && sim.healthyCount() === s.instances
          && sim.instances.every((i) => i.goal === 'Running' || isTerminal(i));
      }
    }
    throw new Error(`scale did not finish in ${MAX_TICKS} ticks: ${JSON.stringify(s)}`);
  }), { seed: 11, numRuns: 300 });
  t.pass();
});

test('property: a stop kills everything exactly once and finishes when all are gone', (t) => {
  fc.assert(fc.property(scenario('StopApplication'), (s) => {
    const sim = setUp(s);
    for (; sim.tick < MAX_TICKS; sim.advance()) {
      const d = step(t, sim, 'StopApplication');
      if (d.launch !== 0) throw new Error('a stop launched');
      if (d.done) return sim.aliveCount() === 0;
    }
    throw new Error(`stop did not finish: ${JSON.stringify(s)}`);
  }), { seed: 5, numRuns: 200 });
  t.pass();
});
