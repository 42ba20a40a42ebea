/**
 * Name -> factory registry of sorters (`--role_sorter` / `--framework_sorter` in Mesos).
 */
import { DrfSorter } from './drf-sorter.ts';
import { RandomSorter } from './random-sorter.ts';
import type { Sorter } from './sorter.ts';

export type SorterKind = 'drf' | 'random';

export function createSorter(kind: SorterKind, hierarchical: boolean): Sorter {
  return kind === 'random' ? new RandomSorter({ hierarchical }) : new DrfSorter({ hierarchical });
}
