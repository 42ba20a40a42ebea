/**
 * Pure constructors of the Marathon 1.x events that carry an app definition or a deployment plan
 * (`api_post_event`, `deployment_*`), as Marathon serialises them.
 *
 * Invariants: a plan is Marathon's `DeploymentPlan` JSON (`id`, `original`, `target`, `steps`,
 * `version`; groups and apps in their REST JSON), and `currentStep` is one step
 * (`{actions:[{action, app}]}`) — the step the deployment is at, counting from 1.
 */
import type { AppDefinition, Deployment, DeploymentStep, MarathonEvent, Timestamp } from '../model.ts';
import { appToJson } from '../app/app-json.ts';
import { groupToJson } from '../app/group.ts';
import { event } from './marathon-events.ts';

const stepJson = (step: DeploymentStep | undefined): Record<string, unknown> =>
  ({ actions: (step?.actions ?? []).map((a) => ({ action: a.action, app: a.app })) });

/** Marathon's `DeploymentPlan` JSON, as carried by the deployment events. */
export function planJson(d: Deployment): Record<string, unknown> {
  return {
    id: d.id,
    original: groupToJson(d.original, appToJson),
    target: groupToJson(d.target, appToJson),
    steps: d.steps.map(stepJson),
    version: d.version,
  };
}

/** The step a deployment is at (`currentStep` counts from 1; 0 before the first). */
const currentStepOf = (d: Deployment): DeploymentStep | undefined => d.steps[Math.max(0, d.currentStep - 1)];

export const apiPostEvent = (clientIp: string, uri: string, app: AppDefinition, now: Timestamp): MarathonEvent =>
  event('api_post_event', now, { clientIp, uri, appDefinition: appToJson(app) });

export const deploymentInfoEvent = (d: Deployment, now: Timestamp): MarathonEvent =>
  event('deployment_info', now, { plan: planJson(d), currentStep: stepJson(currentStepOf(d)) });

export const deploymentSuccessEvent = (d: Deployment, now: Timestamp): MarathonEvent =>
  event('deployment_success', now, { id: d.id, plan: planJson(d) });

export const deploymentFailedEvent = (d: Deployment, now: Timestamp): MarathonEvent =>
  event('deployment_failed', now, { id: d.id, plan: planJson(d) });

export const deploymentStepSuccessEvent = (d: Deployment, now: Timestamp): MarathonEvent =>
  event('deployment_step_success', now, { plan: planJson(d), currentStep: stepJson(currentStepOf(d)) });

export const deploymentStepFailureEvent = (d: Deployment, now: Timestamp): MarathonEvent =>
  event('deployment_step_failure', now, { plan: planJson(d), currentStep: stepJson(currentStepOf(d)) });

