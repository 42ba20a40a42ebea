/**
 * What one deployment action needs next, from the instances the core knows now: how many
 * instances to launch, which to kill, and whether the action is done. The core calls it again
 * after every instance change and applies the answer (a launch becomes a Provisioned instance of
 * the target version with goal Running; a kill sets the goal to Stopped/Decommissioned).
 *
 * It is a pure function of its input, so it is idempotent: instances already launched
 * (Provisioned/Staging/Starting) and kills already asked for (goal !== Running) are counted, and a
 * second call on the same instances asks for nothing new.
 *
 *   StartApplication    nothing to do; done at once (Marathon starts an app at 0 instances and
 *                       scales it in a later step).
 *   ScaleApplication    launch up to `instances`, kill the extras in kill order; done when exactly
 *                       `instances` active instances with goal Running exist, all healthy and
 *                       ready, and no kill is awaited.
 *   RestartApplication  rolling replacement within the app's restart bounds (restart-strategy.ts):
 *                       an old instance (other version, or staged before `restartBefore`) is
 *                       killed only while healthy instances stay >= minHealthy (and, so that a
 *                       marathon that lost its health results kills no more than Marathon would,
 *                       while running instances stay >= minHealthy); new ones are launched while
 *                       active instances (old, new and stopping alike) stay <= maxCapacity. Done
 *                       when no old instance is left, `instances` new ones are healthy and ready,
 *                       and no kill is awaited.
 *   StopApplication     kill every instance; done when none is wanted and no kill is awaited.
 *   ResolveArtifacts    nothing to do (artifacts are fetched by the agent); done at once.
 *
 * "Healthy" is instance-facts.ts's; "ready" is `isReady`, asked only of new (target-version)
 * instances in a restart and of every instance in a scale, as the core promises true for apps
 * without readiness checks.
 */
import { APP_ACTION_OF, type DeploymentAction, type Instance, type RunSpec, type Timestamp } from '../model.ts';
import { isActive, isAwaitedKill, isHealthy, isTerminal, isWanted } from './instance-facts.ts';
import { killOrder, selectToKill } from './kill-selection.ts';
import { restartBounds } from './restart-strategy.ts';

export interface ActionInput {
  action: DeploymentAction;
  /** The target definition (for StopApplication: the original one): an app, or a pod's run spec. */
  app: RunSpec;
  /** All instances of the app known to the core (any version, condition, goal). */
  instances: readonly Instance[];
  /** Readiness of an instance (true when the app has no readiness checks). */
  isReady(instanceId: string): boolean;
  /**
   * A forced restart (`/restart`) of an app whose version did not change: instances staged
   * before this time are old too.
   */
  restartBefore?: Timestamp;
}

export interface ActionDecision {
  /** New instances of `app` to launch (of `app.version`). */
  launch: number;
  /** Instance ids to kill (their goal becomes Stopped / Decommissioned). */
  kill: readonly string[];
  done: boolean;
}

const NOTHING: ActionDecision = { launch: 0, kill: [], done: true };

export function actionProgress(input: ActionInput): ActionDecision {
  switch (APP_ACTION_OF[input.action.action]) {
    case 'StartApplication':
    case 'ResolveArtifacts':
    default:
      return NOTHING;
    case 'ScaleApplication':
      return scaleProgress(input);
    case 'RestartApplication':
      return restartProgress(input);
    case 'StopApplication':
      return stopProgress(input);
  }
}

function scaleProgress({ app, instances, isReady }: ActionInput): ActionDecision {
  const n = app.instances;
  const wanted = instances.filter((i) => isWanted(i) && isActive(i));
  const kill = wanted.length > n ? selectToKill(wanted, wanted.length - n, app.killSelection) : [];
  const launch = Math.max(0, n - wanted.length);
  const done = kill.length === 0 && launch === 0
    && wanted.every((i) => isHealthy(app, i) && isReady(i.instanceId))
    && !instances.some(isAwaitedKill);
  return { launch, kill, done };
}

function stopProgress({ app, instances }: ActionInput): ActionDecision {
  const kill = killOrder(instances, app.killSelection).map((i) => i.instanceId);
  const done = kill.length === 0 && !instances.some(isAwaitedKill);
  return { launch: 0, kill, done };
}

function restartProgress(input: ActionInput): ActionDecision {
  const { app, instances, isReady } = input;
  const n = app.instances;
  const { minHealthy, maxCapacity } = restartBounds(app);
  const before = input.restartBefore === undefined ? undefined : Date.parse(input.restartBefore);
  const isOld = (i: Instance): boolean =>
    i.version !== app.version || (before !== undefined && Date.parse(i.stagedAt) < before);

  const wanted = instances.filter((i) => isWanted(i) && !isTerminal(i));
  const old = wanted.filter(isOld);
  const fresh = wanted.filter((i) => !isOld(i) && isActive(i));
  const freshGood = new Set(fresh.filter((i) => isHealthy(app, i) && isReady(i.instanceId)).map((i) => i.instanceId));

  // Two budgets, both floored at minHealthy: healthy instances, and running ones (an old instance
  // counts while Running even if its health is unknown; a new one only once healthy and ready).
  let healthyBudget = old.filter((i) => isHealthy(app, i)).length + freshGood.size - minHealthy;
  let runningBudget = old.filter((i) => i.condition === 'Running').length + freshGood.size - minHealthy;

  // Candidates: every old instance, then new ones beyond `instances` (left from an earlier run).
  const extras = fresh.length > n ? selectToKill(fresh, fresh.length - n, app.killSelection) : [];
  const byId = new Map(fresh.map((i) => [i.instanceId, i]));
  const candidates = [...killOrder(old, app.killSelection), ...extras.map((id) => byId.get(id)!)];

  const kill: string[] = [];
  for (const i of candidates) {
    const isNew = !isOld(i);
    const costHealthy = (isNew ? freshGood.has(i.instanceId) : isHealthy(app, i)) ? 1 : 0;
    const costRunning = (isNew ? freshGood.has(i.instanceId) : i.condition === 'Running') ? 1 : 0;
    // A budget may already be negative (health results not in yet): a kill that costs it nothing
    // is still allowed; one that costs it needs a unit to spare.
    if ((costHealthy > 0 && healthyBudget < costHealthy) || (costRunning > 0 && runningBudget < costRunning)) continue;
    healthyBudget -= costHealthy;
    runningBudget -= costRunning;
    kill.push(i.instanceId);
  }

  const alive = instances.filter(isActive).length;
  const launch = Math.max(0, Math.min(n - fresh.length, maxCapacity - alive));

  const done = kill.length === 0 && launch === 0 && old.length === 0
    && fresh.length === n && freshGood.size === n
    && !instances.some(isAwaitedKill);
  return { launch, kill, done };
}
