/**
 * Does one more instance of a pod fit on an offer? A pod instance is one task group on one agent
 * (LAUNCH_GROUP with the default executor), so it asks for everything at once, as Marathon's
 * resource matcher does for pods:
 *
 *   scalars      the sum of the containers' cpus, mem, disk, gpus plus `executorResources`
 *                (summed in thousandths, Mesos' fixed-point scalars, so 0.1 + 0.2 is 0.3)
 *   host ports   one request per endpoint with a `hostPort` (0 any offered port, N exactly N),
 *                endpoints of all containers in container order, then endpoint order; an
 *                endpoint without `hostPort` (container networking) asks none
 *   roles        `scheduling.placement.acceptedResourceRoles`; empty: `*` and the pod's role
 *   constraints  `{fieldName, operator, value}`, with the same meaning as an app's
 *                `[field, operator, value]` (constraints.ts), against the pod's placed instances
 *   resident     a pod with a persistent volume needs reservations: it never fits here
 *
 * The filters, their reasons and the `Match` are the apps' (place-instance.ts `placeDemand`):
 * `Match.hostPorts` holds the ports of the endpoints that asked for one, in the order above;
 * `alignEndpointHostPorts` puts them back beside every endpoint.
 *
 * Invariants: the same as apps' (a match takes only what the pool holds, nothing twice across
 * placements on the returned pools, same inputs same answer). Pure.
 */
import { fromMilli, toMilli } from '../../common/resources/resource.ts';
import type { Constraint } from '../model.ts';
import type { PodContainer, PodDefinition, PodEndpoint } from '../pod/pod-definition.ts';
import type { OfferPool } from './offer-pool.ts';
import { placeDemand, type PlacedInstance, type PlacementDemand, type PlacementOptions, type PlacementResult } from './place-instance.ts';

/** An endpoint with the container that declares it. */
export interface PodEndpointRef {
  readonly container: PodContainer;
  readonly endpoint: PodEndpoint;
}

/** Every endpoint of the pod: containers in order, each container's endpoints in order. */
export function podEndpoints(pod: PodDefinition): PodEndpointRef[] {
  return pod.containers.flatMap((container) => container.endpoints.map((endpoint) => ({ container, endpoint })));
}

/** The pod's constraints in the apps' tuple form. */
export function podConstraints(pod: PodDefinition): Constraint[] {
  return pod.scheduling.placement.constraints.map((c): Constraint =>
    c.value === undefined ? [c.fieldName, c.operator] : [c.fieldName, c.operator, c.value]);
}

/** The sum of the containers' resources and the executor's, exact to the thousandth. */
export function podScalars(pod: PodDefinition): { readonly cpus: number; readonly mem: number; readonly disk: number; readonly gpus: number } {
  const sum = (own: (c: PodContainer) => number, executor: number): number =>
    fromMilli(pod.containers.reduce((acc, c) => acc + toMilli(own(c)), toMilli(executor)));
  return {
    cpus: sum((c) => c.resources.cpus, pod.executorResources.cpus),
    mem: sum((c) => c.resources.mem, pod.executorResources.mem),
    disk: sum((c) => c.resources.disk, pod.executorResources.disk),
    gpus: sum((c) => c.resources.gpus, 0),
  };
}

/** One pod instance as a placement demand. */
export function podDemand(pod: PodDefinition): PlacementDemand {
  const roles = pod.scheduling.placement.acceptedResourceRoles;
  return {
    role: pod.role,
    ...(roles.length > 0 ? { acceptedResourceRoles: roles } : {}),
    constraints: podConstraints(pod),
    ...podScalars(pod),
    hostPorts: podEndpoints(pod).flatMap(({ endpoint }) => (endpoint.hostPort === undefined ? [] : [endpoint.hostPort])),
    resident: pod.volumes.some((v) => v.persistent !== undefined),
    labels: pod.labels,
  };
}

/** Does one more instance of the pod fit on the pool? `placed`: the pod's instances that count for constraints. */
export function placePod(
  pod: PodDefinition,
  pool: OfferPool,
  placed: readonly PlacedInstance[],
  options: PlacementOptions = {},
): PlacementResult {
  return placeDemand(podDemand(pod), pool, placed, options);
}

/**
 * Host ports per endpoint (podEndpoints order): `Match.hostPorts` lists only the endpoints that
 * asked for a host port; this puts them back beside theirs (undefined: none asked).
 */
export function alignEndpointHostPorts(pod: PodDefinition, hostPorts: readonly number[]): (number | undefined)[] {
  let next = 0;
  return podEndpoints(pod).map(({ endpoint }) => (endpoint.hostPort === undefined ? undefined : hostPorts[next++]));
}
