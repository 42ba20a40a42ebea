/**
 * The deployment planner: the steps that take the apps of `original` to those of `target`
 * (Marathon's `DeploymentPlan`). Steps run one after another; the actions of one step in parallel.
 *
 *   1. StopApplication for every app only in `original`, dependents before their dependencies
 *      (one step per dependency layer of the original tree, highest layer first).
 *   2. StartApplication for every app only in `target`, all in one step (it starts nothing: the
 *      app is registered at 0 instances, as Marathon's `StartApplication(app, 0)`).
 *   3. One step per dependency layer of the target tree, lowest layer first, holding for each app
 *      of that layer: ScaleApplication if the app is new or only its `instances` changed,
 *      RestartApplication if its configuration changed or `restart` names it; nothing otherwise.
 * Empty steps are dropped, so an unchanged tree gives an empty plan (`steps: []`).
 *
 * Invariants: an app appears in at most one action of step 3 and at most once in steps 1 and 2;
 * an app's dependencies are scaled or restarted in an earlier step than the app; the plan is a
 * function of its arguments (sorted ids, no clock, no randomness).
 */
import type {
  AppDefinition, Deployment, DeploymentAction, DeploymentStep, Group, PathId, Timestamp,
} from '../model.ts';
import { isConfigChange, isScaleChange } from '../app/app-change.ts';
import { allApps } from '../app/group.ts';
import { batchesByLayer, layersOf } from './dependency-graph.ts';

export interface PlanOptions {
  readonly id: string;
  readonly version: Timestamp;
  /** Apps to restart even without a configuration change (`POST /v2/apps/{id}/restart`). */
  readonly restart?: readonly PathId[];
}

/** What happens to one app that exists in both trees (undefined: nothing). */
function changeAction(from: AppDefinition, to: AppDefinition, forced: boolean): DeploymentAction['action'] | undefined {
  if (forced || isConfigChange(from, to)) return 'RestartApplication';
  if (isScaleChange(from, to)) return 'ScaleApplication';
  return undefined;
}

export function planDeployment(original: Group, target: Group, opts: PlanOptions): Deployment {
  const before = new Map(allApps(original).map((a) => [a.id, a]));
  const after = new Map(allApps(target).map((a) => [a.id, a]));
  const forced = new Set(opts.restart ?? []);

  const removed = [...before.keys()].filter((id) => !after.has(id));
  const added = [...after.keys()].filter((id) => !before.has(id));

  const steps: DeploymentStep[] = [];
  const push = (actions: DeploymentAction[]): void => {
    if (actions.length > 0) steps.push({ actions });
  };

  // 1. stops: dependents first, so nothing runs without what it depends on.
  const stopBatches = batchesByLayer(removed, layersOf(original)).reverse();
  for (const batch of stopBatches) push(batch.map((app) => ({ action: 'StopApplication', app })));

  // 2. new apps registered at 0 instances.
  push([...added].sort().map((app) => ({ action: 'StartApplication', app })));

  // 3. scale or restart, dependencies first.
  const changes = new Map<PathId, DeploymentAction['action']>();
  for (const [id, to] of after) {
    const from = before.get(id);
    const action = from === undefined ? 'ScaleApplication' : changeAction(from, to, forced.has(id));
    if (action !== undefined) changes.set(id, action);
  }
  const targetLayers = layersOf(target);
  for (const batch of batchesByLayer(changes.keys(), targetLayers)) {
    push(batch.map((app) => ({ action: changes.get(app)!, app })));
  }

  const affected = new Set<PathId>();
  for (const step of steps) for (const a of step.actions) affected.add(a.app);
  const restartApps = [...changes].filter(([, a]) => a === 'RestartApplication').map(([id]) => id).sort();

  return {
    id: opts.id,
    version: opts.version,
    original,
    target,
    steps,
    affectedApps: [...affected].sort(),
    currentStep: steps.length > 0 ? 1 : 0,
    restartApps,
  };
}
