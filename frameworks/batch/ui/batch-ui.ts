/**
 * The batch framework's web UI at `/ui/`: the HTML shell and bundle of frameworks/batch/ui/web
 * (common/ui registerUi) and its live feed at `/ui/live` (the kit's WebSocket hub, topics in
 * web/feed-protocol.ts): the jobs list, one job (schedules, active runs, history) and a task's
 * stdout/stderr followed as it grows. Everything else the pages call is batch's own REST API
 * (`/v1/jobs`, `POST /v1/jobs/{id}/runs`).
 *
 * Jobs and runs come from a viewer (batch-view.ts) that diffs the service's state while somebody
 * watches and pushes only on change; logs from the task's agent (task-logs.ts), found through
 * the master, so the browser talks only to batch.
 */
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { systemTimers, type Timers } from '../../../common/ports.ts';
import { createLiveHub, type LiveTopic } from '../../../common/ui/live-server.ts';
import type { ParseResult } from '../../../common/ui/paging.ts';
import { registerUi } from '../../../common/ui/serve.ts';
import type { BatchService } from '../ports.ts';
import { createBatchViewer } from './batch-view.ts';
import { createTaskLogReader, followLog, type LogFile } from './task-logs.ts';
import { LOG_FILES, type Json, type JobRow, type JobSnapshot, type JobsSnapshot } from './web/feed-protocol.ts';

export const LIVE_PATH = '/ui/live';

export interface BatchUiOptions {
  readonly service: BatchService;
  /** The masters (`host:port`) where task logs are looked up; none: logs say so. */
  readonly masters?: readonly string[];
  readonly timers?: Timers;
  readonly logger?: { warn(obj: object, msg: string): void };
  /** How often the viewer compares the state and a followed log is read (default 1000 ms). */
  readonly periodMs?: number;
}

export function jobRow(j: Json): JobRow {
  const h = j.history ?? {};
  return {
    id: j.id,
    ...(j.description !== undefined ? { description: j.description } : {}),
    ...(j.run?.cmd !== undefined ? { cmd: j.run.cmd } : {}),
    schedules: (j.schedules ?? []).map((s: Json) => ({ id: s.id, cron: s.cron, timezone: s.timezone, enabled: s.enabled, ...(s.nextRunAt ? { nextRunAt: s.nextRunAt } : {}) })),
    activeRuns: (j.activeRuns ?? []).map((r: Json) => ({ id: r.id, status: r.status, createdAt: r.createdAt })),
    history: { successCount: h.successCount ?? 0, failureCount: h.failureCount ?? 0, lastSuccessAt: h.lastSuccessAt ?? null, lastFailureAt: h.lastFailureAt ?? null },
  };
}

const str = (raw: Readonly<Record<string, unknown>>, field: string): string | undefined =>
  typeof raw[field] === 'string' && (raw[field] as string).length > 0 && (raw[field] as string).length <= 300 ? raw[field] as string : undefined;

interface LogParams { readonly job: string; readonly run: string; readonly task: string; readonly file: LogFile }

export function parseLogParams(raw: Readonly<Record<string, unknown>>): ParseResult<LogParams> {
  for (const field of ['job', 'run', 'task']) {
    if (str(raw, field) === undefined) return { ok: false, field, message: `${field} must be a non-empty string of at most 300 characters` };
  }
  if (!(LOG_FILES as readonly unknown[]).includes(raw.file)) return { ok: false, field: 'file', message: `file must be one of ${LOG_FILES.join(', ')}` };
  return { ok: true, value: { job: raw.job as string, run: raw.run as string, task: raw.task as string, file: raw.file as LogFile } };
}

export function registerBatchUi(app: FastifyInstance, opts: BatchUiOptions): void {
  const timers = opts.timers ?? systemTimers;
  const reader = createTaskLogReader(opts.masters ?? []);
  const viewer = createBatchViewer({
    service: opts.service,
    timers,
    watched: () => hub.stats().subscriptions > 0,
    onChange: () => hub.changed(),
    ...(opts.periodMs !== undefined ? { periodMs: opts.periodMs } : {}),
    onError: (e) => opts.logger?.warn({ err: e }, 'batch UI: reading the jobs failed'),
  });
  const loading = <T>(): T => {
    void viewer.refresh();
    return { loading: true } as T;
  };

  const jobs: LiveTopic<Record<string, never>> = {
    parse: () => ({ ok: true, value: {} }),
    snapshot: (): JobsSnapshot => {
      const list = viewer.jobs();
      return list === undefined ? loading() : { jobs: list.map(jobRow) };
    },
  };
  const job: LiveTopic<{ id: string }> = {
    parse: (raw) => (str(raw, 'id') === undefined ? { ok: false, field: 'id', message: 'id must be a non-empty string' } : { ok: true, value: { id: raw.id as string } }),
    snapshot: ({ id }): JobSnapshot => {
      const list = viewer.jobs();
      if (list === undefined) return loading();
      const found = list.find((j) => j.id === id);
      return found === undefined ? { missing: id } : { job: found };
    },
  };
  const log: LiveTopic<LogParams> = {
    parse: parseLogParams,
    stream: (p, emit) => followLog(reader, timers, {
      taskId: p.task,
      file: p.file,
      agentId: async () => (await opts.service.run(p.job, p.run))?.tasks.find((t) => t.id === p.task)?.agentId,
    }, { data: (chunk) => emit.append(chunk), waiting: (message) => emit.snapshot({ waiting: message }) }, opts.periodMs ?? 1000),
  };
  const hub = createLiveHub({ topics: { jobs, job, log }, ...(opts.logger ? { logger: opts.logger } : {}) });
  hub.attach(app.server, LIVE_PATH);
  // A change through the REST API (run now, a new job) may start and finish a run between two of
  // the viewer's rounds: the next round reads the view again.
  app.addHook('onResponse', (request, reply, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400 && /^\/v[01]\//.test(request.url)) viewer.poke();
    done();
  });
  app.addHook('onClose', async () => {
    viewer.stop();
    await hub.close();
  });
  app.register(async (ui) => {
    await registerUi(ui, {
      title: 'maestro batch',
      entry: fileURLToPath(new URL('./web/main.ts', import.meta.url)),
      prefix: '/ui/',
      css: fileURLToPath(new URL('./web/batch.css', import.meta.url)),
    });
  });
}
