/**
 * The `MarathonService` of a marathon that is not the leader (yet): it holds no state; the REST
 * layer forwards every request to the leader its `status()` names (marathon/http/ leader proxy),
 * and answers 503 when there is none. Reads here are empty and changes are refused, so a request
 * that slips through never acts on stale state.
 */
import type { MarathonService, MarathonStatus, PodService, ServiceError } from '../ports.ts';
import { asPathId } from '../model.ts';

const NO_LEADER: ServiceError = { ok: false, status: 503, message: 'Could not determine the current leader' };

export function createFollowerService(leader: () => string | undefined, subscribe: MarathonService['subscribe']): MarathonService & PodService {
  const refuse = () => Promise.resolve(NO_LEADER);
  return {
    rootGroup: () => ({ id: asPathId('/'), apps: [], groups: [], dependencies: [], version: new Date(0).toISOString() }),
    app: () => undefined,
    apps: () => [],
    instances: () => [],
    instance: () => undefined,
    deployments: () => [],
    lastTaskFailure: () => undefined,
    queue: () => [],
    appVersions: () => Promise.resolve(undefined),
    appVersion: () => Promise.resolve(undefined),
    readiness: () => [],
    createApp: refuse,
    putApps: refuse,
    deleteApp: refuse,
    restartApp: refuse,
    putGroup: refuse,
    scaleGroup: refuse,
    deleteGroup: refuse,
    killTasks: refuse,
    cancelDeployment: refuse,
    resetDelay: () => false,
    pods: () => [],
    pod: () => undefined,
    podVersions: () => Promise.resolve(undefined),
    podVersion: () => Promise.resolve(undefined),
    createPod: refuse,
    putPod: refuse,
    deletePod: refuse,
    subscribe,
    status: (): MarathonStatus => ({ leader: leader(), isLeader: false, elected: false, frameworkId: undefined, master: undefined, subscribed: false }),
  };
}
