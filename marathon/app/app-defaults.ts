/**
 * Marathon 1.x defaults for app definitions, in one place (RAML `app.raml`, `healthCheck.raml`,
 * `readinessCheck.raml`, `artifact.raml`, `state.AppDefinition`). parse-app fills every absent
 * field from here, so a stored definition never has a hole that a reader must default again.
 */
import type { HealthCheck, Network, PortDefinition, PortMapping, ReadinessCheck, UpgradeStrategy } from '../model.ts';

export const DEFAULT_INSTANCES = 1;
export const DEFAULT_CPUS = 1;
export const DEFAULT_MEM = 128;
export const DEFAULT_DISK = 0;
export const DEFAULT_GPUS = 0;
export const DEFAULT_EXECUTOR = '';
export const DEFAULT_BACKOFF_SECONDS = 1;
export const DEFAULT_BACKOFF_FACTOR = 1.15;
/** `state.AppDefinition.DefaultMaxLaunchDelay` is one hour in every 1.x release (RAML: 3600). */
export const DEFAULT_MAX_LAUNCH_DELAY_SECONDS = 3600;
export const DEFAULT_ROLE = '*';
export const DEFAULT_KILL_SELECTION = 'YOUNGEST_FIRST' as const;

export const DEFAULT_UPGRADE_STRATEGY: UpgradeStrategy = { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
/** Apps with persistent volumes (resident) may not run on top: Marathon's resident default. */
export const RESIDENT_UPGRADE_STRATEGY: UpgradeStrategy = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };
export const DEFAULT_UNREACHABLE_STRATEGY = { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 } as const;

export const DEFAULT_NETWORKS: readonly Network[] = [{ mode: 'host' }];
/** One random host port named `default` (Marathon 1.6+ `Apps.DefaultPortDefinitions`). */
export const DEFAULT_PORT_DEFINITIONS: readonly PortDefinition[] = [{ port: 0, protocol: 'tcp', name: 'default' }];
/** One container port for non-host networking without port mappings (`Apps.DefaultPortMappings`). */
export const DEFAULT_PORT_MAPPINGS: readonly PortMapping[] = [{ containerPort: 0, servicePort: 0, protocol: 'tcp', name: 'default' }];

export const DEFAULT_RESIDENCY = { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: 'WAIT_FOREVER' } as const;

export const HEALTH_DEFAULTS: Pick<HealthCheck, 'gracePeriodSeconds' | 'intervalSeconds' | 'timeoutSeconds' | 'maxConsecutiveFailures' | 'delaySeconds'> = {
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  timeoutSeconds: 20,
  maxConsecutiveFailures: 3,
  delaySeconds: 15,
};
export const DEFAULT_HEALTH_PATH = '/';

export const READINESS_DEFAULTS: ReadinessCheck = {
  name: 'readinessCheck',
  protocol: 'HTTP',
  path: '/',
  portName: 'http',
  intervalSeconds: 30,
  timeoutSeconds: 10,
  httpStatusCodesForReady: [200],
  preserveLastResponse: false,
};

/** `fetch[]` entries: extract by default; `uris` entries extract only archives (below). */
export const FETCH_DEFAULTS = { executable: false, extract: true, cache: false } as const;

/** Marathon's `FetchUri.isExtract`: the archive suffixes the Mesos fetcher unpacks. */
export function isArchiveUri(uri: string): boolean {
  return ['.tgz', '.tar.gz', '.tbz2', '.tar.bz2', '.txz', '.tar.xz', '.zip'].some((s) => uri.endsWith(s));
}

/** Labels with meaning to Marathon. */
export const LABEL_SINGLE_INSTANCE_APP = 'MARATHON_SINGLE_INSTANCE_APP';
