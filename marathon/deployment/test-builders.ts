/**
 * Test-only fluent builders for the deployment tests: a complete, valid app definition, a group,
 * an instance. Defaults are Marathon's (1 instance, upgradeStrategy 1/1, YOUNGEST_FIRST); tests
 * override only what they are about. Not imported by production code.
 */
import {
  asPathId, type AppDefinition, type Group, type Instance, type InstanceCondition, type PathId,
} from '../model.ts';

export const V1 = '2026-11-22T10:00:00.000Z';
export const V2 = '2026-11-22T11:00:00.000Z';

export function app(id: string, over: Partial<Omit<AppDefinition, 'id'>> = {}): AppDefinition {
  return {
    id: asPathId(id),
    cmd: 'sleep 1000',
    env: {},
    instances: 1,
    cpus: 1,
    mem: 128,
    disk: 0,
    gpus: 0,
    executor: '',
    constraints: [],
    fetch: [],
    storeUrls: [],
    backoffSeconds: 1,
    backoffFactor: 1.15,
    maxLaunchDelaySeconds: 300,
    healthChecks: [],
    readinessChecks: [],
    dependencies: [],
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
    labels: {},
    portDefinitions: [],
    requirePorts: false,
    networks: [{ mode: 'host' }],
    secrets: {},
    killSelection: 'YOUNGEST_FIRST',
    unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    role: '*',
    version: V1,
    versionInfo: { lastScalingAt: V1, lastConfigChangeAt: V1 },
    ...over,
  };
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
