/**
 * Marathon's pod (`/v2/pods`, Marathon 1.4+ `PodDefinition`): containers that run together on one
 * agent as one Mesos task group (LAUNCH_GROUP with the default executor), scaled and upgraded as a
 * unit. One pod instance is one `Instance` with one task per container.
 *
 * This is the validated, normalised form (every default filled), with Marathon's JSON names, so a
 * definition is served back as it was accepted. Invariants: container names are unique in a pod;
 * an endpoint name is unique in a pod; a volume mount names a pod volume.
 */
import type { EnvValue, PathId, Timestamp, UnreachableStrategy, KillSelection } from '../model.ts';

export interface PodResources {
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
}

export interface PodEndpoint {
  readonly name: string;
  /** Container networking only. */
  readonly containerPort?: number;
  /** 0: any offered port; absent: no host port (container networking). */
  readonly hostPort?: number;
  readonly protocol: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface PodImage {
  readonly kind: 'DOCKER' | 'APPC';
  readonly id: string;
  readonly forcePull: boolean;
  readonly pullConfig?: Readonly<Record<string, unknown>>;
}

/** Exactly one of `http`, `tcp`, `exec` is set. */
export interface PodHealthCheck {
  readonly http?: { readonly endpoint: string; readonly path: string; readonly scheme: 'HTTP' | 'HTTPS' };
  readonly tcp?: { readonly endpoint: string };
  readonly exec?: { readonly command: PodCommand };
  readonly gracePeriodSeconds: number;
  readonly intervalSeconds: number;
  readonly maxConsecutiveFailures: number;
  readonly timeoutSeconds: number;
  readonly delaySeconds: number;
}

/** `shell` runs through /bin/sh -c; `argv` is the argument vector. Exactly one is set. */
export interface PodCommand {
  readonly shell?: string;
  readonly argv?: readonly string[];
}

export interface PodArtifact {
  readonly uri: string;
  readonly extract: boolean;
  readonly executable: boolean;
  readonly cache: boolean;
  readonly destPath?: string;
}

export interface PodVolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
}

export interface PodContainer {
  readonly name: string;
  readonly exec?: { readonly command: PodCommand; readonly overrideEntrypoint?: boolean };
  readonly resources: PodResources;
  readonly endpoints: readonly PodEndpoint[];
  readonly image?: PodImage;
  readonly environment: Readonly<Record<string, EnvValue>>;
  readonly user?: string;
  readonly healthCheck?: PodHealthCheck;
  readonly volumeMounts: readonly PodVolumeMount[];
  readonly artifacts: readonly PodArtifact[];
  readonly labels: Readonly<Record<string, string>>;
  readonly lifecycle?: { readonly killGracePeriodSeconds?: number };
  readonly tty?: boolean;
}

/** A pod volume: a host path, an ephemeral (sandbox) volume, or one kept verbatim (persistent, secret). */
export interface PodVolume {
  readonly name: string;
  readonly host?: string;
  readonly persistent?: Readonly<Record<string, unknown>>;
  readonly secret?: string;
}

export interface PodNetwork {
  readonly mode: 'host' | 'container' | 'container/bridge';
  readonly name?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface PodConstraint {
  readonly fieldName: string;
  readonly operator: string;
  readonly value?: string;
}

export interface PodScheduling {
  readonly backoff: { readonly backoff: number; readonly backoffFactor: number; readonly maxLaunchDelay: number };
  readonly upgrade: { readonly minimumHealthCapacity: number; readonly maximumOverCapacity: number };
  readonly placement: { readonly constraints: readonly PodConstraint[]; readonly acceptedResourceRoles: readonly string[] };
  readonly killSelection: KillSelection;
  readonly unreachableStrategy: UnreachableStrategy;
}

export interface PodDefinition {
  readonly id: PathId;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: Timestamp;
  readonly user?: string;
  readonly environment: Readonly<Record<string, EnvValue>>;
  readonly containers: readonly PodContainer[];
  readonly secrets: Readonly<Record<string, { readonly source: string }>>;
  readonly volumes: readonly PodVolume[];
  readonly networks: readonly PodNetwork[];
  readonly scaling: { readonly kind: 'fixed'; readonly instances: number; readonly maxInstances?: number };
  readonly scheduling: PodScheduling;
  /** What the default executor gets on top of the containers (Marathon: cpus 0.1, mem 32, disk 10). */
  readonly executorResources: { readonly cpus: number; readonly mem: number; readonly disk: number };
  readonly role: string;
}
