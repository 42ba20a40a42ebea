/**
 * Test-only fluent builders for the deployment tests: a complete, valid app definition, a group,
 * an instance. Defaults are Marathon's (1 instance, upgradeStrategy 1/1, YOUNGEST_FIRST); tests
 * override only what they are about. Not imported by production code.
 */
import {
  asPathId, type AppDefinition, type Group, type Instance, type InstanceCondition, type PathId,
} from '../model.ts';
import { testApp } from '../app/test-app.ts';

export const V1 = '2026-11-22T10:00:00.000Z';
export const V2 = '2026-11-22T11:00:00.000Z';

export function app(id: string, over: Partial<Omit<AppDefinition, 'id'>> = {}): AppDefinition {
  return testApp(id, { version: V1, versionInfo: { lastScalingAt: V1, lastConfigChangeAt: V1 }, ...over });
}

export function group(
  id: string,
  apps: readonly AppDefinition[] = [],
  groups: readonly Group[] = [],
  dependencies: readonly string[] = [],
): Group {
  return { id: asPathId(id), apps, groups, dependencies: dependencies.map(asPathId), version: V1 };
}

export const ids = (...xs: string[]): PathId[] => xs.map(asPathId);

export function instance(
  id: string,
  over: Partial<Omit<Instance, 'instanceId'>> & { condition?: InstanceCondition } = {},
): Instance {
  return {
    instanceId: id,
    taskId: `${id}.task`,
    appId: asPathId('/app'),
    version: V1,
    condition: 'Running',
    agentId: 'agent-1',
    host: 'host-1',
    ports: [],
    ipAddresses: [],
    attributes: {},
    role: '*',
    stagedAt: V1,
    healthCheckResults: [],
    goal: 'Running',
    ...over,
  };
}

/** A health check that makes `healthy` matter. */
export const HTTP_CHECK = {
  protocol: 'HTTP' as const,
  path: '/',
  portIndex: 0,
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  timeoutSeconds: 20,
  maxConsecutiveFailures: 3,
  delaySeconds: 15,
};
