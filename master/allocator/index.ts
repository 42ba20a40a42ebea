/**
 * Public surface of the allocator: `createAllocator` and the types of the seam (allocator.ts).
 */
export { createAllocator, HierarchicalAllocator, DEFAULT_MIN_ALLOCATABLE } from './hierarchical-allocator.ts';
export { DEFAULT_REFUSE_SECONDS } from './decline-filters.ts';
export type { Allocator, AllocatorOptions, AgentDescription, FrameworkDescription, Filters, OfferDecision, Quota } from './allocator.ts';
export { runAllocationCycle } from './allocation-cycle.ts';
export type { CycleInput, CycleResult } from './allocation-cycle.ts';
export type { Sorter } from './sorter/sorter.ts';
export { createSorter } from './sorter/create-sorter.ts';
export { Rng } from '../../common/rng.ts';
