/**
 * Marathon's partial app update (`PATCH /v2/apps/{id}`, `PUT ... ?partialUpdate=true`): the JSON
 * of the current definition with each top-level field of the update replacing the old one. The
 * result goes through parseApp like any other definition (with `previous`, for versions).
 *
 * Rules beyond "top-level fields replace" (Marathon's AppUpdate semantics):
 * - `null` or absent in the update keeps the old value; `id`, `version`, `versionInfo` are never
 *   taken from the update (the id comes from the URL, versions from parseApp);
 * - pairs that exclude each other drop the old side when the update sets the other: `cmd`/`args`,
 *   `ports`/`portDefinitions`, `uris`/`fetch`, and `networks` against the deprecated
 *   `ipAddress` and `container.docker.network`.
 */
import type { AppDefinition } from '../model.ts';
import { appToJson } from './app-json.ts';
import { isObject } from './json-reader.ts';

const NEVER_FROM_UPDATE = new Set(['id', 'version', 'versionInfo']);

export function mergeAppUpdate(previous: AppDefinition, update: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = appToJson(previous);
  const given = (k: string): boolean => update[k] !== undefined && update[k] !== null;
  for (const [k, v] of Object.entries(update)) {
    if (v === undefined || v === null || NEVER_FROM_UPDATE.has(k)) continue;
    out[k] = v;
  }
  const drop = (k: string) => { if (!given(k)) delete out[k]; };
  if (given('cmd')) drop('args');
  if (given('args')) drop('cmd');
  if (given('ports')) drop('portDefinitions');
  if (given('portDefinitions')) drop('ports');
  if (given('uris')) drop('fetch');
  if (given('fetch')) drop('uris');
  const updateContainer = isObject(update.container) ? update.container : undefined;
  const updateDocker = isObject(updateContainer?.docker) ? updateContainer.docker : undefined;
  if (given('networks')) {
    drop('ipAddress');
    if (updateContainer === undefined) out.container = withoutDockerNetwork(out.container);
  } else if (given('ipAddress') || (updateDocker?.network !== undefined && updateDocker.network !== null)) {
    delete out.networks;
  }
  return out;
}

function withoutDockerNetwork(container: unknown): unknown {
  if (!isObject(container) || !isObject(container.docker)) return container;
  const { network: _n, ...docker } = container.docker;
  return { ...container, docker };
}
