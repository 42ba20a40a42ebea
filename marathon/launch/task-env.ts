/**
 * The environment Marathon gives a task, in the order it is built (a later entry of the same
 * name replaces an earlier one in place, so the app's own `env` wins over everything injected):
 *
 *   MESOS_TASK_ID, MARATHON_APP_ID, MARATHON_APP_VERSION, MARATHON_APP_DOCKER_IMAGE (DOCKER containers),
 *   MARATHON_APP_RESOURCE_CPUS/MEM/DISK (Java double text: `1.0`, `0.5`), MARATHON_APP_RESOURCE_GPUS
 *   (integer), MARATHON_APP_LABELS (escaped label names, space-separated), MARATHON_APP_LABEL_<NAME>;
 *   PORT<n> per declared port, PORT_<requested port>, PORT_<NAME> (named ports with a host port),
 *   PORT (the first assigned), PORTS (all assigned, comma-separated); HOST; then the app's `env`
 *   (secret references are left to a secrets-aware launcher and skipped here).
 *
 * Port rules (Marathon's EnvironmentHelper.portsEnv): PORT<n> is the host port, or for a
 * container-only mapping its container port; PORT_<p> is keyed by the requested port (the port
 * definition's port or the mapping's container port), or by the assigned port when 0 was asked.
 * A container-only mapping with container port 0 gets a generated port: Marathon draws one at
 * random above 1024; here it is the lowest free one above 1024, so the result is deterministic.
 * Label names are escaped (`[^a-zA-Z0-9_]+` -> `_`, upper case); names of 493 characters or more
 * and values of 512 or more are left out, as Marathon does. Pure.
 */
import type { AppDefinition } from '../model.ts';
import type { DeclaredPort } from '../placement/app-ports.ts';

export type EnvEntries = ReadonlyArray<readonly [name: string, value: string]>;

const MAX_ENV_LENGTH = 512;
const LABEL_PREFIX = 'MARATHON_APP_LABEL_';

/** Java's `Double.toString` for the values app resources take (`1.0`, `0.25`, `1.0E7`). */
export function javaDouble(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(x);
  if (abs === 0 || (abs >= 1e-3 && abs < 1e7)) return Number.isInteger(x) ? `${x}.0` : String(x);
  const [mantissa, exponent] = x.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

export function labelsEnv(labels: Readonly<Record<string, string>>): [string, string][] {
  const valid = Object.entries(labels)
    .filter(([k, v]) => k.length < MAX_ENV_LENGTH - LABEL_PREFIX.length && v.length < MAX_ENV_LENGTH)
    .map(([k, v]) => [k.replace(/[^a-zA-Z0-9_]+/g, '_').toUpperCase(), v] as [string, string]);
  return [['MARATHON_APP_LABELS', valid.map(([k]) => k).join(' ')], ...valid.map(([k, v]) => [`${LABEL_PREFIX}${k}`, v] as [string, string])];
}

export function taskContextEnv(app: AppDefinition, taskId: string): [string, string][] {
  const out: [string, string][] = [
    ['MESOS_TASK_ID', taskId],
    ['MARATHON_APP_ID', app.id],
    ['MARATHON_APP_VERSION', app.version],
  ];
  // Marathon sets it for DOCKER containers only (a MESOS container's image is not a `Docker` there).
  const image = app.container?.type === 'DOCKER' ? app.container.docker?.image : undefined;
  if (image !== undefined && image !== '') out.push(['MARATHON_APP_DOCKER_IMAGE', image]);
  out.push(
    ['MARATHON_APP_RESOURCE_CPUS', javaDouble(app.cpus)],
    ['MARATHON_APP_RESOURCE_MEM', javaDouble(app.mem)],
    ['MARATHON_APP_RESOURCE_DISK', javaDouble(app.disk)],
    ['MARATHON_APP_RESOURCE_GPUS', String(Math.trunc(app.gpus))],
  );
  return [...out, ...labelsEnv(app.labels)];
}

/** `hostPorts[i]`: the host port of declared port i, undefined when it has none. */
export function portsEnv(declared: readonly DeclaredPort[], hostPorts: readonly (number | undefined)[]): [string, string][] {
  if (declared.length === 0) return [];
  const consumed = new Set<number>([...declared.map((d) => d.requested), ...hostPorts.filter((p): p is number => p !== undefined)]);
  const generated = new Map<number, number>();
  let candidate = 1025;
  const generate = (): number => {
    while (consumed.has(candidate)) candidate++;
    consumed.add(candidate);
    return candidate;
  };
  const env: [string, string][] = [];
  declared.forEach((d, i) => {
    const host = hostPorts[i];
    if (host !== undefined) env.push([`PORT${i}`, String(host)]);
    else if (d.requested !== 0) env.push([`PORT${i}`, String(d.requested)]);
    else {
      const p = generate();
      generated.set(i, p);
      env.push([`PORT${i}`, String(p)]);
    }
  });
  declared.forEach((d, i) => {
    const host = hostPorts[i];
    if (host !== undefined) env.push([`PORT_${d.requested !== 0 ? d.requested : host}`, String(host)]);
    else if (d.requested !== 0) env.push([`PORT_${d.requested}`, String(d.requested)]);
    else env.push([`PORT_${generated.get(i)}`, String(generated.get(i))]);
  });
  declared.forEach((d, i) => {
    const host = hostPorts[i];
    if (d.name !== undefined && d.name !== '' && host !== undefined) env.push([`PORT_${d.name.toUpperCase()}`, String(host)]);
  });
  const assigned = [...hostPorts.filter((p): p is number => p !== undefined), ...generated.values()];
  if (assigned.length > 0) env.push(['PORT', String(assigned[0])]);
  env.push(['PORTS', assigned.join(',')]);
  return env;
}

/** The whole environment, deduplicated by name (later entries win, keeping the first position). */
export function taskEnvironment(
  app: AppDefinition, taskId: string, host: string, declared: readonly DeclaredPort[], hostPorts: readonly (number | undefined)[],
): EnvEntries {
  const env = new Map<string, string>();
  const own = Object.entries(app.env).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : []));
  for (const [k, v] of [...taskContextEnv(app, taskId), ...portsEnv(declared, hostPorts), ['HOST', host] as [string, string], ...own]) env.set(k, v);
  return [...env.entries()];
}
