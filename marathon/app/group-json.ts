/**
 * A group as Marathon 1.x serves it (`GET /v2/groups/{id}`): `id`, `apps`, `groups`, `pods`
 * (always empty: no pods here), `dependencies`, `version`, and `enforceRole` only when set
 * (python-marathon 0.13's MarathonGroup has no parameter for it). Apps are rendered by the
 * caller's function, so the REST layer can add status fields (embed=group.apps.tasks, ...).
 */
import type { AppDefinition, Group } from '../model.ts';

export function groupToJson(group: Group, appJson: (app: AppDefinition) => Record<string, unknown>): Record<string, unknown> {
  return {
    id: group.id,
    apps: group.apps.map(appJson),
    groups: group.groups.map((g) => groupToJson(g, appJson)),
    pods: [],
    dependencies: [...group.dependencies],
    version: group.version,
    ...(group.enforceRole !== undefined ? { enforceRole: group.enforceRole } : {}),
  };
}
