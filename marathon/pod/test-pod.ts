/**
 * Test-only: a normalised pod with Marathon's defaults (one container `main` running `sleep 1000`
 * with cpus 1 / mem 128, host network, 1 instance, executor 0.1/32/10, role '*', version
 * 2026-11-22T10:00:00.000Z) and a container builder; tests override only what they are about.
 * Not imported by production code.
 */
import { asPathId } from '../model.ts';
import type { PodContainer, PodDefinition } from './pod-definition.ts';

export const TEST_POD_VERSION = '2026-11-22T10:00:00.000Z';

export function testPodContainer(over: Partial<PodContainer> = {}): PodContainer {
  return {
    name: 'main',
    exec: { command: { shell: 'sleep 1000' } },
    resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
    endpoints: [],
    environment: {},
    volumeMounts: [],
    artifacts: [],
    labels: {},
    ...over,
  };
}

export function testPod(id: string, over: Partial<Omit<PodDefinition, 'id'>> = {}): PodDefinition {
  return {
    id: asPathId(id),
    labels: {},
    version: TEST_POD_VERSION,
    environment: {},
    containers: [testPodContainer()],
    secrets: {},
    volumes: [],
    networks: [{ mode: 'host', labels: {} }],
    scaling: { kind: 'fixed', instances: 1 },
    scheduling: {
      backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 3600 },
      upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      placement: { constraints: [], acceptedResourceRoles: [] },
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    },
    executorResources: { cpus: 0.1, mem: 32, disk: 10 },
    role: '*',
    ...over,
  };
}
