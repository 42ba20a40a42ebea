/**
 * What kind of change one app definition is to another: the deployment plan restarts an app
 * whose configuration changed and only scales one whose `instances` alone changed. `version`
 * and `versionInfo` are bookkeeping, never a change.
 */
import type { AppDefinition } from '../model.ts';

const configOf = (app: AppDefinition): string => {
  const { instances: _i, version: _v, versionInfo: _vi, ...config } = app;
  return stableJson(config);
};

/** JSON with object keys sorted, so equal definitions give equal text whatever the key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** True when anything but `instances` (and version bookkeeping) differs: the app's tasks must be replaced. */
export function isConfigChange(from: AppDefinition, to: AppDefinition): boolean {
  return configOf(from) !== configOf(to);
}

/** True when only `instances` differs. */
export function isScaleChange(from: AppDefinition, to: AppDefinition): boolean {
  return from.instances !== to.instances && !isConfigChange(from, to);
}
