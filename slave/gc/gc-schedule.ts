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
 *
 * Cost: a week of a busy agent's directories is scheduled at once (two per command task: the
 * run and the executor directory), so nothing here walks them all. A binary min-heap ordered by
 * (completed at, directory) holds one entry per scheduling; an entry whose directory was
 * unscheduled, taken or scheduled again is stale and dropped when it reaches the top (the heap is
 * rebuilt when stale entries outnumber the live ones). `schedule`, `unschedule` and
 * `nextRemovalTime` are O(log n) amortized; `due`/`prunable` cost O(k log n) for the k
 * directories they name (bench/gc-schedule.bench.ts).
 */

export function maxAllowedAgeMs(gcDelayMs: number, diskUsage: number, diskHeadroom: number): number {
  return gcDelayMs * Math.max(0, 1 - diskHeadroom - diskUsage);
}

interface Entry {
  readonly at: number;
  readonly directory: string;
  /** Which scheduling of the directory this entry is (stale once the directory's own seq differs). */
  readonly seq: number;
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.directory < b.directory);
}

export class GcSchedule {
  /** directory -> when it completed (ms) and which scheduling it is. */
  private readonly completed = new Map<string, { readonly at: number; readonly seq: number }>();
  private heap: Entry[] = [];
  private seq = 0;

  constructor(private readonly gcDelayMs: number) {}

  schedule(directory: string, completedAt: number): void {
    const seq = ++this.seq;
    this.completed.set(directory, { at: completedAt, seq });
    this.push({ at: completedAt, directory, seq });
    this.compactIfStale();
  }

  unschedule(directory: string): boolean {
    const found = this.completed.delete(directory);
    if (found) this.compactIfStale();
    return found;
  }

  has(directory: string): boolean {
    return this.completed.has(directory);
  }

  get size(): number {
    return this.completed.size;
  }

  /** When the directory is due without disk pressure. */
  removalTime(directory: string): number | undefined {
    const c = this.completed.get(directory);
    return c === undefined ? undefined : c.at + this.gcDelayMs;
  }

  /** The earliest removal time of all scheduled directories (to arm one timer). */
  nextRemovalTime(): number | undefined {
    this.dropStaleTop();
    return this.heap.length === 0 ? undefined : this.heap[0].at + this.gcDelayMs;
  }

  /** Directories at least `maxAgeMs` old at `now`, oldest first (then by name); they stay scheduled. */
  olderThan(now: number, maxAgeMs: number): string[] {
    const popped: Entry[] = [];
    for (;;) {
      this.dropStaleTop();
      const top = this.heap[0];
      if (top === undefined || now - top.at < maxAgeMs) break;
      popped.push(this.pop());
    }
    for (const e of popped) this.push(e);
    return popped.map((e) => e.directory);
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
    const taken = directories.filter((d) => this.completed.delete(d));
    if (taken.length > 0) this.compactIfStale();
    return taken;
  }

  private live(e: Entry): boolean {
    return this.completed.get(e.directory)?.seq === e.seq;
  }

  private dropStaleTop(): void {
    while (this.heap.length > 0 && !this.live(this.heap[0])) this.pop();
  }

  /** Rebuilds the heap from the live entries once the stale ones outnumber them. */
  private compactIfStale(): void {
    if (this.heap.length <= 2 * this.completed.size + 64) return;
    this.heap = this.heap.filter((e) => this.live(e));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private push(e: Entry): void {
    const h = this.heap;
    let i = h.push(e) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const h = this.heap;
    const e = h[start];
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r], h[l]) ? r : l;
      if (!before(h[c], e)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = e;
  }
}
