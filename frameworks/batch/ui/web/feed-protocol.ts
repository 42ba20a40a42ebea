/**
 * The topics of the batch UI's live feed (`/ui/live`, the kit's WebSocket protocol), shared by
 * the server (frameworks/batch/ui/batch-ui.ts, `import type`) and the pages.
 *
 *   jobs  {}                          snapshot: {jobs: JobRow[]} (or {loading: true} before the first read)
 *   job   {id}                        snapshot: {job: JobInfo} | {missing: id} | {loading: true}
 *   log   {job, run, task, file}      stream: append {offset, data} as the file grows;
 *                                     snapshot {waiting: message} while it cannot be read
 */
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface JobRow {
  readonly id: string;
  readonly description?: string;
  readonly cmd?: string;
  readonly schedules: readonly { readonly id: string; readonly cron: string; readonly timezone: string; readonly enabled: boolean; readonly nextRunAt?: string }[];
  readonly activeRuns: readonly { readonly id: string; readonly status: string; readonly createdAt: string }[];
  readonly history: {
    readonly successCount: number;
    readonly failureCount: number;
    readonly lastSuccessAt: string | null;
    readonly lastFailureAt: string | null;
  };
}

export type JobsSnapshot = { readonly jobs: readonly JobRow[] } | { readonly loading: true };
export type JobSnapshot = { readonly job: Json } | { readonly missing: string } | { readonly loading: true };
export interface LogChunk { readonly offset: number; readonly data: string }
export type LogSnapshot = { readonly waiting: string };
export const LOG_FILES = ['stdout', 'stderr'] as const;
