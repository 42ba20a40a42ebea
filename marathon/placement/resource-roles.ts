/**
 * Which offered resources an app may use (Marathon's resource selector):
 * - roles: the reservation role of the resource (`*` when unreserved) must be one of the app's
 *   `acceptedResourceRoles`; without them, `*` or the app's own `role`;
 * - never revocable resources, never disk resources that carry disk info (persistent volumes,
 *   MOUNT/PATH disks: Marathon matches those only for resident apps);
 * - never resources reserved by Marathon for a resident instance (reservation labels
 *   `marathon_framework_id` / `marathon_task_id`).
 * Pure.
 */
import { reservationRole, type Resource } from '../../common/resources/resource.ts';
import type { Resources } from '../../common/resources/resources.ts';

/** Whose roles decide: an app, or any demand with a role and accepted roles (place-instance.ts). */
export interface RoleChoice {
  readonly role: string;
  readonly acceptedResourceRoles?: readonly string[];
}

/** Reservation label keys Marathon puts on resident reservations. */
export const RESIDENT_RESERVATION_LABELS: readonly string[] = ['marathon_framework_id', 'marathon_task_id'];

export function acceptedRoles(app: RoleChoice): ReadonlySet<string> {
  if (app.acceptedResourceRoles !== undefined && app.acceptedResourceRoles.length > 0) return new Set(app.acceptedResourceRoles);
  return new Set(['*', app.role]);
}

function hasResidentLabels(e: Resource): boolean {
  return e.reservations.some((r) => (r.labels ?? []).some((l) => RESIDENT_RESERVATION_LABELS.includes(l.key)));
}

/** A predicate for the entries the app may use. */
export function usableBy(app: RoleChoice): (e: Resource) => boolean {
  const roles = acceptedRoles(app);
  return (e) => !e.revocable && !e.shared && e.disk === undefined && roles.has(reservationRole(e)) && !hasResidentLabels(e);
}

export function usableResources(app: RoleChoice, offered: Resources): Resources {
  return offered.filter(usableBy(app));
}
