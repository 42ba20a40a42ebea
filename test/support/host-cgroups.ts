/**
 * The cgroup layout of the machine the tests run on, for the tests that use real cgroups: v1 on
 * the development machines (DESIGN.md §5), v2 on a lent v2 host. A machine without cgroups is an
 * error, not a skip: these tests must run.
 */
import { detectHostLayout, type CgroupLayout } from '../../slave/isolators/cgroups/hierarchy.ts';

export function hostCgroups(): { readonly layout: CgroupLayout; readonly v1: boolean } {
  const layout = detectHostLayout();
  if (layout === undefined) throw new Error('these tests need cgroups (DESIGN.md §5: the development machines mount v1 hierarchies)');
  return { layout, v1: layout.version === 1 };
}
