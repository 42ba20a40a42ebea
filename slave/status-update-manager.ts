/**
 * Reliable status updates, as Mesos' task status update manager: no update is ever lost, and each
 * task's updates reach the master in order.
 *
 * One stream per task (framework id + task id), each with its journal file (paths.ts
 * `task.updates`):
 *  - `update` appends the update to the journal (fsynced) BEFORE anything is sent, then queues it;
 *  - only the head of a stream is in flight: it is sent with `latest_state` = the newest state the
 *    stream holds, and resent on a timer with exponential backoff (10 s doubling up to 10 min by
 *    default) until acknowledged;
 *  - `acknowledge` of the head's uuid appends the ack to the journal, drops the head and sends the
 *    next update at once; an ack of anything else is ignored (a late duplicate);
 *  - when the acknowledged update is terminal the stream is done: `onTerminalAcknowledged` fires
 *    and the stream is forgotten (the core moves the task to its completed list);
 *  - `flush` (after (re)registration) resends every head at once with the backoff reset;
 *  - `recover` rebuilds a stream from its journal after an agent restart; it sends nothing until
 *    `flush`.
 *
 * I/O goes through ports (the journal, the send function, timers), so the manager is tested with
 * fakes.
 */
import type { Timers, TimerHandle } from '../master/ports.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import { isTerminalState } from './task-state-machine.ts';

export type StatusUpdate = maestro.agent.StatusUpdate;

/** One line of a task's update journal. */
export type JournalRecord = { readonly update: StatusUpdate } | { readonly ack: string };

export interface UpdateJournal {
  append(journalPath: string, record: JournalRecord): void;
}

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 10_000, maxMs: 600_000 };

export interface StatusUpdateManagerDeps {
  readonly timers: Timers;
  readonly journal: UpdateJournal;
  /** Sends to the master; returns false when there is no registered connection (the retry timer still runs). */
  send(update: StatusUpdate): boolean;
  onTerminalAcknowledged(frameworkId: string, taskId: string): void;
  readonly retry?: RetryPolicy;
}

interface Stream {
  readonly frameworkId: string;
  readonly taskId: string;
  readonly journalPath: string;
  readonly pending: StatusUpdate[];
  /** Every uuid the stream has seen, to drop duplicates. */
  readonly seen: Set<string>;
  timer?: TimerHandle;
  backoffMs: number;
  /** Number of times the current head has been sent. */
  sends: number;
}

export type UpdateOutcome = 'queued' | 'duplicate' | 'unknown-stream';
export type AckOutcome = 'acknowledged' | 'terminal-acknowledged' | 'unexpected' | 'unknown-stream';

const key = (frameworkId: string, taskId: string) => `${frameworkId}\u0000${taskId}`;

export class StatusUpdateManager {
  private readonly streams = new Map<string, Stream>();
  private readonly retry: RetryPolicy;

  constructor(private readonly deps: StatusUpdateManagerDeps) {
    this.retry = deps.retry ?? DEFAULT_RETRY;
  }

  /** Starts the stream of a new task; its journal starts empty. Idempotent. */
  open(frameworkId: string, taskId: string, journalPath: string): void {
    const k = key(frameworkId, taskId);
    if (this.streams.has(k)) return;
    this.streams.set(k, { frameworkId, taskId, journalPath, pending: [], seen: new Set(), backoffMs: this.retry.initialMs, sends: 0 });
  }

  has(frameworkId: string, taskId: string): boolean {
    return this.streams.has(key(frameworkId, taskId));
  }

  /** Checkpoints then queues `update` (its `status.uuid` must be set); sends it when it is the head. */
  update(update: StatusUpdate): UpdateOutcome {
    const s = this.streams.get(key(update.framework_id.value, update.status.task_id.value));
    if (s === undefined) return 'unknown-stream';
    const uuid = update.status.uuid ?? '';
    if (s.seen.has(uuid)) return 'duplicate';
    this.deps.journal.append(s.journalPath, { update });
    s.seen.add(uuid);
    s.pending.push(update);
    // Only the head is in flight; a later update waits (its state rides along as latest_state on resends).
    if (s.pending.length === 1) this.sendHead(s);
    return 'queued';
  }

  acknowledge(frameworkId: string, taskId: string, uuid: string): AckOutcome {
    const k = key(frameworkId, taskId);
    const s = this.streams.get(k);
    if (s === undefined) return 'unknown-stream';
    const head = s.pending[0];
    if (head === undefined || head.status.uuid !== uuid) return 'unexpected';
    this.deps.journal.append(s.journalPath, { ack: uuid });
    s.pending.shift();
    this.stopTimer(s);
    s.backoffMs = this.retry.initialMs;
    s.sends = 0;
    if (isTerminalState(head.status.state)) {
      for (const later of s.pending) s.seen.delete(later.status.uuid ?? '');
      this.streams.delete(k);
      this.deps.onTerminalAcknowledged(frameworkId, taskId);
      return 'terminal-acknowledged';
    }
    if (s.pending.length > 0) this.sendHead(s);
    return 'acknowledged';
  }

  /**
   * Rebuilds a stream from its journal records (in order). Returns what is left: `done` when the
   * terminal update was acknowledged (no stream is kept), else the stream is kept with its
   * unacknowledged updates, to be sent by `flush`.
   */
  recover(frameworkId: string, taskId: string, journalPath: string, records: readonly JournalRecord[]): { done: boolean; pending: number; latest?: StatusUpdate } {
    const pending: StatusUpdate[] = [];
    const seen = new Set<string>();
    let latest: StatusUpdate | undefined;
    let done = false;
    for (const r of records) {
      if ('update' in r) {
        const uuid = r.update.status.uuid ?? '';
        if (seen.has(uuid)) continue;
        seen.add(uuid);
        pending.push(r.update);
        latest = r.update;
      } else if (pending[0]?.status.uuid === r.ack) {
        const acked = pending.shift()!;
        if (isTerminalState(acked.status.state)) done = true;
      }
    }
    if (done) return { done: true, pending: 0, latest };
    this.streams.set(key(frameworkId, taskId), { frameworkId, taskId, journalPath, pending, seen, backoffMs: this.retry.initialMs, sends: 0 });
    return { done: false, pending: pending.length, latest };
  }

  /** Resends the head of every stream now, backoff reset (after the agent (re)registered). */
  flush(): void {
    for (const s of this.streams.values()) {
      if (s.pending.length === 0) continue;
      this.stopTimer(s);
      s.backoffMs = this.retry.initialMs;
      this.sendHead(s);
    }
  }

  /** Unacknowledged updates of a task, oldest first. */
  pending(frameworkId: string, taskId: string): readonly StatusUpdate[] {
    return this.streams.get(key(frameworkId, taskId))?.pending ?? [];
  }

  /** How many times the head of the task's stream has been sent (for tests and metrics). */
  sendCount(frameworkId: string, taskId: string): number {
    return this.streams.get(key(frameworkId, taskId))?.sends ?? 0;
  }

  /** Number of unacknowledged updates over all streams. */
  totalPending(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.pending.length;
    return n;
  }

  /** Stops every retry timer (agent shutdown); the journals keep everything for the next start. */
  stop(): void {
    for (const s of this.streams.values()) this.stopTimer(s);
  }

  private latestState(s: Stream): mesos.v1.TaskState | undefined {
    return s.pending[s.pending.length - 1]?.status.state;
  }

  private sendHead(s: Stream): void {
    const head = s.pending[0];
    if (head === undefined) return;
    const latest = this.latestState(s);
    const message: StatusUpdate = latest === undefined ? { ...head } : { ...head, latest_state: latest };
    s.sends++;
    this.deps.send(message);
    this.stopTimer(s);
    s.timer = this.deps.timers.setTimeout(() => {
      s.timer = undefined;
      s.backoffMs = Math.min(s.backoffMs * 2, this.retry.maxMs);
      this.sendHead(s);
    }, s.backoffMs);
  }

  private stopTimer(s: Stream): void {
    if (s.timer !== undefined) {
      this.deps.timers.clear(s.timer);
      s.timer = undefined;
    }
  }
}
