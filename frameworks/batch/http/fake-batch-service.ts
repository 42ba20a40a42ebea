/**
 * Test support for the batch REST API: a small in-memory `BatchService` (the port the routes are
 * written against) that records every change call, can be told to refuse one, and fixture
 * builders for jobs, runs and history. Used only by the http tests; the real core is tested on
 * its own.
 */
import type { FastifyInstance } from 'fastify';
import { EMPTY_HISTORY, type JobHistory, type JobRun, type JobSpec, type ScheduleSpec } from '../model.ts';
import type { BatchError, BatchResult, BatchService } from '../ports.ts';
import { parseJob } from '../spec/parse-job.ts';
import { createBatchApp } from './app.ts';

export const T0 = '2026-11-22T10:00:00.000Z';

export type ChangeMethod =
  | 'createJob' | 'updateJob' | 'deleteJob' | 'startRun' | 'stopRun' | 'createSchedule' | 'updateSchedule' | 'deleteSchedule';

/** A job as the parser makes it from a minimal Metronome document. */
export function job(id: string, cmd = 'sleep 1'): JobSpec {
  const parsed = parseJob({ id, run: { cmd, cpus: 0.5, mem: 64, disk: 0 } });
  if (!parsed.ok) throw new Error(`test job ${id}: ${JSON.stringify(parsed.details)}`);
  return parsed.value;
}

export function schedule(id: string, over: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return { id, cron: '*/5 * * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true, ...over };
}

export function run(spec: JobSpec, id: string, over: Partial<JobRun> = {}): JobRun {
  return { id, jobId: spec.id, status: 'ACTIVE', createdAt: T0, spec, attempt: 1, tasks: [{ id: `${spec.id}_${id}.task-0`, status: 'TASK_RUNNING', startedAt: T0, index: 0 }], ...over };
}

export class FakeBatchService implements BatchService {
  readonly jobsById = new Map<string, JobSpec>();
  readonly schedulesByJob = new Map<string, ScheduleSpec[]>();
  runs: JobRun[] = [];
  finished: JobRun[] = [];
  readonly histories = new Map<string, JobHistory>();
  readonly nextRuns = new Map<string, string>();
  readonly calls: { method: ChangeMethod; args: unknown[] }[] = [];
  /** A refusal the next call of that method answers (then it is forgotten). */
  readonly refuse = new Map<ChangeMethod, BatchError>();
  historyReads = 0;
  private runCounter = 0;

  constructor(jobs: readonly JobSpec[] = []) {
    for (const j of jobs) this.jobsById.set(j.id, j);
  }

  jobs(): readonly JobSpec[] { return [...this.jobsById.values()]; }
  job(id: string): JobSpec | undefined { return this.jobsById.get(id); }
  schedules(jobId: string): readonly ScheduleSpec[] { return this.schedulesByJob.get(jobId) ?? []; }
  activeRuns(jobId?: string): readonly JobRun[] { return this.runs.filter((r) => jobId === undefined || r.jobId === jobId); }
  async history(jobId: string): Promise<JobHistory> {
    this.historyReads++;
    return this.histories.get(jobId) ?? EMPTY_HISTORY;
  }
  async run(jobId: string, runId: string): Promise<JobRun | undefined> {
    return [...this.runs, ...this.finished].find((r) => r.jobId === jobId && r.id === runId);
  }
  nextRunAt(jobId: string, scheduleId: string): string | undefined { return this.nextRuns.get(`${jobId}/${scheduleId}`); }

  private record<T>(method: ChangeMethod, args: unknown[], act: () => BatchResult<T>): Promise<BatchResult<T>> {
    this.calls.push({ method, args });
    const refusal = this.refuse.get(method);
    if (refusal !== undefined) {
      this.refuse.delete(method);
      return Promise.resolve(refusal);
    }
    return Promise.resolve(act());
  }

  createJob(spec: JobSpec, schedules: readonly ScheduleSpec[] = []): Promise<BatchResult<JobSpec>> {
    return this.record('createJob', [spec, schedules], () => {
      this.jobsById.set(spec.id, spec);
      this.schedulesByJob.set(spec.id, [...schedules]);
      return { ok: true, value: spec };
    });
  }
  updateJob(spec: JobSpec): Promise<BatchResult<JobSpec>> {
    return this.record('updateJob', [spec], () => {
      this.jobsById.set(spec.id, spec);
      return { ok: true, value: spec };
    });
  }
  deleteJob(id: string, stopCurrentJobRuns: boolean): Promise<BatchResult<JobSpec>> {
    return this.record('deleteJob', [id, stopCurrentJobRuns], () => {
      const spec = this.jobsById.get(id) as JobSpec;
      this.jobsById.delete(id);
      this.runs = this.runs.filter((r) => r.jobId !== id);
      return { ok: true, value: spec };
    });
  }
  startRun(jobId: string): Promise<BatchResult<JobRun>> {
    return this.record('startRun', [jobId], () => {
      const r = run(this.jobsById.get(jobId) as JobSpec, `20261122100000run${++this.runCounter}`, { status: 'INITIAL', tasks: [] });
      this.runs.push(r);
      return { ok: true, value: r };
    });
  }
  stopRun(jobId: string, runId: string): Promise<BatchResult<JobRun>> {
    return this.record('stopRun', [jobId, runId], () => {
      const r = this.runs.find((x) => x.jobId === jobId && x.id === runId) as JobRun;
      this.runs = this.runs.filter((x) => x !== r);
      const stopped: JobRun = { ...r, status: 'FAILED', completedAt: T0, reason: 'stopped' };
      this.finished.push(stopped);
      return { ok: true, value: stopped };
    });
  }
  createSchedule(jobId: string, s: ScheduleSpec): Promise<BatchResult<ScheduleSpec>> {
    return this.record('createSchedule', [jobId, s], () => {
      this.schedulesByJob.set(jobId, [...this.schedules(jobId), s]);
      return { ok: true, value: s };
    });
  }
  updateSchedule(jobId: string, s: ScheduleSpec): Promise<BatchResult<ScheduleSpec>> {
    return this.record('updateSchedule', [jobId, s], () => {
      this.schedulesByJob.set(jobId, this.schedules(jobId).map((x) => (x.id === s.id ? s : x)));
      return { ok: true, value: s };
    });
  }
  deleteSchedule(jobId: string, scheduleId: string): Promise<BatchResult<ScheduleSpec>> {
    return this.record('deleteSchedule', [jobId, scheduleId], () => {
      const s = this.schedules(jobId).find((x) => x.id === scheduleId) as ScheduleSpec;
      this.schedulesByJob.set(jobId, this.schedules(jobId).filter((x) => x.id !== scheduleId));
      return { ok: true, value: s };
    });
  }
}

export interface Answer {
  readonly status: number;
  /** The parsed body (inspected field by field in tests). */
  readonly json: any;
  readonly text: string;
  readonly contentType: string | undefined;
}

/** One request through `inject`; a non-string body is sent as JSON. */
export async function call(app: FastifyInstance, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const r = await app.inject({
    method: method as 'GET',
    url,
    ...(payload !== undefined ? { payload, headers: { 'content-type': 'application/json', ...headers } } : { headers }),
  });
  let json: unknown;
  try { json = r.body === '' ? undefined : JSON.parse(r.body); } catch { json = undefined; }
  return { status: r.statusCode, json, text: r.body, contentType: r.headers['content-type'] as string | undefined };
}

export function makeApp(service = new FakeBatchService()): { app: FastifyInstance; service: FakeBatchService } {
  return { app: createBatchApp({ service, logger: false }), service };
}
