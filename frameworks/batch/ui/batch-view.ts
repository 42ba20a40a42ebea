/**
 * What the batch UI's live feed shows, computed on the server from the `BatchService`: every job
 * as Metronome's JobInfo with `activeRuns`, `schedules` (with `nextRunAt`) and `history` embedded
 * (http/job-info.ts writes them), by id. The service has no change events (and its core is not
 * ours to change), so a viewer compares, once a `periodMs` while somebody watches:
 *
 *  - a cheap synchronous fingerprint (jobs, schedules, next runs, active runs with their tasks):
 *    when it changed, the whole view is read again (histories come from the store);
 *  - after `poke()` (a change through batch's own REST API: a run started now may end before
 *    the next round, leaving only the history changed), the next round reads the view again;
 *  - every `historyEvery`-th round (30) the view is read again anyway, as a safety net for a
 *    change the two rules above miss;
 *
 * The rounds run only while somebody watches (`refresh`, called for a new subscriber, starts
 * them; a round that finds nobody stops them and forgets the view).
 *
 * and calls `onChange` only when the view's JSON differs from the last one. One round at a time.
 */
import type { Timers } from '../../../common/ports.ts';
import type { BatchService } from '../ports.ts';
import { jobInfosJson } from '../http/job-info.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const EMBEDS = new Set(['activeRuns', 'schedules', 'history'] as const);

export interface BatchViewer {
  /** The jobs as last read (undefined before the first round ended). */
  jobs(): readonly Json[] | undefined;
  /** Reads again at once (a new subscriber) unless a round is running, and keeps reading while watched. */
  refresh(): Promise<void>;
  /** Something changed through the API: the next round reads the view again. */
  poke(): void;
  stop(): void;
}

export function fingerprint(service: BatchService): string {
  const jobs = [...service.jobs()].map((j) => ({
    job: j,
    schedules: service.schedules(j.id).map((s) => ({ s, next: service.nextRunAt(j.id, s.id) })),
  }));
  return JSON.stringify({ jobs, runs: service.activeRuns() });
}

export function createBatchViewer(opts: {
  readonly service: BatchService;
  readonly timers: Timers;
  /** Whether anybody watches (no reads while nobody does). */
  readonly watched: () => boolean;
  readonly onChange: () => void;
  readonly periodMs?: number;
  readonly historyEvery?: number;
  readonly onError?: (e: unknown) => void;
}): BatchViewer {
  const historyEvery = opts.historyEvery ?? 30;
  let poked = false;
  let view: Json[] | undefined;
  let viewJson = '';
  let lastPrint = '';
  let rounds = 0;
  let running: Promise<void> | undefined;

  const read = async (force: boolean): Promise<void> => {
    rounds++;
    const print = fingerprint(opts.service);
    if (!force && !poked && print === lastPrint && rounds % historyEvery !== 0) return;
    poked = false;
    lastPrint = print;
    const next = await jobInfosJson(opts.service, EMBEDS);
    const json = JSON.stringify(next);
    if (json === viewJson) return;
    view = next;
    viewJson = json;
    opts.onChange();
  };
  const round = (force: boolean): Promise<void> => {
    if (running !== undefined) return running;
    // Cleared by a `then` of the promise itself: a round that ends without awaiting anything must
    // not clear `running` before it has been assigned.
    const p = read(force).catch((e) => opts.onError?.(e)).then(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };

  // The interval runs only while somebody watches: `refresh` (a new subscriber) starts it, the
  // first round that finds nobody stops it, and the next watcher starts from a fresh read.
  let handle: ReturnType<Timers['setInterval']> | undefined;
  const stop = () => {
    if (handle !== undefined) opts.timers.clear(handle);
    handle = undefined;
  };
  const tick = () => {
    if (opts.watched()) {
      void round(false);
      return;
    }
    stop();
    lastPrint = '';
    view = undefined;
    viewJson = '';
  };

  return {
    jobs: () => view,
    poke: () => { poked = true; },
    refresh: () => {
      handle ??= opts.timers.setInterval(tick, opts.periodMs ?? 1000);
      return round(true);
    },
    stop,
  };
}
