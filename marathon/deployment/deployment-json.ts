/**
 * A deployment as `GET /v2/deployments` serves it (Marathon 1.x; the shape of Marathon's
 * deployments.json example): id, version, affectedApps, affectedPods (the pods among the actions),
 * steps, currentActions (the actions of the current step, each with the readiness results of
 * its app's instances), currentStep (from 1) and totalSteps.
 *
 * Invariants: only fields python3-marathon's `MarathonDeployment` / `MarathonDeploymentAction`
 * accept; `currentActions` is empty when `currentStep` is outside 1..totalSteps (an empty plan).
 */
import { isPodAction, type Deployment, type DeploymentAction, type PathId, type ReadinessResult } from '../model.ts';

export type ReadinessLookup = (appId: PathId) => readonly ReadinessResult[];

const noReadiness: ReadinessLookup = () => [];

function readinessJson(r: ReadinessResult): Record<string, unknown> {
  const out: Record<string, unknown> = { name: r.name, taskId: r.taskId, ready: r.ready };
  if (r.lastResponse !== undefined) {
    out.lastResponse = { status: r.lastResponse.status, contentType: r.lastResponse.contentType, body: r.lastResponse.body };
  }
  return out;
}

export function deploymentToJson(d: Deployment, readinessOf: ReadinessLookup = noReadiness): Record<string, unknown> {
  const current = d.currentStep >= 1 && d.currentStep <= d.steps.length ? d.steps[d.currentStep - 1].actions : [];
  const pods = new Set(d.steps.flatMap((s) => s.actions.filter((a) => isPodAction(a.action)).map((a) => a.app)));
  // A pod's action names it `pod`, an app's `app` (Marathon's JSON).
  const target = (a: DeploymentAction) => (isPodAction(a.action) ? { pod: a.app } : { app: a.app });
  return {
    id: d.id,
    version: d.version,
    affectedApps: d.affectedApps.filter((id) => !pods.has(id)),
    affectedPods: [...pods],
    steps: d.steps.map((s) => ({ actions: s.actions.map((a) => ({ action: a.action, ...target(a) })) })),
    currentActions: current.map((a) => ({
      action: a.action,
      ...target(a),
      readinessCheckResults: isPodAction(a.action) ? [] : readinessOf(a.app).map(readinessJson),
    })),
    currentStep: d.currentStep,
    totalSteps: d.steps.length,
  };
}
