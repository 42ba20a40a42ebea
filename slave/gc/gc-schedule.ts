/**
 * The pure core of sandbox garbage collection, with Mesos' rules (src/slave/gc.cpp and the
 * agent's disk check):
 *  - a completed sandbox is due `gc_delay` after it completed;
 *  - every `disk_watch_interval` the agent measures disk usage u (0..1) and removes every
 *    scheduled sandbox at least `maxAllowedAge = gc_delay × max(0, 1 − gc_disk_headroom − u)` old,
 *    so the fuller the disk the younger the sandboxes that go (at u ≥ 1 − headroom, all of them).
 * Time is passed in (milliseconds since the epoch); nothing here touches files or timers.
 *
 * Invariants: a directory is scheduled at most once (scheduling it again replaces its time);
 * `due` and `prunable` never name an unscheduled directory; `take` removes what it returns.
 */

export function maxAllowedAgeMs(gcDelayMs: number, diskUsage: number, diskHeadroom: number): number {
  return gcDelayMs * Math.max(0, 1 - diskHeadroom - diskUsage);
}

export class GcSchedule {
  /** directory -> when it completed (ms). */
  private readonly completed = new Map<string, number>();

  constructor(private readonly gcDelayMs: number) {}

  schedule(directory: string, completedAt: number): void {
    this.completed.delete(directory);
    this.completed.set(directory, completedAt);
  }

  unschedule(directory: string): boolean {
    return this.completed.delete(directory);
  }

  has(directory: string): boolean {
    return this.completed.has(directory);
  }

  get size(): number {
    return this.completed.size;
  }

  /** When the directory is due without disk pressure. */
  removalTime(directory: string): number | undefined {
    const at = this.completed.get(directory);
    return at === undefined ? undefined : at + this.gcDelayMs;
  }

  /** The earliest removal time of all scheduled directories (to arm one timer). */
  nextRemovalTime(): number | undefined {
    let next: number | undefined;
    for (const at of this.completed.values()) {
      const removal = at + this.gcDelayMs;
      if (next === undefined || removal < next) next = removal;
    }
    return next;
  }

  /** Directories at least `maxAgeMs` old at `now`, oldest first. */
  olderThan(now: number, maxAgeMs: number): string[] {
    return [...this.completed]
      .filter(([, at]) => now - at >= maxAgeMs)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      .map(([directory]) => directory);
  }

  /** Due without pressure: completed at least `gc_delay` ago. */
  due(now: number): string[] {
    return this.olderThan(now, this.gcDelayMs);
  }

  /** Due under the measured disk usage (Mesos' prune after a disk check). */
  prunable(now: number, diskUsage: number, diskHeadroom: number): string[] {
    return this.olderThan(now, maxAllowedAgeMs(this.gcDelayMs, diskUsage, diskHeadroom));
  }

  /** Unschedules and returns the given directories that are still scheduled. */
  take(directories: readonly string[]): string[] {
    return directories.filter((d) => this.completed.delete(d));
  }
}
