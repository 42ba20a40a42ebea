/**
 * Reliable status updates, as Mesos' task status update manager: no update is ever lost, and each
 * task's updates reach the master in order.
 *
 * One stream per task (framework id + task id), each with its journal file (paths.ts
 * `task.updates`):
 *  - `update` queues the update and appends it to the journal (fsynced); it is sent only once
 *    the append is durable (a journal may be asynchronous: then sends wait for its promise, and
 *    the appends of one stream may overlap, see `UpdateJournal`);
 *  - only the head of a stream is in flight: it is sent with `latest_state` = the newest state the
 *    stream holds, and resent on a timer with exponential backoff (10 s doubling up to 10 min by
 *    default) until acknowledged;
 *  - `acknowledge` of the head's uuid drops the head, appends the ack to the journal and, once the
 *    ack is durable, sends the next update; an ack of anything else is ignored (a late duplicate);
 *  - when the acknowledged update is terminal the stream is done: `onTerminalAcknowledged` fires
 *    and the stream is forgotten (the core moves the task to its completed list);
 *  - `flush` (after (re)registration) resends every head at once with the backoff reset;
 *  - `recover` rebuilds a stream from its journal after an agent restart; it sends nothing until
 *    `flush`.
 *
 * I/O goes through ports (the journal, the send function, timers), so the manager is tested with
 * fakes.
 */
import type { Timers, TimerHandle } from '../common/ports.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import { isTerminalState } from './task-state-machine.ts';

export type StatusUpdate = maestro.agent.StatusUpdate;

/** One line of a task's update journal. */
export type JournalRecord = { readonly update: StatusUpdate } | { readonly ack: string };

/**
 * Where a stream's records go. A synchronous append is durable when it returns; an asynchronous
 * one when its promise settles. The manager appends each record as soon as it has it, without
 * waiting for the stream's earlier appends: a journal must land the records of one path in call
 * order (it may write several in one go: group commit, which is what lets a task's TASK_STARTING
 * and TASK_RUNNING, emitted back to back, share one fsync).
 */
export interface UpdateJournal {
  append(journalPath: string, record: JournalRecord): void | Promise<void>;
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
  /** A journal append failed (disk full...); the update is sent anyway: better than losing it. */
  onJournalError?(journalPath: string, error: Error): void;
  readonly retry?: RetryPolicy;
}

interface Stream {
  readonly frameworkId: string;
  readonly taskId: string;
  readonly journalPath: string;
  readonly pending: StatusUpdate[];
  /** Uuids of the updates queued and not yet acknowledged, to drop duplicates. */
  readonly seen: Set<string>;
  /** The last few acknowledged uuids, so that a late duplicate of one is dropped too (bounded, unlike a full history). */
  readonly acked: string[];
  /** Set when the stream was dropped (`cleanup`): nothing more is sent. */
  closed?: boolean;
  /** Uuids of updates whose journal record is on disk: only those may be sent. */
  readonly durable: Set<string>;
  /** The stream's journal appends still in progress: settles after the last one's `done`. */
  tail?: Promise<void>;
  timer?: TimerHandle;
  backoffMs: number;
  /** Number of times the current head has been sent. */
  sends: number;
}

export type UpdateOutcome = 'queued' | 'duplicate' | 'unknown-stream';
export type AckOutcome = 'acknowledged' | 'terminal-acknowledged' | 'unexpected' | 'unknown-stream';

/** Acknowledged uuids a stream remembers for dropping late duplicates. */
const RECENT_ACKS = 16;

const key = (frameworkId: string, taskId: string) => `${frameworkId}\u0000${taskId}`;

export class StatusUpdateManager {
  private readonly streams = new Map<string, Stream>();
  /** Streams with appends in progress, kept until they finish (also after the stream itself is done). */
  private readonly finishing = new Set<Stream>();
  private readonly retry: RetryPolicy;

  constructor(private readonly deps: StatusUpdateManagerDeps) {
    this.retry = deps.retry ?? DEFAULT_RETRY;
  }

  /** Starts the stream of a new task; its journal starts empty. Idempotent. */
  open(frameworkId: string, taskId: string, journalPath: string): void {
    const k = key(frameworkId, taskId);
    if (this.streams.has(k)) return;
    this.streams.set(k, { frameworkId, taskId, journalPath, pending: [], seen: new Set(), acked: [], durable: new Set(), backoffMs: this.retry.initialMs, sends: 0 });
  }

  has(frameworkId: string, taskId: string): boolean {
    return this.streams.has(key(frameworkId, taskId));
  }

  /** Checkpoints then queues `update` (its `status.uuid` must be set); sends it when it is the head. */
  update(update: StatusUpdate): UpdateOutcome {
    const s = this.streams.get(key(update.framework_id.value, update.status.task_id.value));
    if (s === undefined) return 'unknown-stream';
    const uuid = update.status.uuid ?? '';
    if (s.seen.has(uuid) || s.acked.includes(uuid)) return 'duplicate';
    s.seen.add(uuid);
    s.pending.push(update);
    // Only the head is in flight, once durable; a later update waits (its state rides along as latest_state on resends).
    this.persist(s, { update }, () => {
      s.durable.add(uuid);
      if (s.pending[0]?.status.uuid === uuid && s.timer === undefined) this.sendHead(s);
    });
    return 'queued';
  }

  acknowledge(frameworkId: string, taskId: string, uuid: string): AckOutcome {
    const k = key(frameworkId, taskId);
    const s = this.streams.get(k);
    if (s === undefined) return 'unknown-stream';
    const head = s.pending[0];
    if (head === undefined || head.status.uuid !== uuid) return 'unexpected';
    s.pending.shift();
    s.seen.delete(uuid);
    s.durable.delete(uuid);
    s.acked.push(uuid);
    if (s.acked.length > RECENT_ACKS) s.acked.shift();
    this.stopTimer(s);
    s.backoffMs = this.retry.initialMs;
    s.sends = 0;
    if (isTerminalState(head.status.state)) {
      this.persist(s, { ack: uuid }, () => undefined);
      for (const later of s.pending) s.seen.delete(later.status.uuid ?? '');
      this.streams.delete(k);
      this.deps.onTerminalAcknowledged(frameworkId, taskId);
      return 'terminal-acknowledged';
    }
    // As Mesos: the ack is on disk before the next update goes, so a restart never resends an acknowledged update.
    this.persist(s, { ack: uuid }, () => {
      if (s.timer === undefined && this.streams.get(k) === s) this.sendHead(s);
    });
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
    const acked: string[] = [];
    let latest: StatusUpdate | undefined;
    let done = false;
    for (const r of records) {
      if ('update' in r) {
        const uuid = r.update.status.uuid ?? '';
        if (seen.has(uuid) || acked.includes(uuid)) continue;
        seen.add(uuid);
        pending.push(r.update);
        latest = r.update;
      } else if (pending[0]?.status.uuid === r.ack) {
        const head = pending.shift()!;
        seen.delete(r.ack);
        acked.push(r.ack);
        if (acked.length > RECENT_ACKS) acked.shift();
        if (isTerminalState(head.status.state)) done = true;
      }
    }
    if (done) return { done: true, pending: 0, latest };
    this.streams.set(key(frameworkId, taskId), { frameworkId, taskId, journalPath, pending, seen, acked, durable: new Set(seen), backoffMs: this.retry.initialMs, sends: 0 });
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

  /** Resolves once the task's journal appends started so far have finished (and a durable head has been sent). */
  afterWrites(frameworkId: string, taskId: string): Promise<void> {
    return this.streams.get(key(frameworkId, taskId))?.tail ?? Promise.resolve();
  }

  /** Resolves once every journal append started so far has finished. */
  async settled(): Promise<void> {
    for (;;) {
      const tails = [...this.streams.values(), ...this.finishing].map((s) => s.tail).filter((t): t is Promise<void> => t !== undefined);
      if (tails.length === 0) return;
      await Promise.all(tails);
    }
  }

  /**
   * Forgets every stream of a framework that is gone (Mesos: the agent cleans a removed
   * framework's streams up once its executors are done): their updates have nobody to go to and
   * are not resent any more. Returns the task ids of the streams dropped.
   */
  cleanup(frameworkId: string): string[] {
    const dropped: string[] = [];
    for (const [k, s] of this.streams) {
      if (s.frameworkId !== frameworkId) continue;
      s.closed = true;
      this.stopTimer(s);
      this.streams.delete(k);
      dropped.push(s.taskId);
    }
    return dropped;
  }

  /** Stops every retry timer (agent shutdown); the journals keep everything for the next start. */
  stop(): void {
    for (const s of this.streams.values()) this.stopTimer(s);
  }

  private latestState(s: Stream): mesos.v1.TaskState | undefined {
    return s.pending[s.pending.length - 1]?.status.state;
  }

  /**
   * Hands one record to the journal at once (appends of one stream may overlap: the journal lands
   * them in call order and may write several together, see `UpdateJournal`); `done` runs once the
   * record is durable (or its append failed, logged), and never before the `done` of an earlier
   * record of the stream.
   */
  private persist(s: Stream, record: JournalRecord, done: () => void): void {
    const fail = (e: unknown) => this.deps.onJournalError?.(s.journalPath, e instanceof Error ? e : new Error(String(e)));
    let result: void | Promise<void> = undefined;
    try {
      result = this.deps.journal.append(s.journalPath, record);
    } catch (e) {
      fail(e);
    }
    // A void-typed function may still return a value: only a promise means "not durable yet".
    const durable = result instanceof Promise ? result.then(() => undefined, fail) : undefined;
    if (durable === undefined && s.tail === undefined) {
      done();
      return;
    }
    const before = s.tail;
    const chained = (before === undefined ? durable! : durable === undefined ? before : Promise.all([before, durable])).then(done);
    const tail: Promise<void> = chained.finally(() => {
      if (s.tail === tail) {
        s.tail = undefined;
        this.finishing.delete(s);
      }
    });
    s.tail = tail;
    this.finishing.add(s);
  }

  private sendHead(s: Stream): void {
    const head = s.pending[0];
    if (s.closed === true || head === undefined || !s.durable.has(head.status.uuid ?? '')) return;
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
