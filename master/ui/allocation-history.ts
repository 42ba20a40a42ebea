/**
 * The samples behind the Overview's allocation chart: a bounded ring of (time, total, allocated,
 * offered) taken every sample interval by master-ui.ts. Oldest dropped first. Pure.
 */
import type { HistorySample } from './web/master-protocol.ts';

export class AllocationHistory {
  private readonly ring: HistorySample[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  push(sample: HistorySample): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(sample);
      return;
    }
    this.ring[this.start] = sample;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  samples(): HistorySample[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  get size(): number {
    return this.ring.length;
  }
}
