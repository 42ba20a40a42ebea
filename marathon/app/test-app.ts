/**
 * Test-only: one normalised app definition with Marathon's defaults (cpus 1, mem 128, 1 instance,
 * upgradeStrategy 1/1, YOUNGEST_FIRST, host networking, no ports, role '*', version
 * 2026-11-22T10:00:00.000Z); tests override only what they are about. The test builders of the
 * marathon folders start from it. Not imported by production code.
 */
import { asPathId, type AppDefinition } from '../model.ts';

export const TEST_APP_VERSION = '2026-11-22T10:00:00.000Z';

export function testApp(id: string, over: Partial<Omit<AppDefinition, 'id'>> = {}): AppDefinition {
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
    version: TEST_APP_VERSION,
    versionInfo: { lastScalingAt: TEST_APP_VERSION, lastConfigChangeAt: TEST_APP_VERSION },
    ...over,
  };
}
