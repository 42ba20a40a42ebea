/**
 * Marathon 1.x defaults for pod definitions, in one place (RAML `pod.raml`, `podContainer.raml`,
 * `resources.raml`, `healthCheck.raml`, `artifact.raml`; `PodDefinition`, `PodNormalization`).
 * parse-pod fills every absent field from here, so a stored pod never has a hole a reader must
 * default again.
 */
import type { PodContainer, PodDefinition, PodHealthCheck, PodNetwork, PodScheduling } from './pod-definition.ts';

export const DEFAULT_INSTANCES = 1;
/** `ExecutorResources` (resources.raml): what the default executor gets on top of the containers. */
export const DEFAULT_EXECUTOR_RESOURCES: PodDefinition['executorResources'] = { cpus: 0.1, mem: 32, disk: 10 };
/** `Resources` (resources.raml) of a container that names only some of them. */
export const DEFAULT_CONTAINER_RESOURCES: PodContainer['resources'] = { cpus: 1, mem: 128, disk: 0, gpus: 0 };

export const DEFAULT_BACKOFF: PodScheduling['backoff'] = { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 3600 };
export const DEFAULT_UPGRADE: PodScheduling['upgrade'] = { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
/** Pods with persistent volumes (resident) may not run on top (`UpgradeStrategy.forResidentTasks`). */
export const RESIDENT_UPGRADE: PodScheduling['upgrade'] = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };
export const DEFAULT_UNREACHABLE = { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 } as const;
export const DEFAULT_KILL_SELECTION = 'YOUNGEST_FIRST' as const;

/** No `networks`: the pod shares the agent's network (Marathon keeps an empty list meaning the same). */
export const DEFAULT_NETWORKS: readonly PodNetwork[] = [{ mode: 'host', labels: {} }];
/** A network object without `mode` (network.raml `mode` default). */
export const DEFAULT_NETWORK_MODE = 'container' as const;

/** An endpoint's host port outside container-mode networking: any offered port (`PodNormalization`). */
export const DEFAULT_HOST_PORT = 0;
export const DEFAULT_ENDPOINT_PROTOCOL: readonly string[] = ['tcp'];

export const HEALTH_DEFAULTS: Pick<PodHealthCheck, 'gracePeriodSeconds' | 'intervalSeconds' | 'maxConsecutiveFailures' | 'timeoutSeconds' | 'delaySeconds'> = {
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  maxConsecutiveFailures: 3,
  timeoutSeconds: 20,
  delaySeconds: 15,
};
export const DEFAULT_HEALTH_PATH = '/';
export const DEFAULT_HEALTH_SCHEME = 'HTTP' as const;

export const ARTIFACT_DEFAULTS = { extract: true, executable: false, cache: false } as const;

/** RAML `strings.Name`: endpoint, container, volume and network names. */
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAME_PATTERN_TEXT = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const NAME_MAX_LENGTH = 63;
/** RAML `strings.EnvName` (pods validate env names strictly). */
export const ENV_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** RAML `strings.Path` / `strings.Uri`: 1 to 1024 characters. */
export const PATH_MAX_LENGTH = 1024;
