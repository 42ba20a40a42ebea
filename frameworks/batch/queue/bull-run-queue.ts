/**
 * `RunQueue` on BullMQ (Redis): each pending run is one BullMQ job in the queue `name` under
 * `prefix` (keys `<prefix>:<name>:*`). No BullMQ worker ever takes them: the batch core decides
 * when a run launches (an offer fits it) and then calls `remove`, so `ready` only reads.
 *
 * A run as a BullMQ job: job id = run id (so an enqueue is idempotent), job name = the Metronome
 * job id, data = the `QueuedRun` plus `seq` (its place among equals, from the counter key
 * `<prefix>:<name>:maestro:seq`), BullMQ priority = 2^20 - priority (queue-order.ts); a run whose
 * `notBefore` lies ahead of the clock is a delayed job due at floor(notBefore), else prioritized.
 *
 * Invariants: the prioritized set is ordered as `compareSequenced` orders runs (BullMQ sorts it by
 * priority, then by its own insertion counter, and every write here is serialized, so that counter
 * grows with `seq`), and the delayed set by due time: `ready` pages through both and stops early.
 * Redis is never the source of truth: after a restart or a flush of Redis the owner calls
 * `rebuild` with the store's pending runs (`onReconnect` says when the connection came back).
 * A Redis that stays down makes calls reject (a few reconnect attempts per call), not hang.
 */
import { Queue, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { systemClock, type Clock, type Logger } from '../../../common/ports.ts';
import type { QueuedRun, RunQueue } from '../ports.ts';
import {
  checkQueuedRun, isSameQueuedRun, planRebuild, readyRuns, toBullPriority, type SequencedRun,
} from './queue-order.ts';

export interface BullRunQueueOptions {
  /** A Redis url (`redis://[:password@]host:port[/db]`). */
  readonly connection: string;
  /** The BullMQ queue name. */
  readonly name: string;
  readonly logger: Logger;
  /** BullMQ's key prefix; default `maestro`. */
  readonly prefix?: string;
  /** What "now" is when a run is enqueued (whether it is delayed); default the system clock. */
  readonly clock?: Clock;
  /** How long the first connection may take; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Called each time the connection is ready again after it was lost (Redis may have restarted empty). */
  readonly onReconnect?: () => void;
}

interface RunData extends QueuedRun {
  readonly seq: number;
}

/** Jobs read per Redis round trip while `ready` pages: small first (usually enough), doubling. */
const FIRST_PAGE = 16;
const MAX_PAGE = 512;
const nextPage = (size: number) => Math.min(size * 2, MAX_PAGE);
/** Jobs added per round trip by `rebuild`. */
const BULK = 1_000;

export async function createBullRunQueue(options: BullRunQueueOptions): Promise<RunQueue> {
  const { name, logger } = options;
  const prefix = options.prefix ?? 'maestro';
  const clock = options.clock ?? systemClock;
  const where = { queue: name, prefix, redis: redactUrl(options.connection) };
  // Auto-pipelining: the commands of a batch (enqueueAll, removeAll) issued in one tick go out in one write.
  const redis = new Redis(options.connection, { maxRetriesPerRequest: 3, lazyConnect: true, enableAutoPipelining: true });
  let connected = false;
  let closed = false;
  let lost = false;
  let warned = false;
  redis.on('error', (err: Error) => {
    if (warned) return; // once per outage: ioredis repeats it on every reconnect attempt
    warned = true;
    logger.warn({ ...where, err: err.message }, 'run queue: Redis connection error');
  });
  redis.on('close', () => {
    if (connected && !closed) lost = true;
  });
  redis.on('ready', () => {
    warned = false;
    if (!lost) return;
    lost = false;
    logger.info(where, 'run queue: Redis connection ready again');
    options.onReconnect?.();
  });
  try {
    await withTimeout(redis.connect(), options.connectTimeoutMs ?? 10_000, `run queue: Redis at ${where.redis} did not answer`);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  connected = true;
  const queue = new Queue<RunData>(name, { connection: redis, prefix });
  queue.on('error', (err: Error) => logger.warn({ ...where, err: err.message }, 'run queue: BullMQ error'));
  await queue.waitUntilReady();
  const seqKey = `${prefix}:${name}:maestro:seq`;

  // One operation at a time: `seq` and BullMQ's own counter then grow together, and a read never
  // sees half a rebuild.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('the run queue is closed'));
    const next = tail.then(op);
    tail = next.catch(() => undefined);
    return next;
  };

  const jobOptions = (run: QueuedRun, now: number): JobsOptions => {
    const delay = Math.floor(run.notBefore) - now;
    return {
      jobId: run.runId,
      priority: toBullPriority(run.priority),
      timestamp: now,
      ...(delay > 0 ? { delay } : {}),
    };
  };
  const toData = (run: QueuedRun, seq: number): RunData => ({
    jobId: run.jobId, runId: run.runId, priority: run.priority, notBefore: run.notBefore, seq,
  });
  const entryOf = (job: Job<RunData>): SequencedRun | undefined => {
    const d = job.data as Partial<RunData> | undefined;
    if (d && typeof d.jobId === 'string' && typeof d.runId === 'string' && d.runId === job.id && typeof d.priority === 'number'
      && typeof d.notBefore === 'number' && typeof d.seq === 'number') {
      return { run: { jobId: d.jobId, runId: d.runId, priority: d.priority, notBefore: d.notBefore }, seq: d.seq };
    }
    logger.warn({ ...where, bullJobId: job.id }, 'run queue: a job that is not a queued run; ignored');
    return undefined;
  };

  return {
    enqueue: (run) => serial(async () => {
      checkQueuedRun(run);
      const existing = await queue.getJob(run.runId);
      if (existing) {
        const entry = entryOf(existing);
        if (entry && isSameQueuedRun(entry.run, run)) return;
        await queue.remove(run.runId);
      }
      const seq = await redis.incr(seqKey);
      await queue.add(run.jobId, toData(run, seq), jobOptions(run, clock.now()));
    }),

    enqueueAll: (list) => serial(async () => {
      list.forEach(checkQueuedRun);
      const runs = planRebuild(list);
      if (runs.length === 0) return;
      // Which runs the queue holds already, and the runs' places (one pipelined round trip: a place
      // left unused by a run that turns out unchanged is a harmless gap). Only held runs are read.
      const [last, ...held] = await Promise.all([redis.incrby(seqKey, runs.length), ...runs.map((r) => redis.exists(`${prefix}:${name}:${r.runId}`))]);
      const existing = await Promise.all(runs.map((r, i) => (held[i] === 1 ? queue.getJob(r.runId) : undefined)));
      const changed: string[] = [];
      const add = runs.filter((r, i) => {
        const e = existing[i];
        if (!e) return true;
        const entry = entryOf(e);
        if (entry && isSameQueuedRun(entry.run, r)) return false;
        changed.push(r.runId);
        return true;
      });
      await Promise.all(changed.map((id) => queue.remove(id)));
      if (add.length === 0) return;
      const now = clock.now();
      for (let i = 0; i < add.length; i += BULK) {
        await queue.addBulk(add.slice(i, i + BULK).map((run, j) => ({
          name: run.jobId, data: toData(run, last - runs.length + 1 + i + j), opts: jobOptions(run, now),
        })));
      }
    }),

    remove: (runId) => serial(async () => {
      await queue.remove(runId);
    }),

    removeAll: (runIds) => serial(async () => {
      await Promise.all([...new Set(runIds)].map((id) => queue.remove(id)));
    }),

    ready: (now, limit) => serial(async () => {
      if (!(limit > 0)) return [];
      const entries: SequencedRun[] = [];
      // Delayed runs, soonest first: every one due by now (they may outrank any prioritized run).
      for (let start = 0, size = FIRST_PAGE, more = true; more; start += size, size = nextPage(size)) {
        const jobs = await queue.getDelayed(start, start + size - 1);
        more = jobs.length === size;
        for (const job of jobs) {
          const entry = entryOf(job);
          if (!entry) continue;
          if (Math.floor(entry.run.notBefore) > now) {
            more = false;
            break;
          }
          if (entry.run.notBefore <= now) entries.push(entry);
        }
      }
      // Prioritized runs, in launch order: the first `limit` due ones are all that can win.
      let picked = 0;
      for (let start = 0, size = Math.max(FIRST_PAGE, Math.min(limit, MAX_PAGE)), more = true; more && picked < limit;
        start += size, size = nextPage(size)) {
        const jobs = await queue.getPrioritized(start, start + size - 1);
        more = jobs.length === size;
        for (const job of jobs) {
          const entry = entryOf(job);
          if (!entry || entry.run.notBefore > now) continue;
          entries.push(entry);
          if (++picked === limit) break;
        }
      }
      return readyRuns(entries, now, limit);
    }),

    size: () => serial(() => queue.getJobCountByTypes('prioritized', 'delayed', 'wait')),

    rebuild: (list) => serial(async () => {
      list.forEach(checkQueuedRun);
      const runs = planRebuild(list);
      await queue.obliterate({ force: true });
      await redis.del(seqKey);
      if (runs.length > 0) {
        const last = await redis.incrby(seqKey, runs.length);
        const now = clock.now();
        for (let i = 0; i < runs.length; i += BULK) {
          await queue.addBulk(runs.slice(i, i + BULK).map((run, j) => ({
            name: run.jobId, data: toData(run, last - runs.length + 1 + i + j), opts: jobOptions(run, now),
          })));
        }
      }
      logger.info({ ...where, runs: runs.length }, 'run queue: rebuilt');
    }),

    close: async () => {
      if (closed) return;
      const drained = tail;
      closed = true;
      await drained;
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The url without its password, for logs and errors. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
