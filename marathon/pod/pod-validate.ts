/**
 * Semantic validation of a normalised pod definition (Marathon 1.x `PodsValidation`,
 * `NetworkValidation`, `SchedulingValidation`): the rules that span fields — unique container,
 * endpoint and volume names, endpoints per network mode, health checks naming an endpoint of
 * their container, volume mounts naming a pod volume, secrets referenced by env and volumes,
 * placement constraints per operator, resident pods. Type and per-value errors are the readers'.
 *
 * Messages are Marathon's; `path` is the JSON path of the offending value, `/` for rules over the
 * whole pod. Returns `[]` for a valid pod.
 *
 * Deviation: Marathon also asks `timeoutSeconds < intervalSeconds` of a health check; its own
 * published example pod (fixtures pod.json: timeout 20, interval 2) breaks that, and the example
 * must be accepted, so the rule is not applied.
 */
import type { EnvValue } from '../model.ts';
import type { ValidationDetail } from '../ports.ts';
import { constraintProblem, MSG as APP_MSG } from '../app/app-validate.ts';
import { at, createProblems, field, type Problems } from '../app/json-reader.ts';
import type { PodContainer, PodDefinition } from './pod-definition.ts';

export const POD_MSG = {
  notEmpty: 'must not be empty',
  containerNamesUnique: 'container names are unique',
  volumeNamesUnique: 'volume names are unique',
  volumeUnreferenced: 'volume must be referenced by at least one container',
  volumeSecret: 'volume.secret must refer to an existing secret',
  endpointNamesUnique: 'Endpoint names are unique',
  containerPortsUnique: 'Container ports are unique',
  hostPortsUnique: 'Host ports are unique',
  hostPortRequired: 'is required when using host-mode networking',
  containerPortForbidden: 'is not allowed when using host-mode networking',
  containerPortRequired: 'is required when using container-mode networking',
  duplicateProtocols: 'Duplicate protocols within the same endpoint are not allowed',
  healthEndpoint: 'contained in the container endpoints',
  mountVolume: 'Referenced Volume in VolumeMount should exist',
  undefinedSecret: APP_MSG.undefinedSecret,
  hostNetworkNamed: 'Host networks may not have names or labels',
  bridgeNetworkNamed: 'Bridge networks may not have names',
  duplicateNetworks: 'Duplicate networks are not allowed',
  networkModes: 'May specify a single host network, single bridge network, or else 1-to-n container networks',
  residentUnreachable: APP_MSG.residentUnreachable,
  mustBeZero: 'must be equal to 0',
} as const;

export function validatePod(pod: PodDefinition): ValidationDetail[] {
  const p = createProblems();
  if (pod.user === '') p.add('/user', POD_MSG.notEmpty);
  envRules(pod, pod.environment, '/environment', p);
  volumeRules(pod, p);
  if (pod.containers.length === 0) p.add('/containers', POD_MSG.notEmpty);
  if (duplicates(pod.containers.map((c) => c.name))) p.add('/containers', POD_MSG.containerNamesUnique);
  pod.containers.forEach((c, i) => containerRules(pod, c, at('/containers', i), p));
  endpointUniqueness(pod, p);
  networkRules(pod, p);
  pod.scheduling.placement.constraints.forEach((c, i) => {
    const why = constraintProblem(c.value === undefined ? [c.fieldName, c.operator] : [c.fieldName, c.operator, c.value]);
    if (why !== undefined) p.add(at('/scheduling/placement/constraints', i), why);
  });
  residentRules(pod, p);
  return p.list();
}

function duplicates<T>(xs: readonly T[]): boolean {
  return new Set(xs).size !== xs.length;
}

function envRules(pod: PodDefinition, env: Readonly<Record<string, EnvValue>>, path: string, p: Problems): void {
  for (const [name, v] of Object.entries(env)) {
    if (typeof v !== 'string' && !(v.secret in pod.secrets)) p.add(field(path, name), POD_MSG.undefinedSecret);
  }
}

function volumeRules(pod: PodDefinition, p: Problems): void {
  if (duplicates(pod.volumes.map((v) => v.name))) p.add('/volumes', POD_MSG.volumeNamesUnique);
  pod.volumes.forEach((v, i) => {
    if (!pod.containers.some((c) => c.volumeMounts.some((m) => m.name === v.name))) p.add(at('/volumes', i), POD_MSG.volumeUnreferenced);
    if (v.secret !== undefined && !(v.secret in pod.secrets)) p.add(at('/volumes', i), POD_MSG.volumeSecret);
  });
}

function containerRules(pod: PodDefinition, c: PodContainer, path: string, p: Problems): void {
  const hostMode = pod.networks.some((n) => n.mode === 'host');
  const containerMode = pod.networks.some((n) => n.mode === 'container');
  c.endpoints.forEach((ep, i) => {
    const ePath = at(field(path, 'endpoints'), i);
    if (hostMode && ep.hostPort === undefined) p.add(field(ePath, 'hostPort'), POD_MSG.hostPortRequired);
    if (hostMode && ep.containerPort !== undefined) p.add(field(ePath, 'containerPort'), POD_MSG.containerPortForbidden);
    if (containerMode && ep.containerPort === undefined) p.add(field(ePath, 'containerPort'), POD_MSG.containerPortRequired);
    if (duplicates(ep.protocol)) p.add(field(ePath, 'protocol'), POD_MSG.duplicateProtocols);
  });
  envRules(pod, c.environment, field(path, 'environment'), p);
  const hc = c.healthCheck;
  const names = c.endpoints.map((e) => e.name);
  if (hc?.http !== undefined && !names.includes(hc.http.endpoint)) p.add(field(path, 'healthCheck/http/endpoint'), POD_MSG.healthEndpoint);
  if (hc?.tcp !== undefined && !names.includes(hc.tcp.endpoint)) p.add(field(path, 'healthCheck/tcp/endpoint'), POD_MSG.healthEndpoint);
  c.volumeMounts.forEach((m, i) => {
    if (!pod.volumes.some((v) => v.name === m.name)) p.add(field(at(field(path, 'volumeMounts'), i), 'name'), POD_MSG.mountVolume);
  });
}

function endpointUniqueness(pod: PodDefinition, p: Problems): void {
  const eps = pod.containers.flatMap((c) => c.endpoints);
  if (duplicates(eps.map((e) => e.name))) p.add('/', POD_MSG.endpointNamesUnique);
  if (duplicates(eps.flatMap((e) => (e.containerPort === undefined ? [] : [e.containerPort])))) p.add('/', POD_MSG.containerPortsUnique);
  if (duplicates(eps.flatMap((e) => (e.hostPort === undefined || e.hostPort === 0 ? [] : [e.hostPort])))) p.add('/', POD_MSG.hostPortsUnique);
}

function networkRules(pod: PodDefinition, p: Problems): void {
  const nets = pod.networks;
  if (nets.some((n) => n.mode === 'host' && (n.name !== undefined || Object.keys(n.labels).length > 0))) p.add('/networks', POD_MSG.hostNetworkNamed);
  if (nets.some((n) => n.mode === 'container/bridge' && n.name !== undefined)) p.add('/networks', POD_MSG.bridgeNetworkNamed);
  const unnamedContainer = nets.filter((n) => n.mode === 'container' && n.name === undefined).length;
  if (unnamedContainer > 1 || duplicates(nets.flatMap((n) => (n.name === undefined ? [] : [n.name])))) p.add('/networks', POD_MSG.duplicateNetworks);
  const count = (m: string): number => nets.filter((n) => n.mode === m).length;
  const host = count('host');
  const bridge = count('container/bridge');
  const container = count('container');
  const valid = (host <= 1 && bridge === 0 && container === 0)
    || (host === 0 && bridge <= 1 && container === 0)
    || (host === 0 && bridge === 0 && container > 0);
  if (!valid) p.add('/networks', POD_MSG.networkModes);
}

function residentRules(pod: PodDefinition, p: Problems): void {
  if (!pod.volumes.some((v) => v.persistent !== undefined)) return;
  if (pod.scheduling.unreachableStrategy !== 'disabled') p.add('/scheduling/unreachableStrategy', POD_MSG.residentUnreachable);
  if (pod.scheduling.upgrade.maximumOverCapacity !== 0) p.add('/scheduling/upgrade/maximumOverCapacity', POD_MSG.mustBeZero);
}
